"""Accounts: password policy, authentication and user creation, usable without a request."""

import secrets
import string
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from crm.extensions import db
from crm.models import CITY_SCOPE, Region, Role, User

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS = frozenset(
    [
        "password",
        "password1",
        "password123",
        "passw0rd",
        "1234567890",
        "12345678910",
        "123456789a",
        "qwertyuiop",
        "qwerty123456",
        "1qaz2wsx3edc",
        "1q2w3e4r5t",
        "1q2w3e4r5t6y",
        "a123456789",
        "abc1234567",
        "abcd123456",
        "aa12345678",
        "admin12345",
        "admin123456",
        "administrator",
        "iloveyou123",
        "woaini1314",
        "woaini520",
        "5201314520",
        "zxcvbnm123",
        "qazwsxedc123",
        "asdfghjkl1",
        "jiaxing123",
        "jiaxing2026",
        "zhaoshang123",
        "welcome123",
        "changeme123",
        "p@ssw0rd123",
        "letmein1234",
    ]
)


@lru_cache
def _dummy_hash(method: str) -> str:
    """A hash to check against for unknown usernames, so they cost as much as a wrong password."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def password_problems(password: str, username: str = "") -> list[str]:
    """Chinese reasons why password is unacceptable; empty when it is fine."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"密码至少 {MIN_PASSWORD_LENGTH} 位。")
    if password.lower() in COMMON_PASSWORDS:
        problems.append("密码过于常见，请换一个。")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名。")
    has_letter = any(c.isalpha() for c in password)
    has_other = any(not c.isalpha() for c in password)
    if not (has_letter and has_other):
        problems.append("密码须同时包含字母和数字或符号。")
    return problems


def generate_password(username: str = "") -> str:
    """A random one-time password that meets the policy (not containing username, if given)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14))
        if not password_problems(candidate, username) and any(c.isdigit() for c in candidate):
            return candidate


def set_password(user: User, password: str) -> None:
    """Store a new password hash and end the user's other sessions."""
    user.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
    user.end_sessions()


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same cost either way)."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def resolve_scope(scope: str) -> Region | None:
    """The region named by scope, None for 全市; ValueError for an unknown name."""
    scope = scope.strip()
    if scope == CITY_SCOPE:
        return None
    region = db.session.scalar(sa.select(Region).where(Region.name == scope))
    if region is None:
        names = "、".join(db.session.scalars(sa.select(Region.name).order_by(Region.sort_order)))
        raise ValueError(f"未知的范围“{scope}”：应为“{CITY_SCOPE}”或地区名称（{names}）。")
    return region


def create_user(
    username: str,
    role: Role,
    region: Region | None,
    password: str,
    *,
    display_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    must_change_password: bool = False,
) -> User:
    """Add a user to the session (the caller commits); ValueError with a Chinese reason if invalid."""
    username = username.strip()
    if not username:
        raise ValueError("用户名不能为空。")
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValueError(f"用户名“{username}”已存在。")
    problems = password_problems(password, username)
    if problems:
        raise ValueError(" ".join(problems))
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        email=email or None,
        phone=phone or None,
        role=role,
        region=region,
        must_change_password=must_change_password,
        active=True,
        session_generation=0,
    )
    set_password(user, password)
    db.session.add(user)
    return user


def ensure_first_admin() -> tuple[User, str] | None:
    """Create the first administrator when there is no user at all; returns it and its password."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        return None
    password = generate_password("admin")
    user = create_user(
        "admin", Role.ADMIN, None, password, display_name="系统管理员", must_change_password=True
    )
    return user, password
