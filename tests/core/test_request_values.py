"""Control characters never reach a view from a query string or a form (PostgreSQL refuses NUL in text)."""

import sqlalchemy as sa

from crm.core.request_values import CleanValues
from crm.extensions import db
from crm.models import TargetCompany
from tests.factories import make_target


def test_query_strings_and_forms_lose_their_control_characters_but_keep_tabs_and_line_breaks(app):
    with app.test_request_context(
        "/", method="POST", query_string={"q": "嘉\x00兴\x1b"}, data={"note": "第一行\r\n\t第二行\x07\x7f"}
    ) as context:
        assert isinstance(context.request.args, CleanValues)
        assert context.request.args["q"] == "嘉兴"
        assert context.request.form["note"] == "第一行\r\n\t第二行"


def test_a_nul_typed_into_a_form_is_dropped_not_a_failure(app, auth, client):
    officer = auth.login(role="officer", scope="南湖区")
    target_id = make_target(app, officer)
    page = client.get(f"/targets/?q=%00{'测试'}")
    assert page.status_code == 200
    with app.app_context():
        target = db.session.get(TargetCompany, target_id)
        version, cluster = target.version, target.cluster_id
    data = {"name": "甲\x00乙有限公司", "cluster_id": cluster, "source": "招商地图", "priority": "中",
            "owner_id": officer, "version": version, "country": "中国"}  # fmt: skip
    assert client.post(f"/targets/{target_id}/edit", data=data).status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(sa.select(TargetCompany.name).where(TargetCompany.id == target_id))
            == "甲乙有限公司"
        )
