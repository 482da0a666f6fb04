"""Questions made from section headings, by template.

Encyclopedic pages (wikidoc and the like) answer questions their headings only name:
"Treatment options", "Pathophysiology". medAlpaca turned them into questions by template
for patient pages and with GPT-3.5 for textbook pages; a fixed template is reproducible,
free, and never invents a question the section does not answer. The templates live in one
table here, so a recipe or another source can reuse them.

Every question leaves `normalize_question`: one space between words, none before
punctuation, exactly one final "?".
"""

from __future__ import annotations

import re
from functools import lru_cache

# Normalised heading (see `heading_key`) -> question; `{topic}` is the page's subject.
HEADING_TEMPLATES: dict[str, str] = {
    # patient information pages
    "when to seek urgent medical care": "When should I seek urgent medical care for {topic}?",
    "when to seek medical care": "When should I seek medical care for {topic}?",
    "when to contact a medical professional": (
        "When should I contact a medical professional about {topic}?"
    ),
    "treatment options": "What are the treatment options for {topic}?",
    "what to expect outlook prognosis": "What is the outlook (prognosis) for {topic}?",
    "what to expect": "What is the outlook (prognosis) for {topic}?",
    "outlook prognosis": "What is the outlook (prognosis) for {topic}?",
    "outlook": "What is the outlook (prognosis) for {topic}?",
    "expectations prognosis": "What is the outlook (prognosis) for {topic}?",
    "possible complications": "What are the possible complications of {topic}?",
    "diseases with similar symptoms": "Which diseases have symptoms similar to {topic}?",
    "alternative names": "What are other names for {topic}?",
    "exams and tests": "Which exams and tests are used for {topic}?",
    "support groups": "Where can I find support groups for {topic}?",
    "who is at risk": "Who is at risk for {topic}?",
    "home care": "How can {topic} be cared for at home?",
    # both
    "overview": "Can you give an overview of {topic}?",
    "definition": "What is the definition of {topic}?",
    "prevention": "How can {topic} be prevented?",
    "diagnosis": "How is {topic} diagnosed?",
    "diagnosis and treatment": "How is {topic} diagnosed and treated?",
    "treatment": "How is {topic} treated?",
    "management": "How is {topic} managed?",
    "causes": "What causes {topic}?",
    "cause": "What causes {topic}?",
    "etiology": "What is the etiology of {topic}?",
    "symptoms": "What are the symptoms of {topic}?",
    "signs and symptoms": "What are the signs and symptoms of {topic}?",
    "symptoms and signs": "What are the signs and symptoms of {topic}?",
    "complications": "What are the complications of {topic}?",
    "prognosis": "What is the prognosis of {topic}?",
    # textbook ("microchapter") pages
    "historical perspective": "What is the historical background of {topic}?",
    "history": "What is the history of {topic}?",
    "classification": "How is {topic} classified?",
    "pathophysiology": "What is the pathophysiology of {topic}?",
    "pathogenesis": "What is the pathogenesis of {topic}?",
    "genetics": "What is known about the genetics of {topic}?",
    "associated conditions": "Which conditions are associated with {topic}?",
    "gross pathology": "What are the gross pathology findings in {topic}?",
    "microscopic pathology": "What are the microscopic pathology findings in {topic}?",
    "differential diagnosis": "What is the differential diagnosis of {topic}?",
    "epidemiology and demographics": "What are the epidemiology and demographics of {topic}?",
    "epidemiology": "What is the epidemiology of {topic}?",
    "risk factors": "What are the risk factors for {topic}?",
    "screening": "What are the screening recommendations for {topic}?",
    "natural history complications and prognosis": (
        "What are the natural history, complications and prognosis of {topic}?"
    ),
    "natural history": "What is the natural history of {topic}?",
    "diagnostic criteria": "What are the diagnostic criteria for {topic}?",
    "diagnostic study of choice": "What is the diagnostic study of choice for {topic}?",
    "history and symptoms": "What are the history and symptoms of {topic}?",
    "physical examination": "What are the physical examination findings in {topic}?",
    "laboratory findings": "What are the laboratory findings in {topic}?",
    "imaging findings": "What are the imaging findings in {topic}?",
    "electrocardiogram": "What are the electrocardiogram findings in {topic}?",
    "ecg": "What are the ECG findings in {topic}?",
    "x ray": "What are the x-ray findings in {topic}?",
    "chest x ray": "What are the chest x-ray findings in {topic}?",
    "ct": "What are the CT findings in {topic}?",
    "ct scan": "What are the CT findings in {topic}?",
    "mri": "What are the MRI findings in {topic}?",
    "ultrasound": "What are the ultrasound findings in {topic}?",
    "echocardiography and ultrasound": (
        "What are the echocardiography and ultrasound findings in {topic}?"
    ),
    "echocardiography or ultrasound": (
        "What are the echocardiography or ultrasound findings in {topic}?"
    ),
    "other imaging findings": "Which other imaging findings are seen in {topic}?",
    "other diagnostic studies": "Which other diagnostic studies are used for {topic}?",
    "biopsy": "What is the role of biopsy in {topic}?",
    "medical therapy": "What is the medical therapy for {topic}?",
    "interventions": "Which interventions are used for {topic}?",
    "surgery": "What is the role of surgery in {topic}?",
    "primary prevention": "What is the primary prevention of {topic}?",
    "secondary prevention": "What is the secondary prevention of {topic}?",
    "cost effectiveness of therapy": "What is the cost-effectiveness of therapy for {topic}?",
    "future or investigational therapies": (
        "What are the future or investigational therapies for {topic}?"
    ),
    "resident survival guide": "What should a resident know about managing {topic}?",
    # drug pages
    "mechanism of action": "What is the mechanism of action of {topic}?",
    "indications": "What are the indications for {topic}?",
    "contraindications": "What are the contraindications of {topic}?",
    "side effects": "What are the side effects of {topic}?",
    "adverse reactions": "What are the adverse reactions to {topic}?",
    "dosage": "What is the dosage of {topic}?",
    "dosage and administration": "How is {topic} dosed and administered?",
    "drug interactions": "What are the drug interactions of {topic}?",
    "overdosage": "What happens in an overdose of {topic}?",
}

# Title endings that name a page's subject with no doubt ("Asthma pathophysiology"). Other
# template headings ("surgery", "screening") also end ordinary titles ("Cardiac surgery"),
# so they count only when the page has a section of that name.
UNAMBIGUOUS_SUBJECTS = frozenset(
    {key for key in HEADING_TEMPLATES if " " in key}
    | {"overview", "pathophysiology", "epidemiology", "causes", "prognosis", "classification"}
)

FALLBACK_TEMPLATE = "What should I know about {heading} in {topic}?"
FALLBACK_TEMPLATE_TOPIC_NAMED = "What should I know about {heading}?"
INTRO_TEMPLATE = "What is {topic}?"
SUBJECT_OVERVIEW_TEMPLATE = "Can you give an overview of {title}?"

_QUESTION_WORDS = frozenset(
    {
        *("what", "who", "whom", "whose", "where", "when", "why", "how", "which"),
        *("is", "are", "can", "could", "do", "does", "did", "should", "will", "would"),
        *("was", "were", "has", "have"),
    }
)
_DIFFERENTIATING = re.compile(r"^differentiating\s+(.+?)\s+from\s+(.+?)[\s?.:]*$", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE = re.compile(r"\s+([?,.;:!)])")
_SPACE_AFTER_OPEN = re.compile(r"\(\s+")
_TRAILING = re.compile(r"[\s?.:;,!]+$")
_SUBJECT_SUFFIX = re.compile(
    r"^(?P<topic>.+?)[\s,:;\-–—]+(?P<subject>"
    + "|".join(
        r"[\W_]+".join(re.escape(word) for word in key.split())
        for key in sorted(HEADING_TEMPLATES, key=len, reverse=True)
    )
    + r")[\s.:]*$",
    re.IGNORECASE,
)
_CONNECTORS = (" of ", " for ", " in ", " with ", " about ")


def heading_key(heading: str) -> str:
    """A heading reduced to lowercase words, for looking it up ("What to expect (Outlook)")."""
    return _NON_ALNUM.sub(" ", heading.lower()).strip()


def normalize_question(text: str) -> str:
    """One space between words, none before punctuation, a capital first letter, one final "?"."""
    text = _SPACES.sub(" ", text).strip()
    text = _SPACE_AFTER_OPEN.sub("(", _SPACE_BEFORE.sub(r"\1", text))
    text = _TRAILING.sub("", text)
    if not text:
        return ""
    return text[0].upper() + text[1:] + "?"


def is_question(heading: str) -> bool:
    """Whether a heading is already phrased as a question ("What causes X?")."""
    stripped = heading.strip()
    if stripped.endswith("?"):
        return True
    first = stripped.split(" ", 1)[0].lower()
    return first in _QUESTION_WORDS


@lru_cache(maxsize=256)
def _proper_noun_in(word: str, lower: str, text: str) -> bool:
    """Whether `text` writes `word` capitalised inside a sentence and never in lowercase."""
    if _word_at(lower, text, anywhere=True):
        return False
    return _word_at(word, text, anywhere=False)


def _word_at(word: str, text: str, *, anywhere: bool) -> bool:
    start = text.find(word)
    while start != -1:
        end = start + len(word)
        after = text[end] if end < len(text) else " "
        before = text[start - 1] if start else " "
        if not (before.isalnum() or after.isalnum()):
            if anywhere:
                return True
            j = start - 1
            while j >= 0 and text[j].isspace():
                j -= 1
            if j >= 0 and (text[j].isalnum() or text[j] == ","):
                return True
        start = text.find(word, end)
    return False


@lru_cache(maxsize=64)
def in_sentence(phrase: str, context: str = "") -> str:
    """`phrase` as it reads inside a sentence: "Asthma" -> "asthma", "COPD" stays.

    Capitalised words are lowercased unless `context` (the page's own text) shows them as
    names: capitalised inside a sentence and never in lowercase ("Kawasaki disease").
    Acronyms, mixed case ("pH") and possessives ("Crohn's") always keep their capitals.
    """
    words = phrase.split(" ")
    for i, word in enumerate(words):
        core = word.strip("()[],.;:\"'")
        letters = core.replace("-", "")
        if len(letters) > 1 and letters.isalpha() and core[0].isupper() and letters[1:].islower():
            lower = core.lower()
            if not (context and _proper_noun_in(core, lower, context)):
                words[i] = word.replace(core, lower, 1)
    return " ".join(words)


def split_title(title: str, headings: tuple[str, ...] | list[str] = ()) -> tuple[str, str]:
    """(topic, subject) of a textbook page title: "Asthma pathophysiology" -> ("Asthma", …).

    The subject is the heading key the title ends with ("pathophysiology"), or "" when the
    title names only its topic. Ambiguous endings count only when the page has a section
    of that name (`headings`).
    """
    title = _SPACES.sub(" ", title).strip()
    differentiating = _DIFFERENTIATING.match(title)
    if differentiating:
        return differentiating.group(1), "differential diagnosis"
    match = _SUBJECT_SUFFIX.match(title)
    if not match:
        return title, ""
    subject = heading_key(match.group("subject"))
    if subject not in UNAMBIGUOUS_SUBJECTS and subject not in {heading_key(h) for h in headings}:
        return title, ""
    return match.group("topic"), subject


def _lookup(key: str, topic_key: str) -> str | None:
    template = HEADING_TEMPLATES.get(key)
    if template is None and topic_key:
        for connector in _CONNECTORS:  # "Prevention of Asthma", "Treatment options for X"
            suffix = connector + topic_key
            if key.endswith(suffix):
                template = HEADING_TEMPLATES.get(key[: -len(suffix)])
                break
    return template


def question_from_heading(
    heading: str, topic: str, *, context: str = "", title: str = "", subject: str = ""
) -> str:
    """The question a section answers, from its heading and the page's topic.

    Known headings use `HEADING_TEMPLATES`; headings already phrased as questions are only
    normalised; anything else gets a generic question naming heading and topic. `context`
    (the page text) decides which capitals to keep, see `in_sentence`. On a page about one
    subject of a topic ("Asthma pathophysiology"), "Overview" asks for an overview of the
    page `title`, so that it differs from the topic's own overview.
    """
    heading = _SPACES.sub(" ", heading).strip()
    topic_in_sentence = in_sentence(topic, context)
    key = heading_key(heading)
    if not key:  # a heading of punctuation only
        return normalize_question(f"What should I know about {topic_in_sentence}?")
    if key == "overview" and title and subject and subject != "overview":
        title_in_sentence = in_sentence(title, context)
        return normalize_question(SUBJECT_OVERVIEW_TEMPLATE.format(title=title_in_sentence))
    template = _lookup(key, heading_key(topic))
    if template is not None:
        return normalize_question(template.format(topic=topic_in_sentence))
    differentiating = _DIFFERENTIATING.match(heading)
    if differentiating:
        this, other = (in_sentence(part, context) for part in differentiating.groups())
        return normalize_question(f"How can {this} be differentiated from {other}?")
    if is_question(heading):
        return normalize_question(heading)
    heading_in_sentence = in_sentence(_TRAILING.sub("", heading), context)
    topic_key = heading_key(topic)
    if topic_key and f" {topic_key} " in f" {heading_key(heading)} ":
        return normalize_question(FALLBACK_TEMPLATE_TOPIC_NAMED.format(heading=heading_in_sentence))
    return normalize_question(
        FALLBACK_TEMPLATE.format(heading=heading_in_sentence, topic=topic_in_sentence)
    )


def intro_question(topic: str, subject: str = "", *, context: str = "") -> str:
    """The question a page's lead answers: its subject's question, else "What is {topic}?"."""
    if subject and subject in HEADING_TEMPLATES:
        return question_from_heading(subject, topic, context=context)
    return normalize_question(INTRO_TEMPLATE.format(topic=in_sentence(topic, context)))
