"""Form helpers shared by every feature, and the follow-up form every kind of item uses."""

from collections.abc import Callable
from enum import Enum
from typing import Any, Final, Literal, TypeVar

from flask import abort, flash, redirect, request
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3 has it; types-WTForms (3.2) not yet
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from crm.core import form_tokens
from crm.core.choices import int_or_none, owner_choices_for_form
from crm.core.urls import same_site_path
from crm.core.validation import Amount, Conflict, Invalid
from crm.extensions import db
from crm.models import FollowUpMethod, User

T = TypeVar("T")


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes (type tags, honours)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AmountField(DecimalField):
    """An optional amount read by its rule (crm.core.validation.Amount), as the import reads its column:
    "1e30", "NaN", 30 digits or a negative number get the rule's Chinese error, never a crash."""

    def __init__(self, label: str, rule: Amount, **kwargs: Any) -> None:
        super().__init__(label, places=rule.places, validators=[Optional()], **kwargs)
        self.rule = rule

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = valuelist[0] if valuelist else ""
        self.data = None
        if str(text).strip():
            self.data = self.rule.parse(text)  # WTForms shows an AmountError (a ValueError) on the field


def safe_back() -> str | None:
    """The same-site page a form asked to return to (field "back"), if any."""
    return same_site_path(request.form.get("back"))


def attach_problems(form: FlaskForm, problems: dict[str, str]) -> None:
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


class OnceForm(Form):
    """A form that creates something: saved once, however often it is sent (crm.core.form_tokens).

    Its hidden form_token (rendered by hidden_tag() or render_form) is issued when the form is made
    without one; a submitted token is checked with the other fields and kept for a form shown again
    after an error. commit_or_report (or claim_token) claims it with the write."""

    form_token = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submitted_token: str = self.form_token.data or ""
        self.nonce: str | None = None  # the submitted token's, once validate() checked it
        if not self.submitted_token:
            self.form_token.data = form_tokens.issue(type(self).__name__)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not self.submitted_token:  # sent without one (a script, a page from before tokens): as before
            return valid
        try:
            self.nonce = form_tokens.nonce_of(self.submitted_token, type(self).__name__)
        except ValueError as error:
            self.form_errors.append(str(error))
            self.form_token.data = form_tokens.issue(type(self).__name__)  # the form shown again is usable
            return False
        return valid


def claim_token(form: FlaskForm) -> str | None:
    """Claim a OnceForm's submitted token with the write about to be made; the nonce, or None without one.

    A token already claimed means the form was saved before: nothing more is done — the transaction
    is rolled back and the request ends here, sent where the first submission went, with a notice."""
    nonce = getattr(form, "nonce", None)
    if nonce is None:
        return None
    if form_tokens.claim(nonce, type(form).__name__):
        return nonce
    db.session.rollback()
    flash(form_tokens.NOTICE, "info")
    abort(redirect(form_tokens.landing_of(nonce) or safe_back() or "/"))


def record_landing(nonce: str | None, landing: str) -> None:
    """Where a saved form went (the record it made): a repeat of its token lands there too."""
    if nonce is not None:
        form_tokens.set_landing(nonce, landing)


class FollowUpForm(OnceForm):
    occurred_on = DateField("跟进日期", validators=[DataRequired("请填写跟进日期（格式：年-月-日）。")])
    method = SelectField("跟进方式", choices=[SelectChoice(m.value) for m in FollowUpMethod])
    participants = StringField("参与人员", validators=[Length(max=500)])
    content = TextAreaField("跟进情况", validators=[DataRequired("请填写跟进情况。"), Length(max=5000)])
    next_step = TextAreaField("下一步工作", validators=[Length(max=2000)])
    next_follow_up_on = DateField("下次跟进日期", validators=[Optional()])
    submit = SubmitField("保存跟进记录")


class Refused(Enum):
    """What commit_or_report returns when the service refused (its problems are on the form)."""

    FAILED = "failed"


FAILED: Final = Refused.FAILED


def commit_or_report(
    form: FlaskForm,
    action: Callable[[], T],
    field: str | None = None,
    landing: Callable[[T], str] | None = None,
) -> T | Literal[Refused.FAILED]:
    """Run a service call and commit; if it refuses, roll back and show why on form.

    The one place views turn Invalid (bad input) and Conflict / StaleDataError / a unique key taken
    meanwhile (someone saved first) into messages; nothing is half-saved. Returns the call's result,
    or FAILED. With field, every problem is shown on that field (e.g. the owner select of a
    reassignment). A OnceForm's token is claimed in the same transaction (claim_token): a form sent
    again never reaches action, and goes to landing(result) of the submission that saved it.
    """
    try:
        nonce = claim_token(form)
        result = action()
        if landing is not None:
            record_landing(nonce, landing(result))
        db.session.commit()
        return result
    except Invalid as error:
        db.session.rollback()
        problems = {field: "；".join(error.problems.values())} if field else error.problems
        attach_problems(form, problems)
    except (Conflict, StaleDataError, IntegrityError):
        db.session.rollback()
        form.form_errors.append(Conflict.MESSAGE)
    return FAILED


class ConfirmForm(Form):
    """An empty form: a POST button with its CSRF token."""

    submit = SubmitField("确认")


class AssignForm(Form):
    """Reassignment of one item (target company or project) with a handover note."""

    owner_id = SelectField("新责任人", coerce=int_or_none)
    note = TextAreaField("交接说明", validators=[DataRequired("请填写交接说明。"), Length(max=2000)])
    submit = SubmitField("改派")

    def __init__(self, actor: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner_id.choices = owner_choices_for_form(actor)


class BulkAssignForm(AssignForm):
    submit = SubmitField("批量改派所选企业")
