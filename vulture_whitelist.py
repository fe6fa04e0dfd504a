"""Names that vulture cannot see used: `make lint` runs vulture over crm/ and this file. Never imported.

Vulture reads only Python, and only what crm/ calls itself. Route views, CLI commands, error handlers,
the login loader and SQLAlchemy listeners are skipped by their decorators (pyproject.toml
[tool.vulture]); crm/config.py is skipped whole (Flask reads every setting by name). The rest is below,
by who uses it. A name belongs here only when its user is named; anything else vulture finds is dead.
"""

from typing import Any

from crm import create_app
from crm.core.workdays import working_days_between
from crm.imports.spec import ImportWords
from crm.models import (
    CapitalType,
    ClusterLevel,
    FollowUpMethod,
    InvestorOrigin,
    Priority,
    ProblemCategory,
    ProjectType,
    Sector,
    TargetSource,
)
from crm.models.migration_hooks import compare_type, render_item
from crm.stall.rules import episode_key

_: Any = None  # any object: only the attribute names below matter

# Called from outside crm/: wsgi.py, tests and bench (the app factory); migrations/env.py (Alembic hooks).
create_app
render_item
compare_type

# Called by the libraries.
_.get_id  # Flask-Login: User.get_id, the session's "id:generation"
_.validate_new_password  # WTForms: validate_<field> is a field's own validator
_.process_formdata  # WTForms: how AmountField reads what was typed
_._query_items  # Flask-SQLAlchemy Pagination: RowsPagination pages a list of rows
_._query_count
_.cache_ok  # SQLAlchemy TypeDecorator (Money, UTCDateTime)
_.load_dialect_impl
_.process_bind_param
_.process_result_value
_.inherit_cache  # SQLAlchemy FunctionElement (stall.sql.local_day)

# Settings the libraries read from attributes we set.
_.login_view  # Flask-Login
_.request_class  # Flask: the app's CleanRequest
_.parameter_storage_class  # werkzeug: how CleanRequest decodes query strings and forms
_.login_message
_.session_protection
_.render_kw  # WTForms
_.widget
_.option_widget
_.Meta
_.locales
_.freeze_panes  # openpyxl
_.data_type  # openpyxl: exports write text cells as text
_.number_format
_.modified  # openpyxl and python-docx document properties
_.last_modified_by  # python-docx
_.comments
_.alignment
_.page_width
_.page_height
_.top_margin
_.bottom_margin
_.left_margin
_.right_margin
_.space_before
_.space_after
_.base_style
_.rgb

# Read by templates (crm/templates/**.html) only.
_.submit  # every form's button
_.is_gap  # clusters/_chain_map.html
_.leading_company_list  # clusters/detail.html
_.research_institute_list
_.has_more  # projects/board.html
_.hidden_column_names  # imports/preview.html
_.collapsed
_.role_label  # admin/users.html, base.html
_.status_label  # admin/messages.html, admin/message.html
_.channel_label
_.category_total  # reports/dashboard.html
_.spans_regions
_.is_reader_scope
_.event_kinds  # reports/_weekly_sections.html
_.date_labels
_.level_count
_.shows
_.is_stalled  # main/notification.html
_.is_empty  # warnings/overview.html
_.duplicates  # imports/preview.html
_.id_arg  # imports/preview.html
_.state_label
_.duplicate_rule
_.guide_values  # imports/upload.html
_.error_examples

# Columns and relationships: the schema (migrations/versions) and the pages and imports that fill them.
_.author_id
_.recipient_id
_.raised_by_id
_.raised_by
_.committed_at
_.scope_label
_.last_login_at
_.sent_at
_.run_at
_.value_2023
_.funds
_.end_reason  # login_session: why a session ended (logout, timeout, 停用…), read in the database after an incident
_.lifted_by_id
_.updated_by  # annual_target, exchange_rate: who last set it (the audit log names them too)
_.lifted_by  # login_lock: who lifted it, on 管理 → 登录与会话 (templates/admin/logins.html)

# Enum members: stored and read by value (Enum(value), choices built by iterating), never by name.
ClusterLevel.GLOBAL
ClusterLevel.NATIONAL
ClusterLevel.REGIONAL
Priority.LOW
TargetSource.REFERRAL
TargetSource.EXHIBITION
TargetSource.AGENCY
TargetSource.OVERSEAS
TargetSource.VISIT
TargetSource.ONLINE
TargetSource.OTHER
FollowUpMethod.VISIT
FollowUpMethod.PHONE
FollowUpMethod.MEETING
FollowUpMethod.INSPECTION
FollowUpMethod.VIDEO
FollowUpMethod.SIGNING
FollowUpMethod.EVENT
FollowUpMethod.OTHER
ProblemCategory.LAND
ProblemCategory.ENERGY
ProblemCategory.POWER
ProblemCategory.FUNDING
ProblemCategory.TALENT
ProblemCategory.APPROVAL
ProblemCategory.OTHER

# Used only by tests (tests/core/test_workdays.py, tests/stall/test_stall_rules.py): the app itself
# counts with WorkCalendar and keys deliveries by (item, since, level). Candidates for removal once
# those tests no longer need them.
working_days_between
episode_key

# Project classification (issue 15): members read by iterating their enum (forms, filters, import),
# fields set by name (ProjectInput, the form, as-of states), helpers read by templates and tests.
CapitalType.DOMESTIC
CapitalType.JOINT
InvestorOrigin.OTHER_PROVINCE
InvestorOrigin.OTHER_CITY
InvestorOrigin.LOCAL
ProjectType.NEW
ProjectType.EXPANSION
Sector.MANUFACTURING
Sector.SERVICES
_.investor_origin
_.size_text
_.usd_text

# Read by the import pages' templates (crm/templates/imports/): the 到资 import's words.
ImportWords.name_label
ImportWords.owner_column
_.replaces  # FundEntry.replaces: the relationship to the entry a correction replaced (read by nothing yet)
