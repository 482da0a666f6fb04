"""The benchmarks a build's decontamination checks: read from their raw files, or from a
built evaluation mixture in the local store (`--benchmark-mixture NAME[@REVISION]`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from meadow.manifest import read as read_manifest
from meadow.parse_runner import SourceCache
from meadow.quality import Benchmarks, QualitySettings, find_benchmarks
from meadow.quality.benchmarks import benchmarks_from_rows
from meadow.sources.base import Source
from meadow.store import revision_dir, revision_rows


def checked_benchmarks(
    quality: QualitySettings,
    given: Mapping[str, Path],
    adapters: Mapping[str, Source],
    caches: Mapping[str, SourceCache],
) -> Benchmarks:
    """The benchmarks decontamination checks: from raw files first (`given`: benchmark ->
    its raw file or folder), then from a built evaluation mixture; a required one found in
    neither stops the build."""
    decontamination = quality.decontamination
    if decontamination is None:
        return Benchmarks()
    built = mixture_benchmarks(decontamination.mixture, decontamination.checked)
    found = find_benchmarks(
        decontamination.checked,
        given=given,
        adapters=adapters,
        known_files={name: cache.raw_files for name, cache in caches.items()},
        require=[name for name in decontamination.require if name not in built.found],
    )
    found.fill_from(built)
    return found


def mixture_benchmarks(spec: str, names: tuple[str, ...] | list[str]) -> Benchmarks:
    """The benchmarks `names` read from a built evaluation mixture, `NAME` or
    `NAME@REVISION` in the local store (none when `spec` is empty)."""
    if not spec:
        return Benchmarks()
    name, _, revision = spec.partition("@")
    folder = revision_dir(name, revision or None)
    manifest = read_manifest(folder)
    evaluation_only = {s: st.evaluation_only or () for s, st in manifest.sources.items()}
    label = f"mixture {name}@{manifest.revision}"
    return benchmarks_from_rows(revision_rows(folder, name), evaluation_only, names, label=label)


__all__ = ["checked_benchmarks", "mixture_benchmarks"]
