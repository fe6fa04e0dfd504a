"""The cluster list and detail pages show the plan as written."""

import re

import sqlalchemy as sa

from crm.extensions import db
from crm.models import Cluster


def _cluster_id(app, name):
    with app.app_context():
        return db.session.scalar(sa.select(Cluster.id).where(Cluster.name == name))


def test_cluster_list_shows_every_cluster_with_figures_and_total(auth, client):
    auth.login(role="viewer", scope="南湖区")
    html = client.get("/clusters/").get_data(as_text=True)
    for name in ("南湖区微电子", "桐乡市新材料", "嘉兴港区氢能", "海宁市泛半导体"):
        assert name in html
    for candidate in ("秀洲区生命健康", "海盐县精密刀具", "海宁市光伏"):
        assert candidate in html
    assert "430.00" in html and "310.00" in html and "150.00" in html
    assert "1,400.00" in html
    assert 'value="34.9"' in html  # 桐乡: 150 of 430 reached in 2021


def test_cluster_page_shows_annex_facts_and_segment_tree(app, auth, client):
    auth.login()
    html = client.get(f"/clusters/{_cluster_id(app, '桐乡市新材料')}").get_data(as_text=True)
    for text in (
        "全球性",
        "430.00",
        "150.00",
        "310.00",
        "华友钴业",
        "巨石集团",
        "乌镇实验室新材料基金正在筹备中，规模5-10亿元",
        "浙江省华友钴业绿色钴冶炼技术及新材料开发研究院",
        "高性能动力电池材料",
        "三元前驱体",
        "功能材料",
        "到2025年，桐乡新材料产业实现规上工业增加值430亿元",
    ):
        assert text in html, text


def test_candidate_cluster_page_says_it_has_no_target_and_no_segments(app, auth, client):
    auth.login()
    html = client.get(f"/clusters/{_cluster_id(app, '海宁市光伏')}").get_data(as_text=True)
    assert "培育" in html
    assert "规划未设定增加值目标" in html
    assert "尚未划分产业链环节" in html


def test_unknown_cluster_is_a_friendly_chinese_404(auth, client):
    auth.login()
    response = client.get("/clusters/424242")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_navigation_shows_only_built_sections(auth, client):
    auth.login(role="officer")
    html = client.get("/clusters/").get_data(as_text=True)
    assert ">集群</a>" in html
    assert "/admin/users" not in html
    client.post("/logout")
    auth.login(role="admin")
    assert "/admin/users" in client.get("/clusters/").get_data(as_text=True)


def test_pages_use_only_local_assets(auth, client):
    auth.login()
    html = client.get("/clusters/").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html), "an asset from another host"
    for asset in ("/bootstrap/static/css/bootstrap.min.css", "/static/js/app.js", "/static/css/app.css"):
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()
    assert "<script>" not in html  # no inline script
