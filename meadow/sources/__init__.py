"""The source registry.

Built-in adapters are the modules of this package; each registers itself with
`@register_source`, so adding one needs no change anywhere else. Third-party adapters
are found through the entry-point group `meadow.sources`:

    [project.entry-points."meadow.sources"]
    mysource = "my_package.module:MySource"
"""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points

from meadow.errors import SourceRegistrationError, UnknownSourceError
from meadow.sources.base import RawFile, Skip, Source

ENTRY_POINT_GROUP = "meadow.sources"

_REGISTRY: dict[str, type[Source]] = {}
_discovered = False


def register_source(cls: type[Source]) -> type[Source]:
    """Class decorator that makes a source available under `cls.name`."""
    if not (isinstance(cls, type) and issubclass(cls, Source)):
        raise TypeError(f"{cls!r} is not a subclass of meadow.sources.Source")
    name = getattr(cls, "name", None)
    if not name or not isinstance(name, str):
        raise TypeError(f"{cls.__name__} must set a string class attribute `name`")
    existing = _REGISTRY.get(name)
    if existing is not None and existing is not cls:
        raise SourceRegistrationError(
            f"two sources are named {name!r}: {existing.__module__}.{existing.__qualname__} "
            f"and {cls.__module__}.{cls.__qualname__}"
        )
    _REGISTRY[name] = cls
    return cls


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base" and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not break meadow
            raise SourceRegistrationError(
                f"source plugin {ep.name!r} ({ep.value}) failed to load: {exc}"
            ) from exc
        if getattr(cls, "name", None) != ep.name:
            raise SourceRegistrationError(
                f"source plugin {ep.value} is registered as {ep.name!r} "
                f"but its class says name={getattr(cls, 'name', None)!r}"
            )
        register_source(cls)


def list_sources() -> list[str]:
    """Names of every available source, built-in and plugin, sorted."""
    _discover()
    return sorted(_REGISTRY)


def get_source(name: str) -> type[Source]:
    """The source class registered under `name`; the error lists the known ones."""
    _discover()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownSourceError(name, sorted(_REGISTRY)) from None


__all__ = [
    "ENTRY_POINT_GROUP",
    "RawFile",
    "Skip",
    "Source",
    "get_source",
    "list_sources",
    "register_source",
]
