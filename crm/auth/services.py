"""Accounts: password policy, authentication and user creation, usable without a request."""

import secrets
import string
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from crm.auth import sessions
from crm.extensions import db
from crm.models import CITY_SCOPE, Region, Role, User

MIN_PASSWORD_LENGTH = 10
MIN_STRENGTH = 3  # zxcvbn's score 0–4; 3 = "safely unguessable", about 10^8 guesses or more
# Words an attacker of this CRM tries first, besides zxcvbn's own lists of common passwords, words and names.
SITE_WORDS = ("jiaxing", "jx", "zhaoshang", "zs", "jxzs", "crm", "admin", "nanhu", "xiuzhou", "2026", "2027")
# What zxcvbn's match patterns mean, in the words of the message.
WEAK_PATTERNS = {
    "dictionary": "常见密码或常用词、姓名",
    "spatial": "键盘上相邻的按键（如 qwerty、1qaz2wsx）",
    "repeat": "重复的字符或片段（如 aaa、abcabc）",
    "sequence": "连续的字符（如 abc、123456）",
    "regex": "年份等固定写法",
    "date": "日期",
}


@lru_cache
def _dummy_hash(method: str) -> str:
    """A hash to check against for unknown usernames, so they cost as much as a wrong password."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def password_problems(password: str, username: str = "") -> list[str]:
    """Chinese reasons why password is unacceptable; empty when it is fine."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"密码至少 {MIN_PASSWORD_LENGTH} 位。")
    elif weakness := _guessable(password, username):
        problems.append(weakness)
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名。")
    has_letter = any(c.isalpha() for c in password)
    has_other = any(not c.isalpha() for c in password)
    if not (has_letter and has_other):
        problems.append("密码须同时包含字母和数字或符号。")
    return problems


def _guessable(password: str, username: str) -> str:
    """Why zxcvbn finds password easy to guess (Chinese), or "" when it is strong enough."""
    result = zxcvbn(password, user_inputs=[username, *SITE_WORDS])
    if result["score"] >= MIN_STRENGTH:
        return ""
    found = dict.fromkeys(
        WEAK_PATTERNS[m["pattern"]] for m in result["sequence"] if m["pattern"] in WEAK_PATTERNS
    )
    because = f"（含有{'、'.join(found)}）" if found else ""
    return f"密码太容易被猜到{because}，请换一个更长、更无规律的密码，例如几个不相关的词加数字和符号。"


def generate_password(username: str = "") -> str:
    """A random one-time password that meets the policy (not containing username, if given)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14))
        if not password_problems(candidate, username) and any(c.isdigit() for c in candidate):
            return candidate


def set_password(user: User, password: str) -> None:
    """Store a new password hash and end every session of the user (the caller commits)."""
    user.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
    sessions.end_all(user, "密码已修改")


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
