"""The manifest of a revision (`manifest.json`) as a type, and the one place that reads and
writes the file.

Each stage returns its part: the mixer a `SourceStats` per source (quality adds its counts
to it), the quality steps a `QualityReport`, the LLM step an `LlmReport`; `pipeline.build`
assembles the `Manifest`; the store writes it; the card renders from it. A key the type
does not know (one a newer meadow wrote) is kept as it is and written back unchanged; a
required key that is missing, or a value of the wrong shape, is a `ManifestError` naming the
file and the key.

The JSON is the dataclasses' fields, without those that are None, keys sorted, two-space
indented: the same bytes meadow has always written.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from meadow.errors import ManifestError

MANIFEST_FILE = "manifest.json"

T = TypeVar("T", bound="_Record")


class _Record:
    """to_dict/from_dict for the manifest's dataclasses: None fields are left out, keys this
    version does not know are carried through (`unknown_keys`)."""

    unknown_keys: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of this record: every field that is not None, and the keys read
        that this version does not know."""
        out: dict[str, Any] = dict(getattr(self, "unknown_keys", None) or {})
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = _plain(value)
        return out

    @classmethod
    def from_dict(
        cls: type[T], data: Mapping[str, Any], *, file: str = MANIFEST_FILE, key: str = ""
    ) -> T:
        """The record of a JSON object; `file` and `key` (its key path) name it in errors."""
        if not isinstance(data, Mapping):
            raise ManifestError(file, key, f"expected an object, got {type(data).__name__}")
        known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        missing = [
            name
            for name, f in known.items()
            if name not in data and f.default is MISSING and f.default_factory is MISSING
        ]
        if missing:
            raise ManifestError(file, _join(key, missing[0]), "required key is missing")
        hints = typing.get_type_hints(cls)
        values = {
            name: _parse(hints[name], value, file, _join(key, name))
            for name, value in data.items()
            if name in known
        }
        record = cls(**values)
        record.unknown_keys = {name: value for name, value in data.items() if name not in known}
        return record


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _plain(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _parse(hint: Any, value: Any, file: str, key: str) -> Any:
    """A record (or a dict of records) where the type hint says so; other values as they are."""
    if value is None:
        return None
    options = typing.get_args(hint) if _is_union(hint) else (hint,)
    for option in options:
        if isinstance(option, type) and issubclass(option, _Record):
            return option.from_dict(value, file=file, key=key)
        if typing.get_origin(option) is dict:
            _, item = typing.get_args(option)
            if isinstance(item, type) and issubclass(item, _Record):
                if not isinstance(value, Mapping):
                    raise ManifestError(
                        file, key, f"expected an object, got {type(value).__name__}"
                    )
                return {
                    k: item.from_dict(v, file=file, key=_join(key, k)) for k, v in value.items()
                }
    return value


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


@dataclass(kw_only=True)
class SourceStats(_Record):
    """One source's numbers: what the parser read and skipped, what the mixer took, what
    the quality steps removed.

    Attributes:
        license: the source's license. adapter_version, fingerprint, raw_files, rows_parsed,
            skipped (by reason): from the parse cache.
        available, quota, taken, subsets, splits, licenses: from the mixer (`splits` is the
            rows kept per split, after quality when it ran).
        notes, evaluation_only, instruction_paraphrases, quota_exceeds_available: only
            where they apply.
        llm: what the LLM step wrote for this source (model, prompts, rows, rejects).
        removed, rows, flagged, duplicate_of, pii_replaced, boilerplate_stripped: from the
            quality steps.
    """

    license: str
    available: int
    quota: int | float | str
    taken: int
    adapter_version: str | None = None
    fingerprint: str | None = None
    raw_files: list[dict[str, Any]] | None = None
    rows_parsed: int | None = None
    skipped: dict[str, int] | None = None
    subsets: dict[str, dict[str, Any]] | None = None
    splits: dict[str, int] | None = None
    licenses: dict[str, int] | None = None
    notes: list[Any] | None = None
    evaluation_only: list[str] | None = None
    instruction_paraphrases: dict[str, int] | None = None
    quota_exceeds_available: bool | None = None
    llm: dict[str, Any] | None = None
    removed: dict[str, Any] | None = None
    rows: int | None = None
    flagged: dict[str, int] | None = None
    duplicate_of: dict[str, int] | None = None
    pii_replaced: dict[str, int] | None = None
    boilerplate_stripped: Any = None

    def update(self, stats: Mapping[str, Any]) -> None:
        """Set the fields in `stats` (the quality steps' counts for this source)."""
        incoming = SourceStats.from_dict(
            {"license": "", "available": 0, "quota": 0, "taken": 0, **stats}, file="quality"
        )
        for name in stats:
            setattr(self, name, getattr(incoming, name))


@dataclass(kw_only=True)
class QualityReport(_Record):
    """The quality steps of a build: their settings and, when they ran, the benchmarks
    checked, the libraries used, and removed.parquet's record."""

    settings: dict[str, Any]
    benchmarks: dict[str, Any] | None = None
    libraries: dict[str, Any] | None = None
    near_duplicate_lsh: list[Any] | None = None
    removed_rows: dict[str, Any] | None = None


@dataclass(kw_only=True)
class LlmReport(_Record):
    """What the LLM step did in the run that built the revision (no key, no prompts).

    Attributes:
        model: the model asked.
        requests: requests sent; answered_from_cache: tasks answered from the reply cache.
        input_tokens, output_tokens: of the requests sent.
        cost_usd: of the requests sent; absent when the model has no known price.
        accepted: answers that passed the quality gate; rejected: by reason.
        approximate: some token count is the ~4 characters per token estimate.
    """

    model: str
    requests: int
    answered_from_cache: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None = None
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    approximate: bool = False

    @classmethod
    def from_stats(cls, stats: Any) -> LlmReport:
        """From the writer's `LlmStats` (meadow.llm.writer)."""
        return cls(
            model=stats.model,
            requests=stats.requests,
            answered_from_cache=stats.cached,
            input_tokens=stats.input_tokens,
            output_tokens=stats.output_tokens,
            cost_usd=stats.cost_usd,
            accepted=stats.accepted,
            rejected=dict(stats.rejected),
            approximate=stats.approximate,
        )


@dataclass(kw_only=True)
class Manifest(_Record):
    """A revision's manifest.

    Attributes:
        name, revision, seed, meadow_version: what was built, by which meadow.
        recipe: the recipe as given (`Recipe.to_dict()`).
        splits: rows per split.
        sources: per source, its `SourceStats`, in recipe order.
        columns: the rows' columns, when the quality steps ran.
        quality: the `QualityReport`.
        llm: the `LlmReport`, when an LLM wrote rows.
        tokens: token statistics of the published rows (counted while they are written).
    """

    name: str
    revision: str
    meadow_version: str
    recipe: dict[str, Any]
    seed: int
    splits: dict[str, int]
    sources: dict[str, SourceStats]
    columns: list[str] | None = None
    quality: QualityReport | None = None
    llm: LlmReport | None = None
    tokens: dict[str, Any] | None = None

    @property
    def rows(self) -> int:
        return sum(self.splits.values())

    def has_column(self, column: str) -> bool:
        return column in (self.columns or ())

    def to_json(self) -> str:
        """The file's text: keys sorted, two-space indent, UTF-8 as is, a final newline."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def as_manifest(manifest: Manifest | Mapping[str, Any]) -> Manifest:
    """`manifest` as a `Manifest` (a dict is parsed, as from the file)."""
    return manifest if isinstance(manifest, Manifest) else Manifest.from_dict(manifest)


def read_dict(folder: Path) -> dict[str, Any]:
    """The JSON object of `folder/manifest.json` (keys as in the file), checked against
    the type."""
    return json.loads(read(folder).to_json())


def read(folder: Path) -> Manifest:
    """The manifest of a revision folder (a built, pulled or downloaded one)."""
    path = Path(folder) / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(str(path), "", "no such file: not a meadow revision folder") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(str(path), "", f"not valid JSON ({exc})") from None
    return Manifest.from_dict(data, file=str(path))


def write(folder: Path, manifest: Manifest) -> Path:
    """Write `folder/manifest.json` (the folder is a revision's temporary one, installed
    whole by the store, so the file needs no atomic replace of its own)."""
    path = Path(folder) / MANIFEST_FILE
    path.write_text(manifest.to_json(), encoding="utf-8")
    return path
