"""Health advice in PubMed sentences (Li, Wang & Yu 2021), as medAlpaca's classification task.

The raw data is the three annotation files of `junwang4/detecting-health-advice`, each a
CSV with a header:

* `annotations_structured_abstract.csv`: `label,pmid,sentence,design`
* `annotations_discussion.csv`: `label,pmid,sentence,rel_loc,citation_mentioned,past_tense`
* `annotations_unstructured_abstract.csv`: `label,pmid,sentence,rel_loc`

`label` is 0 (no advice), 1 (weak advice) or 2 (strong advice). Each file is a subset. The
instruction and the three answers are medAlpaca's words, so rebuilt rows read like the
published `medical_meadow_health_advice`; the sentences are cleaned (trailing spaces,
escape sequences and stray quotes, see `clean_sentence`).

A sentence annotated more than once is kept once: the files are read in the order above and
the first occurrence wins, the others are skipped as `duplicate_sentence`. Each file is still
parsed on its own (so files are hashed and cached like every source's), and a file looks up
the sentences of the files before it in the same folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from meadow.errors import RawFileError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._csv import labelled_sentences
from meadow.sources.base import RawFile, Skip, Source

# File name -> subset, in the order duplicates are resolved (the first occurrence is kept).
FILES: dict[str, str] = {
    "annotations_structured_abstract.csv": "structured_abstract",
    "annotations_discussion.csv": "discussion",
    "annotations_unstructured_abstract.csv": "unstructured_abstract",
}
REQUIRED_COLUMNS = ("label", "pmid", "sentence")
# medAlpaca's wording (medical_meadow_health_advice), kept verbatim.
INSTRUCTION = "Question: is this a 2) strong advice, 1) weak advice 0) no advice?"
ANSWERS: dict[int, str] = {
    0: "This is no advice",
    1: "This is a weak advice",
    2: "This is a strong advice",
}
_REPO = "https://github.com/junwang4/detecting-health-advice"
_RAW_URL = (
    "https://raw.githubusercontent.com/junwang4/detecting-health-advice/"
    "7a96187b4fab907b09b52cdb45af48562564d431/data/{name}"
)

CITATION = """\
@inproceedings{li2021detecting,
  title     = {Detecting Health Advice in Medical Research Literature},
  author    = {Li, Yingya and Wang, Jun and Yu, Bei},
  booktitle = {Proceedings of the 2021 Conference on Empirical Methods in Natural Language Processing},
  year      = {2021}
}
@article{han2023medalpaca,
  title   = {MedAlpaca -- An Open-Source Collection of Medical Conversational AI Models and Training Data},
  author  = {Han, Tianyu and Adams, Lisa C. and Papaioannou, Jens-Michalis and Grundmann, Paul and Oberhauser, Tom and L{\\"o}ser, Alexander and Truhn, Daniel and Bressem, Keno K.},
  journal = {arXiv preprint arXiv:2304.08247},
  year    = {2023}
}"""  # noqa: E501


@register_source
class HealthAdviceSource(Source):
    """Sentences from PubMed abstracts and discussions, classified as no/weak/strong advice.

    Subsets: `structured_abstract`, `discussion`, `unstructured_abstract` (one per file).
    Rows whose label is not 0, 1 or 2 are skipped (`bad_label`), repeated sentences too
    (`duplicate_sentence`).
    """

    name = "health_advice"
    description = (
        "Health advice in medical research (Li et al. 2021): PubMed sentences labelled as "
        "no, weak or strong advice, asked as medAlpaca's classification question."
    )
    homepage = _REPO
    # The repository states no license; the sentences are quoted from PubMed abstracts and
    # articles, whose copyright stays with their publishers.
    license = "unknown"
    citation = CITATION
    subsets = tuple(FILES.values())
    default_instruction = INSTRUCTION
    raw_files = tuple(RawFile(name, _RAW_URL.format(name=name)) for name in FILES)
    how_to_get = (
        f"Download the three CSVs of {_REPO}/tree/master/data ({', '.join(FILES)}) into one "
        "folder (meadow does this itself when no --raw is given)."
    )
    file_suffixes = (".csv",)
    expected_files = FILES  # in the order duplicates are resolved in
    several_files = "first"
    missing_files = (
        f"holds none of the health advice files ({', '.join(FILES)}); download them from {_REPO}"
    )
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {}

    def file_shards(self, path: Path) -> list[Path]:
        """One annotation file, by its name."""
        _subset_of(path)
        return [path]

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Sentences of one file: `{subset, pmid, label, sentence, raw_sentence, fields}`.

        Rows whose label is not 0, 1 or 2 are skipped as `bad_label`; sentences already seen
        in this file or in an earlier file of the same folder as `duplicate_sentence`.
        """
        path = Path(path)
        subset = _subset_of(path)
        seen: set[str] = set()
        for earlier in FILES:
            if earlier == path.name:
                break
            sibling = path.with_name(earlier)
            if sibling.is_file():
                for _ in self._sentences(sibling, seen):
                    pass  # only fills `seen`; the sibling's own parse counts its skips
        for item in self._sentences(path, seen):
            if isinstance(item, dict):
                item["subset"] = subset
                item["pmid"] = item["fields"]["pmid"].strip()
            yield item

    @staticmethod
    def _sentences(path: Path, seen: set[str]) -> Iterator[dict[str, Any] | Skip]:
        return labelled_sentences(path, required=REQUIRED_COLUMNS, labels=ANSWERS, seen=seen)

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """The sentence as input, medAlpaca's answer for its label as output."""
        answer = ANSWERS[item["label"]]
        digest = hashlib.sha1(item["raw_sentence"].encode()).hexdigest()[:12]
        return [
            self.record(
                input=item["sentence"],
                output=answer,
                source_id=f"{item['subset']}/{item['pmid']}/{digest}",
                subset=item["subset"],
            )
        ]


def _subset_of(path: Path) -> str:
    try:
        return FILES[path.name]
    except KeyError:
        raise RawFileError(
            path, f"is not a health advice file; expected one of {', '.join(FILES)}"
        ) from None
