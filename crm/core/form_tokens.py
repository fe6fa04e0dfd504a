"""One-time form tokens: a double tap or a resent form saves once.

A form that creates something (crm.core.forms.OnceForm) carries a hidden token issued when the form
is shown: [user id, form class, random nonce], signed with the secret key and dated. The submission
that saves claims the nonce in the same transaction as its write — an INSERT into form_token, whose
nonce is UNIQUE, with ON CONFLICT DO NOTHING. Of two submissions of one token (a double tap, a form
sent again from the browser's history, two workers at once) only one inserts: on PostgreSQL the
second INSERT waits until the first transaction ends, on SQLite writers take turns. The other
inserts nothing, writes nothing and goes where the first submission went (its landing, kept with the
claim). A save that fails rolls its claim back with everything else, so the corrected form can be
sent again with the same token.

A token is refused once older than FORM_TOKEN_HOURS (longer than any session), and so a claim older
than that is never needed again: each claim deletes those (an index on claimed_at keeps that cheap).
"""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.dialects import postgresql, sqlite

from crm.extensions import db
from crm.models import FormToken, utcnow

NOTICE = "该表单已提交过，未重复保存。"
EXPIRED = "表单已打开太久，请核对内容后重新提交。"
FOREIGN = "表单校验失败，请刷新页面后重新填写。"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="crm.form-token")


def _lifetime() -> timedelta:
    return timedelta(hours=current_app.config["FORM_TOKEN_HOURS"])


def _user_id() -> int | None:
    return current_user.id if current_user and current_user.is_authenticated else None


def issue(form_name: str) -> str:
    """A new token for form_name, usable only by the signed-in user and only for that form."""
    return _serializer().dumps([_user_id(), form_name, secrets.token_urlsafe(16)])


def nonce_of(token: str, form_name: str) -> str:
    """The nonce of a token issued to this user for form_name; ValueError with the Chinese reason."""
    try:
        user_id, name, nonce = _serializer().loads(token, max_age=int(_lifetime().total_seconds()))
    except SignatureExpired:
        raise ValueError(EXPIRED) from None
    except (BadSignature, TypeError, ValueError):
        raise ValueError(FOREIGN) from None
    if user_id != _user_id() or name != form_name or not isinstance(nonce, str):
        raise ValueError(FOREIGN)
    return nonce


def claim(nonce: str, form_name: str) -> bool:
    """Claim nonce in the current transaction: False when another submission claimed it first."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    inserted = db.session.scalar(
        insert(FormToken)
        .values(nonce=nonce, form=form_name, claimed_at=now)
        .on_conflict_do_nothing(index_elements=[FormToken.nonce])
        .returning(FormToken.id)
    )
    if inserted is None:
        return False
    db.session.execute(sa.delete(FormToken).where(FormToken.claimed_at < now - _lifetime()))
    return True


def set_landing(nonce: str, landing: str) -> None:
    """Where the submission that claimed nonce went: a repeat of it goes there too."""
    db.session.execute(sa.update(FormToken).where(FormToken.nonce == nonce).values(landing=landing[:500]))


def landing_of(nonce: str) -> str | None:
    """Where the submission that claimed nonce went, when it said."""
    return db.session.scalar(sa.select(FormToken.landing).where(FormToken.nonce == nonce))
