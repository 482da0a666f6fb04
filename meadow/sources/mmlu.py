"""MMLU (Hendrycks et al. 2021): the health subjects as multiple-choice records and benchmark.

The raw data is the `hendrycks/test` release: `data.tar` (downloaded as it is and read
member by member with `tarfile`, never extracted) or its extracted tree, in which every
subject has one headerless CSV per split, `data/{dev,val,test}/{subject}_{split}.csv`,
with six columns: question, the options A to D, and the answer letter.

The test split is what benchmarks (and `meadow eval`) score, so by default only `dev` and
`val` become training records (option `splits`) and `evaluation_items` yields the test
items. A recipe that asks for `test` in `splits` gets those rows in their own subsets,
`{subject}_test` (the stem of their file), which are evaluation subsets: the mixer keeps
them in the test split. Dev and val rows share the subset `{subject}`; their `source_id`,
`{split}/{subject}/{row}` (row counted from 1), tells them apart.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, ClassVar

from meadow.converters.multiple_choice import (
    MULTIPLE_CHOICE_INSTRUCTION,
    format_answer,
    format_question,
)
from meadow.errors import RawFileError, RecipeError
from meadow.schema import EvalItem, Record
from meadow.sources import register_source
from meadow.sources._csv import open_binary, read_rows
from meadow.sources.base import RawFile, Skip, Source

HEALTH_SUBJECTS: tuple[str, ...] = (
    "anatomy",
    "clinical_knowledge",
    "college_medicine",
    "medical_genetics",
    "professional_medicine",
    "nutrition",
    "virology",
    "human_aging",
)
RELATED_SUBJECTS: tuple[str, ...] = ("college_biology", "high_school_biology")
SUBJECTS: tuple[str, ...] = HEALTH_SUBJECTS + RELATED_SUBJECTS
SPLITS: tuple[str, ...] = ("dev", "val", "test")
LETTERS = "ABCD"
TAR_NAME = "data.tar"
TAR_URL = "https://people.eecs.berkeley.edu/~hendrycks/data.tar"

_FILE_NAME = re.compile(r"(?P<subject>[a-z_]+)_(?P<split>dev|val|test)\.csv")
_COLUMNS = 6

CITATION = """\
@article{hendryckstest2021,
  title   = {Measuring Massive Multitask Language Understanding},
  author  = {Dan Hendrycks and Collin Burns and Steven Basart and Andy Zou and Mantas Mazeika and Dawn Song and Jacob Steinhardt},
  journal = {Proceedings of the International Conference on Learning Representations (ICLR)},
  year    = {2021}
}"""  # noqa: E501


def subset_of(subject: str, split: str) -> str:
    """The subset of a row: the subject, or `{subject}_test` for the held-out test split."""
    return f"{subject}_test" if split == "test" else subject


@register_source
class MmluSource(Source):
    """MMLU health subjects as multiple-choice question/answer records.

    Options:
        subjects: which subjects to read; default the eight health subjects, and
            `college_biology`, `high_school_biology` may be added.
        splits: which splits become records; default `["dev", "val"]`. Adding `test` puts
            the test rows in the evaluation subsets `{subject}_test`.
    """

    name = "mmlu"
    description = (
        "MMLU (Hendrycks et al.): the health subjects (anatomy, clinical knowledge, college "
        "medicine, medical genetics, professional medicine, nutrition, virology, human aging) "
        "as four-option multiple-choice questions; the test split is kept for evaluation."
    )
    homepage = "https://github.com/hendrycks/test"
    license = "MIT"
    citation = CITATION
    subsets = SUBJECTS + tuple(subset_of(s, "test") for s in SUBJECTS)
    default_instruction = MULTIPLE_CHOICE_INSTRUCTION
    raw_files = (RawFile(TAR_NAME, TAR_URL),)
    how_to_get = (
        f"Download {TAR_URL} (meadow does this itself when no --raw is given) and pass the "
        ".tar, or the folder it extracts to (data/ with dev/, val/ and test/ inside)."
    )
    file_suffixes = (".csv", ".tar")
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {
        "subjects": list(HEALTH_SUBJECTS),
        "splits": ["dev", "val"],
    }
    evaluation_subsets = tuple(subset_of(s, "test") for s in SUBJECTS)

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        self.subjects = _choose(self.name, "subjects", self.options_in_effect["subjects"], SUBJECTS)
        self.splits = _choose(self.name, "splits", self.options_in_effect["splits"], SPLITS)
        # canonical order, so that the same choice always gives the same cache key
        self.options_in_effect = {
            **self.options_in_effect,
            "subjects": list(self.subjects),
            "splits": list(self.splits),
        }

    # -- raw files ----------------------------------------------------------------------

    def file_shards(self, path: Path) -> list[Path]:
        """One subject's CSV (a chosen subject), or the `data.tar`."""
        if path.suffix.lower() == ".csv":
            subject, _ = _subject_split(path)
            if subject not in self.subjects:
                raise RawFileError(
                    path,
                    f"holds subject {subject!r}, which is not among the chosen subjects "
                    f"({', '.join(self.subjects)}); add it to sources.mmlu.options.subjects",
                )
        return [path]

    def folder_shards(self, folder: Path) -> list[Path]:
        """The CSVs of the chosen subjects (all three splits), or the one `data.tar`."""
        files = sorted(
            (p for p in folder.rglob("*.csv") if _matches(p.name, self.subjects)),
            key=lambda p: p.relative_to(folder).as_posix(),
        )
        if files:
            return files
        tars = sorted(folder.rglob(TAR_NAME))
        if tars:
            return tars[:1]
        raise RawFileError(
            folder,
            "holds none of the MMLU files expected for the chosen subjects (such as "
            f"data/dev/{self.subjects[0]}_dev.csv, data/val/{self.subjects[0]}_val.csv, "
            f"data/test/{self.subjects[0]}_test.csv) and no {TAR_NAME}; pass the extracted "
            f"data/ folder of {TAR_URL} or the .tar itself",
        )

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Questions of the chosen splits: `{subject, split, row, question, options, answer}`."""
        yield from self._questions(Path(path), self.splits)

    # -- mapping ------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """One record: the question with its options as input, `"C: text"` as output."""
        answer = _answer_letter(item)
        if isinstance(answer, Skip):
            return [answer]
        options: dict[str, str] = item["options"]
        return [
            self.record(
                input=format_question(item["question"], options),
                output=format_answer(answer, options),
                source_id=_source_id(item),
                subset=subset_of(item["subject"], item["split"]),
            )
        ]

    def evaluation_items(self, path: Path) -> Iterator[EvalItem | Skip]:
        """The test questions of the chosen subjects under `path` (a shard or the raw root)."""
        for shard in self.shards(Path(path)):
            for item in self._questions(shard, ("test",)):
                if isinstance(item, Skip):
                    yield item
                    continue
                answer = _answer_letter(item)
                if isinstance(answer, Skip):
                    yield answer
                    continue
                yield EvalItem(
                    source=self.name,
                    subset=subset_of(item["subject"], item["split"]),
                    source_id=_source_id(item),
                    question=item["question"].strip(),
                    options=item["options"],
                    answer=answer,
                    meta={"subject": item["subject"], "split": item["split"]},
                )

    # -- reading ------------------------------------------------------------------------

    def _questions(self, path: Path, splits: tuple[str, ...]) -> Iterator[dict[str, Any] | Skip]:
        if path.suffix.lower() == ".tar":
            yield from self._tar_questions(path, splits)
            return
        subject, split = _subject_split(path)
        if subject in self.subjects and split in splits:
            with open_binary(path) as stream:
                yield from _read_csv(stream, path, subject, split)

    def _tar_questions(
        self, path: Path, splits: tuple[str, ...]
    ) -> Iterator[dict[str, Any] | Skip]:
        found = False
        with _open_tar(path) as archive:
            try:
                for member in archive:
                    name = PurePosixPath(member.name).name
                    match = _FILE_NAME.fullmatch(name)
                    if not (member.isfile() and match):
                        continue
                    subject, split = match["subject"], match["split"]
                    if subject not in SUBJECTS:
                        continue
                    found = True
                    if subject not in self.subjects or split not in splits:
                        continue
                    stream = archive.extractfile(member)
                    if stream is None:
                        continue
                    with stream:
                        yield from _read_csv(stream, path / member.name, subject, split)
            except (tarfile.ReadError, EOFError) as exc:
                raise RawFileError(
                    path, f"the tar file is cut short or damaged ({exc}); download it again"
                ) from None
            # tarfile stops quietly at a header cut short; an intact archive has at least
            # one zero block after its last member.
            if path.stat().st_size < archive.offset + tarfile.BLOCKSIZE:
                raise RawFileError(
                    path, "the tar file is cut short (no end-of-archive marker); download it again"
                )
        if not found:
            raise RawFileError(
                path,
                "holds no MMLU CSVs (data/{dev,val,test}/{subject}_{split}.csv); "
                f"is it {TAR_URL}?",
            )


# -- helpers --------------------------------------------------------------------------------


def _choose(source: str, option: str, value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """A list option checked against its allowed values, in their canonical order."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise RecipeError(
            f"sources.{source}.options.{option}",
            f"expected a non-empty list of {', '.join(allowed)}; got {value!r}",
        )
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise RecipeError(
            f"sources.{source}.options.{option}",
            f"unknown value {unknown[0]!r}; available: {', '.join(allowed)}",
        )
    return tuple(v for v in allowed if v in value)


def _open_tar(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:")
    except tarfile.ReadError as exc:
        problem = "the file is empty" if path.stat().st_size == 0 else f"not a tar file ({exc})"
        raise RawFileError(path, f"{problem}; download {TAR_URL} again") from None
    except OSError as exc:
        raise RawFileError(path, f"cannot be opened: {exc.strerror or exc}") from exc


def _matches(file_name: str, subjects: tuple[str, ...]) -> bool:
    match = _FILE_NAME.fullmatch(file_name)
    return bool(match) and match["subject"] in subjects


def _subject_split(path: Path) -> tuple[str, str]:
    match = _FILE_NAME.fullmatch(path.name)
    if not match or match["subject"] not in SUBJECTS:
        raise RawFileError(
            path,
            "is not an MMLU file of a subject this source reads: expected "
            f"{{subject}}_{{dev|val|test}}.csv with a subject among {', '.join(SUBJECTS)}",
        )
    return match["subject"], match["split"]


def _read_csv(
    stream: BinaryIO, where: Path, subject: str, split: str
) -> Iterator[dict[str, Any] | Skip]:
    for row in read_rows(stream, where, columns=_COLUMNS):
        if isinstance(row, Skip):
            yield row
            continue
        question, a, b, c, d, answer = row.cells
        yield {
            "subject": subject,
            "split": split,
            "row": row.number,
            "question": question,
            "options": {"A": a, "B": b, "C": c, "D": d},
            "answer": answer,
        }


def _answer_letter(item: dict[str, Any]) -> str | Skip:
    letter = item["answer"].strip().upper()
    if len(letter) != 1 or letter not in LETTERS:
        return Skip("bad_answer_letter")
    if not item["question"].strip():
        return Skip("empty_question")
    return letter


def _source_id(item: dict[str, Any]) -> str:
    return f"{item['split']}/{item['subject']}/{item['row']}"
