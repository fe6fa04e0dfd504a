"""The database itself refuses invalid rows (issue 14, point 7): every CHECK constraint and trigger.

Each is tried with raw SQL, bypassing the ORM and its validation: first a valid change of the same
row (so a refusal is the constraint's doing, not a typo), then the invalid one, which must fail. The
constraints and triggers are read from the migrated database (on SQLite and PostgreSQL alike) and must
be exactly those named here: a dropped constraint fails, and so does a new one without a case.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.core.timeutil import local_today
from crm.extensions import db
from crm.followups.services import FollowUpInput, log_follow_up
from crm.models import AnnualTarget, ExchangeRate, FundEntry, OutgoingMessage, TargetCompany, utcnow
from tests.factories import add_problem, make_project, make_target, make_user


def _target(app) -> tuple[str, int]:
    return "target_company", make_target(app, make_user(app, "officer", "南湖区"))


def _project(app) -> tuple[str, int]:
    return "project", make_project(app, make_user(app, "officer", "南湖区"))


def _problem(app) -> tuple[str, int]:
    return "problem", add_problem(app, make_project(app, make_user(app, "officer", "南湖区")))


def _follow_up(app) -> tuple[str, int]:
    owner = make_user(app, "officer", "南湖区")
    target_id = make_target(app, owner)
    with app.app_context():
        target = db.session.get(TargetCompany, target_id)
        today = local_today()
        entry = log_follow_up(
            target, target.owner, FollowUpInput(today, "走访", "约谈", next_follow_up_on=today)
        )
        db.session.commit()
        return "follow_up", entry.id


def _message(app) -> tuple[str, int]:
    with app.app_context():
        message = OutgoingMessage(
            channel="email", subject="约束", body="约束", status="pending", run_at=utcnow()
        )
        db.session.add(message)
        db.session.commit()
        return "outgoing_message", message.id


def _fund_entry(app) -> tuple[str, int]:
    project_id = make_project(app, make_user(app, "officer", "南湖区"))
    with app.app_context():
        entry = FundEntry(
            project_id=project_id, arrived_on=local_today(), currency="人民币", amount=Decimal("100.00"),
            kind="实到内资", note="", delete_reason="",
        )  # fmt: skip
        db.session.add(entry)
        db.session.commit()
        return "fund_entry", entry.id


def _annual_target(app) -> tuple[str, int]:
    with app.app_context():
        target = AnnualTarget(year=2031, indicator="签约项目数", value=Decimal(10))
        db.session.add(target)
        db.session.commit()
        return "annual_target", target.id


def _exchange_rate(app) -> tuple[str, int]:
    with app.app_context():
        rate = ExchangeRate(year=2031, cny_per_usd=Decimal("7.1000"), note="")
        db.session.add(rate)
        db.session.commit()
        return "exchange_rate", rate.id


def _first(table: str) -> Callable:
    def make(app) -> tuple[str, int]:
        with app.app_context():
            return table, db.session.scalar(sa.text(f"SELECT min(id) FROM {table}"))

    return make


def _audit_row(app) -> tuple[str, int]:
    make_user(app, "admin")  # creating a user writes an audit row
    return _first("audit_event")(app)


def _user(app) -> tuple[str, int]:
    return "user_account", make_user(app, "viewer")


@dataclass(frozen=True)
class Case:
    make: Callable  # app -> (table, id) of a valid row
    valid: dict  # a change the database accepts
    invalid: dict  # the change it must refuse
    insert: bool = False  # insert a copy of the row with the change, rather than update it
    valid_insert: bool = False  # the valid change is an insert of a copy (the append-only log)


def other_officer(region: str) -> Callable:
    def user_id(app) -> int:
        return make_user(app, "officer", region)

    return user_id


def viewer(app) -> int:
    return make_user(app, "viewer", "南湖区")


def project_id(app) -> int:
    return make_project(app, make_user(app, "officer", "南湖区"))


# constraint or trigger name -> what proves it (names as the migrations give them)
CHECKS = {
    "ck_cluster_level": Case(_first("cluster"), {"level": "全国性"}, {"level": "世界级"}),
    "ck_cluster_status": Case(_first("cluster"), {"status": "培育"}, {"status": "撤销"}),
    "ck_follow_up_method": Case(_follow_up, {"method": "电话"}, {"method": "飞鸽传书"}),
    "ck_follow_up_one_item": Case(_follow_up, {}, {"target_id": None}),  # a follow-up of no item
    "ck_outgoing_message_known_channel": Case(_message, {"channel": "webhook"}, {"channel": "fax"}),
    "ck_outgoing_message_known_status": Case(_message, {"status": "failed"}, {"status": "lost"}),
    "ck_problem_category": Case(_problem, {"category": "人才"}, {"category": "天气"}),
    "ck_problem_resolved_has_resolution": Case(
        _problem, {"status": "已解决", "resolution": "已供地"}, {"status": "已解决", "resolution": None}
    ),
    "ck_problem_status": Case(_problem, {"status": "协调中"}, {"status": "搁置"}),
    "ck_project_open_has_owner": Case(_project, {"stage": "终止", "owner_id": None}, {"owner_id": None}),
    "ck_project_paused_from": Case(_project, {"paused_from": "拟建"}, {"paused_from": "签约"}),
    "ck_project_stage": Case(_project, {"stage": "暂缓"}, {"stage": "签约"}),
    "ck_stall_rule_escalation_positive": Case(_first("stall_rule"), {"escalation_days": 1}, {"escalation_days": 0}),
    "ck_stall_rule_limit_positive": Case(_first("stall_rule"), {"limit_days": 1}, {"limit_days": -1}),
    "ck_target_company_abandon_has_reason": Case(
        _target, {"status": "已放弃", "abandon_reason": "无意向"}, {"status": "已放弃", "abandon_reason": None}
    ),
    "ck_target_company_open_has_owner": Case(
        _target, {"status": "已转项目", "owner_id": None}, {"owner_id": None}
    ),
    "ck_target_company_priority": Case(_target, {"priority": "低"}, {"priority": "紧急"}),
    "ck_target_company_source": Case(_target, {"source": "展会"}, {"source": "朋友圈"}),
    "ck_target_company_status": Case(_target, {"status": "有意向"}, {"status": "已签约"}),
    "ck_user_account_role": Case(_user, {"role": "head"}, {"role": "root"}),
    "ck_project_capital_type": Case(_project, {"capital_type": "中外合资"}, {"capital_type": "港资"}),
    "ck_project_investor_origin": Case(_project, {"investor_origin": "市外本省"}, {"investor_origin": "外省"}),
    "ck_project_project_type": Case(_project, {"project_type": "增资扩产"}, {"project_type": "续建"}),
    "ck_project_sector": Case(_project, {"sector": "服务业"}, {"sector": "农业"}),
    "ck_fund_entry_amount_positive": Case(_fund_entry, {"amount": 1}, {"amount": 0}),
    "ck_fund_entry_deleted_has_reason": Case(
        _fund_entry, {"deleted_at": utcnow(), "delete_reason": "重复录入"}, {"deleted_at": utcnow(), "delete_reason": ""}
    ),
    "ck_fund_entry_currency": Case(_fund_entry, {"currency": "美元"}, {"currency": "欧元"}),
    "ck_fund_entry_kind": Case(_fund_entry, {"kind": "增资到位"}, {"kind": "合同外资"}),
    "ck_annual_target_value_not_negative": Case(_annual_target, {"value": 0}, {"value": -1}),
    "ck_annual_target_year_in_range": Case(_annual_target, {"year": 2100}, {"year": 20260}),
    "ck_annual_target_indicator": Case(_annual_target, {"indicator": "实到内资"}, {"indicator": "到资"}),
    "ck_exchange_rate_rate_positive": Case(_exchange_rate, {"cny_per_usd": 1}, {"cny_per_usd": 0}),
}  # fmt: skip
# Triggers: an open item's owner is an active officer or head whose scope covers it (SPEC §3.1);
# the audit log is append-only. Values that are callables are made at run time (users).
OWNER_CHANGES = {
    "viewer": Case(_target, {"owner_id": other_officer("全市")}, {"owner_id": viewer}),
    "another region's officer": Case(_target, {}, {"owner_id": other_officer("嘉善县")}),
}
TRIGGERS = {
    "target_company_owner_check_update": Case(
        _target, {"owner_id": other_officer("全市")}, {"owner_id": other_officer("嘉善县")}
    ),
    "target_company_owner_check_insert": Case(_target, {}, {"owner_id": viewer}, insert=True),
    "project_owner_check_update": Case(_project, {"owner_id": other_officer("南湖区")}, {"owner_id": viewer}),
    "project_owner_check_insert": Case(_project, {}, {"owner_id": other_officer("嘉善县")}, insert=True),
    "audit_event_no_update": Case(_audit_row, {}, {"action": "record.delete"}, valid_insert=True),
}
# PostgreSQL has one trigger per table for both events; SQLite one per event.
PG_TRIGGERS = {
    "target_company_owner_check": ["target_company_owner_check_update", "target_company_owner_check_insert"],
    "project_owner_check": ["project_owner_check_update", "project_owner_check_insert"],
    "audit_event_no_update": ["audit_event_no_update"],
}


def database_checks() -> set[str]:
    inspector = sa.inspect(db.session.connection())
    return {c["name"] for t in inspector.get_table_names() for c in inspector.get_check_constraints(t)}


def database_triggers() -> set[str]:
    if db.session.get_bind().dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    return set(db.session.scalars(sa.text(sql)))


def test_every_check_constraint_and_trigger_of_the_database_has_a_case(app):
    with app.app_context():
        assert database_checks() == set(CHECKS)
        triggers = database_triggers()
        if db.session.get_bind().dialect.name == "sqlite":
            assert triggers == set(TRIGGERS)
        else:
            assert triggers == set(PG_TRIGGERS)


def resolved(app, change: dict) -> dict:
    return {k: v(app) if callable(v) else v for k, v in change.items()}


def execute(table: str, row_id: int, change: dict, insert: bool) -> None:
    """The change as raw SQL: an UPDATE of the row, or an INSERT of a copy of it with the change."""
    if not insert:
        assignments = ", ".join(f"{column} = :{column}" for column in change) or "id = id"
        db.session.execute(
            sa.text(f"UPDATE {table} SET {assignments} WHERE id = :row_id"), change | {"row_id": row_id}
        )
        return
    row = dict(
        db.session.execute(sa.text(f"SELECT * FROM {table} WHERE id = :i"), {"i": row_id}).mappings().one()
    )
    row.pop("id")
    row |= change
    columns = ", ".join(row)
    db.session.execute(
        sa.text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in row)})"), row
    )


def attempt(table: str, row_id: int, change: dict, insert: bool) -> Exception | None:
    """Try the change in a savepoint; the database's refusal, or None if it took it (then undone)."""
    savepoint = db.session.begin_nested()
    try:
        execute(table, row_id, change, insert)
    except sa.exc.DBAPIError as refusal:
        savepoint.rollback()
        return refusal
    savepoint.rollback()
    return None


def check_case(app, case: Case) -> None:
    table, row_id = case.make(app)
    valid, invalid = resolved(app, case.valid), resolved(app, case.invalid)
    with app.app_context():
        accepted = attempt(table, row_id, valid, case.insert or case.valid_insert)
        assert accepted is None, f"a valid change {valid} was refused: {accepted}"
        refusal = attempt(table, row_id, invalid, case.insert)
        assert refusal is not None, f"the database took {invalid} on {table}"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_database_refuses_a_row_against_its_check_constraint(app, name):
    check_case(app, CHECKS[name])


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_the_database_refuses_a_row_its_trigger_forbids(app, name):
    check_case(app, TRIGGERS[name])


@pytest.mark.parametrize("owner", sorted(OWNER_CHANGES))
def test_an_open_item_can_be_given_only_an_owner_whose_scope_covers_it(app, owner):
    check_case(app, OWNER_CHANGES[owner])
    case = OWNER_CHANGES[owner]
    check_case(app, Case(_project, case.valid, case.invalid))
