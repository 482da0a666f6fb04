"""meadow: reproducible medical instruction-tuning data, from raw corpora to LoRA adapters.

The calls most users need:

    from meadow import build, load_mixture
    build("sample")                      # a built-in recipe, or a recipe YAML path
    load_mixture("sample")               # a datasets.DatasetDict
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("meadow")
except PackageNotFoundError:  # running from a source checkout
    __version__ = "0.0.0.dev0"

from meadow.pipeline import BuildResult, build  # noqa: E402
from meadow.schema import Record, record_id  # noqa: E402
from meadow.sources import get_source, list_sources, register_source  # noqa: E402
from meadow.sources.base import RawFile, Skip, Source  # noqa: E402
from meadow.store import list_mixtures, load_mixture  # noqa: E402

__all__ = [
    "BuildResult",
    "RawFile",
    "Record",
    "Skip",
    "Source",
    "__version__",
    "build",
    "get_source",
    "list_mixtures",
    "list_sources",
    "load_mixture",
    "record_id",
    "register_source",
]
