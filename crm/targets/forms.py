import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from wtforms import (
    DecimalField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from crm.core.forms import Form, MultiCheckboxField, two_decimals
from crm.core.ownership import OWNER_ROLES
from crm.core.permissions import scope_clause
from crm.extensions import db
from crm.models import (
    COMPANY_TYPES,
    HONOURS,
    ChainSegment,
    Cluster,
    Priority,
    TargetSource,
    TargetStatus,
    User,
)


def cluster_choices() -> list[SelectChoice]:
    clusters = db.session.scalars(sa.select(Cluster).order_by(Cluster.status, Cluster.sort_order))
    return [SelectChoice("", "请选择集群")] + [SelectChoice(str(c.id), c.name) for c in clusters]


def segment_choices() -> list[SelectChoice]:
    """Every segment, grouped by cluster (the service checks it belongs to the chosen one)."""
    rows = db.session.execute(
        sa.select(ChainSegment, Cluster.name)
        .join(Cluster)
        .order_by(Cluster.sort_order, ChainSegment.parent_id.is_not(None), ChainSegment.sort_order)
    ).all()
    parents = {s.id: s.name for s, _ in rows if s.parent_id is None}
    choices = [SelectChoice("", "（未细分）")]
    for segment, cluster_name in rows:
        label = f"{parents[segment.parent_id]} › {segment.name}" if segment.parent_id else segment.name
        choices.append(SelectChoice(str(segment.id), label, optgroup=cluster_name))
    return choices


def owner_choices(actor: User) -> list[SelectChoice]:
    """Active officers and heads in the actor's scope (the service checks the item's region)."""
    users = db.session.scalars(
        sa.select(User)
        .options(joinedload(User.region))  # the label names the scope: one query, not one per region
        .where(User.active, User.role.in_(OWNER_ROLES), scope_clause(actor, User.region_id))
        .order_by(User.region_id.is_not(None), User.region_id, User.display_name)
    )
    return [SelectChoice("", "请选择责任人")] + [
        SelectChoice(str(u.id), f"{u.display_name}（{u.scope_name}·{u.role.label}）") for u in users
    ]


def _choices(enum) -> list[SelectChoice]:
    return [SelectChoice(m.value) for m in enum]


def _int_or_none(value):
    return int(value) if value not in (None, "") else None


class TargetForm(Form):
    name = StringField("企业名称", validators=[DataRequired("请填写企业名称。"), Length(max=128)])
    credit_code = StringField(
        "统一社会信用代码", validators=[Optional(), Length(max=24)], description="境内企业填写；不清楚可留空"
    )
    foreign_registration = StringField("境外注册号", validators=[Optional(), Length(max=64)])
    country = StringField("国家/地区", default="中国", validators=[Length(max=32)])
    hq_city = StringField("总部城市", validators=[Length(max=64)])
    cluster_id = SelectField("所属集群", coerce=_int_or_none)
    segment_id = SelectField("产业链环节", coerce=_int_or_none)
    type_tags = MultiCheckboxField("企业类型", choices=[SelectChoice(t) for t in COMPANY_TYPES])
    honours = MultiCheckboxField("荣誉资质", choices=[SelectChoice(t) for t in HONOURS])
    source = SelectField("招商渠道", choices=_choices(TargetSource))
    priority = SelectField("优先级", choices=_choices(Priority), default=Priority.MEDIUM.value)
    intended_investment = DecimalField(
        "意向投资额（亿元）",
        places=2,
        validators=[Optional(), NumberRange(min=0, message="不能为负数。"), two_decimals],
    )
    industry_note = TextAreaField("主营业务/企业简介", validators=[Length(max=2000)])
    contact_name = StringField("联系人", validators=[Length(max=64)])
    contact_title = StringField("联系人职务", validators=[Length(max=64)])
    contact_phone = StringField("联系电话", validators=[Length(max=32)])
    contact_email = StringField(
        "联系邮箱", validators=[Optional(), Email("邮箱格式不正确。"), Length(max=254)]
    )
    owner_id = SelectField("责任人", coerce=_int_or_none)
    version = HiddenField()
    submit = SubmitField("保存")

    def __init__(self, actor: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cluster_id.choices = cluster_choices()
        self.segment_id.choices = segment_choices()
        self.owner_id.choices = owner_choices(actor)


class StatusForm(Form):
    status = SelectField(
        "新状态", choices=[SelectChoice(s.value) for s in TargetStatus if s != TargetStatus.CONVERTED]
    )
    reason = TextAreaField(
        "原因/说明", validators=[Length(max=2000)], description="放弃、回退或重新启用时必填"
    )
    version = HiddenField()
    submit = SubmitField("变更状态")


class AssignForm(Form):
    owner_id = SelectField("新责任人", coerce=_int_or_none)
    note = TextAreaField("交接说明", validators=[DataRequired("请填写交接说明。"), Length(max=2000)])
    submit = SubmitField("改派")

    def __init__(self, actor: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = owner_choices(actor)


class BulkAssignForm(AssignForm):
    submit = SubmitField("批量改派所选企业")
