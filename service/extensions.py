"""Flask extensions, created once and bound to each app in `create_app`."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
# Only the login form is limited (brute force); reviewers click fast everywhere else.
limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")
