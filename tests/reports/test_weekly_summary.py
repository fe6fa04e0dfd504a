"""The weekly summary of a constructed fortnight: every number of every section known in advance.

The story is made through the real services (so history is what the app writes), then each step's
rows are moved back to the moment the step happened. Weeks (Asia/Shanghai): W45 = 11-02..11-08,
W46 = 11-09..11-15, W47 = 11-16..11-22.
"""

from datetime import date
from decimal import Decimal

import pytest

from crm.extensions import db
from crm.models import User
from crm.reports.scope import resolve
from crm.reports.weekly import build
from crm.reports.weeks import IsoWeek
from tests.factories import SHANGHAI, W45, W46, W47, Story, city_scope


@pytest.fixture
def story(app):
    return Story(app)


def figures(summary) -> dict:
    return {f.label.strip("　"): f.value for f in summary.figures}


def test_week_46_overview_and_progress(app, story):
    with app.app_context():
        summary = build(W46, city_scope())
    values = figures(summary)
    assert values["招商企业（在库）"] == 3 and values["其中待接触"] == 3 and values["已转项目"] == 0
    assert values["项目（不含终止）"] == 2
    assert (values["在谈项目"], values["在谈项目总投资"]) == (1, Decimal("20.25"))
    assert (values["在建项目"], values["在建项目总投资"]) == (1, Decimal("10.10"))
    assert values["拟建项目"] == 0 and values["建成投产项目"] == 0
    assert (values["本周新增招商企业"], values["本周新增项目"], values["本周签约"]) == (1, 0, 0)
    assert (values["本周开工"], values["本周竣工投产"]) == (1, 0)
    # each count with its investment and 其中: 甲芯 (10.10 亿元) is 10亿元以上; no rate for 超亿美元
    labels = [(f.label, f.value, f.unit) for f in summary.figures]
    started = labels.index(("本周开工", 1, "个"))
    assert labels[started + 1 : started + 6] == [
        ("　开工项目总投资", Decimal("10.10"), "亿元"),
        ("　其中10亿元以上", 1, "个"),
        ("　其中超亿美元", 0, "个"),
        ("　其中世界500强", 0, "个"),
        ("　超亿美元未知（缺少签约年度汇率）", 1, "个"),
    ]
    signed = labels.index(("本周签约", 0, "个"))
    assert labels[signed + 1 : signed + 5] == [
        ("　签约投资额", Decimal("0.00"), "亿元"),
        ("　其中10亿元以上", 0, "个"),
        ("　其中超亿美元", 0, "个"),
        ("　其中世界500强", 0, "个"),
    ]
    assert (values["红灯"], values["黄灯"], values["待协调的要素保障问题"]) == (0, 2, 0)
    assert [(e.kind, e.name, e.on, e.officer) for e in summary.events] == [
        ("new_target", "南湖丙材料有限公司", date(2026, 11, 10), "王专员"),
        ("started", "甲芯晶圆项目", date(2026, 11, 10), "王专员"),
    ]
    assert summary.events[1].investment == Decimal("10.10") and summary.complete


def test_week_46_landmarks_warnings_problems_and_next_week(app, story):
    with app.app_context():
        summary = build(W46, city_scope())
    assert [
        (m.name, m.stage, m.leader, m.officer, m.last_follow_up_on, m.next_step, m.next_follow_up_on)
        for m in summary.landmarks
    ] == [("甲芯晶圆项目", "在建", "张副市长", "王专员", date(2026, 11, 6), "对接规划", date(2026, 11, 13))]
    assert [(w.name, w.level, w.reasons, w.since, w.days, w.officer) for w in summary.warnings] == [
        ("=嘉兴甲芯科技有限公司", "yellow", "跟进逾期", date(2026, 11, 13), 1, "王专员"),
        ("甲芯晶圆项目", "yellow", "跟进逾期", date(2026, 11, 14), 0, "王专员"),
    ]
    assert summary.problems == []
    assert [(u.kind, u.name, u.on, u.officer) for u in summary.next_week] == [
        ("待跟进", "嘉善乙微电子有限公司", date(2026, 11, 18), "赵专员")
    ]


def test_week_45_has_the_signing_and_the_open_problem(app, story):
    with app.app_context():
        summary = build(W45, city_scope())
    assert [(e.kind, e.name, e.on) for e in summary.events] == [
        ("new_target", "=嘉兴甲芯科技有限公司", date(2026, 11, 2)),
        ("new_target", "嘉善乙微电子有限公司", date(2026, 11, 4)),
        ("new_project", "甲芯晶圆项目", date(2026, 11, 3)),
        ("new_project", "乙封装测试项目", date(2026, 11, 4)),
        ("signed", "甲芯晶圆项目", date(2026, 11, 4)),
    ]
    assert summary.events[-1].investment == Decimal("8.00")
    assert [(p.unit, p.project, p.category, p.status) for p in summary.problems] == [
        ("南湖区自然资源和规划分局", "甲芯晶圆项目", "用地", "待协调")
    ]
    assert summary.warnings == []


def test_a_signing_entered_on_monday_counts_in_the_week_it_was_entered(app, story):
    with app.app_context():
        w46, w47 = build(W46, city_scope()), build(W47, city_scope())
    assert not w46.events_of("signed")
    signed = w47.events_of("signed")
    assert [(e.name, e.on, e.recorded_on, e.investment) for e in signed] == [
        ("乙封装测试项目", date(2026, 11, 13), date(2026, 11, 16), Decimal("18.00"))
    ]
    assert [e.name for e in w47.events_of("completed")] == ["甲芯晶圆二期项目"]
    assert [(p.project, p.status) for p in w47.problems] == [("甲芯晶圆二期项目", "协调中")]


def test_the_region_and_cluster_scopes_see_only_their_part(app, story):
    with app.app_context():
        nanhu = resolve(db.session.get(User, story.wang).region)
        jiashan_cluster = resolve(None, cluster="嘉善县集成电路")
        local, cluster = build(W46, nanhu), build(W46, jiashan_cluster)
    assert figures(local)["招商企业（在库）"] == 2 and figures(local)["项目（不含终止）"] == 1
    assert [w.name for w in local.warnings] == ["=嘉兴甲芯科技有限公司", "甲芯晶圆项目"]
    assert local.next_week == [] and local.scope.label == "南湖区"
    assert figures(cluster)["招商企业（在库）"] == 1 and [u.name for u in cluster.next_week] == [
        "嘉善乙微电子有限公司"
    ]
    assert cluster.warnings == [] and cluster.landmarks == []


def test_a_week_that_has_not_begun_is_refused(app):
    with app.app_context(), pytest.raises(ValueError, match="尚未开始"):
        build(IsoWeek.parse("2027-W10", SHANGHAI), city_scope())
