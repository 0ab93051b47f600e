"""Users, roles, password hashes and API tokens.

Passwords are hashed with werkzeug's scrypt; a new user gets a random one-time password
that is printed once and never stored. API tokens are random and only their SHA-256 is
kept, so a leaked database does not leak a usable token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from linker.errors import ConfigError
from linker.store.schema import ROLES, ApiToken, User

_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
TOKEN_PREFIX = "lk_"
# Checked against when the user does not exist, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not-a-password")


@dataclass(frozen=True)
class NewUser:
    username: str
    role: str
    password: str
    token: str | None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(
    session: Session,
    username: str,
    role: str,
    *,
    password: str | None = None,
    token: bool = False,
) -> NewUser:
    """Create a user with a one-time password (and an API token when asked)."""
    problems = []
    if not _USERNAME.match(username):
        problems.append(
            f"user name {username!r} must be 2-64 letters, digits or _ . @ - characters"
        )
    if role not in ROLES:
        problems.append(f"role {role!r} is not one of {', '.join(ROLES)}")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        problems.append(f"user {username!r} already exists")
    if problems:
        raise ConfigError(problems)
    password = password or secrets.token_urlsafe(12)
    user = User(username=username, role=role, password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    new_token = issue_token(session, user) if token else None
    return NewUser(username, role, password, new_token)


def issue_token(session: Session, user: User) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token)))
    session.flush()
    return token


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (same cost either way)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def user_for_token(session: Session, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    return session.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == _hash_token(token),
            ApiToken.revoked.is_(False),
            User.active.is_(True),
        )
    )


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def _existing(session: Session, username: str) -> User:
    user = user_by_name(session, username)
    if user is None:
        raise ConfigError([f"user {username!r} does not exist"])
    return user


def reset_password(session: Session, username: str, password: str | None = None) -> str:
    """Give a user a new password (a random one-time one unless given); returns it."""
    user = _existing(session, username)
    password = password or secrets.token_urlsafe(12)
    user.password_hash = generate_password_hash(password)
    return password


def set_active(session: Session, username: str, active: bool) -> User:
    """Deactivate (or reactivate) a user: a deactivated user cannot log in, and their
    session and API tokens stop working at the next request."""
    user = _existing(session, username)
    user.active = active
    return user


def revoke_tokens(session: Session, username: str) -> int:
    """Revoke every live API token of a user; returns how many."""
    user = _existing(session, username)
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
    ).all()
    for token in tokens:
        token.revoked = True
    return len(tokens)


def users_with_token_counts(session: Session) -> list[tuple[User, int]]:
    """Every user (by name) with the number of live API tokens, for the admin page."""
    live = (
        select(ApiToken.user_id, func.count().label("n"))
        .where(ApiToken.revoked.is_(False))
        .group_by(ApiToken.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User, func.coalesce(live.c.n, 0))
        .outerjoin(live, live.c.user_id == User.id)
        .order_by(User.username)
    ).all()
    return [(user, int(n)) for user, n in rows]
