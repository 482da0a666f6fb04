"""PII scrubbing: each kind of personal detail becomes its placeholder; medical numbers stay."""

from __future__ import annotations

import json
import signal
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meadow import build, load_mixture
from meadow.quality.pii import KINDS, Scrubber


def _scrub(text: str) -> tuple[str, dict[str, int]]:
    scrubber = Scrubber()
    return scrubber.scrub(text), dict(scrubber.counts)


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("Write to john.smith@gmail.com today.", "Write to [EMAIL] today.", "email"),
        ("Photos: https://www.facebook.com/john.smith.77.", "Photos: [URL].", "url"),
        ("See https://biology.stackexchange.com/users/1234/jane", "See [URL]", "url"),
        ("My report: www.dropbox.com/s/abc/report.pdf", "My report: [URL]", "url"),
        ("Call me on +91 98765 43210 please", "Call me on [PHONE] please", "phone"),
        ("office (555) 123-4567.", "office [PHONE].", "phone"),
        ("cell 555-123-4567", "cell [PHONE]", "phone"),
        ("UK number 020 7946 0958.", "UK number [PHONE].", "phone"),
        ("my mobile is 9876543210", "my mobile is [PHONE]", "phone"),
        ("WhatsApp: 8888 777 666", "WhatsApp: [PHONE]", "phone"),
        ("MRN: 45821973", "MRN: [ID]", "id"),
        ("patient ID AB123456", "patient ID [ID]", "id"),
        ("Aadhaar no. 1234 5678 9012.", "Aadhaar no. [ID].", "id"),
        ("SSN 123-45-6789", "SSN [ID]", "id"),
        ("reference 12345678901", "reference [ID]", "id"),
        ("I live in London SW1A 2AA now", "I live in London [POSTCODE] now", "postcode"),
        ("Boston, MA 02115", "Boston, MA [POSTCODE]", "postcode"),
        ("pin code 560001.", "pin code [POSTCODE].", "postcode"),
        ("Toronto M5V 3L9", "Toronto [POSTCODE]", "postcode"),
        ("Hi Dr. Smith, I have a cough.", "Hi Dr. [NAME], I have a cough.", "name"),
        ("Hello John, thanks.", "Hello [NAME], thanks.", "name"),
        ("Dear Mr. Raj Kumar,", "Dear Mr. [NAME],", "name"),
        ("Take care.\nRegards,\nDr. Rajesh Kumar", "Take care.\nRegards,\nDr. [NAME]", "name"),
        ("Thanks, John", "Thanks, [NAME]", "name"),
        ("Hi, my name is Rahul Sharma and I am 25.", "Hi, my name is [NAME] and I am 25.", "name"),
        ("This is Dr. Ilir Sharka.", "This is Dr. [NAME].", "name"),
        ("My wife Linda has a cough.", "My wife [NAME] has a cough.", "name"),
        ("my father Robert Chen is 72", "my father [NAME] is 72", "name"),
        ("My mother Mrs. Rosa Diaz fell.", "My mother Mrs. [NAME] fell.", "name"),
        ("Hello, I'm Emma, a 29-year-old", "Hello, I'm [NAME], a 29-year-old", "name"),
        ("His cardiologist Dr. Hughes agreed", "His cardiologist Dr. [NAME] agreed", "name"),
        ("Name: Joseph Mwangi", "Name: [NAME]", "name"),
        ("hi im jake, 19, from texas", "hi im [NAME], 19, from texas", "name"),
        ("Pics: instagram.com/jess.holloway.art - see", "Pics: [URL] - see", "url"),
        ("My DOB is 03/14/2015.", "My DOB is [DATE].", "date"),
        ("born 1952-07-22, lives alone", "born [DATE], lives alone", "date"),
        ("my son was born 12 March 2018 and", "my son was born [DATE] and", "date"),
        ("Her birthday is on July 4, 2022.", "Her birthday is on [DATE].", "date"),
        ("lives at 42 Elm Street, Springfield", "lives at [ADDRESS], Springfield", "address"),
        ("I live at 1600 Pennsylvania Ave NW and", "I live at [ADDRESS] and", "address"),
        ("We live at 7 Maple Drive, Apt 3B, and", "We live at [ADDRESS], and", "address"),
        ("Sent to PO Box 4521, Gaborone.", "Sent to [ADDRESS], Gaborone.", "address"),
        ("We live at 10 Downing Street.", "We live at [ADDRESS].", "address"),
    ],
)
def test_each_kind_of_pii_becomes_its_placeholder(text, expected, kind):
    scrubbed, counts = _scrub(text)
    assert scrubbed == expected
    assert counts == {kind: 1}


@pytest.mark.parametrize(
    "text",
    [
        "Metformin 500 mg twice daily, 0.5 mg/kg, 10 mg for 14 days; doses of 250 500 1000 mg.",
        "HbA1c 7.2%, TSH 4.5 mIU/L, Hb 11.2 g/dL, LDL 160 mg/dL, creatinine 1.2, SpO2 98%.",
        "Platelets 1,50,000/cumm, WBC 11,000, count 4.5 million, CD4 count 350 cells/mm3.",
        "BP 120/80, 140/90 mmHg, pulse 72/min, sugar 110-140, temperature 101 F.",
        "A 45 year old man, aged 34, a 6-year-old boy; since 2019, in 2018 2019 2020.",
        "ICD-10 E11.9, I10, J45.909; vitamin B12 1500 mcg, B12 1MG; weight 72 kg.",
        "PMID 31234567, doi 10.1016/j.cell.2020.02.052, chr1:123456789, on 12/05/2020.",
        "The reference is https://en.wikipedia.org/wiki/Gout and www.nhs.uk/conditions/gout.",
        "K+ 3.1, a 45-year-old, diabetic since 2018, born in 1948, MRI on 12 March 2021.",
        "Seen on 2023-06-12 and 14/06/2023; next visit 21 November; grade 3, stage 2 at 10 am.",
        "Take 2 tablets 3 times a day for 5 days, then 1 tablet at night; IM ceftriaxone 1 g.",
        "Mild MR. I'm 61 and my EF is 55%; DR was graded 2 in 2019.",
    ],
)
def test_medical_numbers_and_references_are_not_scrubbed(text):
    assert _scrub(text) == (text, {})


@pytest.mark.parametrize(
    "text",
    [
        "Hi, Thanks for your query.",
        "Hello dear, Hi Doctor, Hi there.",
        "Hello, Fever with cough is common.",
        "Regards, Chat Doctor.",
        "This is the best Medicine",
        "I am Diabetic and take insulin.",
        "Thanks,\nWorried Mom",
        "Take it after food.\nThanks\nMetformin",
        "Regards,\nAnxious Father",
        "Thank you,\nGrateful Grandma",
        "Regards\nParacetamol",
        "I'm Pregnant, 8 weeks, and my son Has a fever.",
        "Please see a doctor. Ultrasound will tell.",
        "I gave my son Calpol and my daughter Ibuprofen.",
        "my doctor Prescribed amoxicillin; my father Parkinson's disease; my wife Hypothyroid.",
        "Take 2 Crocin Dr told me.",
    ],
)
def test_words_after_a_greeting_that_are_not_names_stay(text):
    assert _scrub(text) == (text, {})


def test_a_name_ends_at_the_first_word_that_is_not_a_name():
    assert _scrub("Hi Dr. Smith Please help me") == ("Hi Dr. [NAME] Please help me", {"name": 1})


def test_counts_add_up_per_kind_over_a_text():
    scrubbed, counts = _scrub(
        "Hi Dr. Rao, my email is a@b.com, phone 98765 43210 or +1 (555) 123-4567. Thanks, Priya"
    )
    assert scrubbed == (
        "Hi Dr. [NAME], my email is [EMAIL], phone [PHONE] or [PHONE]. Thanks, [NAME]"
    )
    assert counts == {"name": 2, "email": 1, "phone": 2}
    assert set(counts) <= set(KINDS)


def test_a_url_that_nfkc_changes_is_kept_without_an_error():
    # urlsplit raises "netloc … contains invalid characters under NFKC normalization"
    text = "Read www.health℀info.com and http://example.com/a℀b today."
    assert _scrub(text) == (text, {})


def test_a_personal_host_is_found_after_nfkc():
    assert _scrub("see https://ｆａｃｅｂｏｏｋ.com/jane.doe") == ("see [URL]", {"url": 1})


def test_a_build_of_a_scrubbed_source_goes_on_past_a_url_that_nfkc_changes(tmp_path):
    rows = [
        {
            "instruction": "Answer as a doctor.",
            "input": f"I read on www.health℀info.com that gout is caused by diet, question {i}?",
            "output": f"Gout is caused by uric acid crystals in a joint; diet is one factor {i}.",
        }
        for i in range(3)
    ]
    path = tmp_path / "chatdoctor" / "HealthCareMagic-100k.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(rows), encoding="utf-8")
    result = build(sources=["chatdoctor"], raw={"chatdoctor": path.parent}, name="nfkc")
    assert result.rows == 3
    inputs = sorted(r["input"] for split in load_mixture("nfkc").values() for r in split)
    assert inputs == sorted(r["input"] for r in rows)


# Each text is 100 KB of one character run or token repeated: today's worst cases for a
# backtracking regex. Today's code took 19 s on 20 KB of the first (quadratic: minutes on
# 100 KB); the scrubber must stay within a generous multiple of ordinary text's time.
ADVERSARIAL = {
    "sign-off then newlines": "Thanks" + "\n" * 100_000,
    "newlines": "\n" * 100_000,
    "greeting then newlines": "Hi " + "\n" * 100_000,
    "sign-off then spaces and newlines": "Thanks" + " \n" * 50_000 + "x",
    "a name then spaces": "Thanks, John" + " " * 100_000 + "x",
    "spaces": "Regards " + " " * 100_000,
    "digits": "9" * 100_000 + "x",
    "digits and spaces": "1 " * 50_000,
    "dots": "a" + "." * 100_000,
    "at signs": "a@" * 50_000,
    "dotted host": "a@b" + ".b" * 50_000 + ".",
    "schemes": "http://" * 15_000,
    "keywords": "MRN ID zip DOB born phone " * 4_000,
    "relations": "my son " * 15_000,
    "capitalised words": "Hi Dr. " + "Ab " * 33_000,
}


def _ordinary_text() -> str:
    text = (
        "Hi doctor, my son has a fever of 101 F since 2 days and a cough. He is 6 years old, "
        "weight 19 kg. I gave him paracetamol 250 mg. His CBC on 12/05/2024: Hb 11.2, WBC "
        "11,000, platelets 2,10,000. Should I worry?\nHello, thanks for the query. Take care.\n"
    )
    return (text * (100_000 // len(text) + 1))[:100_000]


class _TooSlow(Exception):
    pass


def _timed_scrub(text: str, limit: float) -> float:
    """Seconds to scrub `text`; stops at `limit` (where the OS has SIGALRM)."""

    def stop(*_):
        raise _TooSlow

    alarm = hasattr(signal, "setitimer")
    if alarm:
        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        Scrubber().scrub(text)
    except _TooSlow:
        pass
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return time.perf_counter() - start


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_text_is_scrubbed_in_linear_time(name):
    baseline = min(_timed_scrub(_ordinary_text(), 30) for _ in range(2))
    limit = max(2.0, 20 * baseline)
    seconds = _timed_scrub(ADVERSARIAL[name], limit)
    assert seconds < limit, f"{name}: {seconds:.2f} s for 100 KB (ordinary text: {baseline:.2f} s)"


# Pieces of URLs, keywords and characters that NFKC changes, glued at random.
PIECES = ["www.", "http://", "a.com/", "instagram.com/", "@", "℀", "ｆ", "[", "]", ":", "/"]
PIECES += ["DOB ", "born ", "Dr. ", "my son ", "Thanks\n", "42 ", "Elm ", "Street", "9", " "]
PIECES += ["\n", "Ab", "é", "\x00", "\ufffd"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=5), max_size=30).map("".join))
def test_any_text_is_scrubbed_without_an_error(text):
    scrubbed = Scrubber().scrub(text)
    assert isinstance(scrubbed, str)
