"""Words the demo generator builds 招商清单 data from (crm/demo/targets.py): names, notes, visit notes.

Company names are made up from syllables and brand characters; any likeness to a real company is
chance. Phone numbers and registration numbers are random.
"""

# Where Chinese target companies are registered: (city, admin-division code of the credit code, weight).
CITIES = [
    ("上海", "310000", 12),
    ("苏州", "320500", 10),
    ("杭州", "330100", 8),
    ("深圳", "440300", 7),
    ("宁波", "330200", 6),
    ("北京", "110000", 5),
    ("无锡", "320200", 5),
    ("南京", "320100", 4),
    ("常州", "320400", 4),
    ("合肥", "340100", 4),
    ("嘉兴", "330400", 4),
    ("南通", "320600", 3),
    ("广州", "440100", 3),
    ("东莞", "441900", 3),
    ("绍兴", "330600", 3),
    ("湖州", "330500", 2),
    ("天津", "120000", 2),
    ("成都", "510100", 2),
    ("武汉", "420100", 2),
    ("西安", "610100", 2),
    ("青岛", "370200", 2),
    ("厦门", "350200", 2),
    ("温州", "330300", 2),
    ("台州", "331000", 2),
    ("佛山", "440600", 2),
    ("长沙", "430100", 1),
    ("重庆", "500000", 1),
    ("海宁", "330481", 1),
    ("桐乡", "330483", 1),
    ("平湖", "330482", 1),
]
BRAND_CHARS = (
    "恒瑞华泰鑫宏远达通晶芯科创博凯盛隆德嘉汇天源丰鼎立信诚安康永昌明锐思睿联微精卓越正泽弘毅元益辰宇星"
)
LEGAL_FORMS = (("有限公司", 65), ("股份有限公司", 28), ("集团有限公司", 7))

# Per cluster industry: name words, what the company makes (for notes), English words for foreign
# names ("|"-separated: they may have spaces).
INDUSTRIES = {
    "微电子": (
        "半导体 微电子 电子科技 芯片科技 传感技术 电子材料 光电科技",
        "功率半导体器件 IGBT模块 光通讯芯片 射频前端芯片 MEMS压力传感器 高端连接器 电子浆料",
        "Semiconductor|Microelectronics|Sensortech|Photonics",
    ),
    "光伏新能源": (
        "光伏科技 新能源 光电 能源科技 光伏玻璃 智慧能源",
        "光伏玻璃 高效晶硅电池片 光伏组件 组串式逆变器 光伏支架 BIPV幕墙组件 储能变流器",
        "Solar|Photovoltaic|Energy|Power Electronics",
    ),
    "集成电路": (
        "集成电路 半导体 微电子 芯片科技 智能科技 电子科技",
        "图像传感器芯片 模拟芯片 先进封装测试 MCU芯片 智能传感模组 可穿戴智能终端",
        "Semiconductor|Integrated Circuits|Silicon|Devices",
    ),
    "高档数控机床": (
        "精密机械 数控机床 智能装备 机器人 自动化科技 精工",
        "五轴联动加工中心 数控车床 精密磨床 工业机器人 数控系统 滚珠丝杠 直线导轨",
        "Machine Tools|Precision|Robotics|Automation",
    ),
    "核电关联及核技术应用": (
        "核电设备 核技术 同位素科技 电力装备 仪控技术 辐照技术",
        "核级阀门 核电站仪控系统 核级泵 钴60放射源 辐照灭菌服务 核电站运维服务",
        "Nuclear|Isotopes|Power Systems|Radiation Technology",
    ),
    "泛半导体": (
        "半导体 晶体材料 半导体装备 微电子 电子材料 光电科技",
        "半导体单晶硅片 蓝宝石衬底 刻蚀设备 化合物半导体芯片 声表面波滤波器 集成电路设计服务",
        "Semiconductor|Wafer|Electronic Materials|Equipment",
    ),
    "新材料": (
        "新材料 新材料科技 复合材料 纤维 锂电材料 化工新材料 电子材料 碳纤维科技",
        "三元前驱体 锂电正极材料 高性能玻璃纤维 差别化涤纶长丝 碳纤维复合材料 石墨烯导电浆料 电子级化学品",
        "Advanced Materials|Chemicals|Composites|Fibers|Battery Materials",
    ),
    "健康食品": (
        "食品 乳业 营养科技 生物科技 饮品 健康科技",
        "婴幼儿配方奶粉 益生菌制剂 功能性饮料 有机休闲食品 营养补充剂 食品配料",
        "Foods|Nutrition|Dairy|Beverages",
    ),
    "氢能": (
        "氢能科技 燃料电池 能源装备 新能源 气体 动力科技",
        "氢燃料电池电堆 膜电极 车载储氢瓶 加氢站成套设备 电解水制氢设备 氢能重卡动力系统",
        "Hydrogen|Fuel Cells|Energy|Gases",
    ),
    "生命健康": (
        "生物医药 医疗器械 生物科技 制药 健康科技",
        "创新药 体外诊断试剂 高值医用耗材 医疗影像设备 细胞治疗",
        "Biotech|Pharma|Medical|Diagnostics",
    ),
    "精密刀具": (
        "精密刀具 切削工具 工具 硬质合金 精工",
        "硬质合金刀片 整体立铣刀 数控刀具 超硬刀具 刀具涂层",
        "Tools|Carbide|Cutting Tools|Precision",
    ),
    "光伏": (
        "光伏科技 新能源 光电 能源科技",
        "高效光伏组件 光伏焊带 光伏背板 异质结电池片",
        "Solar|Photovoltaic|Energy",
    ),
}
DEFAULT_INDUSTRY = ("科技 智能科技 新技术", "先进制造产品 关键零部件", "Technologies|Industries")

# Foreign companies: (country, HQ cities, stem starts, stem ends, legal forms, registration pattern).
# In a registration pattern "#" is a random digit and "@" a random capital letter.
FOREIGN = [
    (
        "德国",
        "慕尼黑 斯图加特 法兰克福 汉堡 杜塞尔多夫",
        "Hart Brand Stein Lind Rhein Wald Berg Fels Neu Kessel",
        "mann berg hof tal er ner",
        "GmbH|AG|SE",
        "HRB #####",
    ),
    (
        "日本",
        "东京 大阪 名古屋 京都 横滨",
        "Taka Naka Yama Kawa Mori Hoshi Kita Ishi Ao Kuro",
        "mura moto hashi zaki shima da",
        "Co., Ltd.|Corporation",
        "####-01-######",
    ),
    (
        "美国",
        "波士顿 圣何塞 休斯敦 芝加哥 底特律",
        "North Clear Ridge Silver Eagle Stone Bright Lake Red Pine",
        "field view gate wood bridge point",
        "Inc.|Corp.|LLC",
        "EIN ##-#######",
    ),
    (
        "韩国",
        "首尔 水原 仁川 釜山 大田",
        "Han Dae Sung Jin Woo Hyun Kyung Min Seo Yeon",
        "il won san do kwang jin",
        "Co., Ltd.|Corporation",
        "######-#######",
    ),
    (
        "新加坡",
        "新加坡",
        "Pacific Lion Harbour Orchid Strait Marina Coral Jade Palm Sentosa",
        "view crest field gate star",
        "Pte. Ltd.",
        "20#######@",
    ),
    (
        "法国",
        "巴黎 里昂 格勒诺布尔 图卢兹",
        "Mont Belle Beau Clair Val Rive Ver Lor",
        "court mont ville fort mar",
        "SA|SAS",
        "RCS ### ### ###",
    ),
    (
        "瑞士",
        "苏黎世 巴塞尔 日内瓦 洛桑",
        "Alp Zug Aar Rhon Lim Sem",
        "tec ria horn wald berg",
        "AG",
        "CHE-###.###.###",
    ),
    (
        "荷兰",
        "埃因霍温 阿姆斯特丹 鹿特丹",
        "Van Oost West Zuid Noord Hol",
        "land dijk veld stad",
        "B.V.|N.V.",
        "KvK ########",
    ),
    (
        "英国",
        "伦敦 剑桥 曼彻斯特 伯明翰",
        "Ash Oak Elm Kings Queens Cam",
        "worth ford bury ton ley",
        "Ltd|plc",
        "Company No. ########",
    ),
]
FOREIGN_WEIGHTS = (20, 22, 16, 12, 8, 6, 6, 5, 5)

CONTACT_SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱马胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
CONTACT_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华慧建国晓东海燕志红玲斌宇鑫浩宁婷雪峰毅俊琳欣然子涵博文思远"
# (title, how officers address the person after the surname)
TITLES = [
    ("董事长", "董"),
    ("总经理", "总"),
    ("副总经理", "总"),
    ("投资总监", "总"),
    ("战略发展部经理", "经理"),
    ("董事会秘书", "董秘"),
    ("投资发展部总监", "总"),
]
FOREIGN_TITLES = [
    ("中国区总裁", "总"),
    ("亚太区投资总监", "总"),
    ("中国区首席代表", "总"),
    ("大中华区战略总监", "总"),
]

NOTE_FACTS = [
    "2025年营业收入约{revenue}亿元",
    "拥有省级企业技术中心",
    "为国家级专精特新“小巨人”企业",
    "在长三角已有两个生产基地",
    "正在谋划新增产能布局",
    "产品主要配套国内头部企业",
    "研发投入占营收比重超过6%",
    "近两年出口增长较快",
]
FOREIGN_FACTS = [
    "在华已设立销售公司，尚无生产基地",
    "计划在长三角建设亚太区生产和研发中心",
    "全球员工约{staff}人",
    "为行业全球前十企业",
]
PARKS = {
    "nanhu": "南湖高新区",
    "xiuzhou": "秀洲高新区",
    "jiashan": "嘉善经济技术开发区",
    "pinghu": "平湖经济技术开发区",
    "haiyan": "海盐经济开发区",
    "haining": "海宁经济开发区",
    "tongxiang": "桐乡经济开发区",
    "jxedz": "嘉兴经济技术开发区",
    "jxport": "嘉兴港区化工新材料园区",
}
EVENTS = [
    "进博会",
    "长三角招商推介会",
    "中国国际工业博览会",
    "行业年会",
    "嘉兴市深圳专场推介会",
    "浙江投资贸易洽谈会",
]
ELSEWHERE = ["江苏南通", "安徽滁州", "四川宜宾", "江西赣州", "湖北黄石", "广东肇庆", "越南北宁"]

# Visit notes, by where the target stands: (method, what happened, next step).
OUTREACH = [
    (
        "电话",
        "通过{source}渠道获取企业联系方式，致电企业董办，对方表示投资事宜由集团战略部负责，暂未对接到决策层。",
        "请行业协会协助引荐集团战略部负责人。",
    ),
    (
        "推介活动",
        "在{event}上与{short}市场部人员交换名片，初步了解其{product}业务布局，尚未与投资负责人建立联系。",
        "发送{region}招商推介材料，争取安排高层拜访。",
    ),
    (
        "电话",
        "联系{short}华东区负责人，对方称正在做年度规划，请我方下月再联系。",
        "下月初再次电话联系，了解扩产计划。",
    ),
    (
        "其他",
        "通过{city}商会了解到{short}有在长三角新建{product}产线的考虑，已请商会代为引荐。",
        "待商会反馈后安排首次拜访。",
    ),
]
CONTACT = [
    (
        "走访",
        "赴{city}走访{short}，与{contact}座谈，介绍{cluster}产业基础和{region}招商政策，企业对长三角产能布局有兴趣。",
        "整理企业关注的用地、用能政策，形成对接材料。",
    ),
    (
        "电话",
        "电话联系{contact}，了解到企业{product}订单增长较快，现有产能已饱和，正在评估新增生产基地。",
        "邀请企业来嘉实地考察。",
    ),
    (
        "视频会议",
        "与{short}投资发展部视频会议，介绍{segment}环节上下游配套情况和{park}，企业要求提供可选地块清单。",
        "会同自然资源和规划局梳理可供地块。",
    ),
    (
        "电话",
        "向{contact}寄送{region}产业地图和政策汇编，企业表示将在内部评估后回复。",
        "一周后电话跟进评估进展。",
    ),
    (
        "会谈",
        "参加{short}在{city}举办的供应商大会，与企业投资负责人交流，了解其在{segment}环节的配套需求。",
        "梳理本地可配套企业名单发给企业。",
    ),
    (
        "走访",
        "陪同{region}分管领导拜访{contact}，企业介绍了{product}技术路线和未来三年投资计划。",
        "根据企业投资计划准备项目初步方案。",
    ),
]
INTEREST = [
    (
        "考察",
        "{contact}带队来{region}实地考察，参观{park}和周边配套企业，企业对区位和产业链配套评价较高。",
        "按企业需求测算{mu}亩用地方案。",
    ),
    (
        "会谈",
        "与企业就项目初步方案会谈：拟投资约{amount}亿元建设{product}生产基地，用地约{mu}亩，企业关注能耗指标和人才公寓配套。",
        "会同发改、经信部门研究能耗指标保障方案。",
    ),
    (
        "视频会议",
        "视频会议讨论投资协议框架，企业对设备补助和固定资产投资奖励条款提出修改意见。",
        "报分管领导研究政策口径后回复企业。",
    ),
    (
        "走访",
        "陪同企业技术团队查看{park}备选地块，对地块形状和电力接入条件逐项确认。",
        "协调供电公司出具电力接入初步意见。",
    ),
    (
        "电话",
        "向{contact}反馈政策口径，企业表示将提交董事会审议，预计下月有结果。",
        "保持每周沟通，了解董事会审议进展。",
    ),
    (
        "会谈",
        "与{short}财务和法务团队对接项目公司注册、出资安排及分期建设计划。",
        "协助企业办理项目公司名称预先核准。",
    ),
]
INTERESTED_STEP = (
    "会谈",
    "{contact}明确表示有意在{region}投资建设{product}项目，初步规模约{amount}亿元，希望尽快看地。",
    "安排企业来嘉实地考察备选地块。",
)
ABANDON_STEP = (
    "电话",
    "{contact}来电告知：{reason}，本项目暂停对接。",
    "保持联系，企业投资计划重启时再行对接。",
)
CONVERT_STEP = (
    "签约",
    "双方签订投资意向协议，项目计划总投资约{amount}亿元，转入项目清单推进。",
    "按项目清单流程推进正式协议签订。",
)
ABANDON_REASONS = [
    "企业最终选址{elsewhere}，未在嘉兴落地",
    "企业投资计划暂缓，两年内无扩产安排",
    "项目用地需求超过{mu}亩，{region}暂无匹配地块",
    "项目能耗指标缺口较大，无法保障",
    "企业经营状况下滑，投资能力不足",
    "产业方向与集群定位不符，经研判不再推进",
]
STATUS_NOTES = {
    "已接触": "首次与企业取得联系",
    "有意向": "企业明确投资意向",
    "已转项目": "签订投资意向协议，转为项目",
}
HANDOVER_NOTES = [
    "原责任人岗位调整，已移交全部跟进记录和企业联系人。",
    "按集群分工调整，由新责任人负责后续对接。",
    "原责任人借调市招商专班，项目移交继续跟进。",
]

# Tags, honours (with their odds) and sources, for Chinese and for foreign companies.
CHINESE_TYPES = ("高新型", "高新型", "成长型", "成长型", "品牌型", "总部型", "旗舰型")
FOREIGN_TYPES = ("总部型", "品牌型", "旗舰型", "高新型")
CHINESE_HONOURS = (
    ("专精特新", 0.25),
    ("隐形冠军", 0.06),
    ("单项冠军", 0.05),
    ("行业前10", 0.08),
    ("世界500强", 0.01),
)
FOREIGN_HONOURS = (("世界500强", 0.12), ("行业前10", 0.30), ("隐形冠军", 0.10), ("单项冠军", 0.05))
SOURCES = {
    False: {
        "招商地图": 20,
        "以商引商": 20,
        "展会": 15,
        "中介机构": 12,
        "驻外招商": 2,
        "上门拜访": 18,
        "网络平台": 8,
        "其他": 5,
    },
    True: {"驻外招商": 35, "展会": 25, "中介机构": 25, "以商引商": 10, "其他": 5},
}
# Added to a foreign name when the plain ones run out.
QUALIFIERS = "Asia International Technologies Systems Group Global Solutions Holding Industries Europe"
