"""The weekly summary of a constructed fortnight: every number of every section known in advance.

The story is made through the real services (so history is what the app writes), then each step's
rows are moved back to the moment the step happened. Weeks (Asia/Shanghai): W45 = 11-02..11-08,
W46 = 11-09..11-15, W47 = 11-16..11-22.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm.core.ownership import reassign
from crm.extensions import db
from crm.followups.services import FollowUpInput, log_follow_up
from crm.models import FollowUp, HistoryEntry, Problem, Project, TargetCompany, User
from crm.projects.services import ProblemInput, ProjectInput, create_project, move_problem, raise_problem
from crm.projects.stages import StageMove, move_stage
from crm.reports.scope import ReportScope, resolve
from crm.reports.weekly import build
from crm.reports.weeks import IsoWeek
from crm.targets.services import TargetInput, create_target
from tests.conftest import make_user
from tests.factories import cluster_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
W45, W46, W47 = (IsoWeek.parse(f"2026-W{n}", SHANGHAI) for n in (45, 46, 47))
STAMPED = [
    (TargetCompany, ("created_at", "updated_at", "status_since")),
    (Project, ("created_at", "updated_at", "stage_since")),
    (HistoryEntry, ("created_at",)),
    (FollowUp, ("created_at",)),
    (Problem, ("created_at", "updated_at")),
]


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def backdate(moment: datetime) -> None:
    """Move every timestamp written in the last minutes (this step's) back to the step's moment."""
    recent = datetime.now(UTC) - timedelta(minutes=10)
    for model, columns in STAMPED:
        for name in columns:
            column = getattr(model, name)
            db.session.execute(sa.update(model).where(column > recent).values({name: moment}))
    db.session.commit()


def follow_up(item, actor, occurred: date, next_on: date, next_step: str = "") -> None:
    log_follow_up(
        item,
        actor,
        FollowUpInput(occurred, "走访", "走访企业", next_step=next_step, next_follow_up_on=next_on),
    )


class Story:
    """The fortnight, and what happened after it (which the W46 summary must not see)."""

    def __init__(self, app):
        self.wang = make_user(app, "officer", "南湖区", display_name="王专员")
        self.zhao = make_user(app, "officer", "嘉善县", display_name="赵专员")
        self.li = make_user(app, "officer", "南湖区", display_name="李专员")
        self.head = make_user(app, "head", "全市", display_name="孙局长")
        with app.test_request_context():  # a reassignment's notice links to the item
            self._fortnight()
            self._afterwards()

    def _fortnight(self):
        wang, zhao, head = (db.session.get(User, i) for i in (self.wang, self.zhao, self.head))
        nanhu, jiashan = cluster_id("南湖区微电子"), cluster_id("嘉善县集成电路")
        # W45
        t1 = create_target(
            TargetInput(name="=嘉兴甲芯科技有限公司", cluster_id=nanhu, source="招商地图", owner_id=wang.id),
            wang,
        )
        backdate(at(date(2026, 11, 2)))
        p1 = create_project(
            ProjectInput(
                name="甲芯晶圆项目",
                company_name="甲芯科技",
                cluster_id=nanhu,
                owner_id=wang.id,
                is_landmark=True,
                total_investment=Decimal("10.10"),
                leader_name="张副市长",
                planned_start_on=date(2026, 11, 20),
            ),
            wang,
        )
        backdate(at(date(2026, 11, 3)))
        t2 = create_target(
            TargetInput(name="嘉善乙微电子有限公司", cluster_id=jiashan, source="展会", owner_id=zhao.id),
            zhao,
        )
        p2 = create_project(
            ProjectInput(
                name="乙封装测试项目",
                company_name="乙微电子",
                cluster_id=jiashan,
                owner_id=zhao.id,
                total_investment=Decimal("20.25"),
            ),
            zhao,
        )
        backdate(at(date(2026, 11, 4)))
        evidence = {"signed_on": date(2026, 11, 4), "signed_investment": Decimal("8.00")}
        move_stage(p1, StageMove("拟建", "签约仪式", evidence), wang, date(2026, 11, 5))
        backdate(at(date(2026, 11, 5)))
        problem = raise_problem(
            p1,
            ProblemInput("用地", "用地指标待落实", "南湖区自然资源和规划分局", date(2026, 11, 6)),
            wang,
            date(2026, 11, 6),
        )
        follow_up(p1, wang, date(2026, 11, 6), date(2026, 11, 13), "对接规划")
        backdate(at(date(2026, 11, 6)))
        # W46
        follow_up(t1, wang, date(2026, 11, 9), date(2026, 11, 12))
        backdate(at(date(2026, 11, 9)))
        t3 = create_target(
            TargetInput(name="南湖丙材料有限公司", cluster_id=nanhu, source="以商引商", owner_id=wang.id),
            wang,
        )
        backdate(at(date(2026, 11, 10)))
        move_stage(
            p1, StageMove("在建", "开工", {"actual_start_on": date(2026, 11, 10)}), wang, date(2026, 11, 11)
        )
        backdate(at(date(2026, 11, 11)))
        move_problem(problem, "已解决", "指标已调剂", head, date(2026, 11, 12))
        backdate(at(date(2026, 11, 12)))
        follow_up(t2, zhao, date(2026, 11, 13), date(2026, 11, 18))
        backdate(at(date(2026, 11, 13)))
        self.ids = {"t1": t1.id, "t2": t2.id, "t3": t3.id, "p1": p1.id, "p2": p2.id, "problem": problem.id}

    def _afterwards(self):
        """W47 and later: a signing dated in W46 but entered on Monday, and changes to W46's items."""
        wang, zhao, li = (db.session.get(User, i) for i in (self.wang, self.zhao, self.li))
        p1, p2 = (db.session.get(Project, self.ids[k]) for k in ("p1", "p2"))
        t1 = db.session.get(TargetCompany, self.ids["t1"])
        evidence = {"signed_on": date(2026, 11, 13), "signed_investment": Decimal("18.00")}
        move_stage(p2, StageMove("拟建", "补录签约", evidence), zhao, date(2026, 11, 16))
        backdate(at(date(2026, 11, 16), 9))
        reassign(t1, li, wang, "工作调整")
        follow_up(t1, li, date(2026, 11, 17), date(2026, 11, 24), "再次走访")
        p1.name, p1.leader_name = (
            "甲芯晶圆二期项目",
            "陈副市长",
        )  # plain edits, as below: history records them
        db.session.add(
            HistoryEntry(
                entity_type="project",
                entity_id=p1.id,
                action="updated",
                field="name",
                old_value="甲芯晶圆项目",
                new_value="甲芯晶圆二期项目",
                actor_id=wang.id,
            )
        )
        db.session.add(
            HistoryEntry(
                entity_type="project",
                entity_id=p1.id,
                action="updated",
                field="leader_name",
                old_value="张副市长",
                new_value="陈副市长",
                actor_id=wang.id,
            )
        )
        move_stage(
            p1,
            StageMove("建成投产", "投产", {"actual_completion_on": date(2026, 11, 18)}),
            wang,
            date(2026, 11, 18),
        )
        problem = db.session.get(Problem, self.ids["problem"])
        move_problem(problem, "协调中", "指标调剂被收回", wang, date(2026, 11, 18))
        create_target(
            TargetInput(
                name="后来的企业有限公司",
                cluster_id=cluster_id("南湖区微电子"),
                source="展会",
                owner_id=wang.id,
            ),
            wang,
        )
        backdate(at(date(2026, 11, 18)))


@pytest.fixture
def story(app):
    return Story(app)


def city() -> ReportScope:
    return ReportScope(None)


def figures(summary) -> dict:
    return {f.label.strip("　"): f.value for f in summary.figures}


def test_week_46_overview_and_progress(app, story):
    with app.app_context():
        summary = build(W46, city())
    values = figures(summary)
    assert values["招商企业（在库）"] == 3 and values["其中待接触"] == 3 and values["已转项目"] == 0
    assert values["项目（不含终止）"] == 2
    assert (values["在谈项目"], values["在谈项目总投资"]) == (1, Decimal("20.25"))
    assert (values["在建项目"], values["在建项目总投资"]) == (1, Decimal("10.10"))
    assert values["拟建项目"] == 0 and values["建成投产项目"] == 0
    assert (values["本周新增招商企业"], values["本周新增项目"], values["本周签约"]) == (1, 0, 0)
    assert (values["本周开工"], values["本周竣工投产"]) == (1, 0)
    assert (values["红灯"], values["黄灯"], values["待协调的要素保障问题"]) == (0, 2, 0)
    assert [(e.kind, e.name, e.on, e.officer) for e in summary.events] == [
        ("new_target", "南湖丙材料有限公司", date(2026, 11, 10), "王专员"),
        ("started", "甲芯晶圆项目", date(2026, 11, 10), "王专员"),
    ]
    assert summary.events[1].investment == Decimal("10.10") and summary.complete


def test_week_46_landmarks_warnings_problems_and_next_week(app, story):
    with app.app_context():
        summary = build(W46, city())
    assert [
        (m.name, m.stage, m.leader, m.officer, m.last_follow_up_on, m.next_step, m.next_follow_up_on)
        for m in summary.landmarks
    ] == [("甲芯晶圆项目", "在建", "张副市长", "王专员", date(2026, 11, 6), "对接规划", date(2026, 11, 13))]
    assert [(w.name, w.level, w.reasons, w.since, w.days, w.officer) for w in summary.warnings] == [
        ("=嘉兴甲芯科技有限公司", "yellow", "跟进逾期", date(2026, 11, 13), 1, "王专员"),
        ("甲芯晶圆项目", "yellow", "跟进逾期", date(2026, 11, 14), 0, "王专员"),
    ]
    assert summary.problems == []
    assert [(u.kind, u.name, u.on, u.officer) for u in summary.next_week] == [
        ("待跟进", "嘉善乙微电子有限公司", date(2026, 11, 18), "赵专员")
    ]


def test_week_45_has_the_signing_and_the_open_problem(app, story):
    with app.app_context():
        summary = build(W45, city())
    assert [(e.kind, e.name, e.on) for e in summary.events] == [
        ("new_target", "=嘉兴甲芯科技有限公司", date(2026, 11, 2)),
        ("new_target", "嘉善乙微电子有限公司", date(2026, 11, 4)),
        ("new_project", "甲芯晶圆项目", date(2026, 11, 3)),
        ("new_project", "乙封装测试项目", date(2026, 11, 4)),
        ("signed", "甲芯晶圆项目", date(2026, 11, 4)),
    ]
    assert summary.events[-1].investment == Decimal("8.00")
    assert [(p.unit, p.project, p.category, p.status) for p in summary.problems] == [
        ("南湖区自然资源和规划分局", "甲芯晶圆项目", "用地", "待协调")
    ]
    assert summary.warnings == []


def test_a_signing_entered_on_monday_counts_in_the_week_it_was_entered(app, story):
    with app.app_context():
        w46, w47 = build(W46, city()), build(W47, city())
    assert not w46.events_of("signed")
    signed = w47.events_of("signed")
    assert [(e.name, e.on, e.recorded_on, e.investment) for e in signed] == [
        ("乙封装测试项目", date(2026, 11, 13), date(2026, 11, 16), Decimal("18.00"))
    ]
    assert [e.name for e in w47.events_of("completed")] == ["甲芯晶圆二期项目"]
    assert [(p.project, p.status) for p in w47.problems] == [("甲芯晶圆二期项目", "协调中")]


def test_the_region_and_cluster_scopes_see_only_their_part(app, story):
    with app.app_context():
        nanhu = resolve(db.session.get(User, story.wang).region)
        jiashan_cluster = resolve(None, cluster="嘉善县集成电路")
        local, cluster = build(W46, nanhu), build(W46, jiashan_cluster)
    assert figures(local)["招商企业（在库）"] == 2 and figures(local)["项目（不含终止）"] == 1
    assert [w.name for w in local.warnings] == ["=嘉兴甲芯科技有限公司", "甲芯晶圆项目"]
    assert local.next_week == [] and local.scope.label == "南湖区"
    assert figures(cluster)["招商企业（在库）"] == 1 and [u.name for u in cluster.next_week] == [
        "嘉善乙微电子有限公司"
    ]
    assert cluster.warnings == [] and cluster.landmarks == []


def test_a_week_that_has_not_begun_is_refused(app):
    with app.app_context(), pytest.raises(ValueError, match="尚未开始"):
        build(IsoWeek.parse("2027-W10", SHANGHAI), city())
