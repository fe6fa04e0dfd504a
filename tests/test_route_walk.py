"""The route × role × scope matrix (issue 7, point 4): every rule of the URL map, walked by every kind
of user with ids of records inside and outside their scope (IDOR).

The oracle is tests/routes.py, written apart from the code under test: who may use a route comes from
its role × route tables, and what the record a route names must be to the actor from RECORD_KINDS
(tests/routes.py: walk_answer). The walk never asks crm.core.permissions, so a changed rule in RULES or
a changed @require fails here. A refusal must answer 403, or 404 when the user may not even see the
record (no existence leak), and change nothing; so must every GET (SPEC §6: no state change over GET).
A route the walk can't build a URL for, whose view declares no permission, that is public without
review, or that takes a URL argument RECORD_KINDS doesn't know, fails the test: new routes are covered
the day they are added.
"""

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.auth.services import set_password
from crm.core.timeutil import local_today
from crm.extensions import db
from crm.models import (
    AuditEvent,
    CalendarDay,
    Cluster,
    Currency,
    FundEntry,
    FundKind,
    ImportBatch,
    LoginLock,
    LoginSession,
    Notification,
    OutgoingMessage,
    ProblemCategory,
    Project,
    ReportArchive,
    StallRule,
    TargetCompany,
    User,
    utcnow,
)
from crm.projects.services import ProblemInput, add_milestone, raise_problem
from tests.factories import CLUSTER_OF_REGION, PASSWORD, digest, make_project, make_target, make_user
from tests.routes import RECORD_KINDS, WALK_ACTORS, walk_answer

SCOPE_IDS = {None: "", "全市": "city", "南湖区": "nanhu"}
INSIDE, OUTSIDE = "南湖区", "嘉善县"  # a 南湖区 user's scope, and a region outside it
SKIPPED = {"static", "bootstrap.static"}  # files, served by Flask and Bootstrap-Flask
PUBLIC = {"auth.login", "main.healthz"}  # the only views anyone may reach without logging in
# A refusal is audited: the one change it may make; a weekly summary read may keep a built copy.
TO_LOGIN = "302→/login"  # how an answer sending the browser to the login page is reported
ARGUMENT_GROUPS = {"kind": "item", "item_id": "item"}  # arguments naming one record together


@dataclass(frozen=True)
class Actor:
    """The signed-in user (kept apart from any session): who the walk logs in as."""

    id: int
    username: str
    role: str
    scope: str


@dataclass
class World:
    """The actor and, per URL argument group, named records: their URL values, by name.

    The names say how the record stands to a 南湖区 actor (tests/routes.py: record_answer).
    """

    actor: Actor | None
    variants: dict[str, dict[str, dict]] = field(default_factory=dict)

    def add(self, group: str, name: str, values: dict) -> None:
        self.variants.setdefault(group, {})[name] = values


def build_world(app, role: str, scope: str | None) -> World:
    """Records of the actor, of an officer inside 南湖区 and of one outside it, one of each kind."""
    actor_id = make_user(app, role, scope) if scope else None
    inside, outside = make_user(app, "officer", INSIDE), make_user(app, "officer", OUTSIDE)
    owners = {"in": inside, "out": outside}
    if role == "officer":
        owners["own"] = actor_id
    targets = {n: make_target(app, uid, OUTSIDE if n == "out" else INSIDE) for n, uid in owners.items()}
    projects = {n: make_project(app, uid, OUTSIDE if n == "out" else INSIDE) for n, uid in owners.items()}
    with app.app_context():
        user = db.session.get(User, actor_id) if actor_id else None
        world = World(user and Actor(user.id, user.username, user.role.value, scope))
        _add_items(world, targets, projects)
        _add_clusters_and_archives(world, inside)
        _add_batches_and_notifications(world, actor_id, inside)
        _add_admin_records(world, {"self": actor_id, "in": inside, "out": outside})
        db.session.commit()
        out = db.session.get(TargetCompany, targets["out"])
        assert out.region_id == _region_id(OUTSIDE) != _region_id(INSIDE), "嘉善县 must be outside 南湖区"
        return world


def _region_id(name: str) -> int:
    return db.session.scalar(sa.select(Cluster.region_id).where(Cluster.name == CLUSTER_OF_REGION[name]))


def _add_items(world: World, targets: dict, projects: dict) -> None:
    for name, target_id in targets.items():
        world.add("target_id", name, {"target_id": target_id})
        world.add("item", f"target/{name}", {"kind": "target", "item_id": target_id})
    for name, project_id in projects.items():
        project = db.session.get(Project, project_id)
        owner = project.owner
        milestone = add_milestone(project, "走查节点", date(2026, 12, 31), owner)
        category = next(iter(ProblemCategory)).value
        problem = raise_problem(
            project,
            ProblemInput(category, "走查问题", "自然资源和规划局", local_today()),
            owner,
            local_today(),
        )
        db.session.flush()
        world.add("project_id", name, {"project_id": project_id})
        world.add("item", f"project/{name}", {"kind": "project", "item_id": project_id})
        world.add("milestone_id", name, {"milestone_id": milestone.id})
        world.add("problem_id", name, {"problem_id": problem.id})
        entry = FundEntry(
            project_id=project_id, arrived_on=date(2026, 3, 5), currency=Currency.CNY, amount=Decimal("100.00"),
            kind=FundKind.DOMESTIC, note="走查到资", recorded_by_id=owner.id,
        )  # fmt: skip
        db.session.add(entry)
        db.session.flush()
        world.add("entry_id", name, {"entry_id": entry.id})


def _add_clusters_and_archives(world: World, author_id: int) -> None:
    for name, region in (("in", INSIDE), ("out", OUTSIDE)):
        cluster = db.session.scalar(sa.select(Cluster).where(Cluster.name == CLUSTER_OF_REGION[region]))
        world.add("cluster_id", name, {"cluster_id": cluster.id})
    for name, region_id in (("city", None), ("in", _region_id(INSIDE)), ("out", _region_id(OUTSIDE))):
        content = b"<p>weekly</p>"
        archive = ReportArchive(
            week="2026-W48", scope_key=f"walk-{name}", scope_label=name, region_id=region_id, fmt="html",
            filename="调度会.html", content=content, size=len(content),
            sha256=hashlib.sha256(content).hexdigest(), created_by_id=author_id,
        )  # fmt: skip
        db.session.add(archive)
        db.session.flush()
        world.add("archive_id", name, {"archive_id": archive.id})


BATCH_CONTENT = {
    "target": "企业名称*,所属集群*,招商渠道*\n走查企业有限公司,南湖区微电子,招商地图\n",
    "project": "项目名称*,项目单位*,所属集群*,阶段*\n走查项目,走查投资有限公司,南湖区微电子,在谈\n",
    "fund": "项目名称*,到资日期*,币种*,金额*,口径*\n走查项目,2026-03-05,人民币,100,实到内资\n",
}


def _add_batches_and_notifications(world: World, actor_id: int | None, other_id: int) -> None:
    for whose, user_id in (("mine", actor_id), ("other", other_id)):
        if user_id is None:
            continue
        for kind, text in BATCH_CONTENT.items():
            content = text.encode()
            batch = ImportBatch(kind=kind, user_id=user_id, filename="清单.csv", content=content)
            db.session.add(batch)
            db.session.flush()
            world.add("batch_id", f"{whose}/{kind}", {"batch_id": batch.id})
        note = Notification(user_id=user_id, kind="walk", title="走查消息", link="/")
        db.session.add(note)
        db.session.flush()
        world.add("notification_id", whose, {"notification_id": note.id})


def _add_admin_records(world: World, users: dict) -> None:
    for name, user_id in users.items():
        if user_id is not None:
            world.add("user_id", name, {"user_id": user_id})
    message = OutgoingMessage(
        channel="inapp", recipient_id=users["in"], subject="走查", body="走查", status="sent", run_at=utcnow()
    )
    day = CalendarDay(day=date(2031, 1, 2), is_working=False, note="走查")
    db.session.add_all([message, day])
    db.session.flush()
    world.add("message_id", "any", {"message_id": message.id})
    world.add("day_id", "any", {"day_id": day.id})
    rule_id = db.session.scalar(sa.select(sa.func.min(StallRule.id)))
    world.add("rule_id", "any", {"rule_id": rule_id})
    lock = LoginLock(username="walk", ip="10.0.0.9", failures=5, locked_until=utcnow() + timedelta(hours=1))
    live = LoginSession(user_id=users["in"], token_hash="1" * 64, ip="10.0.0.9")
    db.session.add_all([lock, live])
    db.session.flush()
    world.add("lock_id", "any", {"lock_id": lock.id})
    world.add("session_id", "any", {"session_id": live.id})


# --- the walk -----------------------------------------------------------------------------------------


def declaration_problem(rule, view) -> str | None:
    """Why the route can't be walked as declared, or None."""
    if not hasattr(view, "permission"):
        return f"{rule.endpoint} ({rule.rule}): the view declares no permission (@require or @public)"
    if getattr(view, "public", False) and rule.endpoint not in PUBLIC:
        return f"{rule.endpoint} ({rule.rule}): public without review — add it to PUBLIC, or @require a rule"
    if rule.endpoint in PUBLIC and not getattr(view, "public", False):
        return f"{rule.endpoint} ({rule.rule}): no longer public — take it out of PUBLIC"
    if rule.arguments and rule.endpoint not in RECORD_KINDS:
        return (
            f"{rule.endpoint} ({rule.rule}): takes {sorted(rule.arguments)}, "
            "but tests/routes.py RECORD_KINDS doesn't say what its record must be"
        )
    if set(rule.methods) - {"GET", "HEAD", "OPTIONS", "POST"}:
        return f"{rule.endpoint} ({rule.rule}): the walk knows no request for {sorted(rule.methods)}"
    return None


def url_variants(rule, world: World):
    """(name, URL, records) for every combination of the records the rule's arguments can name;
    records are (group, name) pairs."""
    groups = sorted({ARGUMENT_GROUPS.get(name, name) for name in rule.arguments})
    missing = [g for g in groups if g not in world.variants]
    if missing:
        raise LookupError(f"{rule.endpoint} ({rule.rule}): the walk has no records for {missing}")
    for combination in itertools.product(
        *([(g, n, v) for n, v in world.variants[g].items()] for g in groups)
    ):
        values = {k: v for _, _, vals in combination for k, v in vals.items()}
        built = rule.build(values, append_unknown=False)
        if built is None:
            raise LookupError(f"{rule.endpoint} ({rule.rule}): can't build a URL from {values}")
        records = [(group, name) for group, name, _ in combination]
        yield "+".join(name for _, name in records) or "-", built[1], records


def verdict(method: str, expected: int | str | None, got: int | str) -> str | None:
    """What is wrong with the answer, or None."""
    if expected is not None:
        return None if got == expected else f"expected {expected}, answered {got}"
    if got == TO_LOGIN:  # the session ended: a POST may do that (logout), a GET may not
        return f"allowed, but answered {got}" if method == "GET" else None
    if not isinstance(got, int) or got in (401, 403, 404) or got >= 500:
        return f"allowed, but answered {got}"
    return None


class Walker:
    """Sends the requests as one actor, logging in again whenever an allowed request may have ended
    the session (logout, a reset password, "end sessions" on oneself)."""

    def __init__(self, app, world: World):
        self.app, self.world, self.failures, self.count = app, world, [], 0
        self.client = self._login()
        self.before = None

    def _login(self):
        client = self.app.test_client()
        user = self.world.actor
        if user is None:
            return client
        with self.app.app_context():
            current = db.session.get(User, user.id)
            if not current.check_password(PASSWORD):
                set_password(current, PASSWORD)
            current.must_change_password, current.active = False, True
            db.session.commit()
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302 and "/login" not in response.location, "login failed"
        return client

    def check(self, rule, method: str, name: str, url: str, records: list[tuple[str, str]]) -> None:
        user, self.count = self.world.actor, self.count + 1
        if user is None:
            expected = TO_LOGIN if method == "GET" else 401
        else:
            expected = walk_answer(rule.endpoint, method, user.role, user.scope, records)
        with self.app.app_context():
            self.before = self.before or digest()
        got = self._send(method, url)
        where = f"{method} {url} [{rule.endpoint}, {name}]"
        problem = verdict(method, expected, got)
        if problem:
            self.failures.append(f"{where}: {problem}")
        self._check_unchanged(where, expected is not None or method == "GET")
        if expected is None and method == "POST":
            self.client, self.before = self._login(), None

    def _send(self, method: str, url: str) -> int | str:
        try:
            response = self.client.open(url, method=method, data={})
        except Exception as error:  # a crash is a finding, and the walk goes on
            return f"{type(error).__name__}: {error}"
        if response.status_code == 302 and (response.location or "").startswith("/login"):
            return TO_LOGIN
        return response.status_code

    def _check_unchanged(self, where: str, must_be_unchanged: bool) -> None:
        if not must_be_unchanged:
            self.before = None
            return
        with self.app.app_context():
            after = digest()
        changed = sorted(t for t in after if after[t] != self.before.get(t))
        if changed:
            self.failures.append(f"{where}: changed {changed}")
        self.before = after

    def walk(self) -> None:
        rules = sorted(self.app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
        stale = sorted(RECORD_KINDS.keys() - {rule.endpoint for rule in rules})
        self.failures += [f"RECORD_KINDS names {endpoint}, which is no longer a route" for endpoint in stale]
        for rule in rules:
            view = self.app.view_functions[rule.endpoint]
            if rule.endpoint in SKIPPED:
                continue
            problem = declaration_problem(rule, view)
            if problem or rule.endpoint in PUBLIC:
                self.failures += [problem] if problem else []
                continue
            try:
                variants = list(url_variants(rule, self.world))
            except LookupError as error:
                self.failures.append(str(error))
                continue
            for method in sorted(rule.methods & {"GET", "POST"}):
                for name, url, records in variants:
                    self.check(rule, method, name, url, records)


@pytest.mark.parametrize(
    ("role", "scope"), WALK_ACTORS, ids=[f"{r}-{SCOPE_IDS[s]}".strip("-") for r, s in WALK_ACTORS]
)
def test_every_route_answers_each_role_and_scope_as_the_permission_rules_say(app, role, scope):
    walker = Walker(app, build_world(app, role, scope))
    walker.walk()
    walkable = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED | PUBLIC]
    assert walker.count >= len(walkable)
    report = "\n".join(walker.failures)
    assert not walker.failures, f"{len(walker.failures)} problems in {walker.count} requests:\n{report}"


def test_the_digest_sees_every_write_but_the_audit_log(app):
    """The walks' change detector itself: a write to any watched table shows, an audit row doesn't."""
    with app.app_context():
        before = digest()
        db.session.add(AuditEvent(action="login.failure", username="digest"))
        db.session.commit()
        assert digest() == before
        db.session.add(CalendarDay(day=date(2031, 3, 4), is_working=True, note="digest"))
        db.session.commit()
        after = digest()
        assert [t for t in after if after[t] != before.get(t)] == ["calendar_day"]
