"""meadow: reproducible medical instruction-tuning data, from raw corpora to LoRA adapters.

The calls most users need:

    from meadow import build, load_mixture
    build("sample")                      # a built-in recipe, or a recipe YAML path
    load_mixture("sample")               # a datasets.DatasetDict
"""

from __future__ import annotations

from meadow._version import __version__
from meadow.hub import load_mixture, pull, push
from meadow.pipeline import BuildResult, build
from meadow.schema import Record, record_id
from meadow.sources import get_source, list_sources, register_source
from meadow.sources.base import RawFile, Skip, Source
from meadow.store import list_mixtures

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
    "pull",
    "push",
    "record_id",
    "register_source",
]
