"""Form helpers shared by every feature."""

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes (type tags, honours)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def two_decimals(form, field) -> None:
    """Amounts are kept exactly with two decimals: refuse more rather than round silently."""
    value = field.data
    if isinstance(value, Decimal) and value != value.quantize(Decimal("0.01")):
        raise ValidationError("最多保留两位小数。")


def attach_problems(form, problems: dict[str, str]) -> None:
    """Show a service's problems on the matching fields (others at the top of the form)."""
    for name, message in problems.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


class Form(FlaskForm):
    """Every form of the app: WTForms' own messages ("不是有效的选择。", dates, numbers) in Chinese."""

    class Meta:
        locales = ("zh_CN", "zh")
