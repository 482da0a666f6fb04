"""PII scrubbing for dialogue texts: personal details become typed placeholders.

What is replaced, and by what:

* `[EMAIL]`: e-mail addresses;
* `[URL]`: links to personal pages only (social networks, file and photo sharing, user
  profiles such as `/users/123/name` or `/~name`), with or without a scheme
  (`instagram.com/name`); links to articles and references stay;
* `[PHONE]`: phone numbers in the usual national and international layouts (a leading
  `+`, `(555) 123-4567`, `555-123-4567`, `020 7946 0958`, `98765 43210`), and any number
  that follows "call me on", "mobile", "phone", "WhatsApp", …;
* `[POSTCODE]`: UK and Canadian postcodes, US ZIP codes after a state abbreviation
  ("Boston, MA 02115"), and any code that follows "zip", "postcode", "PIN code", …;
* `[ID]`: numbers after an ID word ("MRN", "patient ID", "Aadhaar", "passport no", …),
  US social security numbers, 12- and 16-digit numbers in groups of four, and bare runs
  of ten or more digits that are not a phone number;
* `[DATE]`: dates of birth: a date right after "DOB", "date of birth", "born",
  "birthday" ("DOB 03/14/2015", "born 1952-07-22", "birthday is 12 March"). A year alone
  ("born in 1948") and every other date (of a test, a visit, a dose) stay;
* `[ADDRESS]`: street addresses (a house number, capitalised words and a street word:
  "42 Elm Street", "1600 Pennsylvania Ave NW", "7 Maple Drive, Apt 3B") and PO boxes;
* `[NAME]`: names in greetings and sign-offs ("Hi [NAME],", "Regards, [NAME]"), after a
  title anywhere ("Dr. [NAME]", "Mrs. [NAME]": a patient's doctors are named too), after
  a relation or role ("my wife [NAME]", "my father, [NAME]", "my therapist [NAME]"), in
  introductions ("my name is [NAME]", "I'm [NAME], 34"), after "Name:", and a name alone
  on a message's last line.

A name is capitalised words, and a word that is not a name ends it: function words,
roles and relations ("Mom", "Patient"), states and feelings ("Worried", "Diabetic"),
drugs (a list of common ones and the stems of drug names: "-formin", "-statin",
"-pril", …) and acronyms. No list of first names is shipped, so a sign-off that is a
role or a drug stays ("Thanks,\\nWorried Mom", "Thanks\\nMetformin"), and a name that is
also one of those words is missed. tests/quality/test_pii_recall.py measures recall and
precision per type on a labelled set of patient messages.

Medical numbers are left alone by construction: every pattern needs a phone/ID/date
layout next to a keyword, or a street word, so doses (500 mg), lab values (HbA1c 7.2%,
K+ 3.1, platelets 1,50,000), ages (45-year-old), years (since 2018), clinical dates,
blood pressures (120/80) and ICD codes (E11.9) never match; tests/quality/test_pii.py
checks them.

Every pattern runs in time linear in the text: no two quantifiers can share a run of
characters (a run of spaces, newlines or digits), and repeats that look ahead are
bounded, so no input makes the regex engine backtrack more than a few characters per
position (tests/quality/test_pii.py times adversarial texts).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from meadow.quality.pii_names import ROLES, is_name_word
from meadow.quality.text import word_list


def _top_level_alternatives(pattern: str) -> list[str]:
    """The alternatives of a regex, split at the `|` outside any group."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(pattern):
        if c == "(" and (i == 0 or pattern[i - 1] != "\\"):
            depth += 1
        elif c == ")" and pattern[i - 1] != "\\":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    return [*parts, pattern[start:]]


def _at_word_start(words: str, *, ignore_case: bool = True) -> str:
    """`\\b(?:w1|w2|…)` written to begin with a class of the words' first letters.

    `re` then skips straight to the places where a word could begin; a pattern that
    starts with `\\b` or a group is tried at every position, four times slower.
    Each alternative (a regex) must start with a letter.
    """
    groups: dict[str, list[str]] = {}
    for word in _top_level_alternatives(words):
        first = word[0].lower() if ignore_case else word[0]
        groups.setdefault(first, []).append(word[1:])
    firsts = {c for first in groups for c in ((first, first.upper()) if ignore_case else first)}
    flag = "(?i:{})" if ignore_case else "(?:{})"
    rests = "|".join(
        f"(?<=[{first}{first.upper() if ignore_case else ''}])" + flag.format("|".join(rest))
        for first, rest in groups.items()
    )
    return f"[{''.join(sorted(firsts))}](?<!\\w.)(?:{rests})"


PLACEHOLDERS = {
    "email": "[EMAIL]",
    "url": "[URL]",
    "phone": "[PHONE]",
    "postcode": "[POSTCODE]",
    "id": "[ID]",
    "name": "[NAME]",
    "address": "[ADDRESS]",
    "date": "[DATE]",
}
KINDS = tuple(PLACEHOLDERS)

_DIGIT = re.compile(r"\d")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_PERSONAL_HOSTS = word_list(
    """
    facebook.com fb.com fb.me twitter.com x.com instagram.com linkedin.com tiktok.com
    snapchat.com wa.me t.me whatsapp.com telegram.me vk.com dropbox.com drive.google.com
    docs.google.com photos.google.com photos.app.goo.gl onedrive.live.com 1drv.ms imgur.com
    flickr.com pinterest.com myspace.com
    """
)
_URL_CHARS = r"[^\s<>\"'\[\]]"
_URL = re.compile(
    rf"\b(?:https?://|www\.){_URL_CHARS}+"
    # a personal host without a scheme ("instagram.com/name"): at most three subdomains,
    # so a long dotted run is never scanned again from each of its dots
    rf"|(?<![\w.@/-])(?:[a-z0-9-]+\.){{0,3}}"
    rf"(?:{'|'.join(re.escape(h) for h in _PERSONAL_HOSTS)})/{_URL_CHARS}*",
    re.IGNORECASE,
)
_PERSONAL_PATH = re.compile(
    r"/(?:~[^/]+|@[^/]+|users?/|u/|profiles?/|people/|members?/|in/|pub/|channel/)",
    re.IGNORECASE,
)

# Digits may not touch other digits, letters or decimal points around a match.
_B = r"(?<![\w.,/-])"
_E = r"(?![\w/]|[.,]\d)"
_PHONE_LAYOUTS = [
    r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,5}(?:[ .-]?\d{2,5}){1,4}",  # +44 20 7946 0958
    r"\(\d{3}\) ?\d{3}[ .-]\d{4}",  # (555) 123-4567
    r"\d{3}([.-])\d{3}\1\d{4}",  # 555-123-4567, 555.123.4567
    r"0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}",  # 020 7946 0958, 0161-496-0000
    r"[6-9]\d{4}[ -]\d{5}",  # 98765 43210
    r"(?:0|91)?[6-9]\d{9}",  # 9876543210
]
_PHONE = re.compile(_B + "(?:" + "|".join(_PHONE_LAYOUTS) + ")" + _E)
# What may stand between a keyword and its value: spaces, one mark, spaces. Written so
# that the two runs of spaces can never split one run between them (that backtracks in
# quadratic time when the value is missing).
_SEP = r"\s*(?:[:#-]\s*)?"
_PHONE_WORDS = re.compile(
    _at_word_start(
        r"phone|mobile|telephone|whats ?app"
        # "(?: (?:no|number|num))?\.?(?: (?:is|at|on))?" after each of these four
        .replace("|", r"(?: (?:no|number|num))?\.?(?: (?:is|at|on))?|")
        + r"(?: (?:no|number|num))?\.?(?: (?:is|at|on))?"
        + r"|mob(?: no\.?| number|\.|:)|tel(?: no\.?| number|\.|:)|cell(?: no\.?| number|\.|:)"
        + r"|contact(?: no\.?| number|\.|:| me (?:at|on))|call me (?:at|on)|reach me (?:at|on)"
        + r"|text me (?:at|on)"
    )
    + rf"{_SEP}(?P<value>(?=(?:[ ()-]{{0,3}}\d){{7}})\+?\d[\d ()-]{{5,}}\d)"
)
# ID words that name an identifier by themselves, and those that need "no"/"number" after.
_ID_ALONE = r"MRN|UHID|SSN|ID|Id|(?i:aadhaa?r|passport|patient id|member id|insurance id)"
_ID_NUMBERED = (
    r"(?:NHS|PAN|IP|OP|(?i:aadhaa?r|passport|medical record|patient|hospital|registration|reg|"
    r"case|policy|insurance|member|employee|card|medicare|medicaid|health card|"
    r"social security))(?i: (?:no|number|num))\.?"
)
_ID_WORDS = re.compile(
    rf"\b(?:{_ID_NUMBERED}|(?:{_ID_ALONE})\b)\s*(?:(?i:is)\s+)?(?:[:#-]\s*)?"
    # the value has four digits among its first characters (bounded: looking further
    # from every ID word would scan the same text again and again)
    r"(?P<value>(?=(?:[A-Z/ -]{0,12}\d){4})[A-Z0-9](?:[A-Z0-9/-]|[ ](?=\d{3}))*[A-Z0-9])\b"
)
_ID_LAYOUTS = re.compile(_B + r"(?:\d{3}-\d{2}-\d{4}|\d{4}-\d{4}-\d{4}-\d{4}|\d{10,})" + _E)
_STATES = word_list(
    """
    AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT
    NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC
    """
)
_POSTCODES = [
    # UK: the inward code's letters never include C, I, K, M, O, V (so "B12 1MG" is safe)
    re.compile(r"\b[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b"),
    re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d\b"),  # Canada
    re.compile(
        _at_word_start("|".join(_STATES), ignore_case=False)
        + r",? (?P<value>\d{5}(?:-\d{4})?)"
        + _E
    ),
    re.compile(
        _at_word_start("zip|zip ?code|postal code|post ?code|pin|pin ?code")
        + r"\s*(?:(?i:is)\s+)?(?:[:#-]\s*)?(?P<value>\d{4,6}(?:-\d{4})?)"
        + _E
    ),
]

_MONTH = (
    r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?i:st|nd|rd|th)?"
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # 1952-07-22
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2}(?:\d{2})?"  # 03/14/2015, 14.07.92
    rf"|{_DAY}(?: (?i:of))? {_MONTH}(?:,? \d{{4}})?"  # 12 March 2018, 5th of June
    rf"|{_MONTH},? \d{{4}}"  # March 2018
    rf"|{_MONTH} {_DAY}(?:,? \d{{4}})?"  # July 4, 2022
    r")(?![\w/])"
)
_BIRTH_DATE = re.compile(
    _at_word_start(r"d\.?o\.?b\b\.?|date of birth|birth ?date|birthday|born")
    + rf"[\s:=,(-]{{0,4}}(?:(?i:is|was|on|of|in|the) ){{0,3}}(?P<value>{_DATE})"
)

# Street words, and their abbreviations with an optional dot ("Dr" is not one: "2 Crocin
# Dr told me" is a doctor).
_STREET = (
    r"(?:(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Place|Way|Terrace|Close|Crescent|"
    r"Highway|Parkway|Circle|Square|Grove|Gardens|Mews|Row|Walk|Marg)\b"
    r"|(?:St|Ave|Av|Rd|Blvd|Ln|Ct|Pl|Hwy|Pkwy|Sq)\b\.?)"
)
_UNITS = "Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Room|No"
_UNIT = rf"(?:{_UNITS})\.? ?#?[A-Z0-9-]{{1,6}}\b"
# a house number (not part of a longer number), up to four capitalised words or
# ordinals ("West 57th"), a street word, a direction, a flat or suite
_HOUSE = (
    r"\d(?<![\w.,/-]\d)\d{0,4}[A-Z]?"
    rf"(?: (?:[A-Z][A-Za-z'’]*|\d{{1,3}}(?:st|nd|rd|th))){{1,4}} {_STREET}"
    rf"(?: (?:NW|NE|SW|SE|N|S|E|W)\b)?(?:,? {_UNIT})?"
)
_ADDRESSES = [
    re.compile(_at_word_start(_UNITS, ignore_case=False) + rf"\.? ?#?[A-Z0-9-]{{1,6}},? {_HOUSE}"),
    re.compile(_HOUSE),
    re.compile(_at_word_start(r"p\.? ?o\.? box|post office box") + r" ?#?\d{1,7}\b"),
]

_UPPER = "A-ZÀ-ÖØ-Þ"
# A capitalised word; an apostrophe inside ("O'Brien") but not a possessive "'s".
_WORD = rf"[{_UPPER}](?:[^\W\d_]|['’](?=[^\W\d_])(?!s\b))*"
_NAME = rf"(?P<name>{_WORD}(?:[ -]{_WORD}|[ ][{_UPPER}]\.){{0,2}})"
_TITLE = r"(?:(?i:dr|doctor|mr|mrs|ms|miss|prof)\.?\s+)"
_GREETING = _at_word_start("hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening)")
_SIGN_OFF = _at_word_start(
    "regards|best regards|kind regards|warm regards|with regards|thanks and regards|"
    "thanks|thank you|sincerely|yours (?:truly|sincerely|faithfully)|best wishes|cheers|"
    "take care|best"
)
# "I'm", "I am", "im" (not "IM", intramuscular), "this is"
_INTRO = _at_word_start("i am|i'm|i’m|im|this is") + "(?<!IM)(?<!iM)"
_RELATION = (
    r"(?i:father|mother|dad|daddy|mom|mommy|mum|mummy|mama|papa|husband|wife|hubby|spouse|"
    r"partner|son|daughter|child|kid|baby|boy|girl|toddler|infant|twin|brother|sister|sibling|"
    r"grand(?:father|mother|pa|ma|dad|mom|mum|son|daughter|child)|granny|nana|uncle|aunt|"
    r"auntie|aunty|cousin|nephew|niece|friend|boyfriend|girlfriend|bf|gf|fianc[eé]e?|"
    r"step(?:father|mother|dad|mom|mum|son|daughter)|neighbou?r|roommate|flatmate|colleague|"
    r"co-?worker|boss|landlord|landlady|teacher|nurse|doctor|gp|physician|surgeon|"
    r"specialist|consultant|therapist|counsell?or|dentist|pharmacist|midwife|caregiver|carer|"
    r"p(?:a)?ediatrician|[a-z]*ologist|gyn(?:a)?ec|gyno|obgyn|endo|physio)(?:-in-law)?"
)
# What may stop a name: the end of a line, punctuation, or "and"/"from"/… ("I'm Emma and").
_NAME_END = r"(?=[^\S\n]*(?:[,.!;:(\n]|$)|[ ]+(?i:and|from|here|again|writing|aged?)\b)"
_LAST_LINE = re.compile(rf"\n[^\S\n]*(?P<name>{_WORD}(?: {_WORD})?)[^\S\n]*\Z")
_NAME_PATTERNS = [
    # "Dr. Smith" anywhere: a patient's doctors are named too. Case-sensitive, so that MR
    # (mitral regurgitation) and DR (retinopathy) are not titles; "doctor" takes no dot,
    # so "see a doctor. Ultrasound …" is not a name.
    re.compile(
        _at_word_start("Dr|dr|Mrs|mrs|Mr|mr|Ms|Mx|Prof|prof|Miss|Doctor|doctor", ignore_case=False)
        + rf"(?:(?<!ctor)(?<!Miss)\.[ ]*|[ ]+){_NAME}"
    ),
    re.compile(rf"{_GREETING} +{_NAME}(?=[^\S\n]*(?:[,!:\n]|\.(?:\s|$)|$))"),  # Hi John,
    re.compile(  # Regards, John / Thanks,\nDr. Smith / Regards Dr. Smith
        rf"{_SIGN_OFF}(?:[^\S\n]*[,.!:-]\s*|[^\S\n]*\n\s*|[^\S\n]+(?={_TITLE})){_TITLE}?{_NAME}"
        r"(?=[^\S\n]*(?:[.!][^\S\n]*)?$)",
        re.MULTILINE,
    ),
    re.compile(_at_word_start("my name is|my name's|name's") + rf"\s+{_TITLE}?{_NAME}"),
    re.compile(rf"{_INTRO}[ ]+{_TITLE}?{_NAME}{_NAME_END}"),
    re.compile(
        _at_word_start("full name|patient's name|patient name|name")
        + rf"[^\S\n]*[:-][^\S\n]*{_NAME}"
    ),
    re.compile(  # my father Robert Chen, my son, Jake, my mother (Margaret Ellis)
        _at_word_start("my|our|his|her|their|your|the") + r"\s(?:[a-z0-9]+(?:-[a-z0-9]+)* ){0,2}?"
        rf"{_RELATION}(?:,? |[ ]?\()(?:{_TITLE})?{_NAME}"
    ),
    # "hi im jake, 19": a lower-case name counts before an age or "and I'm"
    re.compile(
        rf"(?:{_INTRO}|{_at_word_start('my name is')})[ ]+(?P<name>[a-z][a-z'’]+)"
        r"(?=,\s*\d{1,3}\b| and (?i:i'?m|i am)\b)"
    ),
]

# The words without which a pattern cannot match (in lower case unless said), so that
# the scrubber runs a pattern only on the texts that have one.
_URL_KEYS = ("://", "www.", ".com/", ".me/", ".gl/", ".ms/")
_BIRTH_KEYS = ("dob", "d.o", "do.", "birth", "born")
_PHONE_KEYS = ("phone", "mob", "whats", "tel", "cell", "contact", "me at", "me on")
_ID_KEYS = ("MRN", "UHID", "SSN", "ID", "Id")  # case-sensitive
_ID_KEYS_ANY_CASE = ("aadha", "passport", " id", " no", " num")
_STREET_KEYS = tuple(re.findall(r"[A-Z][a-z]*", _STREET))  # case-sensitive
_NAME_KEYS = (
    ("dr", "mr", "ms", "mx", "prof", "miss", "doctor"),
    ("hi", "hello", "hey", "dear", "greetings", "good "),
    ("regards", "thank", "sincerely", "yours", "best", "cheers", "take care"),
    ("name",),
    ("i am", "i'm", "i’m", "im ", "this is"),
    ("name",),
    None,
    ("i am", "i'm", "i’m", "im ", "my name is"),
)


# What every match of the relation pattern ("my father Robert Chen") holds: a relation
# word, its separator, then a capital or a title. As an RE2 pattern (pyarrow.compute), run
# over a whole batch at once: a text without it skips the relation pattern, the slowest of
# the patterns that have no keywords. It finds a superset of what `re` finds: RE2's case
# folding lacks Python's `i` ~ `İ`, `ı`, added here (tests/quality/test_parallel.py checks
# every cased character). A placeholder can never make a new one (a `]` ends it).
_RELATION_WORDS = (
    _RELATION[len("(?i:") : -len(")(?:-in-law)?")]
    .replace("[a-z]", "\x00")
    .replace("i", "[iIİı]")
    .replace("\x00", "[a-zA-ZİıſK]")
)
_MAY_NAME_RELATIVE = (
    rf"(?i:{_RELATION_WORDS})(?:-in-law)?(?:,? |[ ]?\()"
    rf"(?:(?i:dr|doctor|mr|mrs|ms|m[iIİı]ss|prof)|[{_UPPER}])"
)


def may_name_relatives(texts: pa.Array) -> np.ndarray:
    """Per text, whether the relation pattern may match it (False: it cannot)."""
    if not len(texts):
        return np.zeros(0, bool)
    found = pc.match_substring_regex(texts, _MAY_NAME_RELATIVE)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _any_case(keys: tuple[str, ...]) -> str:
    """An RE2 pattern that finds every text where one of `keys` (lower case ASCII) occurs
    in its `str.lower()` or matches under Python's `re.IGNORECASE`: a letter may be its
    capital, `i` also `İ` or `ı`, `k` also `K`, `s` also `ſ` (the only other characters
    that lower-case or case-fold to an ASCII letter; RE2's folding lacks the `i` ones)."""
    extra = {"i": "İı", "k": "\u212a", "s": "ſ"}
    return "|".join(
        "".join(
            f"[{c}{c.upper()}{extra.get(c, '')}]" if c.isalpha() else "\\" + c if c == "." else c
            for c in key
        )
        for key in keys
    )


# What every match of a pattern holds, as RE2 patterns run over a whole batch at once
# (lookarounds and `\\b` dropped, so each finds a superset of what `re` finds; `\\d` is any
# Unicode digit in `re`, hence `\\p{Nd}`), and the keywords that gate the patterns. A text
# where one finds nothing skips that pattern, or that keyword test, while the text is
# unchanged; once a replacement has changed it, every pattern runs as without the flags.
_D = r"\p{Nd}"
_MAY_DIGITS = {  # rare: one pass for them all, then one each over the texts it found
    "phone": rf"\+{_D}|\({_D}{{3}}\)|{_D}{{3}}[ .-]{_D}{{3}}|{_D}{{10}}",
    "id_layout": rf"{_D}{{3}}-{_D}{{2}}-{_D}{{4}}|({_D}{{4}}-){{3}}{_D}{{4}}|{_D}{{10}}",
    "uk_postcode": rf"{_D}[A-Z{_D}]? ?{_D}[ABD-HJLNP-UW-Z]{{2}}",
    "ca_postcode": rf"[ABCEGHJ-NPRSTVXY]{_D}[ABCEGHJ-NPRSTV-Z] ?{_D}[ABCEGHJ-NPRSTV-Z]{_D}",
    "zip": rf" {_D}{{5}}",
    # the value after a phone word: seven digits, at most three of `[ ()-]` between them
    "phone_value": rf"{_D}(?:[ ()-]{{0,3}}{_D}){{6}}",
}
_MAY_OTHER = {
    "url_word": _any_case(_URL_KEYS),
    "birth_word": _any_case(_BIRTH_KEYS),
    # the value of an ID word: four digits with at most 12 of `[A-Z/ -]` between them
    "id_value": rf"{_D}(?:[A-Z/ -]{{0,12}}{_D}){{3}}",
    "street_word": "|".join(_STREET_KEYS),  # exact: case-sensitive words
    # a postcode word ("zip", "pin", "post code"), then four digits in the texts with one
    "zip_word": _any_case(("zip", "pin", "post")),
}
_ZIP_VALUE = rf"{_D}{{4}}"
MAY_MATCH = (*_MAY_DIGITS, *_MAY_OTHER)


def _found(texts: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(texts, pattern), False).to_numpy(
        zero_copy_only=False
    )


_POSTCODE_NAMES = ("uk_postcode", "ca_postcode", "zip", "zip_word")


def may_match(texts: pa.Array) -> np.ndarray:
    """Per text (rows) and per name in `MAY_MATCH` (columns), whether that pattern or
    keyword may occur in the text (False: it cannot): linear RE2 passes over a batch."""
    flags = np.zeros((len(texts), len(MAY_MATCH)), bool)
    if not len(texts):
        return flags
    some = np.flatnonzero(_found(texts, "|".join(_MAY_DIGITS.values())))
    if len(some):
        subset = texts.take(pa.array(some))
        for k, pattern in enumerate(_MAY_DIGITS.values()):
            flags[some, k] = _found(subset, pattern)
    for k, pattern in enumerate(_MAY_OTHER.values(), len(_MAY_DIGITS)):
        flags[:, k] = _found(texts, pattern)
    zips = np.flatnonzero(flags[:, MAY_MATCH.index("zip_word")])
    if len(zips):
        flags[zips, MAY_MATCH.index("zip_word")] = _found(texts.take(pa.array(zips)), _ZIP_VALUE)
    return flags


def _has(text: str, keys: tuple[str, ...]) -> bool:
    return any(map(text.__contains__, keys))  # in C: no generator frame per key


def _host_and_path(url: str) -> tuple[str, str]:
    """The host (lower case, NFKC) and path of a URL, with or without a scheme.

    Not `urllib.parse.urlsplit`: it raises ValueError on a host that NFKC changes
    (`www.health℀info.com`), and one odd link must never stop a build.
    """
    rest = url.split("://", 1)[1] if "://" in url else url
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    host, path = rest[:cut], rest[cut:]
    host = host.rpartition("@")[2].partition(":")[0]
    host = unicodedata.normalize("NFKC", host).casefold()
    path = path.partition("?")[0].partition("#")[0]
    return host, path


class Scrubber:
    """Replaces personal details in texts and counts the replacements by kind."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def scrub(self, text: str, *, relatives: bool = True, may: np.ndarray | None = None) -> str:
        """`text` with every personal detail replaced by its placeholder.

        `relatives=False` skips the relation pattern: only for a text in which
        `may_name_relatives` found none (the result is then the same). `may`, the text's
        row of `may_match`, skips each digit pattern that cannot match it (the same).
        """
        if not text:
            return text
        replaced = self.counts.total()
        flags = dict(zip(MAY_MATCH, may, strict=True)) if may is not None else {}

        def may_have(name: str) -> bool:  # False only while the text is unchanged
            if flags and self.counts.total() != replaced:
                flags.clear()
            return flags.get(name, True)

        # Each pattern runs only where its keywords occur: a substring test is a hundred
        # times cheaper than a regex scan, and most texts have none of them.
        low = text.lower()
        if "@" in text:
            text = _EMAIL.sub(lambda m: self._count("email"), text)
        if may_have("url_word") and _has(low, _URL_KEYS):
            text = _URL.sub(self._url, text)
        if _DIGIT.search(text):  # every phone, ID, postcode, date and address has a digit
            if may_have("birth_word") and _has(low, _BIRTH_KEYS):
                text = _BIRTH_DATE.sub(lambda m: self._value(m, "date"), text)
            if may_have("phone_value") and _has(low, _PHONE_KEYS):
                text = _PHONE_WORDS.sub(lambda m: self._value(m, "phone"), text)
            if may_have("id_value") and (_has(text, _ID_KEYS) or _has(low, _ID_KEYS_ANY_CASE)):
                text = _ID_WORDS.sub(lambda m: self._value(m, "id"), text)
            if may_have("phone"):
                text = _PHONE.sub(lambda m: self._count("phone"), text)
            if may_have("id_layout"):
                text = _ID_LAYOUTS.sub(lambda m: self._count("id"), text)
            for name, pattern in zip(_POSTCODE_NAMES, _POSTCODES, strict=True):
                if may_have(name):
                    text = pattern.sub(lambda m: self._value(m, "postcode"), text)
            if may_have("street_word") and _has(text, _STREET_KEYS):
                for pattern in _ADDRESSES[:2]:
                    text = pattern.sub(lambda m: self._count("address"), text)
            if "box" in low:
                text = _ADDRESSES[2].sub(lambda m: self._count("address"), text)
        for keys, pattern in zip(_NAME_KEYS, _NAME_PATTERNS, strict=True):
            if (keys is None and relatives) or (keys is not None and _has(low, keys)):
                text = pattern.sub(self._name, text)
        if "\n" in text:
            text = _LAST_LINE.sub(self._name, text)
        return text

    def _count(self, kind: str) -> str:
        self.counts[kind] += 1
        return PLACEHOLDERS[kind]

    def _value(self, match: re.Match[str], kind: str) -> str:
        """The match with only its `value` group (or all of it) replaced."""
        if "value" not in match.re.groupindex or match.group("value") is None:
            return self._count(kind)
        start, end = match.span("value")
        whole = match.group(0)
        offset = match.start()
        return whole[: start - offset] + self._count(kind) + whole[end - offset :]

    def _url(self, match: re.Match[str]) -> str:
        url = match.group(0)
        trimmed = url.rstrip(".,;:!?)")
        tail = url[len(trimmed) :]
        host, path = _host_and_path(trimmed)
        host = host.removeprefix("www.").removeprefix("m.")
        personal = any(host == h or host.endswith("." + h) for h in _PERSONAL_HOSTS)
        if personal or _PERSONAL_PATH.search(path):
            return self._count("url") + tail
        return url

    def _name(self, match: re.Match[str]) -> str:
        """The match with its name replaced; a word that is not a name ends the name, and
        a candidate that runs into a role ("Worried Mom") is left whole."""
        words = re.split(r"(?<=\S)(?= )", match.group("name"))
        kept = 0
        for word in words:
            if not is_name_word(word.strip()):
                if word.strip().rstrip(".").casefold() in ROLES:
                    return match.group(0)
                break
            kept += len(word)
        if not kept:
            return match.group(0)
        start = match.start("name") - match.start()
        whole = match.group(0)
        return whole[:start] + self._count("name") + whole[start + kept :]
