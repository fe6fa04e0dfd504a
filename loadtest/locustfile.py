"""The people of the load test, as locust users (run by loadtest/run.py; see loadtest/__init__.py).

Officers (most users) work their own desk: they read 我的工作台, the board and the lists, open items
they own, log follow-ups and move projects forward with the stage's evidence. Heads read the
dashboard, 预警, filtered project lists and, less often, the weekly summary. Users sign in with the
accounts run.py lists in LOADTEST_OFFICER_ACCOUNTS / LOADTEST_HEAD_ACCOUNTS, handed out in turn: one
of its own per user unless there are fewer accounts than users (then they share, and collide).

Every write carries a unique marker (LT-<run>-<n>) and is appended to LOADTEST_WRITES (JSON lines)
with its outcome: "ok" only when the server answered with the success redirect and the page it
redirects to shows the success message; "conflict" when refused because someone else saved first;
"error" otherwise.
"""

import itertools
import json
import os
import random
import sys
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import gevent
from locust import HttpUser, between, task

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # `locust -f` by hand
from loadtest import forms, summary  # noqa: E402, F401  (summary: writes the final figures)

RUN_ID = os.environ.get("LOADTEST_RUN_ID", "manual")
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "")
WRITES = os.environ.get("LOADTEST_WRITES", "loadtest-writes.jsonl")
FORWARD = ("拟建", "在建", "建成投产")  # the main stages a move goes forward to
_accounts = {"officer": itertools.count(), "head": itertools.count()}
_markers = itertools.count(1)
RNG = random.Random()
URGENT = 5  # the items at the top of the desk (red first)
TYPING_SECONDS = (1.0, 3.0)  # between opening a form and saving it: others may save the record meanwhile


def accounts(role: str) -> list[str]:
    names = os.environ.get(f"LOADTEST_{role.upper()}_ACCOUNTS", "")
    return [name for name in names.split(",") if name]


def record(kind: str, item_id: int, marker: str, outcome: str, **extra) -> None:
    """One line per write attempt (locust runs its users as greenlets of one process: no interleaving)."""
    with open(WRITES, "a", encoding="utf-8") as f:
        line = {"kind": kind, "item_id": item_id, "marker": marker, "outcome": outcome, **extra}
        f.write(json.dumps(line, ensure_ascii=False) + "\n")


class CrmUser(HttpUser):
    abstract = True
    role = ""
    wait_time = between(1, 3)  # a person reads a page before the next click

    def on_start(self) -> None:
        names = accounts(self.role)
        self.username = names[next(_accounts[self.role]) % len(names)]
        self.login()

    def login(self) -> None:
        page = self.get("/login", "GET /login")
        form = forms.find_form(page or "", "/login") or forms.find_form(page or "", None, "username")
        data = form.data(username=self.username, password=PASSWORD) if form else {}
        with self.client.post(
            "/login", data=data, name="POST /login", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302 or "/account/password" in response.headers.get("Location", ""):
                response.failure(f"HTTP {response.status_code}: login as {self.username} failed")

    def get(self, path: str, name: str) -> str | None:
        """The page's HTML, or None (a failure) unless it answered 200 without sending us to /login."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return None
            if urlsplit(response.url).path == "/login" and path != "/login":
                response.failure("signed out: sent to /login")
                self.login()
                return None
            return response.text

    def submit(self, url: str, data: dict, name: str, success: str, message: str) -> str:
        """Fill in and post a form like a person with a browser: "ok", "conflict" or "error"."""
        gevent.sleep(RNG.uniform(*TYPING_SECONDS))
        with self.client.post(
            url, data=data, name=name, allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 302 and urlsplit(location).path == success:
                response.success()
            elif response.status_code == 422 and forms.refused_as_stale(response.text):
                response.success()  # the expected refusal of a concurrent edit, counted apart
                return "conflict"
            else:
                reasons = "；".join(forms.errors(response.text))[:200] if response.text else ""
                response.failure(f"HTTP {response.status_code} {reasons}".strip())
                return "error"
        page = self.get(urlsplit(location).path, name.replace("POST", "GET") + " (after save)")
        if page is None:
            return "error"
        shown = [text for category, text in forms.flashes(page) if category == "success"]
        if not any(message in text for text in shown):
            self.environment.events.request.fire(
                request_type="CHECK",
                name=f"{name} success message",
                response_time=0,
                response_length=0,
                exception=AssertionError(f"no “{message}” after saving; flashes: {forms.flashes(page)}"),
            )
            return "error"
        return "ok"


class Officer(CrmUser):
    """招商专员: reads their desk and lists, logs follow-ups, moves their projects forward."""

    weight = 6
    role = "officer"

    def on_start(self) -> None:
        self.items: dict[str, list[int]] = {"targets": [], "projects": []}
        super().on_start()
        self.desk()

    @task(3)
    def desk(self) -> None:
        page = self.get("/", "GET / (我的工作台)")
        if page is not None:
            for kind in self.items:
                self.items[kind] = [i for k, i in forms.item_links(page) if k == kind]  # most urgent first

    @task(2)
    def board(self) -> None:
        self.get("/projects/board", "GET /projects/board")

    @task(2)
    def lists(self) -> None:
        self.get(RNG.choice(["/projects/", "/targets/"]), "GET /projects/ or /targets/")

    @task(2)
    def open_item(self) -> None:
        kind = RNG.choice([k for k in self.items if self.items[k]] or ["targets"])
        if self.items[kind]:
            item_id = self.pick(kind)
            self.get(f"/{kind}/{item_id}", f"GET /{kind}/[id]")

    @task(3)
    def follow_up_target(self) -> None:
        self.follow_up("targets")

    @task(3)
    def follow_up_project(self) -> None:
        self.follow_up("projects")

    @task(1)
    def move_stage(self) -> None:
        if not self.items["projects"]:
            return
        project_id = self.pick("projects")
        detail = self.get(f"/projects/{project_id}", "GET /projects/[id]")
        forward = [(url, to) for url, to in forms.stage_links(detail or "")[:1] if to in FORWARD]
        if not forward:
            return  # closed, or paused without a way forward: nothing to move
        url, to = forward[0]
        form = forms.find_form(self.get(url, "GET /projects/[id]/stage") or "", None, "version")
        if form is None:
            return
        today = forms.server_today(detail or "") or datetime.now(ZoneInfo("Asia/Shanghai")).date()
        marker = f"LT-{RUN_ID}-{next(_markers)}"
        data = forms.stage_move_data(form, to, today, marker, RNG)
        outcome = self.submit(
            url, data, "POST /projects/[id]/stage", f"/projects/{project_id}", f"项目已转入“{to}”"
        )
        record("stage", project_id, marker, outcome, to=to, user=self.username)
        if outcome == "ok" and to == "建成投产":
            self.items["projects"].remove(project_id)  # closed: off the desk

    def pick(self, kind: str) -> int:
        """An item from the desk: mostly one of the most urgent at its top, as people work."""
        items = self.items[kind]
        return RNG.choice(items[:URGENT] if RNG.random() < 0.7 else items)

    def follow_up(self, kind: str) -> None:
        if not self.items[kind]:
            return
        item_id = self.pick(kind)
        page = self.get(f"/{kind}/{item_id}", f"GET /{kind}/[id]")
        form = forms.find_form(page or "", f"/{kind}/{item_id}/follow-ups")
        if form is None:
            return
        marker = f"LT-{RUN_ID}-{next(_markers)}"
        data = forms.follow_up_data(form, page, marker, RNG)
        outcome = self.submit(
            form.action,
            data,
            f"POST /{kind}/[id]/follow-ups",
            f"/{kind}/{item_id}",
            "跟进记录已保存",
        )
        record("follow_up", item_id, marker, outcome, item_kind=kind, user=self.username)


class Head(CrmUser):
    """局领导: reviews the pipeline in scope; reads, doesn't write."""

    weight = 1
    role = "head"

    @task(3)
    def dashboard(self) -> None:
        self.get("/reports/dashboard", "GET /reports/dashboard")

    @task(3)
    def warnings(self) -> None:
        self.get("/warnings", "GET /warnings")

    @task(3)
    def filtered_projects(self) -> None:
        query = RNG.choice(
            [
                "stage=在谈&warning=red&sort=next",
                "warning=any&sort=next",
                "stage=拟建",
                "landmark=1",
                "q=科技",
            ]
        )
        self.get(f"/projects/?{query}", "GET /projects/?filters")

    @task(2)
    def desk(self) -> None:
        self.get("/", "GET / (我的工作台)")

    @task(1)
    def weekly(self) -> None:
        self.get("/reports/weekly", "GET /reports/weekly")
