"""What differs between the 招商清单 and the 项目清单 imports on their shared pages."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportKind:
    bp: str  # blueprint of the list: targets | projects
    id_arg: str  # its detail route's id argument
    list_label: str
    noun: str
    counter: str  # 家 / 个
    state_label: str
    duplicate_rule: str


TARGETS = ImportKind(
    bp="targets",
    id_arg="target_id",
    list_label="招商清单",
    noun="企业",
    counter="家",
    state_label="状态",
    duplicate_rule="按统一社会信用代码、其次按企业名称查重。“更新”只修改文件中填写了的资料，不改变状态和责任人；“跳过”不做任何修改。",
)
PROJECTS = ImportKind(
    bp="projects",
    id_arg="project_id",
    list_label="项目清单",
    noun="项目",
    counter="个",
    state_label="阶段",
    duplicate_rule="同一集群内，项目名称和项目单位（去掉“有限公司”等后）都相同即为重复。"
    "“更新”只修改文件中填写了的资料，不改变阶段、阶段证明和责任人；“跳过”不做任何修改。",
)
