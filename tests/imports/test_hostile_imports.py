"""Hostile cells never make an import fail (issue 14, point 1): every column of both lists given values
a form would refuse, and a stored batch that can't be read any more, are explained in Chinese."""

import csv
import io

import pytest
import sqlalchemy as sa

import crm.targets.imports
from crm.extensions import db
from crm.models import ImportBatch, TargetCompany
from crm.projects.imports import PROJECT_IMPORT
from crm.targets.imports import TARGET_IMPORT

SPECS = {"targets": TARGET_IMPORT, "projects": PROJECT_IMPORT}
GOOD = {
    "targets": {"name": "良好企业有限公司", "cluster_id": "南湖区微电子", "source": "招商地图"},
    "projects": {
        "name": "良好项目",
        "company_name": "良好投资有限公司",
        "cluster_id": "南湖区微电子",
        "stage": "在谈",
    },
}
HOSTILE = [
    "1e30", "NaN", "Infinity", "-0", "-1", "9" * 30, "１２", "0.001", "9999-12-31", "0001-01-01",
    "2026-02-30", "99999999999999999999", "a\x00b", "=1+1", "x" * 5000, "是否", "\t",
]  # fmt: skip


def csv_content(kind: str, rows: list[dict]) -> bytes:
    columns = SPECS[kind].columns
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.template_header for c in columns])
    for values in rows:
        writer.writerow([values.get(c.key, "") for c in columns])
    return out.getvalue().encode("utf-8")


def upload(client, kind: str, content: bytes) -> int:
    response = client.post(f"/{kind}/import", data={"file": (io.BytesIO(content), "清单.csv")})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return int(response.location.rsplit("/", 1)[1])


@pytest.mark.parametrize("kind", SPECS)
def test_every_column_with_a_hostile_value_is_a_bad_row_with_a_reason_not_a_crash(app, auth, client, kind):
    auth.login(role="head", scope="全市")
    rows = [
        {**GOOD[kind], "name": f"{GOOD[kind]['name']}{i}", column.key: value}
        for i, (column, value) in enumerate((c, v) for c in SPECS[kind].columns for v in HOSTILE)
        if column.key != "name"
    ]
    batch_id = upload(client, kind, csv_content(kind, rows))
    response = client.get(f"/{kind}/import/{batch_id}")
    assert response.status_code == 200
    assert client.get(f"/{kind}/import/{batch_id}/errors.xlsx").status_code == 200


PAGES = ["/", "/projects/", "/projects/board", "/reports/dashboard", "/reports/weekly", "/warnings"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1900-01-01"])
def test_extreme_dates_are_refused_or_harmless_once_imported(app, auth, client, day):
    auth.login(role="head", scope="全市")
    row = {**GOOD["projects"], "planned_start_on": day, "planned_completion_on": day}
    batch_id = upload(client, "projects", csv_content("projects", [row]))
    assert client.get(f"/projects/import/{batch_id}").status_code == 200
    assert client.post(f"/projects/import/{batch_id}/commit").status_code < 500
    for page in PAGES:
        assert client.get(page).status_code == 200, page


def test_a_row_no_parser_foresaw_is_named_on_the_preview_instead_of_failing_every_visit(
    app, auth, client, monkeypatch
):
    auth.login(role="officer", scope="南湖区")
    rows = [{**GOOD["targets"], "name": f"企业{i}有限公司"} for i in range(3)]
    batch_id = upload(client, "targets", csv_content("targets", rows))

    def unforeseen(row, lookups):  # stands for any bug or cell a parser didn't expect, on row 3
        if row.text("name") == "企业1有限公司":
            raise TypeError("unforeseen")
        return real(row, lookups)

    real = crm.targets.imports.read_cluster
    monkeypatch.setattr(crm.targets.imports, "read_cluster", unforeseen)
    for _ in range(2):
        response = client.get(f"/targets/import/{batch_id}")
        assert response.status_code == 200
        assert "第 3 行的内容无法处理" in response.get_data(as_text=True)
    assert client.get(f"/targets/import/{batch_id}/errors.xlsx").status_code == 302
    response = client.post(f"/targets/import/{batch_id}/commit")
    assert response.status_code == 200 and "第 3 行的内容无法处理" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TargetCompany)) == 0


def test_a_stored_batch_that_no_longer_reads_says_why(app, auth, client):
    user_id = auth.login(role="officer", scope="南湖区")
    with app.app_context():
        batch = ImportBatch(
            kind="target", user_id=user_id, filename="清单.xlsx", content=b"PK\x03\x04 broken"
        )
        db.session.add(batch)
        db.session.commit()
        batch_id = batch.id
    response = client.get(f"/targets/import/{batch_id}")
    assert response.status_code == 200 and "不是有效的 .xlsx 工作簿" in response.get_data(as_text=True)
