"""Test infrastructure for the tests that need real services: PostgreSQL and Chromium.

The store, service and browser tests run against the same engines production uses, not
stand-ins: a throwaway PostgreSQL cluster (`infra.postgres`) and Debian's headless
Chromium driven by Playwright (`infra.browser`). The pytest fixtures that wrap them live
in `tests/conftest.py`; import from here only for the helpers themselves.

Tests import this package as `infra` (the way they import `helpers`): pytest puts
`tests/` on `sys.path` because `tests/` has a conftest.py and no `__init__.py`.

When a service's binaries are missing, a developer's run skips the tests that need it,
while CI and `./dev test` (which set ``LINKER_REQUIRE_POSTGRES=1`` /
``LINKER_REQUIRE_BROWSER=1``) fail loudly, so a green CI never means "skipped".
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def required(env_var: str) -> bool:
    """True when the environment demands the service rather than tolerating its absence."""
    return os.environ.get(env_var, "").strip().lower() not in ("", "0", "false", "no")


def unavailable(what: str, env_var: str, reason: str, fix: str) -> NoReturn:
    """Skip (developer run) or fail (CI, `./dev test`) a test whose service is missing."""
    message = f"{what} unavailable: {reason}"
    if required(env_var):
        pytest.fail(f"{message}\n{env_var} is set, so this is an error. Fix: {fix}", pytrace=False)
    pytest.skip(f"{message} (set {env_var}=1 to make this an error; fix: {fix})")
