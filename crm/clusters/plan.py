"""The plan's data (嘉政发〔2022〕13号), transcribed from shared/seed/jiaxing-clusters-plan-2022.txt.

Figures, 龙头企业, 研究院 and 基金 are copied exactly as the annex writes them, including its
wording quirks (e.g. 嘉善县 lists "清华长三角研究", 平湖市 "中小企业发展基金浙普创投基金"). Chain
segments come from section 二 (总体布局); where the text names a segment's parts, they are its
sub-segments.
"""

from decimal import Decimal
from typing import NotRequired, TypedDict

# (name, code, kind) in the annex order.
REGIONS = [
    ("南湖区", "nanhu", "区"),
    ("秀洲区", "xiuzhou", "区"),
    ("嘉善县", "jiashan", "县"),
    ("平湖市", "pinghu", "县级市"),
    ("海盐县", "haiyan", "县"),
    ("海宁市", "haining", "县级市"),
    ("桐乡市", "tongxiang", "县级市"),
    ("嘉兴经济技术开发区", "jxedz", "功能区"),
    ("嘉兴港区", "jxport", "功能区"),
]

# A segment is (name, category or None, [sub-segment names]).
Segment = tuple[str, str | None, list[str]]


class ClusterSpec(TypedDict):
    """A cluster as the annex describes it; a candidate cluster has only region, industry and title."""

    region: str
    industry: str
    title: str
    level: NotRequired[str]
    values: NotRequired[tuple[Decimal, Decimal, Decimal]]  # added value 2021, 2023 (target), 2025 (target)
    leading_companies: NotRequired[str]
    research_institutes: NotRequired[str]
    funds: NotRequired[str]
    goal: NotRequired[str]
    segments: NotRequired[list[Segment]]


CLUSTERS: list[ClusterSpec] = [
    {
        "region": "南湖区",
        "industry": "微电子",
        "title": "南湖微电子集群",
        "level": "长三角区域性",
        "values": (Decimal("40"), Decimal("100"), Decimal("150")),
        "leading_companies": "闻泰通讯、斯达半导、天通精电",
        "research_institutes": "清华长三角研究院、中电科南湖研究院、南湖实验室",
        "funds": "微电子发展专项基金（规模为10亿元）",
        "goal": "到2025年，南湖区微电子产业规上工业增加值达到150亿元。",
        "segments": [
            (
                "芯片研发及产业化",
                None,
                ["功率半导体芯片", "光通讯芯片", "射频芯片", "大功率绝缘栅双极型晶体管（IGBT）"],
            ),
            ("智能芯片制造与封测", None, []),
            ("关键电子材料制造", None, []),
            (
                "高端电子元器件",
                None,
                ["新型敏感元件", "微纳器件", "微电子联接器件", "微机电系统（MEMS）", "压力传感器"],
            ),
        ],
    },
    {
        "region": "秀洲区",
        "industry": "光伏新能源",
        "title": "秀洲光伏新能源集群",
        "level": "全国性",
        "values": (Decimal("35"), Decimal("120"), Decimal("190")),
        "leading_companies": "福莱特、隆基、阿特斯",
        "research_institutes": "浙大嘉兴研究院",
        "funds": "无专业子基金，母基金可投",
        "goal": "到2025年，力争秀洲区光伏新能源产业增加值突破190亿元，成为全国性光伏新能源产业高地。",
        "segments": [
            (
                "光伏材料和组件",
                None,
                ["电池大尺寸玻璃", "超薄玻璃", "差异化组件", "大面积高效硅薄膜电池组件"],
            ),
            ("光伏装备", "下游高附加值环节", ["逆变器", "光伏控制运维"]),
            ("光伏电池", None, ["高效晶硅电池", "新型薄膜电池"]),
            (
                "分布式光伏及光伏建筑一体化",
                None,
                ["分布式光伏发电组件", "光伏建筑一体化（BIPV）", "智能微电网设备"],
            ),
        ],
    },
    {
        "region": "嘉善县",
        "industry": "集成电路",
        "title": "嘉善集成电路集群",
        "level": "全国性",
        "values": (Decimal("90"), Decimal("120"), Decimal("160")),
        "leading_companies": "格科微电子、日善、立讯智造",
        "research_institutes": "复旦大学微电子学院、清华长三角研究",
        "funds": "禾芯专项基金、聚源信诚基金、嘉善经开同创股权投资有限公司",
        "goal": "到2025年，嘉善县集成电路产业及其关联产业增加值突破160亿元，"
        "成为国内具有一定影响力的集成电路集群。",
        "segments": [
            ("集成电路", "核心产业", []),
            ("智能传感", "核心产业", []),
            ("智能终端", "核心产业", []),
        ],
    },
    {
        "region": "平湖市",
        "industry": "高档数控机床",
        "title": "平湖高档数控机床集群",
        "level": "长三角区域性",
        "values": (Decimal("30"), Decimal("50"), Decimal("80")),
        "leading_companies": "津上精密、日本电产京利机械",
        "research_institutes": "杭州电子科技大学平湖数字技术创新研究院、清华长三角研究院平湖创新中心",
        "funds": "中小企业发展基金浙普创投基金、华睿科创3号基金",
        "goal": "到2025年，平湖市高档数控机床产业增加值达到80亿元以上。",
        "segments": [
            ("高端整机制造", None, ["金属切削机床", "大中型成形机床", "特种机床"]),
            ("机器人", None, ["特种工业机器人", "服务型机器人", "机器人系统"]),
            (
                "关键零部件",
                None,
                ["数控系统", "机器人传感器", "刀具", "导轨", "丝杠", "承轴"],
            ),
        ],
    },
    {
        "region": "海盐县",
        "industry": "核电关联及核技术应用",
        "title": "海盐核电关联及核技术应用集群",
        "level": "全国性",
        "values": (Decimal("90"), Decimal("120"), Decimal("150")),
        "leading_companies": "秦山核电、中核核电运行、中核秦山同位素",
        "research_institutes": "浙江清华长三角军民协同创新研究院、浙江大学-中核运行核工程创新技术联合研发中心",
        "funds": "融核产业发展基金；筹备成立同位素产业基金，规模3-5亿元",
        "goal": "力争到2025年，海盐县核电产业链规上工业增加值突破150亿元，"
        "打造成国内重要的核能特色产业示范基地。",
        "segments": [
            ("核技术应用（同位素）产业", None, ["同位素与辐射技术应用", "钴60等同位素产品"]),
            ("核电生产性服务业", None, []),
            (
                "核电装备制造业",
                None,
                ["核岛主设备", "常规岛主设备", "核电站数字化仪控系统", "关键辅助设备"],
            ),
            ("核电数字信息产业", None, ["云计算", "大数据", "5G"]),
        ],
    },
    {
        "region": "海宁市",
        "industry": "泛半导体",
        "title": "海宁泛半导体集群",
        "level": "长三角区域性",
        "values": (Decimal("30"), Decimal("80"), Decimal("140")),
        "leading_companies": "天通控股、天通瑞宏、立昂东芯、芯晖装备、奕斯伟",
        "research_institutes": "中科院海宁先进半导体与智能技术研究院、中科院微电子所海宁集成电路与先进制造研究院",
        "funds": "海宁泛半导体产业基金、瑞芯通宁半导体产业投资基金、芯鑫融资租赁基金",
        "goal": "到2025年，海宁市泛半导体产业规上工业增加值超140亿元。",
        "segments": [
            ("半导体基础材料", None, []),
            ("专用装备", None, []),
            ("核心元器件", None, []),
            ("集成电路设计", None, []),
        ],
    },
    {
        "region": "桐乡市",
        "industry": "新材料",
        "title": "桐乡全球性新材料集群",
        "level": "全球性",
        "values": (Decimal("150"), Decimal("310"), Decimal("430")),
        "leading_companies": "巨石集团、华友钴业、桐昆、新凤鸣",
        "research_institutes": "乌镇实验室、巨石玻璃纤维研究院、浙江省华友钴业绿色钴冶炼技术及新材料开发研究院",
        "funds": "乌镇实验室新材料基金正在筹备中，规模5-10亿元",
        "goal": "到2025年，桐乡新材料产业实现规上工业增加值430亿元，集聚世界500强或全球行业前10强企业"
        "3家以上，打造具有国际竞争力、适应未来发展趋势的全球性新材料集群。",
        "segments": [
            (
                "高性能动力电池材料",
                "高性能材料",
                ["钴镍资源", "冶炼加工", "三元前驱体", "锂电正极材料", "新能源锂电"],
            ),
            ("高性能纤维及复合材料", "高性能材料", ["玻纤", "化纤"]),
            ("前沿材料", "功能材料", ["碳纤维", "石墨烯", "纳米材料"]),
            ("电子信息材料", "功能材料", ["半导体材料", "集成电路材料", "电子专用材料"]),
        ],
    },
    {
        "region": "嘉兴经济技术开发区",
        "industry": "健康食品",
        "title": "嘉兴经济技术开发区健康食品集群",
        "level": "长三角区域性",
        "values": (Decimal("10"), Decimal("20"), Decimal("30")),
        "leading_companies": "玛氏食品、雅培营养品、荷美尔食品",
        "research_institutes": "清华长三角研究院食品与健康研究所",
        "funds": "无专业子基金",
        "goal": "力争到2025年，嘉兴经济技术开发区健康食品产业工业增加值突破30亿元。",
        "segments": [
            ("高品质乳制品", "重点产业", []),
            ("营养与保健品", "重点产业", []),
            ("健康饮品", "重点产业", []),
            ("有机食品", "重点产业", []),
            ("上游材料", "上游", []),
            ("下游服务", "下游", ["检测", "认证", "贸易"]),
            ("食品检验检测", None, []),
        ],
    },
    {
        "region": "嘉兴港区",
        "industry": "氢能",
        "title": "嘉兴港区氢能集群",
        "level": "长三角区域性",
        "values": (Decimal("25"), Decimal("50"), Decimal("70")),
        "leading_companies": "美锦国鸿、重塑、嘉化能源",
        "research_institutes": "清华长三角研究院、氢能储运装备安全重点实验室",
        "funds": "嘉兴氢能产业基金",
        "goal": "到2025年，嘉兴港区氢能及相关产业增加值突破70亿元，成为长三角乃至全国氢能产业引领示范区。",
        "segments": [
            ("氢气、液氢制备储运", None, ["氢能提纯"]),
            ("氢燃料电池车关键零部件", None, []),
            ("氢能装备制造", None, []),
            ("加氢站", None, []),
            ("氢能运用", "示范应用", ["氢能重卡", "氢能物流车", "氢能船舶"]),
        ],
    },
]

# "各地可根据本地产业基础、发展定位，适时培育1～2个区域性制造业集群，如秀洲区生命健康、海盐县精密刀具、海宁市光伏等。"
CANDIDATE_CLUSTERS = [
    ("秀洲区", "生命健康"),
    ("海盐县", "精密刀具"),
    ("海宁市", "光伏"),
]
