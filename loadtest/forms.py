"""What a browser reads off the app's pages: forms (with their hidden fields), links and flash messages.

Plain standard library, no locust: the locustfile uses it under gevent, the tests import it directly.
"""

import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import unquote

FOLLOW_UP_LIMIT = re.compile(r"须在\s*(\d+)\s*个工作日内再次跟进")
FLASH = re.compile(r'<div class="alert alert-(\w+)[^"]*"\s+role="alert">\s*([^<]*?)\s*</div>')
ITEM_LINK = re.compile(r'href="/(targets|projects)/(\d+)"')
STAGE_LINK = re.compile(r'href="(/projects/(\d+)/stage\?to=([^"&]+))"')
ERRORS = re.compile(
    r'<div class="invalid-feedback[^"]*">([^<]+)</div>|<div class="alert alert-danger"[^>]*>(.*?)</div>\s*</div>',
    re.S,
)
# A save refused because someone else saved first: the optimistic-lock message (crm.core.validation.Conflict),
# or a stage move to the stage another user has just moved the project to (crm.projects.stages).
STALE = ("已被他人修改", "项目已处于")
DEFAULT_LIMIT = 5  # working days, when a page states none


@dataclass
class Form:
    """One <form>: where it posts, and the values a browser would submit unchanged."""

    action: str | None
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)  # select name -> option values

    def data(self, **values: str) -> dict[str, str]:
        """The fields as submitted, with values filled in (only fields the form has)."""
        unknown = set(values) - set(self.fields)
        if unknown:
            raise KeyError(f"form has no field {', '.join(sorted(unknown))}")
        return self.fields | values


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action") or None, (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file") or (
                kind in ("checkbox", "radio") and "checked" not in a
            ):
                return
            self._form.fields[a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form.fields[self._textarea] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.options[self._select] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self._form.options[self._select].append(value)
            if "selected" in a or self._select not in self._form.fields:
                self._form.fields[self._select] = value

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # as in a browser: the newline right after <textarea> is not part of the value
            value = self._form.fields[self._textarea]
            self._form.fields[self._textarea] = value[1:] if value.startswith("\n") else value
            self._textarea = None


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def find_form(html: str, action_part: str | None = None, has_field: str | None = None) -> Form | None:
    """The first post form whose action contains action_part (None: posts to its own page) and,
    with has_field, that has that field."""
    for form in parse_forms(html):
        if form.method != "post" or (has_field and has_field not in form.fields):
            continue
        if (action_part is None and form.action is None) or (
            action_part is not None and form.action and action_part in form.action
        ):
            return form
    return None


def flashes(html: str) -> list[tuple[str, str]]:
    """(category, message) of every flash message on the page."""
    return [(category, message) for category, message in FLASH.findall(html)]


def errors(html: str) -> list[str]:
    """The form's error messages on a refused page (field errors and the form's own)."""
    found = []
    for field_error, form_error in ERRORS.findall(html):
        found.append(field_error.strip() or re.sub(r"<[^>]+>", " ", form_error).strip())
    return found


def refused_as_stale(html: str) -> bool:
    """Whether a refused save says someone else changed the record first (expected under contention)."""
    return any(any(phrase in message for phrase in STALE) for message in errors(html))


def follow_up_limit(html: str) -> int | None:
    """The working days the page allows until the next follow-up, if it says."""
    found = FOLLOW_UP_LIMIT.search(html)
    return int(found[1]) if found else None


def item_links(html: str) -> list[tuple[str, int]]:
    """(kind "targets" or "projects", id) of every item linked from the page, in page order, once."""
    return list(dict.fromkeys((kind, int(item_id)) for kind, item_id in ITEM_LINK.findall(html)))


def stage_links(html: str) -> list[tuple[str, str]]:
    """(url, target stage) of the stage-move buttons, in page order (the next main stage first)."""
    return [(url.replace("&amp;", "&"), unquote(to)) for url, _, to in STAGE_LINK.findall(html)]


def server_today(html: str) -> date | None:
    """The server's today (Asia/Shanghai), from the date a page's follow-up or problem form defaults to."""
    for form in parse_forms(html):
        for name in ("occurred_on", "raised_on"):
            if form.fields.get(name):
                return date.fromisoformat(form.fields[name])
    return None


def follow_up_data(form: Form, page: str, marker: str, rng: random.Random) -> dict[str, str]:
    """A follow-up as an officer fills it in (SPEC §3.4): today's, with the marker in its text, and
    a next follow-up date within the stage's limit (N working days are at least N calendar days)."""
    values = {
        "method": rng.choice(form.options["method"]),
        "content": f"负载测试跟进 {marker}：电话沟通项目进展，对方确认下阶段安排。",
        "next_step": "按约定时间回访",
    }
    if "next_follow_up_on" in form.fields:  # absent on a closed item
        today = date.fromisoformat(form.fields["occurred_on"])
        days = rng.randint(1, follow_up_limit(page) or DEFAULT_LIMIT)
        values["next_follow_up_on"] = (today + timedelta(days=days)).isoformat()
    return form.data(**values)


def stage_move_data(form: Form, to: str, today: date, marker: str, rng: random.Random) -> dict[str, str]:
    """A forward stage move with the evidence SPEC §3.3 asks for, dated today, the marker in its note."""
    evidence = {
        "拟建": {"signed_on": today.isoformat(), "signed_investment": f"{rng.randint(100, 2000) / 100:.2f}"},
        "在建": {"actual_start_on": today.isoformat()},
        "建成投产": {"actual_completion_on": today.isoformat()},
    }[to]
    return form.data(to=to, note=f"负载测试推进 {marker}", **evidence)
