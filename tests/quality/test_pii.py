"""PII scrubbing: each kind of personal detail becomes its placeholder; medical numbers stay."""

from __future__ import annotations

import pytest

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
