"""The 到资台账 forms: an entry (new or corrected) and the reason of a deletion."""

from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # as in crm.core.forms
from wtforms.validators import DataRequired, Length

from crm.core.forms import Form, OnceForm
from crm.models import Currency, FundKind
from crm.outcomes.funds import NOTE_MAX, FundInput


class FundEntryForm(OnceForm):
    """One 到资 entry; its rules are crm.outcomes.funds.check_entry (the import's too)."""

    # Ids of their own: the project page holds other forms with fields named note (改派的交接说明).
    arrived_on = DateField(
        "到资日期", validators=[DataRequired("请填写到资日期（格式：年-月-日）。")], id="fund-arrived-on"
    )
    kind = SelectField("口径", choices=[SelectChoice(k.value) for k in FundKind], id="fund-kind")
    currency = SelectField("币种", choices=[SelectChoice(c.value) for c in Currency], id="fund-currency")
    amount = StringField(
        "金额",
        id="fund-amount",
        description="人民币填万元，美元填万美元；大于 0，最多两位小数",
        render_kw={"inputmode": "decimal"},
    )
    note = TextAreaField(
        "来源或凭证",
        id="fund-note",
        validators=[Length(max=NOTE_MAX, message=f"来源或凭证最长 {NOTE_MAX} 个字。")],
        render_kw={"rows": 2},
    )
    submit = SubmitField("登记到资")

    def as_input(self) -> FundInput:
        """What was typed, for the service to read by its rules."""
        return FundInput(
            arrived_on=self.arrived_on.data,
            currency=self.currency.data or "",
            amount=self.amount.data,
            kind=self.kind.data or "",
            note=self.note.data or "",
        )


class FundCorrectForm(FundEntryForm):
    submit = SubmitField("保存更正")


class FundDeleteForm(Form):
    reason = StringField(
        "删除原因",
        validators=[
            DataRequired("请填写删除原因。"),
            Length(max=NOTE_MAX, message=f"删除原因最长 {NOTE_MAX} 个字。"),
        ],
    )
    submit = SubmitField("删除")
