"""Causal language in PubMed conclusions (Yu, Li & Wang 2019), as a classification task.

The raw data is one CSV with a header, `sentence,label`: 3,061 conclusion sentences of
PubMed abstracts, each labelled by the kind of relationship it claims. Two upstream copies
exist and their label codes differ:

* EMNLP 2019, `junwang4/causal-language-use-in-science`, `data/pubmed_causal_language_use.csv`:
  0 no relationship, 1 direct causal, 2 conditional causal, 3 correlational;
* COLING 2020, `junwang4/correlation-to-causation-exaggeration`, `data/annotated_pubmed.csv`:
  the same sentences with 1 and 3 swapped (1 correlational, 3 direct causal).

This adapter PINS the EMNLP 2019 codes (the original release, the one the paper describes);
set the option `label_scheme: coling2020` to read the COLING copy. A file named like the
COLING copy read with the EMNLP codes gets a warning.

medAlpaca published this set (`medical_meadow_pubmed_causal`, 2,446 rows) without saying
which copy or wording it used, so the question and answers here are meadow's own, worded
like medAlpaca's health advice answers: "This is a direct causal relationship", etc.
Sentences repeated in the file are kept once (`duplicate_sentence`).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._csv import labelled_sentences
from meadow.sources.base import RawFile, Skip, Source

EMNLP_FILE = "pubmed_causal_language_use.csv"
COLING_FILE = "annotated_pubmed.csv"
INSTRUCTION = (
    "Does this sentence state a direct causal relationship, a conditional causal "
    "relationship, a correlational relationship or no relationship?"
)
NONE, DIRECT, CONDITIONAL, CORRELATIONAL = "none", "direct", "conditional", "correlational"
ANSWERS: dict[str, str] = {
    NONE: "This is no relationship",
    DIRECT: "This is a direct causal relationship",
    CONDITIONAL: "This is a conditional causal relationship",
    CORRELATIONAL: "This is a correlational relationship",
}
# Label code -> relationship, per upstream copy (see the module docstring).
LABEL_SCHEMES: dict[str, dict[int, str]] = {
    "emnlp2019": {0: NONE, 1: DIRECT, 2: CONDITIONAL, 3: CORRELATIONAL},
    "coling2020": {0: NONE, 1: CORRELATIONAL, 2: CONDITIONAL, 3: DIRECT},
}
_REPO = "https://github.com/junwang4/causal-language-use-in-science"
_RAW_URL = (
    "https://raw.githubusercontent.com/junwang4/causal-language-use-in-science/"
    f"6f2b545328061e6c21416f44d6c34a5c313d73b1/data/{EMNLP_FILE}"
)

CITATION = """\
@inproceedings{yu2019detecting,
  title     = {Detecting Causal Language Use in Science Findings},
  author    = {Yu, Bei and Li, Yingya and Wang, Jun},
  booktitle = {Proceedings of the 2019 Conference on Empirical Methods in Natural Language Processing and the 9th International Joint Conference on Natural Language Processing (EMNLP-IJCNLP)},
  year      = {2019},
  url       = {https://aclanthology.org/D19-1473}
}"""  # noqa: E501


@register_source
class PubmedCausalSource(Source):
    """PubMed conclusion sentences classified by the relationship they claim.

    Options:
        label_scheme: `emnlp2019` (default: 1 direct causal, 3 correlational) or
            `coling2020` (the COLING 2020 copy, 1 and 3 swapped).
    """

    name = "pubmed_causal"
    description = (
        "Causal language in science (Yu et al. 2019): conclusion sentences of PubMed "
        "abstracts labelled as direct causal, conditional causal, correlational or no "
        "relationship (EMNLP 2019 label codes)."
    )
    homepage = _REPO
    # The repository states no license; the sentences are quoted from PubMed abstracts,
    # whose copyright stays with their publishers.
    license = "unknown"
    citation = CITATION
    subsets = ()
    default_instruction = INSTRUCTION
    raw_files = (RawFile(EMNLP_FILE, _RAW_URL),)
    how_to_get = (
        f"Download data/{EMNLP_FILE} from {_REPO} (meadow does this itself when no --raw is "
        "given); for the COLING 2020 copy (data/annotated_pubmed.csv of "
        "junwang4/correlation-to-causation-exaggeration) also set the option "
        "label_scheme: coling2020."
    )
    file_suffixes = (".csv",)
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {"label_scheme": "emnlp2019"}

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        scheme = self.options_in_effect["label_scheme"]
        if scheme not in LABEL_SCHEMES:
            raise RecipeError(
                f"sources.{self.name}.options.label_scheme",
                f"unknown label scheme {scheme!r}; available: {', '.join(LABEL_SCHEMES)}",
            )
        self.labels = LABEL_SCHEMES[scheme]

    def folder_shards(self, folder: Path) -> list[Path]:
        """The one CSV of a folder, found by its upstream name (a file given is read as it is)."""
        emnlp, coling = sorted(folder.rglob(EMNLP_FILE)), sorted(folder.rglob(COLING_FILE))
        if emnlp and coling:
            raise RawFileError(
                folder,
                f"holds both {EMNLP_FILE} (EMNLP 2019) and {COLING_FILE} (COLING 2020), "
                "the same sentences with different label codes; pass one of the two files",
            )
        if not (emnlp or coling):
            raise RawFileError(
                folder, f"holds neither {EMNLP_FILE} nor {COLING_FILE}; download it from {_REPO}"
            )
        return (emnlp or coling)[:1]

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Sentences with their label code: `{label, sentence, raw_sentence, fields}`.

        Rows whose label is not a code 0-3 are skipped as `bad_label`, repeated sentences
        as `duplicate_sentence` (the first one is kept).
        """
        path = Path(path)
        if path.name == COLING_FILE and self.options_in_effect["label_scheme"] == "emnlp2019":
            warnings.warn(
                f"{path} is named like the COLING 2020 copy, whose label codes 1 and 3 are "
                "swapped; it is read with the EMNLP 2019 codes. If it is that copy, set "
                f"sources.{self.name}.options.label_scheme: coling2020.",
                stacklevel=2,
            )
        yield from labelled_sentences(
            path, required=("sentence", "label"), labels=self.labels, seen=set()
        )

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """The sentence as input, the relationship its label code means (by scheme) as output."""
        return [
            self.record(
                input=item["sentence"],
                output=ANSWERS[self.labels[item["label"]]],
                source_id=hashlib.sha1(item["raw_sentence"].encode()).hexdigest()[:12],
            )
        ]
