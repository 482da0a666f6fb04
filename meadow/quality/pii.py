"""PII scrubbing for dialogue texts: personal details become typed placeholders.

What is replaced, and by what:

* `[EMAIL]`: e-mail addresses;
* `[URL]`: links to personal pages only (social networks, file and photo sharing, user
  profiles such as `/users/123/name` or `/~name`); links to articles and references stay;
* `[PHONE]`: phone numbers in the usual national and international layouts (a leading
  `+`, `(555) 123-4567`, `555-123-4567`, `020 7946 0958`, `98765 43210`), and any number
  that follows "call me on", "mobile", "phone", "WhatsApp", …;
* `[POSTCODE]`: UK and Canadian postcodes, US ZIP codes after a state abbreviation
  ("Boston, MA 02115"), and any code that follows "zip", "postcode", "PIN code", …;
* `[ID]`: numbers after an ID word ("MRN", "patient ID", "Aadhaar", "passport no", …),
  US social security numbers, 12- and 16-digit numbers in groups of four, and bare runs
  of ten or more digits that are not a phone number;
* `[NAME]`: names in greetings and sign-offs ("Hi Dr. [NAME],", "Regards, [NAME]") and in
  introductions ("my name is [NAME]", "I am Dr. [NAME]"). A greeting without a title
  counts only when the name ends the greeting ("Hi John," — not "Hi, Fever is …").

Medical numbers are left alone by construction: every pattern needs a phone/ID layout or
a keyword, so doses (500 mg), lab values (HbA1c 7.2%, platelets 1,50,000), ages, years,
blood pressures (120/80) and ICD codes (E11.9) never match; tests/quality/test_pii.py
checks them.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

from meadow.quality.text import word_list

PLACEHOLDERS = {
    "email": "[EMAIL]",
    "url": "[URL]",
    "phone": "[PHONE]",
    "postcode": "[POSTCODE]",
    "id": "[ID]",
    "name": "[NAME]",
}
KINDS = tuple(PLACEHOLDERS)

_DIGIT = re.compile(r"\d")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'\[\]]+", re.IGNORECASE)
_PERSONAL_HOSTS = word_list(
    """
    facebook.com fb.com fb.me twitter.com x.com instagram.com linkedin.com tiktok.com
    snapchat.com wa.me t.me whatsapp.com telegram.me vk.com dropbox.com drive.google.com
    docs.google.com photos.google.com photos.app.goo.gl onedrive.live.com 1drv.ms imgur.com
    flickr.com pinterest.com myspace.com
    """
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
_PHONE_WORDS = re.compile(
    r"\b(?i:(?:phone|mobile|telephone|whats ?app)(?: (?:no|number|num))?\.?(?: (?:is|at|on))?|"
    r"(?:mob|tel|cell|contact)(?: no\.?| number|\.|:)|(?:call|reach|text|contact) me (?:at|on))"
    r"\s*[:#-]?\s*(?P<value>(?=(?:[ ()-]*\d){7})\+?\d[\d ()-]{5,}\d)"
)
# ID words that name an identifier by themselves, and those that need "no"/"number" after.
_ID_ALONE = r"MRN|UHID|SSN|ID|Id|(?i:aadhaa?r|passport|patient id|member id|insurance id)"
_ID_NUMBERED = (
    r"(?:NHS|PAN|IP|OP|(?i:aadhaa?r|passport|medical record|patient|hospital|registration|reg|"
    r"case|policy|insurance|member|employee|card))(?i: (?:no|number|num))\.?"
)
_ID_WORDS = re.compile(
    rf"\b(?:{_ID_NUMBERED}|(?:{_ID_ALONE})\b)\s*(?i:is\s+)?[:#-]?\s*"
    r"(?P<value>(?=(?:[A-Z/ -]*\d){4})[A-Z0-9](?:[A-Z0-9/-]|[ ](?=\d{3}))*[A-Z0-9])\b"
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
    re.compile(r"\b(?:" + "|".join(_STATES) + r"),? (?P<value>\d{5}(?:-\d{4})?)" + _E),
    re.compile(
        r"\b(?i:zip|zip ?code|postal code|post ?code|pin|pin ?code)\s*(?i:is\s+)?[:#-]?\s*"
        r"(?P<value>\d{4,6}(?:-\d{4})?)" + _E
    ),
]

_TITLE = r"(?:(?i:dr|doctor|mr|mrs|ms|miss|prof)\.?\s+)"
_NAME = r"(?P<name>[A-Z][A-Za-z'’]*[a-z](?:[ -](?:[A-Z]\.|[A-Z][A-Za-z'’]*[a-z])){0,2})"
_GREETING = r"\b(?i:hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening))"
_SIGN_OFF = (
    r"\b(?i:regards|best regards|kind regards|warm regards|with regards|thanks and regards|"
    r"thanks|thank you|sincerely|yours (?:truly|sincerely|faithfully)|best wishes|cheers|"
    r"take care|best)"
)
_NAME_PATTERNS = [
    re.compile(rf"{_GREETING}[ ,]+{_TITLE}{_NAME}"),  # Hi Dr. Smith
    re.compile(rf"{_GREETING} +{_NAME}(?=\s*(?:[,!:\n]|\.(?:\s|$)|$))"),  # Hi John,
    re.compile(  # Regards, John / Thanks,\nDr. Smith
        rf"{_SIGN_OFF}(?:\s*[,.!:-]\s*|\s*\n\s*|\s+(?={_TITLE})){_TITLE}?{_NAME}\s*[.!]?\s*$",
        re.MULTILINE,
    ),
    re.compile(rf"(?:^|\n)\s*(?i:dr|doctor)\.?\s+{_NAME}\s*[.!]?\s*\Z"),  # a closing "Dr. Smith"
    re.compile(rf"\b(?i:my name is)\s+{_TITLE}?{_NAME}"),
    re.compile(rf"\b(?i:i am|i'm|this is)\s+{_TITLE}{_NAME}"),
]
# Capitalised words that follow a greeting or sign-off but are not names.
_NOT_NAMES = frozenset(
    word_list(
        """
    I My Me We Our You Your He She His Her It Its They Their This That These Those There
    Here Thanks Thank Thankyou Welcome Please Sorry Good Great Nice Well Yes No Ok Okay So
    And But Also As After Before Since From Based Being In On At For With To The A An All
    Everyone Everybody Anyone Friend Friends Team Guys Folks Sir Sirs Madam Mam Maam Dear
    Doctor Doctors Dr Mr Mrs Ms Miss Prof Chat ChatDoctor Hi Hello Hey Greetings Regards
    Bye Take Care Hope Best Kind Warm Wish Mom Mum Dad Mother Father Son Daughter Baby
    Patient Patients User Users Admin Moderator How What Why When Where Who Which Can Could
    Would Should Will Do Does Did Is Are Was Were Have Has Had Let Just Again Today Tonight
    Morning Evening Afternoon God Lord Jesus Allah
    """
    )
)


class Scrubber:
    """Replaces personal details in texts and counts the replacements by kind."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def scrub(self, text: str) -> str:
        """`text` with every personal detail replaced by its placeholder."""
        if not text:
            return text
        if "@" in text:
            text = _EMAIL.sub(lambda m: self._count("email"), text)
        if "http" in text or "www." in text.lower():
            text = _URL.sub(self._url, text)
        if _DIGIT.search(text):  # every phone, ID and postcode pattern has a digit
            text = _PHONE_WORDS.sub(lambda m: self._value(m, "phone"), text)
            text = _ID_WORDS.sub(lambda m: self._value(m, "id"), text)
            text = _PHONE.sub(lambda m: self._count("phone"), text)
            text = _ID_LAYOUTS.sub(lambda m: self._count("id"), text)
            for pattern in _POSTCODES:
                text = pattern.sub(lambda m: self._value(m, "postcode"), text)
        for pattern in _NAME_PATTERNS:
            text = pattern.sub(self._name, text)
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
        parts = urlsplit(trimmed if "://" in trimmed else "http://" + trimmed)
        host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
        personal = any(host == h or host.endswith("." + h) for h in _PERSONAL_HOSTS)
        if personal or _PERSONAL_PATH.search(parts.path or ""):
            return self._count("url") + tail
        return url

    def _name(self, match: re.Match[str]) -> str:
        """The match with its name replaced; words that are not names end the name."""
        words = re.split(r"(?<=\S)(?= )", match.group("name"))
        kept = 0
        for word in words:
            if word.strip().rstrip(".") in _NOT_NAMES:
                break
            kept += len(word)
        if not kept:
            return match.group(0)
        start = match.start("name") - match.start()
        whole = match.group(0)
        return whole[:start] + self._count("name") + whole[start + kept :]
