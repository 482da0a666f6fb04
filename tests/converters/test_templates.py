"""Questions from headings: templates, normalisation, topic casing."""

from __future__ import annotations

import pytest

from meadow.converters.templates import (
    in_sentence,
    intro_question,
    normalize_question,
    question_from_heading,
    split_title,
)


@pytest.mark.parametrize(
    ("raw", "question"),
    [
        ("What is Asthma ?", "What is Asthma?"),
        ("  what   are the symptoms of Asthma", "What are the symptoms of Asthma?"),
        ("Where to find medical care for Asthma?", "Where to find medical care for Asthma?"),
        ("Who is at risk ( and why ) ??", "Who is at risk (and why)?"),
        ("How is it treated:", "How is it treated?"),
    ],
)
def test_normalize_question(raw: str, question: str) -> None:
    assert normalize_question(raw) == question


@pytest.mark.parametrize(
    ("heading", "question"),
    [
        ("What is Asthma ?", "What is Asthma?"),
        ("What causes Asthma?", "What causes Asthma?"),
        ("When to seek urgent medical care", "When should I seek urgent medical care for asthma?"),
        ("When to seek urgent medical care?", "When should I seek urgent medical care for asthma?"),
        ("Treatment options", "What are the treatment options for asthma?"),
        ("Treatment options for Asthma", "What are the treatment options for asthma?"),
        ("What to expect (Outlook/Prognosis)", "What is the outlook (prognosis) for asthma?"),
        ("Prevention", "How can asthma be prevented?"),
        ("Prevention of Asthma", "How can asthma be prevented?"),
        ("Diagnosis", "How is asthma diagnosed?"),
        ("Possible complications", "What are the possible complications of asthma?"),
        ("Historical Perspective", "What is the historical background of asthma?"),
        ("Pathophysiology", "What is the pathophysiology of asthma?"),
        (
            "Natural History, Complications and Prognosis",
            "What are the natural history, complications and prognosis of asthma?",
        ),
        (
            "Differentiating Asthma from other Diseases",
            "How can asthma be differentiated from other diseases?",
        ),
        ("Medical Therapy", "What is the medical therapy for asthma?"),
        ("Laboratory Findings", "What are the laboratory findings in asthma?"),
        ("Airway Remodeling", "What should I know about airway remodeling in asthma?"),
        ("Asthma in pregnancy", "What should I know about asthma in pregnancy?"),
        ("Long-term care:", "What should I know about long-term care in asthma?"),
    ],
)
def test_question_from_heading(heading: str, question: str) -> None:
    assert (
        question_from_heading(heading, "Asthma", context="People with asthma wheeze.") == question
    )


def test_names_and_acronyms_keep_their_capitals() -> None:
    context = "Children with Kawasaki disease have a fever. Kawasaki disease is treated early."
    assert question_from_heading("Causes", "Kawasaki disease", context=context) == (
        "What causes Kawasaki disease?"
    )
    assert question_from_heading("Diagnosis", "COPD") == "How is COPD diagnosed?"
    assert (
        question_from_heading("Diagnosis", "Crohn's disease") == "How is Crohn's disease diagnosed?"
    )
    assert in_sentence("Acute kidney injury") == "acute kidney injury"
    assert in_sentence("Guillain-Barré syndrome") == "Guillain-Barré syndrome"


def test_overview_on_a_subject_page_names_the_page() -> None:
    question = question_from_heading(
        "Overview", "Asthma", title="Asthma pathophysiology", subject="pathophysiology"
    )
    assert question == "Can you give an overview of asthma pathophysiology?"
    assert question_from_heading(
        "Overview", "Asthma", title="Asthma overview", subject="overview"
    ) == ("Can you give an overview of asthma?")


@pytest.mark.parametrize(
    ("title", "headings", "split"),
    [
        ("Asthma pathophysiology", (), ("Asthma", "pathophysiology")),
        ("Asthma overview", (), ("Asthma", "overview")),
        (
            "Asthma natural history, complications and prognosis",
            (),
            ("Asthma", "natural history complications and prognosis"),
        ),
        ("COPD risk factors", (), ("COPD", "risk factors")),
        ("Differentiating asthma from other diseases", (), ("asthma", "differential diagnosis")),
        ("Cardiac surgery", (), ("Cardiac surgery", "")),
        ("Asthma surgery", ("Overview", "Surgery"), ("Asthma", "surgery")),
        ("Asthma", (), ("Asthma", "")),
        ("Overview", (), ("Overview", "")),
    ],
)
def test_split_title(title: str, headings: tuple[str, ...], split: tuple[str, str]) -> None:
    assert split_title(title, headings) == split


def test_intro_question() -> None:
    assert intro_question("Asthma") == "What is asthma?"
    assert intro_question("Asthma", "pathophysiology") == "What is the pathophysiology of asthma?"
