"""Row filters (lengths, copied answers, language) and ChatDoctor's boilerplate.

* `strip_boilerplate` removes the greetings that open and the sign-offs that close
  ChatDoctor's answers ("Hi, Thanks for your query.", "Hope this helps. Regards, Chat
  Doctor."): they are stripped, not filtered, since the medical answer between them is the
  useful part; a row left with no answer is then dropped by the length filter.
* `LanguageCheck` tells whether a text is in the language its source declares. English
  texts are recognised first by their share of English function words (most rows, at
  almost no cost); the others go to py3langid, an offline, deterministic language
  identifier with its model in the wheel, and are dropped only when it names another
  language with confidence. Texts with fewer than 20 letters are never judged.
"""

from __future__ import annotations

import re
from itertools import repeat

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from meadow.quality.langid_batch import BatchIdentifier
from meadow.quality.text import word_list

# -- boilerplate --------------------------------------------------------------------------

_HELLO = r"(?:hi|hello|hey|dear|greetings)(?: there| dear| friend| sir| madam| ma'?am| doctor)?"
_GREETING = rf"(?:{_HELLO}[,.!]*\s*)?"
_OPENINGS = [
    _HELLO,
    _GREETING
    + r"(?:and )?welcome(?: to)?(?: (?:chat ?doctor|healthcare ?magic|icliniq|ask a doctor))?",
    _GREETING + r"(?:thanks|thank you)(?: very much| a lot| so much)?(?: for)? "
    r"(?:your|the|writing|posting|asking|using|choosing|contacting|sharing|reaching|query)"
    r"[^.!?\n]{0,60}",
    _GREETING + r"i (?:have )?(?:gone through|read|reviewed|carefully read|understood?)"
    r"[^.!?\n]{0,60}(?:query|question|concern|history|details|problem)[^.!?\n]{0,30}",
    _GREETING + r"i (?:can )?understand your (?:concern|worry|query)s?",
]
_CLOSINGS = [
    r"hope (?:this|i|my|that|it|the)[^.!?\n]{0,60}(?:help|answer|clarif|useful|query|guid)"
    r"[^.!?\n]{0,40}",
    r"(?:let me know|feel free|do not hesitate|don'?t hesitate|you can (?:ask|contact|write)|"
    r"in case|if you have)[^.!?\n]{0,60}(?:further|more|again|doubt|questions?|query|"
    r"queries|help|assist)[^.!?\n]{0,40}",
    r"(?:i )?wish(?:ing)? you[^.!?\n]{0,40}(?:health|recovery|luck|best|well)[^.!?\n]{0,20}",
    r"(?:take care|get well soon|best wishes|good luck|all the best|stay (?:safe|healthy|blessed)|"
    r"bye|thanks?(?: you)?(?: again)?|regards|best regards|kind regards|warm regards)"
    r"(?:[,.!\s]+(?:chat ?doctor|(?:dr|doctor)\.?(?: [a-z]+){1,3}))?",
    r"(?:chat ?doctor|(?:dr|doctor)\.?(?: [a-z]+){1,3})",
]
_OPENING = re.compile("(?:" + "|".join(_OPENINGS) + r")[\s,.!:;-]*", re.IGNORECASE)
_CLOSING = re.compile("(?:" + "|".join(_CLOSINGS) + r")[\s,.!:;-]*", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n+|$)\s*")
_TITLE_DOT = re.compile(r"\b(dr|mr|mrs|ms|prof)\.", re.IGNORECASE)  # not a sentence end
_LEADING_GREETING = re.compile(_HELLO + r"[,!]\s+", re.IGNORECASE)


def strip_boilerplate(text: str) -> str:
    """`text` without the greeting sentences it opens with and the sign-offs it ends with."""
    protected = _TITLE_DOT.sub(lambda m: m.group(1) + "\x00", text)
    sentences = [s for s in _SENTENCE.findall(protected) if s]
    start, end = 0, len(sentences)
    while start < end and _OPENING.fullmatch(sentences[start].replace("\x00", ".").strip()):
        start += 1
    while end > start and _CLOSING.fullmatch(sentences[end - 1].replace("\x00", ".").strip()):
        end -= 1
    kept = "".join(sentences[start:end]).replace("\x00", ".")
    greeting = _LEADING_GREETING.match(kept)
    if greeting:
        kept = kept[greeting.end() :]
    if kept == text:
        return text
    return kept.strip()


# -- language -----------------------------------------------------------------------------

_ENGLISH_WORDS = frozenset(
    word_list(
        """
    the a an and or but of to in on at for with from by about as is are was were be been
    being have has had do does did not no it its this that these those i you he she we they
    my your his her our their me him us them what which who when where why how can could
    would should will may might there if so than then also very more most some any all
    after before
    """
    )
)
_MIN_LETTERS = 20
_ENGLISH_SHARE = 0.2
_CONFIDENCE = 0.9
_SAMPLE_CHARS = 1000
_WORD_PUNCTUATION = ".,;:!?()\"'"
_IS_ENGLISH = _ENGLISH_WORDS.__contains__


class LanguageCheck:
    """Whether texts are in a given language (ISO 639-1 code), offline and deterministic."""

    def __init__(self) -> None:
        self._identifier: BatchIdentifier | None = None

    def _batch(self) -> BatchIdentifier:
        if self._identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            self._identifier = BatchIdentifier(model)
        return self._identifier

    def other_language(self, texts: list[str], language: str) -> np.ndarray:
        """Per text, whether it is confidently in another language than `language`
        (py3langid's `classify` on the texts left, for all of them at once)."""
        out = np.zeros(len(texts), dtype=bool)
        judged, samples = [], []
        for i, text in enumerate(texts):
            sample = text[:_SAMPLE_CHARS]
            if language == "en":
                words = sample.lower().split()
                # in C: each word stripped of punctuation, looked up in the word set
                common = sum(map(_IS_ENGLISH, map(str.strip, words, repeat(_WORD_PUNCTUATION))))
                if words and common / len(words) >= _ENGLISH_SHARE:
                    continue
            if sum(map(str.isalpha, sample)) < _MIN_LETTERS:
                continue
            judged.append(i)
            samples.append(sample)
        if samples:
            for i, (found, probability) in zip(
                judged, self._batch().classify(samples), strict=True
            ):
                out[i] = found != language and probability >= _CONFIDENCE
        return out


# -- length and copy filters ----------------------------------------------------------------


def shape_reasons(
    inputs: pa.Array,
    outputs: pa.Array,
    normalized_inputs: pa.Array,
    normalized_outputs: pa.Array,
    *,
    min_input_chars: int,
    min_output_chars: int,
    max_chars: int,
    copied_question: bool,
) -> list[str | None]:
    """Per row, why its shape drops it (`too_short`, `too_long`, `copied_question`), or None."""
    input_chars = pc.utf8_length(pc.utf8_trim_whitespace(inputs)).to_numpy(zero_copy_only=False)
    output_chars = pc.utf8_length(pc.utf8_trim_whitespace(outputs)).to_numpy(zero_copy_only=False)
    short = (input_chars < min_input_chars) | (output_chars < min_output_chars)
    long = (input_chars + output_chars) > max_chars
    copied = np.zeros(len(inputs), dtype=bool)
    if copied_question:
        same = pc.equal(normalized_inputs, normalized_outputs).to_numpy(zero_copy_only=False)
        copied = same & (pc.utf8_length(normalized_inputs).to_numpy(zero_copy_only=False) > 0)
    reasons: list[str | None] = [None] * len(inputs)
    for reason, mask in (("copied_question", copied), ("too_long", long), ("too_short", short)):
        for i in np.flatnonzero(mask):
            reasons[i] = reason
    return reasons
