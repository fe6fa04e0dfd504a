"""转为项目 of one company by two requests at the same moment: one project, a clear message, no 500.

Two tabs (two forms, two tokens) both read the company while it is still open and both convert it;
the database keeps one project per company (project.target_id is UNIQUE) and the version check
refuses the second update of the company, so the request that loses lands on the winner's project
told so. Threads with their own connections, really committed: real_commits.
"""

import threading

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Project, TargetCompany, TargetStatus
from crm.targets import views as target_views
from tests.factories import at_once, log_in_again, make_target, make_user, page_form

pytestmark = pytest.mark.real_commits


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def both_read_it_open_first(monkeypatch) -> None:
    """Each conversion loads the company, then waits until the other one has loaded it too."""
    start = threading.Barrier(2, timeout=120)  # only a broken run waits this long
    real = target_views._load

    def load(target_id):
        target = real(target_id)
        start.wait()
        return target

    monkeypatch.setattr(target_views, "_load", load)


@pytest.mark.parametrize("who", ["two tabs of the officer", "the officer and a head"])
def test_two_conversions_at_once_make_one_project_and_tell_the_other(app, auth, client, monkeypatch, who):
    officer = auth.login(role="officer", scope="南湖区")
    target = make_target(app, officer)
    if who == "two tabs of the officer":
        other = log_in_again(app, officer)
    else:
        other = log_in_again(app, make_user(app, role="head", scope="南湖区"))
    url = f"/targets/{target}/convert"
    forms = [page_form(c.get(url).get_data(as_text=True), None) for c in (client, other)]
    assert forms[0]["form_token"] != forms[1]["form_token"]
    both_read_it_open_first(monkeypatch)
    responses = at_once(lambda: client.post(url, data=forms[0]), lambda: other.post(url, data=forms[1]))
    with app.app_context():
        [project] = db.session.scalars(sa.select(Project).where(Project.target_id == target)).all()
        assert db.session.get(TargetCompany, target).status == TargetStatus.CONVERTED
        project_id, name = project.id, project.name
    assert [r.status_code for r in responses] == [302, 302]
    assert {r.location for r in responses} == {f"/projects/{project_id}"}
    messages = sorted(" ".join(flashes(c)) for c in (client, other))
    assert sum(f"已转为项目“{name}”（在谈）" in m for m in messages) == 1
    assert sum(f"该企业已转为项目“{name}”，未重复转换。" in m for m in messages) == 1
