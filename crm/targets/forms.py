from enum import StrEnum
from typing import Any

from wtforms import (
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3 has it; types-WTForms (3.2) not yet
from wtforms.validators import DataRequired, Email, Length, Optional

from crm.core.choices import cluster_choices, int_or_none, owner_choices_for_form, segment_choices
from crm.core.forms import AmountField, MultiCheckboxField, OnceForm
from crm.core.validation import YI_YUAN
from crm.models import (
    COMPANY_TYPES,
    HONOURS,
    Priority,
    TargetSource,
    TargetStatus,
    User,
)


def _choices(enum: type[StrEnum]) -> list[SelectChoice]:
    return [SelectChoice(m.value) for m in enum]


class TargetForm(OnceForm):
    name = StringField("企业名称", validators=[DataRequired("请填写企业名称。"), Length(max=128)])
    credit_code = StringField(
        "统一社会信用代码", validators=[Optional(), Length(max=24)], description="境内企业填写；不清楚可留空"
    )
    foreign_registration = StringField("境外注册号", validators=[Optional(), Length(max=64)])
    country = StringField("国家/地区", default="中国", validators=[Length(max=32)])
    hq_city = StringField("总部城市", validators=[Length(max=64)])
    cluster_id = SelectField("所属集群", coerce=int_or_none)
    segment_id = SelectField("产业链环节", coerce=int_or_none)
    type_tags = MultiCheckboxField("企业类型", choices=[SelectChoice(t) for t in COMPANY_TYPES])
    honours = MultiCheckboxField("荣誉资质", choices=[SelectChoice(t) for t in HONOURS])
    source = SelectField("招商渠道", choices=_choices(TargetSource))
    priority = SelectField("优先级", choices=_choices(Priority), default=Priority.MEDIUM.value)
    intended_investment = AmountField("意向投资额（亿元）", YI_YUAN)
    industry_note = TextAreaField("主营业务/企业简介", validators=[Length(max=2000)])
    contact_name = StringField("联系人", validators=[Length(max=64)])
    contact_title = StringField("联系人职务", validators=[Length(max=64)])
    contact_phone = StringField("联系电话", validators=[Length(max=32)])
    contact_email = StringField(
        "联系邮箱", validators=[Optional(), Email("邮箱格式不正确。"), Length(max=254)]
    )
    owner_id = SelectField("责任人", coerce=int_or_none)
    version = HiddenField()
    submit = SubmitField("保存")

    def __init__(self, actor: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cluster_id.choices = cluster_choices()
        self.segment_id.choices = segment_choices()
        self.owner_id.choices = owner_choices_for_form(actor)


class StatusForm(OnceForm):
    status = SelectField(
        "新状态", choices=[SelectChoice(s.value) for s in TargetStatus if s != TargetStatus.CONVERTED]
    )
    reason = TextAreaField(
        "原因/说明", validators=[Length(max=2000)], description="放弃、回退或重新启用时必填"
    )
    version = HiddenField()
    submit = SubmitField("变更状态")
