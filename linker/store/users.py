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

from sqlalchemy import select
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
