"""meadow: reproducible medical instruction-tuning data, from raw corpora to LoRA adapters.

The calls most users need:

    from meadow import build, load_mixture
    build("sample")                      # a built-in recipe, or a recipe YAML path
    load_mixture("sample")               # a datasets.DatasetDict
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from meadow._version import __version__
from meadow.schema import Record, record_id
from meadow.sources import get_source, list_sources, register_source
from meadow.sources.base import RawFile, Skip, Source

if TYPE_CHECKING:
    from meadow.hub import load_mixture, pull, push
    from meadow.pipeline import BuildResult, build
    from meadow.store import list_mixtures

# Imported on first use: the pipeline, store and Hub pull in huggingface_hub, jinja2 and the
# quality steps, which `meadow --help` or an unchanged rebuild never need (issue 17).
_LAZY = {
    "BuildResult": "meadow.pipeline",
    "build": "meadow.pipeline",
    "list_mixtures": "meadow.store",
    "load_mixture": "meadow.hub",
    "pull": "meadow.hub",
    "push": "meadow.hub",
}


def __getattr__(name: str) -> Any:
    """`from meadow import build` imports the pipeline only when it is asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'meadow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
