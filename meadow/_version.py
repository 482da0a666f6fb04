"""meadow's version, read once from the installed package's metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("meadow")
except PackageNotFoundError:  # running from a source checkout that is not installed
    __version__ = "0.0.0.dev0"
