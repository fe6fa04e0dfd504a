"""The role × route tables of the permission tests, in one place.

Each table maps an endpoint (``#post`` when one endpoint is listed twice) to its method, path template
and who may use it: a set of roles, or for routes on a record the record's ``kind`` (see ``expected``).
``MATRICES`` lists them all: tests/core/test_permissions.py checks every route of the app is in one.
The route walk (tests/test_route_walk.py) takes its expectations from these tables too (walk_answer),
never from crm.core.permissions: they are what the rules are meant to be, written down apart from them.
"""

EVERYONE = {"officer", "head", "viewer", "admin"}
WORKERS = {"officer", "head", "admin"}  # those who create and import records
ADMIN = {"admin"}

# Every role in both kinds of scope: the actors of most matrices.
ACTORS = [
    ("officer", "南湖区"),
    ("officer", "全市"),
    ("head", "南湖区"),
    ("head", "全市"),
    ("viewer", "南湖区"),
    ("viewer", "全市"),
    ("admin", "全市"),
]
# Each role city-wide and a region's head: the actors of the admin and report pages.
ROLE_ACTORS = [
    ("officer", "全市"),
    ("head", "全市"),
    ("head", "南湖区"),
    ("viewer", "全市"),
    ("admin", "全市"),
]
# The route walk's actors: nobody signed in, then each role city-wide and in 南湖区.
WALK_ACTORS = [
    ("anonymous", None),
    ("officer", "全市"),
    ("head", "全市"),
    ("viewer", "全市"),
    ("admin", "全市"),
    ("officer", "南湖区"),
    ("head", "南湖区"),
    ("viewer", "南湖区"),
]
# Whose record a route on a record is tried on: the actor's own, a colleague's in the region, or one
# from another region.
RELATIONS = ["own", "colleague", "outside"]


def expected(kind: str, role: str, scope: str, relation: str) -> int | None:
    """None when allowed, else the status a route of this kind must answer.

    view = anyone who sees the record, work = its officer or a head/admin in scope, manage = a
    head/admin in scope.
    """
    if relation == "outside" and scope != "全市":
        return 404  # out of scope: the record is not even admitted to exist
    if kind == "view":
        return None
    if role in ("head", "admin"):
        return None
    if kind == "work" and role == "officer" and relation == "own":
        return None
    return 403


# --- endpoint -> (method, path template, roles allowed) ----------------------------------------------

# {cluster}, {user}, {notification}, {lock} and {session} are filled in per test.
ROUTES = {
    "main.index": ("GET", "/", EVERYONE),
    "clusters.index": ("GET", "/clusters/", EVERYONE),
    "clusters.detail": ("GET", "/clusters/{cluster}", EVERYONE),
    "auth.change_password": ("GET", "/account/password", EVERYONE),
    "auth.logout": ("POST", "/logout", EVERYONE),
    "admin.users": ("GET", "/admin/users", ADMIN),
    "admin.new_user": ("GET", "/admin/users/new", ADMIN),
    "admin.edit_user": ("GET", "/admin/users/{user}/edit", ADMIN),
    "admin.toggle_active": ("POST", "/admin/users/{user}/active", ADMIN),
    "admin.reset_password": ("POST", "/admin/users/{user}/reset-password", ADMIN),
    "admin.end_sessions": ("POST", "/admin/users/{user}/end-sessions", ADMIN),
    "admin.logins": ("GET", "/admin/logins", ADMIN),
    "admin.lift_lock": ("POST", "/admin/logins/locks/{lock}/lift", ADMIN),
    "admin.end_session": ("POST", "/admin/logins/sessions/{session}/end", ADMIN),
    "main.notifications": ("GET", "/notifications", EVERYONE),
    "main.read_all_notifications": ("POST", "/notifications/read-all", EVERYONE),
    "main.read_notification": ("POST", "/notifications/{notification}/read", EVERYONE),  # one's own
    "main.notification": ("GET", "/notifications/{notification}", EVERYONE),  # one's own
}
PUBLIC = {"auth.login", "main.healthz", "static", "bootstrap.static"}

TARGET_ROUTES = {
    "targets.index": ("GET", "/targets/", EVERYONE),
    "targets.export": ("GET", "/targets/export.xlsx", EVERYONE),
    "targets.new": ("GET", "/targets/new", {"officer", "head", "admin"}),
    "targets.bulk_assign": ("POST", "/targets/bulk-assign", {"head", "admin"}),
    "clusters.targets": ("GET", "/clusters/{cluster}/targets", EVERYONE),
}
# {batch} is an import batch of the signed-in user.
IMPORT_ROUTES = {
    "targets.import_upload": ("GET", "/targets/import", WORKERS),
    "targets.import_template": ("GET", "/targets/import/template.xlsx", WORKERS),
    "targets.import_preview": ("GET", "/targets/import/{batch}", WORKERS),
    "targets.import_commit": ("POST", "/targets/import/{batch}/commit", WORKERS),
    "targets.import_errors": ("GET", "/targets/import/{batch}/errors.xlsx", WORKERS),
}
PROJECT_ROUTES = {
    "projects.new": ("GET", "/projects/new", {"officer", "head", "admin"}),
    "projects.bulk_assign": ("POST", "/projects/bulk-assign", {"head", "admin"}),
}
# The pipeline's list pages.
PROJECT_LIST_ROUTES = {
    "projects.index": ("GET", "/projects/", EVERYONE),
    "projects.board": ("GET", "/projects/board", EVERYONE),
    "projects.export": ("GET", "/projects/export.xlsx", EVERYONE),
    "projects.problems": ("GET", "/projects/problems", EVERYONE),
}
PROJECT_IMPORT_ROUTES = {
    "projects.import_upload": ("GET", "/projects/import", WORKERS),
    "projects.import_template": ("GET", "/projects/import/template.xlsx", WORKERS),
    "projects.import_preview": ("GET", "/projects/import/{batch}", WORKERS),
    "projects.import_commit": ("POST", "/projects/import/{batch}/commit", WORKERS),
    "projects.import_errors": ("GET", "/projects/import/{batch}/errors.xlsx", WORKERS),
}
# 到资台账: the list in the reader's scope and the 到资 import ({batch} as above).
FUND_ROUTES = {"funds.index": ("GET", "/funds/", EVERYONE)}
FUND_IMPORT_ROUTES = {
    "funds.import_upload": ("GET", "/funds/import", WORKERS),
    "funds.import_template": ("GET", "/funds/import/template.xlsx", WORKERS),
    "funds.import_preview": ("GET", "/funds/import/{batch}", WORKERS),
    "funds.import_commit": ("POST", "/funds/import/{batch}/commit", WORKERS),
    "funds.import_errors": ("GET", "/funds/import/{batch}/errors.xlsx", WORKERS),
}
WARNING_ROUTES = {"warnings.overview": ("GET", "/warnings", EVERYONE)}
DASHBOARD_ROUTES = {"reports.dashboard": ("GET", "/reports/dashboard", EVERYONE)}
# 年度目标: admins and heads (a region's head sets only their region's; the view checks the scope).
ANNUAL_TARGET_ROUTES = {
    "reports.annual_targets": ("GET", "/reports/targets", {"head", "admin"}),
    "reports.save_annual_targets": ("POST", "/reports/targets", {"head", "admin"}),
}

# --- endpoint -> (method, path template, kind): routes on a record, kind as in expected() ------------

TARGET_RECORD_ROUTES = {
    "targets.detail": ("GET", "/targets/{target}", "view"),
    "targets.edit": ("GET", "/targets/{target}/edit", "work"),
    "targets.edit#post": ("POST", "/targets/{target}/edit", "work"),
    "targets.add_follow_up": ("POST", "/targets/{target}/follow-ups", "work"),
    "targets.set_status": ("POST", "/targets/{target}/status", "work"),
    "targets.assign": ("POST", "/targets/{target}/assign", "manage"),
}
PROJECT_RECORD_ROUTES = {
    "projects.detail": ("GET", "/projects/{project}", "view"),
    "projects.edit": ("GET", "/projects/{project}/edit", "work"),
    "projects.edit#post": ("POST", "/projects/{project}/edit", "work"),
    "projects.move_stage": ("GET", "/projects/{project}/stage?to=拟建", "work"),
    "projects.move_stage#post": ("POST", "/projects/{project}/stage", "work"),
    "projects.add_follow_up": ("POST", "/projects/{project}/follow-ups", "work"),
    "projects.assign": ("POST", "/projects/{project}/assign", "manage"),
    "projects.add_project_milestone": ("POST", "/projects/{project}/milestones", "work"),
    "projects.complete_milestone": ("POST", "/projects/milestones/{milestone}/done", "work"),
    "targets.convert": ("GET", "/targets/{target}/convert", "work"),
    "targets.convert#post": ("POST", "/targets/{target}/convert", "work"),
}
PROBLEM_RECORD_ROUTES = {
    "projects.raise_problem": ("POST", "/projects/{project}/problems", "work"),
    "projects.move_problem": ("POST", "/projects/problems/{problem}/status", "work"),
}
# {entry} is a 到资 entry of the project: recording, correcting and deleting are the project's work.
FUND_RECORD_ROUTES = {
    "funds.new": ("GET", "/funds/projects/{project}/new", "work"),
    "funds.new#post": ("POST", "/funds/projects/{project}/new", "work"),
    "funds.correct": ("GET", "/funds/{entry}/correct", "work"),
    "funds.correct#post": ("POST", "/funds/{entry}/correct", "work"),
    "funds.delete": ("POST", "/funds/{entry}/delete", "work"),
}

# --- endpoint -> (method, path template): admin only, or who may as in WEEKLY_ALLOWED ----------------

ADMIN_RULE_ROUTES = {
    "admin.rules": ("GET", "/admin/rules"),
    "admin.update_rule": ("POST", "/admin/rules/{rule}"),
    "admin.calendar": ("GET", "/admin/calendar"),
    "admin.delete_calendar_day": ("POST", "/admin/calendar/{day}/delete"),
}
ADMIN_RATE_ROUTES = {
    "admin.rates": ("GET", "/admin/rates"),
    "admin.rates#post": ("POST", "/admin/rates"),
}
ADMIN_AUDIT_ROUTES = {
    "admin.audit_log": ("GET", "/admin/audit"),
    "admin.export_audit_log": ("GET", "/admin/audit/export"),
}
ADMIN_DELIVERY_ROUTES = {
    "admin.messages": ("GET", "/admin/messages"),
    "admin.message": ("GET", "/admin/messages/{message}"),
    "admin.retry_message": ("POST", "/admin/messages/{message}/retry"),
}
WEEKLY_ROUTES = {
    "reports.weekly": ("GET", "/reports/weekly?week=2026-W46"),
    "reports.weekly_export": ("GET", "/reports/weekly/export?week=2026-W46&format=xlsx"),
    "reports.archive_weekly": ("POST", "/reports/weekly/archive?week=2026-W46"),
    "reports.set_instruction": ("POST", "/reports/weekly/instructions/target/{target}"),
    "reports.archive_list": ("GET", "/reports/archive"),
    "reports.archive_download": ("GET", "/reports/archive/{archive}"),
}
# (role, scope) of ROLE_ACTORS allowed where not everyone is; the archive made by a city head covers
# the whole city, so 南湖区 can't fetch it.
WEEKLY_ALLOWED = {
    "reports.archive_weekly": {("head", "全市"), ("head", "南湖区"), ("admin", "全市")},
    "reports.set_instruction": {("head", "全市"), ("head", "南湖区"), ("admin", "全市")},
    "reports.archive_download": {
        ("officer", "全市"),
        ("head", "全市"),
        ("viewer", "全市"),
        ("admin", "全市"),
    },
}

MATRICES = [
    ROUTES,
    TARGET_ROUTES,
    IMPORT_ROUTES,
    TARGET_RECORD_ROUTES,
    PROJECT_ROUTES,
    PROJECT_RECORD_ROUTES,
    PROJECT_LIST_ROUTES,
    PROBLEM_RECORD_ROUTES,
    PROJECT_IMPORT_ROUTES,
    FUND_ROUTES,
    FUND_IMPORT_ROUTES,
    FUND_RECORD_ROUTES,
    ADMIN_RULE_ROUTES,
    ADMIN_DELIVERY_ROUTES,
    WARNING_ROUTES,
    DASHBOARD_ROUTES,
    ANNUAL_TARGET_ROUTES,
    WEEKLY_ROUTES,
    ADMIN_AUDIT_ROUTES,
    ADMIN_RATE_ROUTES,
]

# --- what the route walk expects (tests/test_route_walk.py) -------------------------------------------
# The walk tries every rule of the URL map on records of every relation to the actor. Who may use a
# route comes from the tables above; what the record a route names must be to them, from RECORD_KINDS.
# Nothing here asks the code under test (crm.core.permissions): changing a rule in RULES or a view's
# @require changes an answer the walk compares against these tables.

MANAGERS = {"head", "admin"}
# The weekly routes' roles for the walk; the archive a route names decides the rest (RECORD_KINDS).
WEEKLY_ROLES = {"reports.archive_weekly": MANAGERS, "reports.set_instruction": MANAGERS}
ADMIN_TABLES = (ADMIN_RULE_ROUTES, ADMIN_AUDIT_ROUTES, ADMIN_DELIVERY_ROUTES, ADMIN_RATE_ROUTES)

# endpoint -> what the record its URL names must be to the actor:
#   view, work, manage — an item (target, project, its milestone or problem), as in expected();
#   mine — the actor's own (an import batch of that list, a message to them); batch — the same, but
#          admins may look at anyone's batch; scope — an archive whose scope lies inside the actor's;
#   any — no condition (the plan's clusters; the admin's users, messages, rules and calendar days).
RECORD_KINDS = {
    **{
        endpoint.split("#")[0]: kind
        for table in (TARGET_RECORD_ROUTES, PROJECT_RECORD_ROUTES, PROBLEM_RECORD_ROUTES, FUND_RECORD_ROUTES)
        for endpoint, (_, _, kind) in table.items()
    },
    "reports.set_instruction": "manage",
    **{f"{bp}.import_{page}": "batch" for bp in ("targets", "projects", "funds") for page in ("preview", "errors")},
    **{f"{bp}.import_commit": "mine" for bp in ("targets", "projects", "funds")},
    "main.notification": "mine",
    "main.read_notification": "mine",
    "reports.archive_download": "scope",
    "clusters.detail": "any",
    "clusters.targets": "any",
    **{
        f"admin.{name}": "any"
        for name in (
            "edit_user", "toggle_active", "end_sessions", "reset_password", "lift_lock", "end_session",
            "message", "retry_message", "update_rule", "delete_calendar_day",
        )
    },
}  # fmt: skip


def route_roles(endpoint: str, method: str) -> set[str]:
    """The roles a route's table lets use it (before any record it names is looked at)."""
    for table in MATRICES:
        entry = table.get(f"{endpoint}#{method.lower()}") or table.get(endpoint)
        if entry is None:
            continue
        if len(entry) == 3:
            who = entry[2]
            return who if isinstance(who, set) else EVERYONE  # a kind: the record decides
        if any(table is admin for admin in ADMIN_TABLES):
            return ADMIN
        return WEEKLY_ROLES.get(endpoint, EVERYONE)
    raise KeyError(f"{endpoint} is in no table of tests/routes.py")


def record_answer(endpoint: str, role: str, scope: str, group: str, name: str) -> int | None:
    """None when the actor may use the route on the walk's record `name` of `group`, else 403 or 404.

    The walk's records are named for their relation to a 南湖区 actor: own (the actor's), in (a
    colleague's in 南湖区), out (嘉善县); batches mine/<list> and other/<list>; messages mine and other;
    archives city, in and out.
    """
    kind = RECORD_KINDS[endpoint]
    if kind == "any":
        return None
    if kind == "scope":
        return None if scope == "全市" or name == "in" else 404
    if kind in ("mine", "batch"):
        whose, _, batch_list = name.partition("/")
        if batch_list and not endpoint.startswith(batch_list):  # another list's batch: not found here
            return 404
        return None if whose == "mine" or (kind == "batch" and role == "admin") else 404
    item = name.rpartition("/")[2]  # item ids are named target/in, project/out
    relation = {"own": "own", "in": "colleague", "out": "outside"}[item]
    return expected(kind, role, scope, relation)


def walk_answer(
    endpoint: str, method: str, role: str, scope: str, records: list[tuple[str, str]]
) -> int | None:
    """What a refusal of the route must answer (403, or 404 for a record not even to be seen), or None."""
    if role not in route_roles(endpoint, method):
        return 403
    codes = {record_answer(endpoint, role, scope, group, name) for group, name in records}
    return 404 if 404 in codes else 403 if 403 in codes else None
