import sqlalchemy as sa
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3 has it; types-WTForms (3.2) not yet
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from crm.core.forms import OnceForm
from crm.extensions import db
from crm.models import CITY_SCOPE, Region, Role


def scope_choices() -> list[SelectChoice]:
    names = db.session.scalars(sa.select(Region.name).order_by(Region.sort_order))
    return [SelectChoice(CITY_SCOPE)] + [SelectChoice(n) for n in names]


class UserForm(OnceForm):
    username = StringField(
        "用户名",
        validators=[
            DataRequired("请输入用户名。"),
            Length(max=64, message="用户名最长 64 个字符。"),
            Regexp(r"^[A-Za-z0-9_.\-]+$", message="用户名只能包含字母、数字、下划线、点和连字符。"),
        ],
    )
    display_name = StringField(
        "姓名", validators=[DataRequired("请输入姓名。"), Length(max=64, message="姓名最长 64 个字符。")]
    )
    email = StringField(
        "电子邮箱",
        validators=[Optional(), Email("电子邮箱格式不正确。"), Length(max=254)],
    )
    phone = StringField(
        "手机号码",
        validators=[Optional(), Regexp(r"^[0-9+\-\s]{5,32}$", message="电话号码格式不正确。")],
    )
    role = SelectField("角色", choices=[SelectChoice(r.value, r.label) for r in Role])
    scope = SelectField("范围", validate_choice=True)
    submit = SubmitField("保存")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope.choices = scope_choices()
