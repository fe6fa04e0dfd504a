"""Records for tests, made through the same services the app uses."""

from decimal import Decimal

import sqlalchemy as sa

from crm.extensions import db
from crm.models import Cluster, TargetCompany, User
from crm.targets.services import TargetInput, create_target

CLUSTER_OF_REGION = {
    "南湖区": "南湖区微电子",
    "嘉善县": "嘉善县集成电路",
    "桐乡市": "桐乡市新材料",
}
_names = iter(range(1, 10_000_000))


def cluster_id(name: str) -> int:
    return db.session.scalar(sa.select(Cluster.id).where(Cluster.name == name))


def make_target(app, owner_id: int, region: str = "南湖区", **fields) -> int:
    """Create a target company in region's cluster owned by owner_id; returns its id."""
    with app.app_context():
        owner = db.session.get(User, owner_id)
        values = {
            "name": f"测试企业{next(_names)}有限公司",
            "cluster_id": cluster_id(CLUSTER_OF_REGION[region]),
            "source": "招商地图",
            "owner_id": owner_id,
            "intended_investment": Decimal("5.00"),
        }
        values.update(fields)
        target = create_target(TargetInput(**values), owner)
        db.session.commit()
        return target.id


def target_state(app, target_id: int) -> tuple:
    """What a refused request must not change."""
    with app.app_context():
        t = db.session.get(TargetCompany, target_id)
        follow_ups = db.session.scalar(
            sa.text("SELECT count(*) FROM follow_up WHERE target_id = :i"), {"i": t.id}
        )
        history = db.session.scalar(
            sa.text("SELECT count(*) FROM history_entry WHERE entity_type = 'target' AND entity_id = :i"),
            {"i": t.id},
        )
        return (t.name, t.status, t.owner_id, t.version, t.next_follow_up_on, follow_ups, history)


def make_project(app, owner_id: int, region: str = "南湖区", stage: str = "在谈", **fields) -> int:
    """Create a project owned by owner_id and move it (with evidence) to stage; returns its id."""
    from datetime import date

    from crm.projects.services import ProjectInput, create_project
    from crm.projects.stages import StageMove, move_stage

    with app.app_context():
        owner = db.session.get(User, owner_id)
        values = {
            "name": f"测试项目{next(_names)}",
            "company_name": "测试投资有限公司",
            "cluster_id": cluster_id(CLUSTER_OF_REGION[region]),
            "owner_id": owner_id,
            "total_investment": Decimal("10.00"),
        }
        values.update(fields)
        project = create_project(ProjectInput(**values), owner)
        evidence = {
            "signed_on": date(2026, 3, 2),
            "signed_investment": Decimal("8.00"),
            "actual_start_on": date(2026, 6, 1),
            "actual_completion_on": date(2026, 10, 9),
        }
        needed = {"拟建": 2, "在建": 3, "建成投产": 4}.get(stage, 0)  # only the evidence the stage needs
        evidence = dict(list(evidence.items())[:needed])
        if stage != "在谈":
            move_stage(project, StageMove(stage, "测试推进", evidence), owner, date(2026, 11, 20))
        db.session.commit()
        return project.id


def project_state(app, project_id: int) -> tuple:
    with app.app_context():
        from crm.models import Project

        p = db.session.get(Project, project_id)
        counts = [
            db.session.scalar(sa.text(sql), {"i": p.id})
            for sql in (
                "SELECT count(*) FROM follow_up WHERE project_id = :i",
                "SELECT count(*) FROM history_entry WHERE entity_type = 'project' AND entity_id = :i",
                "SELECT count(*) FROM problem WHERE project_id = :i",
                "SELECT count(*) FROM milestone WHERE project_id = :i",
            )
        ]
        return (p.name, p.stage, p.owner_id, p.version, p.next_follow_up_on, *counts)


# Every role in both kinds of scope: the actors of the list and report permission matrices.
ACTORS = [
    ("officer", "南湖区"),
    ("officer", "全市"),
    ("head", "南湖区"),
    ("head", "全市"),
    ("viewer", "南湖区"),
    ("viewer", "全市"),
    ("admin", "全市"),
]


def count_statements(app, client, path: str) -> int:
    """SQL statements one (warmed-up) GET of path issues, PRAGMAs aside."""
    with app.app_context():
        engine = db.engine
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith("PRAGMA"):
            statements.append(statement)

    client.get(path)  # warm up: connection set-up and caches are not the page's work
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements)
