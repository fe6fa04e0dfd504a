"""demo-data's 招商清单: 2,000 companies per scale with follow-ups and history that obey the rules.

Generating is the slow part, so the module does it once (scale 1, then again to show it adds
nothing) and keeps what the tests check as plain values: the module is real_commits, so
conftest empties the tables after the first test.
"""

import random
from collections import Counter, defaultdict
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from crm.core.identity import credit_code_problem, name_key
from crm.core.timeutil import local_today
from crm.core.workdays import add_working_days
from crm.demo.companies import ClusterInfo, Companies
from crm.demo.timeline import WorkCalendar
from crm.extensions import db
from crm.models import (
    ChainSegment,
    Cluster,
    ClusterStatus,
    FollowUp,
    HistoryEntry,
    Role,
    TargetCompany,
    TargetStatus,
    User,
)

# The module's data is made once, before its first test, and committed.
pytestmark = pytest.mark.real_commits

OPEN = {TargetStatus.UNCONTACTED, TargetStatus.CONTACTED, TargetStatus.INTERESTED}


@pytest.fixture(scope="module")
def demo(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo-data", "--scale", "1", "--password-stdin"], input="Demo-pass-2026\n")
    assert first.exit_code == 0, first.output
    with app.app_context():
        facts = _facts()
    second = runner.invoke(args=["demo-data", "--scale", "1", "--password-stdin"], input="Demo-pass-2026\n")
    with app.app_context():
        facts["counts_after_second_run"] = _counts()
    facts.update(first=first.output, second=second.output)
    return facts


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _counts() -> list[int]:
    """The 招商清单's own rows (demo-data adds the 项目清单's too: test_demo_projects.py)."""
    return [
        _count(TargetCompany),
        _count(FollowUp, FollowUp.target_id.is_not(None)),
        _count(HistoryEntry, HistoryEntry.entity_type == TargetCompany.entity_type),
    ]


def _facts() -> dict:
    follow_ups, history = defaultdict(list), defaultdict(list)
    follow_up_rows = sa.select(FollowUp).where(FollowUp.target_id.is_not(None))
    for row in db.session.execute(follow_up_rows.order_by(FollowUp.occurred_on, FollowUp.id)).scalars():
        follow_ups[row.target_id].append(row)
    history_rows = sa.select(HistoryEntry).where(HistoryEntry.entity_type == TargetCompany.entity_type)
    for row in db.session.execute(history_rows.order_by(HistoryEntry.id)).scalars():
        history[row.entity_id].append(row)
    db.session.expunge_all()
    return {
        "today": local_today(),
        "targets": db.session.scalars(sa.select(TargetCompany)).all(),
        "users": {u.id: u for u in db.session.scalars(sa.select(User))},
        "clusters": db.session.scalars(sa.select(Cluster)).all(),
        "segments": db.session.scalars(sa.select(ChainSegment)).all(),
        "follow_ups": follow_ups,
        "history": history,
        "counts": _counts(),
    }


def test_scale_one_adds_two_thousand_companies_and_reports_the_counts(demo):
    targets, follow_ups, history = demo["counts"]
    assert targets == 2000
    assert 9000 <= follow_ups <= 14000
    assert f"新增招商清单企业 2000 家，跟进记录 {follow_ups} 条，变更记录 {history} 条。" in demo["first"]


def test_running_it_again_adds_nothing_and_says_so(demo):
    assert demo["counts_after_second_run"] == demo["counts"]
    assert "已有企业 2000 家" in demo["second"] and "本次未新增" in demo["second"]


def test_clusters_get_companies_by_their_2025_target_and_chain_maps_keep_gaps(demo):
    per_cluster = Counter(t.cluster_id for t in demo["targets"])
    formal = [c for c in demo["clusters"] if c.status == ClusterStatus.FORMAL]
    assert len(formal) == 9
    total = sum(c.value_2025 for c in formal)
    for cluster in formal:
        expected = float(2000 * cluster.value_2025 / total)
        assert abs(per_cluster[cluster.id] - expected) < 0.05 * expected + 2, cluster.name
    for cluster in demo["clusters"]:
        if cluster.status == ClusterStatus.INCUBATING:
            assert 1 <= per_cluster[cluster.id] <= 30, cluster.name
    used = {t.segment_id for t in demo["targets"]}
    parents = {s.parent_id for s in demo["segments"]}
    for cluster in formal:
        segments = [s for s in demo["segments"] if s.cluster_id == cluster.id]
        assert any(s.id in used for s in segments if s.parent_id is not None or s.id not in parents)
        assert any(s.id not in used for s in segments if s.id not in parents), f"{cluster.name} 无补链缺口"
    assert 0.06 < sum(t.segment_id is None for t in demo["targets"]) / 2000 < 0.16


def test_every_status_appears_in_about_the_planned_mix(demo):
    statuses = Counter(t.status for t in demo["targets"])
    planned = {"待接触": 0.30, "已接触": 0.30, "有意向": 0.25, "已放弃": 0.10, "已转项目": 0.05}
    for status, share in planned.items():
        assert abs(statuses[TargetStatus(status)] / 2000 - share) < 0.04, status
    for target in demo["targets"]:
        assert (target.abandon_reason is not None) == (target.status == TargetStatus.ABANDONED)


def test_open_companies_have_an_owner_in_scope_and_a_next_date_some_overdue(demo):
    today, users = demo["today"], demo["users"]
    open_targets = [t for t in demo["targets"] if t.status in OPEN]
    latest = add_working_days(today, 15)
    for target in open_targets:
        owner = users[target.owner_id]
        assert owner.active and owner.role in (Role.OFFICER, Role.HEAD)
        assert owner.region_id in (None, target.region_id)
        assert target.next_follow_up_on is not None
        assert target.next_follow_up_on <= latest
    overdue = sum(t.next_follow_up_on < today for t in open_targets) / len(open_targets)
    assert 0.10 < overdue < 0.20
    long_overdue = [t for t in open_targets if t.next_follow_up_on < today - timedelta(21)]
    assert long_overdue, "some should be overdue by weeks"
    assert any(users[t.owner_id].region_id is None for t in open_targets), "some city-level owners"
    assert all(t.next_follow_up_on is None for t in demo["targets"] if t.status not in OPEN)


def test_identities_are_unique_and_credit_codes_valid(demo):
    targets = demo["targets"]
    assert len({t.name_key for t in targets}) == 2000
    assert all(t.name_key == name_key(t.name) for t in targets)
    codes = [t.credit_code for t in targets if t.credit_code]
    assert len(set(codes)) == len(codes)
    assert [c for c in codes if credit_code_problem(c)] == []
    chinese = [t for t in targets if t.country == "中国"]
    foreign = [t for t in targets if t.country != "中国"]
    assert 0.05 < len(foreign) / 2000 < 0.15
    assert 0.6 < sum(bool(t.credit_code) for t in chinese) / len(chinese) < 0.8
    assert all(t.foreign_registration and not t.credit_code and t.hq_city for t in foreign)
    assert all(t.intended_investment is None or 0.5 <= t.intended_investment <= 80 for t in targets)
    assert all(t.version == 1 and t.contact_name and t.industry_note for t in targets)


def test_follow_ups_lie_in_the_past_year_and_match_their_company(demo):
    today, follow_ups = demo["today"], demo["follow_ups"]
    for target in demo["targets"]:
        rows = follow_ups[target.id]
        assert all(today - timedelta(365) <= f.occurred_on < today for f in rows)
        if target.status == TargetStatus.UNCONTACTED:
            assert len(rows) <= 1
        else:
            assert rows and rows[-1].occurred_on == target.last_follow_up_on
            assert target.created_at < rows[0].created_at
        if target.status in OPEN and rows:
            assert rows[-1].next_follow_up_on == target.next_follow_up_on
        assert all(f.author_id == target.owner_id for f in rows[-1:])
    worked = [t for t in demo["targets"] if t.status in (TargetStatus.CONTACTED, TargetStatus.INTERESTED)]
    average = sum(len(follow_ups[t.id]) for t in worked) / len(worked)
    assert 6 <= average <= 10


def test_history_tells_each_company_story(demo):
    users, history = demo["users"], demo["history"]
    reassigned = 0
    for target in demo["targets"]:
        rows = history[target.id]
        assert rows[0].action == "created" and rows[0].created_at == target.created_at
        assert rows[0].actor_id == target.created_by_id
        assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)
        assert all(r.created_at.tzinfo == UTC for r in rows)
        moves = [(r.old_value, r.new_value) for r in rows if r.action == "status"]
        path = ["待接触"] + [new for _, new in moves]
        assert all(old == path[i] for i, (old, _) in enumerate(moves))
        assert path[-1] == target.status.value
        handovers = [r for r in rows if r.action == "reassigned"]
        if handovers:
            reassigned += 1
            last = handovers[-1]
            assert (last.field, last.new_ref, last.new_value) == (
                "owner_id",
                target.owner_id,
                users[target.owner_id].display_name,
            )
            assert last.old_ref != last.new_ref and last.note
    assert 0.03 < reassigned / 2000 < 0.08


def test_the_work_calendar_agrees_with_the_working_days_module(app):
    with app.app_context():
        today = local_today()
    calendar = WorkCalendar(today - timedelta(400), today + timedelta(60))
    for offset in range(-300, 20, 7):
        day = today + timedelta(offset)
        for n in (1, 5, 15):
            assert calendar.add(day, n) == add_working_days(day, n)
            back = calendar.back(day, n)  # n working days later it is day (or, on a day off, the one before)
            assert add_working_days(back, n) == calendar.back(day, 0) <= day
            assert back < day


def test_company_names_are_deterministic_and_skip_names_in_use():
    cluster = ClusterInfo(
        1, "桐乡全球性新材料集群", "新材料", 7, "桐乡市", "桐乡经济开发区", True, 430, [(3, "玻纤")]
    )
    first = [Companies(random.Random(1), set(), set()).make(cluster, False, TargetStatus.CONTACTED)[0]]
    again = Companies(random.Random(1), set(), set()).make(cluster, False, TargetStatus.CONTACTED)[0]
    assert first[0] == again
    taken = Companies(random.Random(1), {first[0]["name_key"]}, set()).make(
        cluster, False, TargetStatus.CONTACTED
    )
    assert taken[0]["name_key"] != first[0]["name_key"]
