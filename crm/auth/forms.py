from typing import Any

from wtforms import Field, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from crm.auth.services import password_problems
from crm.core.forms import Form


class LoginForm(Form):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=256)])
    submit = SubmitField("登录")


class ChangePasswordForm(Form):
    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码。")])
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码。"), Length(max=256)])
    confirm = PasswordField(
        "再次输入新密码",
        validators=[DataRequired("请再次输入新密码。"), EqualTo("new_password", "两次输入的新密码不一致。")],
    )
    submit = SubmitField("修改密码")

    def __init__(self, username: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.username = username

    def validate_new_password(self, field: Field) -> None:
        problems = password_problems(field.data or "", self.username)
        if problems:
            raise ValidationError(" ".join(problems))
        if field.data == self.current_password.data:
            raise ValidationError("新密码不能与当前密码相同。")
