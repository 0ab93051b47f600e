"""Entity resolution across CBP, ICE and HHS extracts: the domain and the pipeline."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("linker")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
