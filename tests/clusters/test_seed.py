"""The plan's data: every annex figure and name, the chain segments, and idempotent seeding."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.clusters.seed import seed_plan
from crm.extensions import db
from crm.models import ChainSegment, Cluster, ClusterLevel, ClusterStatus, Region

# The annex table 嘉兴市先进制造业集群规划情况表, row by row, as written in the plan.
ANNEX = [
    ("南湖区", "微电子", "长三角区域性", "40", "100", "150",
     "闻泰通讯、斯达半导、天通精电",
     "清华长三角研究院、中电科南湖研究院、南湖实验室",
     "微电子发展专项基金（规模为10亿元）"),
    ("秀洲区", "光伏新能源", "全国性", "35", "120", "190",
     "福莱特、隆基、阿特斯",
     "浙大嘉兴研究院",
     "无专业子基金，母基金可投"),
    ("嘉善县", "集成电路", "全国性", "90", "120", "160",
     "格科微电子、日善、立讯智造",
     "复旦大学微电子学院、清华长三角研究",
     "禾芯专项基金、聚源信诚基金、嘉善经开同创股权投资有限公司"),
    ("平湖市", "高档数控机床", "长三角区域性", "30", "50", "80",
     "津上精密、日本电产京利机械",
     "杭州电子科技大学平湖数字技术创新研究院、清华长三角研究院平湖创新中心",
     "中小企业发展基金浙普创投基金、华睿科创3号基金"),
    ("海盐县", "核电关联及核技术应用", "全国性", "90", "120", "150",
     "秦山核电、中核核电运行、中核秦山同位素",
     "浙江清华长三角军民协同创新研究院、浙江大学-中核运行核工程创新技术联合研发中心",
     "融核产业发展基金；筹备成立同位素产业基金，规模3-5亿元"),
    ("海宁市", "泛半导体", "长三角区域性", "30", "80", "140",
     "天通控股、天通瑞宏、立昂东芯、芯晖装备、奕斯伟",
     "中科院海宁先进半导体与智能技术研究院、中科院微电子所海宁集成电路与先进制造研究院",
     "海宁泛半导体产业基金、瑞芯通宁半导体产业投资基金、芯鑫融资租赁基金"),
    ("桐乡市", "新材料", "全球性", "150", "310", "430",
     "巨石集团、华友钴业、桐昆、新凤鸣",
     "乌镇实验室、巨石玻璃纤维研究院、浙江省华友钴业绿色钴冶炼技术及新材料开发研究院",
     "乌镇实验室新材料基金正在筹备中，规模5-10亿元"),
    ("嘉兴经济技术开发区", "健康食品", "长三角区域性", "10", "20", "30",
     "玛氏食品、雅培营养品、荷美尔食品",
     "清华长三角研究院食品与健康研究所",
     "无专业子基金"),
    ("嘉兴港区", "氢能", "长三角区域性", "25", "50", "70",
     "美锦国鸿、重塑、嘉化能源",
     "清华长三角研究院、氢能储运装备安全重点实验室",
     "嘉兴氢能产业基金"),
]  # fmt: skip


@pytest.mark.parametrize("row", ANNEX, ids=[row[0] for row in ANNEX])
def test_every_annex_figure_and_name_is_stored_exactly(app, row):
    region, industry, level, v2021, v2023, v2025, leaders, institutes, funds = row
    with app.app_context():
        cluster = db.session.scalar(sa.select(Cluster).where(Cluster.name == region + industry))
        assert cluster is not None
        assert cluster.region.name == region
        assert cluster.industry == industry
        assert cluster.level == ClusterLevel(level)
        assert cluster.status == ClusterStatus.FORMAL
        assert (cluster.value_2021, cluster.value_2023, cluster.value_2025) == (
            Decimal(v2021),
            Decimal(v2023),
            Decimal(v2025),
        )
        assert isinstance(cluster.value_2025, Decimal)
        assert cluster.leading_companies == leaders
        assert cluster.research_institutes == institutes
        assert cluster.funds == funds


def test_plan_has_one_global_three_national_five_regional_clusters(app):
    with app.app_context():
        levels = db.session.execute(
            sa.select(Cluster.level, sa.func.count())
            .where(Cluster.status == ClusterStatus.FORMAL)
            .group_by(Cluster.level)
        ).all()
    assert dict(levels) == {ClusterLevel.GLOBAL: 1, ClusterLevel.NATIONAL: 3, ClusterLevel.REGIONAL: 5}


def test_2025_targets_sum_to_1400_yi_yuan_in_the_database(app):
    with app.app_context():
        total = db.session.scalar(
            sa.select(sa.func.sum(Cluster.value_2025)).where(Cluster.status == ClusterStatus.FORMAL)
        )
    assert total == Decimal("1400.00")


def test_three_candidate_clusters_are_incubating(app):
    with app.app_context():
        rows = db.session.execute(
            sa.select(Cluster.name, Cluster.value_2025, Cluster.level).where(
                Cluster.status == ClusterStatus.INCUBATING
            )
        ).all()
    assert sorted(rows) == sorted(
        [("秀洲区生命健康", None, None), ("海盐县精密刀具", None, None), ("海宁市光伏", None, None)]
    )


def test_nine_regions_in_plan_order(app):
    with app.app_context():
        names = list(db.session.scalars(sa.select(Region.name).order_by(Region.sort_order)))
    assert names == [
        "南湖区", "秀洲区", "嘉善县", "平湖市", "海盐县", "海宁市", "桐乡市", "嘉兴经济技术开发区", "嘉兴港区",
    ]  # fmt: skip


def _tree(app, cluster_name: str) -> dict[str, list[str]]:
    with app.app_context():
        cluster = db.session.scalar(sa.select(Cluster).where(Cluster.name == cluster_name))
        segments = db.session.scalars(
            sa.select(ChainSegment)
            .where(ChainSegment.cluster_id == cluster.id)
            .order_by(ChainSegment.sort_order)
        ).all()
        return {
            s.name: [c.name for c in segments if c.parent_id == s.id] for s in segments if s.parent_id is None
        }


def test_tongxiang_new_materials_has_the_2_plus_2_segments_and_their_parts(app):
    assert _tree(app, "桐乡市新材料") == {
        "高性能动力电池材料": ["钴镍资源", "冶炼加工", "三元前驱体", "锂电正极材料", "新能源锂电"],
        "高性能纤维及复合材料": ["玻纤", "化纤"],
        "前沿材料": ["碳纤维", "石墨烯", "纳米材料"],
        "电子信息材料": ["半导体材料", "集成电路材料", "电子专用材料"],
    }
    with app.app_context():
        categories = dict(
            db.session.execute(
                sa.select(ChainSegment.name, ChainSegment.category).where(
                    ChainSegment.name.in_(["高性能动力电池材料", "前沿材料"])
                )
            ).all()
        )
    assert categories == {"高性能动力电池材料": "高性能材料", "前沿材料": "功能材料"}


@pytest.mark.parametrize(
    ("cluster", "segment", "parts"),
    [
        ("嘉善县集成电路", "智能传感", []),
        ("平湖市高档数控机床", "关键零部件", ["数控系统", "机器人传感器", "刀具", "导轨", "丝杠", "承轴"]),
        ("海盐县核电关联及核技术应用", "核电装备制造业",
         ["核岛主设备", "常规岛主设备", "核电站数字化仪控系统", "关键辅助设备"]),
        ("海宁市泛半导体", "集成电路设计", []),
        ("南湖区微电子", "高端电子元器件",
         ["新型敏感元件", "微纳器件", "微电子联接器件", "微机电系统（MEMS）", "压力传感器"]),
        ("秀洲区光伏新能源", "光伏装备", ["逆变器", "光伏控制运维"]),
        ("嘉兴经济技术开发区健康食品", "高品质乳制品", []),
        ("嘉兴港区氢能", "氢能运用", ["氢能重卡", "氢能物流车", "氢能船舶"]),
    ],
)  # fmt: skip
def test_every_formal_cluster_has_its_section_two_segments(app, cluster, segment, parts):
    assert _tree(app, cluster)[segment] == parts


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Region, Cluster, ChainSegment)
        }


def test_seeding_again_changes_nothing(app, runner):
    before = _row_counts(app)
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0
    assert "无需改动" in result.output
    assert (
        _row_counts(app) == before == {"region": 9, "cluster": 12, "chain_segment": before["chain_segment"]}
    )


def test_seed_into_empty_tables_then_again_gives_the_same_rows(app, runner):
    with app.app_context():
        for model in (ChainSegment, Cluster, Region):
            db.session.execute(sa.delete(model))
        db.session.commit()
    try:
        first = runner.invoke(args=["seed"])
        assert "已导入：地区 9 个，集群 12 个" in first.output
        counts = _row_counts(app)
        runner.invoke(args=["seed"])
        assert _row_counts(app) == counts
        assert counts["chain_segment"] > 80
    finally:
        with app.app_context():
            seed_plan()
            db.session.commit()


def test_seed_keeps_an_admins_later_edit(app):
    with app.app_context():
        cluster = db.session.scalar(sa.select(Cluster).where(Cluster.name == "嘉兴港区氢能"))
        cluster.goal = "已由管理员修订"
        db.session.commit()
        try:
            assert not seed_plan()
            db.session.commit()
            assert db.session.get(Cluster, cluster.id).goal == "已由管理员修订"
        finally:
            cluster.goal = (
                "到2025年，嘉兴港区氢能及相关产业增加值突破70亿元，成为长三角乃至全国氢能产业引领示范区。"
            )
            db.session.commit()
