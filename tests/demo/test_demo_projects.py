"""demo-data's 项目清单: 500 projects per scale in every stage, with evidence the stage rules accept.

As in test_demo.py, the module generates once (scale 1, then again to show it adds nothing) and
keeps what the tests check as plain values: the module is real_commits, so conftest empties the
tables after the first test.
"""

import random
from collections import Counter, defaultdict
from datetime import UTC, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from crm.core.timeutil import local_today, local_zone
from crm.core.workdays import add_working_days
from crm.demo.project_story import ORDER, ProjectTimeline
from crm.extensions import db
from crm.models import (
    HONOURS,
    PROJECT_TAGS,
    AnnualTarget,
    CapitalType,
    Cluster,
    ClusterStatus,
    ExchangeRate,
    FollowUp,
    FundEntry,
    HistoryEntry,
    Indicator,
    InvestorOrigin,
    Problem,
    ProblemCategory,
    ProblemStatus,
    ProjectStage,
    Region,
    Role,
    TargetCompany,
    TargetStatus,
    User,
)
from crm.models.projects import Milestone, Project
from crm.projects.stages import EVIDENCE, StageMove, move_problems
from crm.stall.rules import DEFAULT_LIMITS

# The module's data is made once, before its first test, and committed.
pytestmark = pytest.mark.real_commits

S = ProjectStage
PLANNED = {
    S.TALKS: 0.30,
    S.SIGNED: 0.20,
    S.BUILDING: 0.25,
    S.PRODUCING: 0.15,
    S.PAUSED: 0.06,
    S.STOPPED: 0.04,
}
DATES = ("signed_on", "actual_start_on", "actual_completion_on")


@pytest.fixture(scope="module")
def demo(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo-data", "--scale", "1", "--password-stdin"], input="Demo-pass-2026\n")
    assert first.exit_code == 0, first.output
    with app.app_context():
        facts = _facts()
    second = runner.invoke(args=["demo-data", "--scale", "1", "--password-stdin"], input="Demo-pass-2026\n")
    assert second.exit_code == 0, second.output
    with app.app_context():
        facts["counts_after_second_run"] = _counts()
    facts.update(first=first.output, second=second.output)
    return facts


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _counts() -> list[int]:
    return [
        _count(Project),
        _count(Problem),
        _count(FollowUp, FollowUp.project_id.is_not(None)),
        _count(HistoryEntry, HistoryEntry.entity_type == "project"),
        _count(Milestone),
        _count(FundEntry),
        _count(AnnualTarget),
        _count(ExchangeRate),
    ]


def _facts() -> dict:
    follow_ups, history, problems, steps = (defaultdict(list) for _ in range(4))
    for row in db.session.scalars(
        sa.select(FollowUp)
        .where(FollowUp.project_id.is_not(None))
        .order_by(FollowUp.occurred_on, FollowUp.id)
    ):
        follow_ups[row.project_id].append(row)
    for row in db.session.scalars(
        sa.select(HistoryEntry).where(HistoryEntry.entity_type == "project").order_by(HistoryEntry.id)
    ):
        history[row.entity_id].append(row)
    for row in db.session.scalars(sa.select(Problem)):
        problems[row.project_id].append(row)
    for row in db.session.scalars(sa.select(Milestone).order_by(Milestone.due_on)):
        steps[row.project_id].append(row)
    facts = {
        "today": local_today(),
        "zone": local_zone(),
        "projects": db.session.scalars(sa.select(Project).order_by(Project.id)).all(),
        "converted": db.session.scalars(
            sa.select(TargetCompany).where(TargetCompany.status == TargetStatus.CONVERTED)
        ).all(),
        "users": {u.id: u for u in db.session.scalars(sa.select(User))},
        "clusters": db.session.scalars(sa.select(Cluster)).all(),
        "follow_ups": follow_ups,
        "history": history,
        "problems": problems,
        "milestones": steps,
        "counts": _counts(),
        "all_follow_ups": _count(FollowUp),
        "funds": db.session.scalars(sa.select(FundEntry).order_by(FundEntry.id)).all(),
        "targets": db.session.scalars(sa.select(AnnualTarget)).all(),
        "rates": {r.year: r.cny_per_usd for r in db.session.scalars(sa.select(ExchangeRate))},
        "regions": db.session.scalars(sa.select(Region.id)).all(),
    }
    db.session.expunge_all()
    return facts


def _open(demo) -> list[Project]:
    return [p for p in demo["projects"] if not p.stage.is_closed]


def test_scale_one_adds_500_projects_and_reports_the_counts(demo):
    projects, problems, follow_ups, history, *_ = demo["counts"]
    assert projects == 500
    line = f"项目清单：新增项目 500 个，需协调问题 {problems} 个，跟进记录 {follow_ups} 条，变更记录 {history} 条。"
    assert line in demo["first"]
    assert 17_000 <= demo["all_follow_ups"] <= 23_000, "SPEC §7: about 20,000 follow-ups at scale 1"


def test_running_it_again_adds_nothing_and_says_so(demo):
    assert demo["counts_after_second_run"] == demo["counts"]
    assert "已有项目 500 个" in demo["second"] and "本次未新增项目" in demo["second"]


def test_every_stage_appears_in_about_the_planned_mix(demo):
    stages = Counter(p.stage for p in demo["projects"])
    for stage, share in PLANNED.items():
        assert abs(stages[stage] / 500 - share) < 0.02, stage
    for project in demo["projects"]:
        assert (project.paused_from is not None) == (project.stage == S.PAUSED)
        assert project.paused_from in (None, S.TALKS, S.SIGNED, S.BUILDING)
        assert bool(project.stage_reason) == (project.stage in (S.PAUSED, S.STOPPED))


def test_converted_companies_get_their_project_and_the_rest_follow_the_2025_targets(demo):
    by_target = {p.target_id: p for p in demo["projects"] if p.target_id}
    assert demo["converted"] and set(by_target) == {t.id for t in demo["converted"]}
    for target in demo["converted"]:
        project = by_target[target.id]
        assert project.company_name == target.name
        assert (project.cluster_id, project.segment_id, project.region_id) == (
            target.cluster_id,
            target.segment_id,
            target.region_id,
        )
        assert project.created_at > target.status_since
    formal = {c.id: c for c in demo["clusters"] if c.status == ClusterStatus.FORMAL}
    made = [p for p in demo["projects"] if p.target_id is None]
    assert all(p.cluster_id in formal for p in made)
    per_cluster = Counter(p.cluster_id for p in made)
    total = sum(c.value_2025 for c in formal.values())
    for cluster in formal.values():
        expected = float(len(made) * cluster.value_2025 / total)
        assert abs(per_cluster[cluster.id] - expected) <= 1, cluster.name
    assert len({p.name_key for p in demo["projects"]}) == 500
    assert all(p.name.endswith(("项目", "）")) for p in demo["projects"])


def test_every_stage_has_the_evidence_the_stage_rules_ask_for(demo):
    today, admin = demo["today"], SimpleNamespace(role=Role.ADMIN)
    for project in demo["projects"]:
        reached = project.paused_from or project.stage
        if project.stage == S.STOPPED:
            reached = max(
                (stage for stage in ORDER[1:] if getattr(project, EVIDENCE[stage][0][0])),
                key=ORDER.index,
                default=S.TALKS,
            )
        fresh = SimpleNamespace(stage=S.TALKS, paused_from=None, **{n: getattr(project, n) for n in DATES})
        fresh.signed_investment = project.signed_investment
        if reached != S.TALKS:  # what moving a new project straight to its stage would need
            assert move_problems(fresh, StageMove(reached.value, "核对"), admin, today) == [], project.name
        later = ORDER[ORDER.index(reached) + 1 :]
        assert all(getattr(project, name) is None for stage in later for name, _ in EVIDENCE.get(stage, []))
        days = [getattr(project, n) for n in DATES if getattr(project, n)]
        assert days == sorted(days) and all(today - timedelta(1100) <= d < today for d in days)
        if project.planned_start_on and project.planned_completion_on:
            assert project.planned_start_on < project.planned_completion_on
        if reached != S.TALKS:
            assert project.planned_start_on and project.planned_completion_on, project.name


def test_some_projects_miss_their_planned_start_or_completion(demo):
    today = demo["today"]
    signed = [p for p in demo["projects"] if p.stage == S.SIGNED]
    late_start = [p for p in signed if p.planned_start_on < today]
    assert 0.1 < len(late_start) / len(signed) < 0.5, "签约未开工"
    assert any(p.planned_start_on <= today - timedelta(90) for p in late_start), "missed by 3+ months"
    building = [p for p in demo["projects"] if p.stage == S.BUILDING]
    late_finish = [p for p in building if p.planned_completion_on < today]
    assert 0.1 < len(late_finish) / len(building) < 0.5, "在建未竣工"
    assert any(p.planned_completion_on <= today - timedelta(90) for p in late_finish)


def test_amounts_are_exact_and_plausible(demo):
    projects = demo["projects"]
    for p in projects:
        assert Decimal(1) <= p.total_investment <= Decimal(150)
        assert p.fixed_asset_investment <= p.total_investment
        for value in (p.total_investment, p.expected_output, p.expected_added_value, p.land_area):
            assert isinstance(value, Decimal) and value == value.quantize(Decimal("0.01"))
        assert (p.signed_investment is not None) == (p.signed_on is not None)
        assert p.signed_investment is None or 0 < p.signed_investment <= p.total_investment
    assert 2 <= sum(p.total_investment >= 50 for p in projects) <= 40
    assert 0.10 < sum(p.foreign_capital is not None for p in projects) / 500 < 0.22
    assert 0.06 < sum(p.is_landmark for p in projects) / 500 < 0.15


def test_four_ones_and_milestones(demo):
    today, users = demo["today"], demo["users"]
    for project in demo["projects"]:
        assert project.leader_name and project.responsible_unit and project.description
        assert project.leader_name.endswith(("市长", "区长", "县长", "主任"))
        steps = demo["milestones"][project.id]
        if project.stage.is_closed:
            assert project.next_follow_up_on is None
            continue
        owner = users[project.owner_id]
        assert owner.active and owner.role in (Role.OFFICER, Role.HEAD)
        assert owner.region_id in (None, project.region_id)
        assert owner.display_name in project.action_plan
        assert 2 <= len(steps) <= 5
        assert all(s.done_on is None or s.done_on < today for s in steps)
    open_steps = [s for p in _open(demo) for s in demo["milestones"][p.id]]
    assert any(s.done_on for s in open_steps) and any(s.done_on is None for s in open_steps)
    owners = [demo["users"][p.owner_id] for p in _open(demo)]
    assert any(u.region_id is None for u in owners) and any(u.role == Role.HEAD for u in owners)


def test_follow_ups_lie_in_the_past_year_and_set_the_next_date(demo):
    today, follow_ups = demo["today"], demo["follow_ups"]
    for project in demo["projects"]:
        rows = follow_ups[project.id]
        created_on = project.created_at.astimezone(demo["zone"]).date()
        assert all(today - timedelta(366) <= f.occurred_on < today for f in rows)
        assert all(f.occurred_on >= created_on for f in rows)
        assert (rows[-1].occurred_on if rows else None) == project.last_follow_up_on
        if project.stage.is_closed:
            assert not rows or rows[-1].next_follow_up_on is None
            continue
        assert project.next_follow_up_on is not None
        if rows:
            assert rows[-1].next_follow_up_on == project.next_follow_up_on
            assert rows[-1].author_id == project.owner_id
            limit = DEFAULT_LIMITS.get(project.stage.value, 30)
            assert project.next_follow_up_on <= add_working_days(rows[-1].occurred_on, limit)
    open_projects = _open(demo)
    overdue = sum(p.next_follow_up_on < today for p in open_projects) / len(open_projects)
    assert 0.08 < overdue < 0.25
    average = sum(len(follow_ups[p.id]) for p in open_projects) / len(open_projects)
    assert average >= 7


def test_history_tells_each_project_story(demo):
    users, reassigned = demo["users"], 0
    for project in demo["projects"]:
        rows = demo["history"][project.id]
        assert rows[0].action == "created" and rows[0].created_at == project.created_at
        assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)
        assert all(r.created_at.tzinfo == UTC for r in rows)
        moves = [r for r in rows if r.action == "stage"]
        path = [S.TALKS.value] + [r.new_value for r in moves]
        assert all(r.old_value == path[i] for i, r in enumerate(moves))
        assert path[-1] == project.stage.value
        if project.paused_from:
            assert moves[-1].old_value == project.paused_from.value
        assert project.stage_since == (moves[-1].created_at if moves else project.created_at)
        for move in moves:
            if move.new_value == S.SIGNED.value:
                assert f"签约日期 {project.signed_on:%Y-%m-%d}" in move.note
                assert f"签约投资额 {project.signed_investment:.2f} 亿元" in move.note
            elif move.new_value == S.BUILDING.value:
                assert f"实际开工日期 {project.actual_start_on:%Y-%m-%d}" in move.note
            elif move.new_value in (S.PAUSED.value, S.STOPPED.value):
                assert move.note == project.stage_reason
        handovers = [r for r in rows if r.action == "reassigned"]
        if handovers:
            reassigned += 1
            assert handovers[-1].new_ref == project.owner_id != handovers[-1].old_ref
            assert handovers[-1].new_value == users[project.owner_id].display_name
    assert 0.02 < reassigned / 500 < 0.09


def test_problems_in_every_category_mostly_on_projects_being_built(demo):
    today, users = demo["today"], demo["users"]
    stage = {p.id: p.stage for p in demo["projects"]}
    problems = [p for rows in demo["problems"].values() for p in rows]
    assert 0.45 < len(problems) / 500 < 0.8
    assert {p.category for p in problems} == set(ProblemCategory)
    categories = Counter(p.category for p in problems)
    assert categories.most_common(1)[0][0] == ProblemCategory.LAND
    assert {p.status for p in problems} == set(ProblemStatus)
    assert sum(stage[p.project_id] in (S.SIGNED, S.BUILDING) for p in problems) / len(problems) > 0.6
    for problem in problems:
        assert problem.description and problem.responsible_unit
        assert problem.raised_on < today and users[problem.raised_by_id].role in (Role.OFFICER, Role.HEAD)
        resolved = problem.status == ProblemStatus.RESOLVED
        assert resolved == (problem.resolution is not None) == (problem.resolved_on is not None)
        assert not resolved or problem.raised_on <= problem.resolved_on < today


def test_stories_keep_their_order_for_every_stage_and_seed(app):
    with app.app_context():
        today = local_today()
    for seed in range(40):
        timeline = ProjectTimeline(random.Random(seed), today)
        for stage in S:
            born = today - timedelta(random.Random(seed).randint(1, 150))
            for story in (timeline.make(stage), timeline.make(stage, born)):
                days = [timeline.day(i) for i, _, _ in story.moves]
                assert days == sorted(set(days)) and all(d < today for d in days)
                assert story.created < min([i for i, _, _ in story.moves], default=story.created + 1)
                assert [to for _, _, to in story.moves][-1:] == ([] if stage == S.TALKS else [stage])
                assert (story.due is None) == stage.is_closed
                follow = [d for d, _, _ in story.follow_ups]
                assert follow == sorted(set(follow)) and all(d < today for d in follow)
    first = ProjectTimeline(random.Random(7), today).make(S.BUILDING)
    assert first == ProjectTimeline(random.Random(7), today).make(S.BUILDING)


def test_problem_history_rows_name_their_problem(demo):
    """Reports rebuild a problem's past status from these rows, so each names its problem (new_ref)."""
    checked = 0
    for project_id, rows in demo["history"].items():
        mine = {p.id: p for p in demo["problems"].get(project_id, [])}
        for row in rows:
            if row.field == "problem_status":
                assert row.new_ref in mine
                assert mine[row.new_ref].status != "待协调"  # it moved at least once
                checked += 1
    assert checked > 100


# --- 招商 outcomes (issue 15, point 6) ---------------------------------------------------------------


def test_every_project_is_classified_and_foreign_capital_means_a_foreign_project(demo):
    projects = demo["projects"]
    assert all(p.capital_type and p.investor_origin and p.project_type and p.sector for p in projects)
    for p in projects:
        foreign = p.capital_type in (CapitalType.FOREIGN, CapitalType.JOINT)
        assert foreign == (p.foreign_capital is not None), p.name
        assert (p.investor_origin == InvestorOrigin.OVERSEAS) == foreign, p.name
    converted = {t.id: t for t in demo["converted"]}
    for p in projects:
        if p.target_id in converted:  # the company's honours that are project tags carry over
            honours = set(converted[p.target_id].honours) & set(PROJECT_TAGS) & set(HONOURS)
            assert honours <= set(p.tags), p.name


def test_funds_arrive_only_after_signing_never_in_the_future_and_grow_with_the_stage(demo):
    projects = {p.id: p for p in demo["projects"]}
    today, zone = demo["today"], demo["zone"]
    assert len(demo["funds"]) > 300
    for entry in demo["funds"]:
        project = projects[entry.project_id]
        assert project.signed_on is not None and project.signed_on <= entry.arrived_on <= today
        assert entry.arrived_on <= entry.recorded_at.astimezone(zone).date() <= today
        assert entry.amount > 0 and entry.is_current
        assert entry.recorded_by_id == project.owner_id
    share = defaultdict(list)
    received = defaultdict(Decimal)
    for entry in demo["funds"]:
        received[entry.project_id] += entry.amount
    for p in projects.values():
        if p.signed_on and p.total_investment and not p.total_investment_usd:
            share[p.stage].append(float(received[p.id]) / (float(p.total_investment) * 10000))
    mean = {stage: sum(v) / len(v) for stage, v in share.items() if v}
    assert mean[S.SIGNED] < mean[S.BUILDING] < mean[S.PRODUCING] <= 1.0


def test_rates_and_targets_for_this_year_and_last_with_the_city_the_sum_of_its_regions(demo):
    year = demo["today"].year
    assert set(demo["rates"]) >= {year - 1, year} and all(5 < r < 9 for r in demo["rates"].values())
    for y in (year - 1, year):
        targets = [t for t in demo["targets"] if t.year == y]
        assert len(targets) == (len(demo["regions"]) + 1) * len(Indicator)
        for indicator in Indicator:
            city = [t.value for t in targets if t.indicator == indicator and t.region_id is None]
            regions = [t.value for t in targets if t.indicator == indicator and t.region_id is not None]
            assert city == [sum(regions)] and all(v > 0 for v in regions)
            if indicator.is_count:
                assert all(v == v.to_integral_value() for v in regions)


def test_last_year_has_signings_and_funds_to_compare_with(demo):
    last = demo["today"].year - 1
    assert sum(1 for p in demo["projects"] if p.signed_on and p.signed_on.year == last) >= 50
    assert sum(1 for e in demo["funds"] if e.arrived_on.year == last) >= 50


def test_a_second_run_adds_no_outcomes(demo):
    assert "到资记录 0 条，汇率 0 个年度，年度目标 0 项" in demo["second"]
