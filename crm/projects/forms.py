from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3 has it; types-WTForms (3.2) not yet
from wtforms.validators import DataRequired, Length, Optional

from crm.core.choices import (
    cluster_choices,
    int_or_none,
    landing_region_choices,
    owner_choices_for_form,
    segment_choices,
)
from crm.core.forms import AmountField, Form, MultiCheckboxField, OnceForm
from crm.core.validation import MU, WAN_USD, WAN_YUAN, YI_YUAN
from crm.models import PROJECT_TAGS, ProblemCategory, ProblemStatus, ProjectStage, User
from crm.projects.services import CLASSIFICATIONS


def _value_or_empty(value: object) -> str:
    """A classification as the select holds it: its value, "" for 未填."""
    return "" if value is None else str(value)


def classification_field(name: str) -> SelectField:
    vocabulary, label = CLASSIFICATIONS[name]
    choices = [SelectChoice("", "（未填）"), *(SelectChoice(m.value) for m in vocabulary)]
    # The service checks the value (a Chinese reason); a form sent without the field leaves it 未填.
    return SelectField(label, choices=choices, coerce=_value_or_empty, validate_choice=False)


class ProjectForm(OnceForm):
    name = StringField("项目名称", validators=[DataRequired("请填写项目名称。"), Length(max=128)])
    company_name = StringField("项目单位", validators=[DataRequired("请填写项目单位。"), Length(max=128)])
    cluster_id = SelectField("所属集群", coerce=int_or_none)
    segment_id = SelectField("产业链环节", coerce=int_or_none)
    region_id = SelectField("落地地区", coerce=int_or_none)
    is_landmark = BooleanField("标志性项目")
    total_investment = AmountField("总投资（亿元）", YI_YUAN)
    fixed_asset_investment = AmountField("固定资产投资（亿元）", YI_YUAN)
    foreign_capital = AmountField("合同外资（万美元）", WAN_USD)
    total_investment_usd = AmountField(
        "总投资（万美元）", WAN_USD, description="外资、中外合资项目填写；据此判断超亿美元"
    )
    registered_capital = AmountField("注册资本（万元）", WAN_YUAN)
    capital_type = classification_field("capital_type")
    investor_origin = classification_field("investor_origin")
    project_type = classification_field("project_type")
    sector = classification_field("sector")
    tags = MultiCheckboxField(
        "项目标签", choices=[SelectChoice(t) for t in PROJECT_TAGS], validate_choice=False
    )  # the service names an unknown tag in Chinese
    expected_output = AmountField("预计年产值（亿元）", YI_YUAN)
    expected_added_value = AmountField("预计年增加值（亿元）", YI_YUAN)
    land_area = AmountField("用地（亩）", MU)
    planned_start_on = DateField("计划开工日期", validators=[Optional()])
    planned_completion_on = DateField("计划竣工日期", validators=[Optional()])
    leader_name = StringField("联系领导", validators=[Length(max=64)])
    owner_id = SelectField("责任人", coerce=int_or_none)
    responsible_unit = StringField("责任单位", validators=[Length(max=128)])
    action_plan = TextAreaField("工作方案", validators=[Length(max=5000)])
    description = TextAreaField("项目简介", validators=[Length(max=5000)])
    version = HiddenField()
    submit = SubmitField("保存")

    def __init__(self, actor: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cluster_id.choices = cluster_choices()
        self.segment_id.choices = segment_choices()
        self.region_id.choices = landing_region_choices()
        self.owner_id.choices = owner_choices_for_form(actor)


class StageForm(OnceForm):
    to = SelectField("目标阶段", choices=[SelectChoice(s.value) for s in ProjectStage])
    note = TextAreaField(
        "说明", validators=[Length(max=2000)], description="必填；回退、暂缓、终止时即为原因"
    )
    signed_on = DateField("签约日期", validators=[Optional()])
    signed_investment = AmountField("签约投资额（亿元）", YI_YUAN)
    actual_start_on = DateField("实际开工日期", validators=[Optional()])
    actual_completion_on = DateField("实际竣工投产日期", validators=[Optional()])
    version = HiddenField()
    submit = SubmitField("确认变更阶段")


class ConvertForm(OnceForm):
    name = StringField("项目名称", validators=[DataRequired("请填写项目名称。"), Length(max=128)])
    total_investment = AmountField("总投资（亿元）", YI_YUAN)
    version = HiddenField()
    submit = SubmitField("转为项目")


class MilestoneForm(OnceForm):
    title = StringField("节点", validators=[DataRequired("请填写节点名称。"), Length(max=200)])
    due_on = DateField("计划日期", validators=[DataRequired("请填写计划日期。")])
    submit = SubmitField("添加节点")


class ProblemForm(OnceForm):
    category = SelectField("类别", choices=[SelectChoice(c.value) for c in ProblemCategory])
    description = TextAreaField(
        "问题描述", validators=[DataRequired("请描述需要协调的问题。"), Length(max=2000)]
    )
    responsible_unit = StringField("责任单位", validators=[DataRequired("请填写责任单位。"), Length(max=128)])
    raised_on = DateField("提出日期", validators=[DataRequired("请填写提出日期。")])
    submit = SubmitField("提交问题")


class ProblemStatusForm(Form):
    status = SelectField("状态", choices=[SelectChoice(s.value) for s in ProblemStatus])
    resolution = TextAreaField("解决情况/说明", validators=[Length(max=2000)])
    submit = SubmitField("更新")
