"""The `quality:` block of a recipe: which data-hygiene steps run, and how.

Every step is on by default. A section may be `false` (off), `true` (its defaults) or a
mapping of its settings; `quality: false` turns every step off:

    quality:
      exact_dedup: {by_input: false}     # input+output; by_input: also a repeated question
      near_dedup: {threshold: 0.85, shingle_size: 5, num_perm: 128}
      decontamination:
        ngram: 13
        action: remove                   # or flag: keep the rows, name the benchmarks
        benchmarks: [usmle, medqa, medmcqa, pubmedqa, mmlu]   # checked when found
        require: [usmle]                 # these must be found, or the build stops
        mixture: my-eval-mix             # or take the items from a built evaluation mixture
      pii: true                          # for the sources that declare it
      filters:
        min_input_chars: 0
        min_output_chars: 1
        max_chars: 100000
        copied_question: true
        boilerplate: true
        language: true

A source may set `pii: false` (or `true`) and `language: en` (or `false`) in its entry.

The settings are part of the revision: the same recipe with other settings is another build.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from meadow.errors import RecipeError
from meadow.sources.base import FIELD_LIMIT_ENV, max_field_chars

logger = logging.getLogger(__name__)

BENCHMARKS = ("usmle", "medqa", "medmcqa", "pubmedqa", "mmlu")
ACTIONS = ("remove", "flag")
# Part of every revision: bumped whenever a step decides differently on the same rows
# (2: symbols that carry meaning are tokens, near duplicates must agree on their facts).
QUALITY_VERSION = "2"


def _problem(key: str, problem: str) -> RecipeError:
    return RecipeError(f"quality.{key}", problem)


@dataclass(frozen=True)
class ExactDedup:
    """Rows whose normalised input and output are the same as another row's.

    Attributes:
        by_input: also rows whose normalised (non-empty) input repeats within one source's
            subset, whatever their output (one answer per question); off by default, since
            a question may rightly have several answers (UMLS definitions, forum answers).
    """

    by_input: bool = False

    def check(self, key: str) -> None:
        """A boolean needs no check beyond its type."""


@dataclass(frozen=True)
class NearDedup:
    """Rows whose input and output are both nearly another row's (MinHash LSH, datasketch).

    Attributes:
        threshold: the Jaccard similarity of word shingles (the geometric mean of the
            inputs' and the outputs') from which two rows are near duplicates.
        shingle_size: words per shingle; a text with fewer words is one shingle.
        num_perm: MinHash permutations (half for the input, half for the output).
    """

    threshold: float = 0.85
    shingle_size: int = 5
    num_perm: int = 128

    def check(self, key: str) -> None:
        if not 0 < self.threshold < 1:
            raise _problem(f"{key}.threshold", f"expected a number in (0, 1), got {self.threshold}")
        if self.shingle_size < 1:
            raise _problem(f"{key}.shingle_size", f"expected at least 1, got {self.shingle_size}")
        if not 16 <= self.num_perm <= 1024 or self.num_perm % 2:
            raise _problem(
                f"{key}.num_perm", f"expected an even number from 16 to 1024, got {self.num_perm}"
            )


@dataclass(frozen=True)
class Decontamination:
    """Training and validation rows that overlap a benchmark's evaluation items.

    Attributes:
        ngram: words in the n-grams compared (13, as in GPT-3's decontamination).
        action: `remove` the rows, or `flag` them (kept, with the benchmarks named in the
            `contamination` column).
        benchmarks: the benchmarks checked when their raw files are found.
        require: benchmarks whose raw files must be found, or the build stops.
        mixture: a built evaluation mixture in the local store (`NAME` or `NAME@REVISION`)
            whose evaluation-only rows are the items of the benchmarks whose raw files are
            not given.
    """

    ngram: int = 13
    action: str = "remove"
    benchmarks: tuple[str, ...] = BENCHMARKS
    require: tuple[str, ...] = ()
    mixture: str = ""

    def check(self, key: str) -> None:
        if not 4 <= self.ngram <= 50:
            raise _problem(f"{key}.ngram", f"expected 4 to 50 words, got {self.ngram}")
        if self.action not in ACTIONS:
            raise _problem(f"{key}.action", f"expected remove or flag, got {self.action!r}")
        for name in (*self.benchmarks, *self.require):
            if name not in BENCHMARKS:
                raise _problem(
                    f"{key}.benchmarks",
                    f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}",
                )

    @property
    def checked(self) -> tuple[str, ...]:
        """The benchmarks to look for: those asked for and those required, in fixed order."""
        wanted = set(self.benchmarks) | set(self.require)
        return tuple(b for b in BENCHMARKS if b in wanted)


@dataclass(frozen=True)
class Filters:
    """Rows dropped for their shape, and ChatDoctor's boilerplate stripped.

    Attributes:
        min_input_chars, min_output_chars: shortest input and output kept (after stripping
            boilerplate and scrubbing).
        max_chars: longest input + output kept.
        copied_question: drop rows whose answer is the question again (normalised).
        boilerplate: strip the greetings and sign-offs of sources that declare them
            (ChatDoctor's "Hi, Thanks for your query", "Regards, Chat Doctor"); a row
            left with no answer is dropped.
        language: drop rows identified (offline, py3langid) as another language than the
            one their source declares (`language` on the source; `en` for chatdoctor and
            stackexchange).
    """

    min_input_chars: int = 0
    min_output_chars: int = 1
    max_chars: int = 100_000
    copied_question: bool = True
    boilerplate: bool = True
    language: bool = True

    def check(self, key: str) -> None:
        for name in ("min_input_chars", "min_output_chars", "max_chars"):
            if getattr(self, name) < 0:
                raise _problem(f"{key}.{name}", "expected a non-negative count of characters")
        if self.max_chars < self.min_input_chars + self.min_output_chars:
            raise _problem(f"{key}.max_chars", "must allow the minimum input and output")
        if self.max_chars > (field_limit := max_field_chars()):
            logger.warning(
                "quality.%s.max_chars is %s, but sources skip any field over %s characters first "
                "(field_too_long): set %s higher too to keep longer rows",
                key, f"{self.max_chars:,}", f"{field_limit:,}", FIELD_LIMIT_ENV,
            )  # fmt: skip


_SECTIONS = {
    "exact_dedup": ExactDedup,
    "near_dedup": NearDedup,
    "decontamination": Decontamination,
    "filters": Filters,
}


@dataclass(frozen=True)
class QualitySettings:
    """Which quality steps run, and their settings; a section that is None is off."""

    exact_dedup: ExactDedup | None = field(default_factory=ExactDedup)
    near_dedup: NearDedup | None = field(default_factory=NearDedup)
    decontamination: Decontamination | None = field(default_factory=Decontamination)
    pii: bool = True
    filters: Filters | None = field(default_factory=Filters)

    @classmethod
    def off(cls) -> QualitySettings:
        """No step at all (`quality: false`)."""
        return cls(None, None, None, False, None)

    @classmethod
    def parse(cls, value: Any, *, recipe: str | None = None) -> QualitySettings:
        """The settings of a recipe's `quality:` value (absent, true, false or a mapping);
        an error names the key and what it takes."""
        try:
            return cls._parse(value)
        except RecipeError as err:
            raise RecipeError(err.key, err.problem, recipe=recipe) from None

    @classmethod
    def _parse(cls, value: Any) -> QualitySettings:
        if value is None or value is True:
            return cls()
        if value is False:
            return cls.off()
        if not isinstance(value, dict):
            raise RecipeError("quality", "expected true, false or a mapping of quality steps")
        allowed = [*_SECTIONS, "pii"]
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise _problem(unknown[0], f"unknown step; allowed: {', '.join(allowed)}")
        settings = cls()
        for name, kind in _SECTIONS.items():
            if name in value:
                settings = replace(settings, **{name: _section(kind, value[name], name)})
        if "pii" in value:
            settings = replace(settings, pii=_typed(value["pii"], True, "pii"))
        return settings

    def with_overrides(
        self,
        *,
        contamination: str | None = None,
        require: list[str] | None = None,
        mixture: str | None = None,
    ) -> QualitySettings:
        """These settings with the command line's `--contamination`, `--require-benchmarks`
        and `--benchmark-mixture` on top (any of them turns decontamination on)."""
        if contamination is None and not require and not mixture:
            return self
        current = self.decontamination or Decontamination()
        changed = replace(
            current,
            action=contamination or current.action,
            require=tuple(dict.fromkeys((*current.require, *(require or ())))),
            mixture=mixture or current.mixture,
        )
        changed.check("decontamination")
        return replace(self, decontamination=changed)

    def canonical(self) -> dict[str, Any]:
        """What decides the output, as plain data (a step that is off is `false`)."""
        data: dict[str, Any] = {"version": QUALITY_VERSION, "pii": self.pii}
        for name in _SECTIONS:
            section = getattr(self, name)
            data[name] = _plain(asdict(section)) if section is not None else False
        return data

    @property
    def enabled(self) -> bool:
        return self.pii or any(getattr(self, name) is not None for name in _SECTIONS)


@dataclass(frozen=True)
class SourcePolicy:
    """What the quality steps do to one source's rows.

    Attributes:
        pii: scrub personal details.
        language: the language its rows should be in (ISO 639-1), or None.
        boilerplate: strip greetings and sign-offs from its answers.
        evaluation_subsets: subsets whose test-split rows are evaluation-only.
    """

    pii: bool = False
    language: str | None = None
    boilerplate: bool = False
    evaluation_subsets: frozenset[str] = frozenset()


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def _section(kind: type, value: Any, key: str) -> Any:
    """A section from `true` / `false` / a mapping of its fields."""
    if value is None or value is True:
        return kind()
    if value is False:
        return None
    if not isinstance(value, dict):
        raise _problem(key, "expected true, false or a mapping of settings")
    names = [f.name for f in fields(kind)]
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise _problem(f"{key}.{unknown[0]}", f"unknown setting; allowed: {', '.join(names)}")
    defaults = kind()
    section = kind(
        **{n: _typed(value[n], getattr(defaults, n), f"{key}.{n}") for n in names if n in value}
    )
    section.check(key)
    return section


def _typed(value: Any, default: Any, key: str) -> Any:
    """`value` checked against the type of the setting's default."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise _problem(key, f"expected true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _problem(key, f"expected a whole number, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _problem(key, f"expected a number, got {value!r}")
        return float(value)
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _problem(key, f"expected a list of names, got {value!r}")
        return tuple(value)
    if not isinstance(value, str):
        raise _problem(key, f"expected a text, got {value!r}")
    return value
