"""One import batch committed from two tabs at the same moment: its rows are imported once, no 500.

Both commits check the file, then both try to claim the batch (preview → committed, a conditional
UPDATE): the second waits for the first (PostgreSQL's row lock, SQLite's write lock) and finds it
committed. Threads with their own connections, really committed: real_commits.
"""

import io
import threading

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.imports import commit as import_commit
from crm.models import ImportBatch, TargetCompany
from tests.factories import at_once, log_in_again, page_form

pytestmark = pytest.mark.real_commits

CSV = "企业名称*,所属集群*,招商渠道*\n两页同时导入公司,南湖区微电子,招商地图\n".encode()


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def both_checked_the_file_first(monkeypatch) -> None:
    """Each commit analyses the file, then waits until the other one has analysed it too."""
    start = threading.Barrier(2, timeout=120)  # only a broken run waits this long
    real = import_commit.analyse

    def analyse(*args, **kwargs):
        analysis = real(*args, **kwargs)
        start.wait()
        return analysis

    monkeypatch.setattr(import_commit, "analyse", analyse)


def test_a_batch_committed_from_two_tabs_at_once_is_imported_once(app, auth, client, monkeypatch):
    me = auth.login(role="officer", scope="全市")
    token = page_form(client.get("/targets/import").get_data(as_text=True), "")["form_token"]
    uploaded = client.post(
        "/targets/import",
        data={"form_token": token, "file": (io.BytesIO(CSV), "清单.csv")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
    preview = uploaded.location
    other = log_in_again(app, me)
    both_checked_the_file_first(monkeypatch)
    responses = at_once(
        lambda: client.post(f"{preview}/commit", data={}), lambda: other.post(f"{preview}/commit", data={})
    )
    assert [r.status_code for r in responses] == [302, 302]
    with app.app_context():
        names = db.session.scalars(sa.select(TargetCompany.name)).all()
        assert names == ["两页同时导入公司"]
        assert db.session.scalar(sa.select(ImportBatch.status)) == "committed"
    messages = [" ".join(flashes(c)) for c in (client, other)]
    assert sum("导入完成" in m for m in messages) == 1
    assert sum(import_commit.DONE_MESSAGE in m or import_commit.BUSY_MESSAGE in m for m in messages) == 1
    assert sorted(r.location for r in responses) == sorted(["/targets/", preview])
