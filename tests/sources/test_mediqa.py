"""The mediqa source: MEDIQA-AnS JSON and MEDIQA 2019 task 3 XML, written in tmp_path.

The JSON is one object keyed by question id, as the OSF release writes it; the XML has a
root tag naming the set and tab-indented `<Question>`s, as the MEDIQA2019 repository has it.
"""

# The fixtures are files as upstream writes them, long lines included.
# ruff: noqa: E501

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

import meadow
from meadow.errors import RawFileError, RecipeError
from meadow.sources import _json, get_source
from meadow.sources.mediqa import SUMMARIZE_INSTRUCTION, MediqaSource
from tests.sources.helpers import collect, write_at

SAMPLE = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "mediqa"
ANSWER = "Answer this question truthfully"


def run(path: Path, **settings) -> tuple[list[tuple[str, str, str, str, str]], Counter[str]]:
    """(subset, source_id, instruction, input, output) of every record, and the skips."""
    records, skips = collect(MediqaSource(**settings), path)
    for item in records:
        assert item.source == "mediqa" and item.license == "other"
    return [(r.subset, r.source_id, r.instruction, r.input, r.output) for r in records], skips


# -- one fixture per raw shape -------------------------------------------------------------


@pytest.fixture
def ans_json(tmp_path: Path) -> Path:
    """MEDIQA-AnS: two questions with answers, summaries and a few gaps."""
    return write_at(
        tmp_path / "question_driven_answer_summarization_primary_dataset.json",
        """
        {
            "1": {
                "question": "what are the side effects of  metformin",
                "multi_abs_summ": "Metformin often causes stomach upset, diarrhoea and a metallic taste at first.\\nTaking it with food helps. Rarely it causes lactic acidosis.",
                "multi_ext_summ": "Common side effects are nausea and diarrhoea. Take metformin with meals.",
                "answers": {
                    "1_Answer1": {
                        "article": "Metformin. Metformin lowers blood sugar. Side effects: Common side effects are nausea and diarrhoea. Take metformin with meals.",
                        "section": "Side effects:   Common side effects are nausea and diarrhoea.\\nTake metformin with meals.",
                        "url": "https://example.invalid/metformin",
                        "rating": "4",
                        "answer_abs_summ": "Metformin commonly upsets the stomach; taking it with meals helps.",
                        "answer_ext_summ": "Common side effects are nausea and diarrhoea."
                    },
                    "1_Answer2": {
                        "article": "Lactic acidosis is a rare but serious side effect of metformin.",
                        "section": "",
                        "url": "https://example.invalid/lactic-acidosis",
                        "rating": "3",
                        "answer_abs_summ": "Metformin can rarely cause lactic acidosis, which is serious.",
                        "answer_ext_summ": "Lactic acidosis is a rare but serious side effect of metformin."
                    },
                    "1_Answer3": {
                        "article": "Diabetes diet.",
                        "section": "Diabetes diet.",
                        "url": "https://example.invalid/diet",
                        "rating": "1",
                        "answer_abs_summ": "",
                        "answer_ext_summ": ""
                    }
                }
            },
            "2": {
                "question": "Is a sore throat with white spots strep?",
                "multi_abs_summ": "",
                "multi_ext_summ": "White spots can come from strep or a virus.",
                "answers": {
                    "2_Answer1": {
                        "article": "",
                        "section": "",
                        "url": "https://example.invalid/strep",
                        "rating": "2",
                        "answer_abs_summ": "Only a throat test can tell strep from a virus.",
                        "answer_ext_summ": "White spots can come from strep or a virus."
                    }
                }
            },
            "3": {
                "question": " ",
                "multi_abs_summ": "A summary of nothing.",
                "multi_ext_summ": "",
                "answers": {}
            }
        }
        """,
        lstrip=True,
    )


QA_XML = """
<?xml version="1.0" encoding="UTF-8"?>
<{root}>
	<Question QID="5">
		<QuestionText>gout. what foods should i avoid with gout?</QuestionText>
		<AnswerList>
			<Answer AID="5_Answer1" SystemRank="1" ReferenceRank="2" ReferenceScore="4">
				<AnswerURL>https://example.invalid/gout-diet</AnswerURL>
				<AnswerText>Gout diet: Limit red meat, organ meats and shellfish, and avoid drinks sweetened with fructose and too much alcohol, especially beer.</AnswerText>
			</Answer>
			<Answer AID="5_Answer2" SystemRank="2" ReferenceRank="1" ReferenceScore="3">
				<AnswerURL>https://example.invalid/gout</AnswerURL>
				<AnswerText>Gout (Prevention): Drinking plenty of water and keeping a healthy weight can lower the chance of attacks. It&apos;s also   wise to
				limit alcohol.</AnswerText>
			</Answer>
			<Answer AID="5_Answer3" SystemRank="3" ReferenceRank="3" ReferenceScore="2">
				<AnswerURL>https://example.invalid/arthritis</AnswerURL>
				<AnswerText>Arthritis: Arthritis means joint inflammation.</AnswerText>
			</Answer>
			<Answer AID="5_Answer4" SystemRank="4" ReferenceRank="4" ReferenceScore="1">
				<AnswerURL>https://example.invalid/kidney-stones</AnswerURL>
				<AnswerText>Kidney stones: Stones form in the kidney.</AnswerText>
			</Answer>
			<Answer AID="5_Answer5" SystemRank="5" ReferenceRank="5" ReferenceScore="4">
				<AnswerURL>https://example.invalid/empty</AnswerURL>
				<AnswerText></AnswerText>
			</Answer>
			<Answer AID="5_Answer6" SystemRank="6" ReferenceRank="6" ReferenceScore="n/a">
				<AnswerURL>https://example.invalid/odd</AnswerURL>
				<AnswerText>An answer with a score that is not a number.</AnswerText>
			</Answer>
		</AnswerList>
	</Question>
	<Question QID="6">
		<QuestionText></QuestionText>
		<AnswerList>
			<Answer AID="6_Answer1" SystemRank="1" ReferenceRank="1" ReferenceScore="4">
				<AnswerURL>https://example.invalid/x</AnswerURL>
				<AnswerText>An answer to no question.</AnswerText>
			</Answer>
		</AnswerList>
	</Question>
</{root}>
"""


@pytest.fixture
def qa_xml(tmp_path: Path) -> Path:
    """A MEDIQA 2019 task 3 training set with every ReferenceScore."""
    root = "MEDIQA2019-Task3-QA-TrainingSet1-LiveQAMed"
    return write_at(tmp_path / f"{root}.xml", QA_XML.format(root=root), lstrip=True)


UNLABELLED_XML = """
<?xml version="1.0" encoding="UTF-8"?>
<MEDIQA2019-Task3-QA-TestSet>
	<Question QID="1">
		<QuestionText>Can I take ibuprofen with high blood pressure?</QuestionText>
		<AnswerList>
			<Answer AID="1_Answer1" SystemRank="1">
				<AnswerURL>https://example.invalid/ibuprofen</AnswerURL>
				<AnswerText>Ibuprofen can raise blood pressure.</AnswerText>
			</Answer>
		</AnswerList>
	</Question>
</MEDIQA2019-Task3-QA-TestSet>
"""


@pytest.fixture
def unlabelled_test_xml(tmp_path: Path) -> Path:
    """The test set as first released: SystemRank only, no reference judgments."""
    return write_at(tmp_path / "MEDIQA2019-Task3-QA-TestSet.xml", UNLABELLED_XML, lstrip=True)


@pytest.fixture
def mediqa_folder(tmp_path: Path, ans_json: Path, qa_xml: Path) -> Path:
    """A folder as a user collects it: both collections plus files that are not read."""
    write_at(
        tmp_path / "section2answer_single_abstractive_summ.json",
        '{"1_Answer1": {"question": "q", "articles": "a", "summary": "s"}}',
    )
    write_at(
        tmp_path / "MEDIQA2019-Task2-RQE-ValidationSet-AMIA2016.xml",
        '<MEDIQA2019-Task2-RQE-ValidationSet><pair pid="1" value="true"><chq>a</chq><faq>b</faq></pair></MEDIQA2019-Task2-RQE-ValidationSet>',
    )
    write_at(tmp_path / "README.txt", "not read")
    return tmp_path


# -- records --------------------------------------------------------------------------------


def test_answer_summarization_records(ans_json: Path) -> None:
    records, skips = run(ans_json)
    assert records == [
        (
            "answer_summarization",
            "1",
            ANSWER,
            "what are the side effects of metformin",
            "Metformin often causes stomach upset, diarrhoea and a metallic taste at first.\nTaking it with food helps. Rarely it causes lactic acidosis.",
        ),
        (
            "answer_summarization",
            "1/1_Answer1",
            SUMMARIZE_INSTRUCTION,
            "Question: what are the side effects of metformin\n\nPassage: Side effects: Common side effects are nausea and diarrhoea.\nTake metformin with meals.",
            "Metformin commonly upsets the stomach; taking it with meals helps.",
        ),
        (
            "answer_summarization",
            "1/1_Answer2",
            SUMMARIZE_INSTRUCTION,
            "Question: what are the side effects of metformin\n\nPassage: Lactic acidosis is a rare but serious side effect of metformin.",
            "Metformin can rarely cause lactic acidosis, which is serious.",
        ),
    ]
    assert skips == {"no_summary": 2, "no_passage": 1, "no_question": 1}


def test_extractive_summaries_on_request(ans_json: Path) -> None:
    records, skips = run(ans_json, summary="extractive")
    assert [(r[1], r[4]) for r in records] == [
        ("1", "Common side effects are nausea and diarrhoea. Take metformin with meals."),
        ("1/1_Answer1", "Common side effects are nausea and diarrhoea."),
        ("1/1_Answer2", "Lactic acidosis is a rare but serious side effect of metformin."),
        ("2", "White spots can come from strep or a virus."),
    ]
    assert skips == {"no_summary": 1, "no_passage": 1, "no_question": 1}


def test_recipe_instruction_applies_to_every_record(ans_json: Path) -> None:
    records, _ = run(ans_json, instruction="Respond as a nurse would.")
    assert {r[2] for r in records} == {"Respond as a nurse would."}


def test_qa_keeps_answers_judged_correct(qa_xml: Path) -> None:
    records, skips = run(qa_xml)
    assert records == [
        (
            "qa",
            "MEDIQA2019-Task3-QA-TrainingSet1-LiveQAMed/5_Answer1",
            ANSWER,
            "gout. what foods should i avoid with gout?",
            "Gout diet: Limit red meat, organ meats and shellfish, and avoid drinks sweetened with fructose and too much alcohol, especially beer.",
        ),
        (
            "qa",
            "MEDIQA2019-Task3-QA-TrainingSet1-LiveQAMed/5_Answer2",
            ANSWER,
            "gout. what foods should i avoid with gout?",
            "Gout (Prevention): Drinking plenty of water and keeping a healthy weight can lower the chance of attacks. It's also wise to\nlimit alcohol.",
        ),
    ]
    assert skips == {
        "judged_incorrect": 2,
        "empty_answer": 1,
        "bad_reference_score": 1,
        "no_question": 1,
    }


@pytest.mark.parametrize(("minimum", "kept"), [(4, 1), (2, 3), (1, 4)])
def test_min_reference_score_option(qa_xml: Path, minimum: int, kept: int) -> None:
    records, skips = run(qa_xml, min_reference_score=minimum)
    assert len(records) == kept
    assert skips["judged_incorrect"] == 4 - kept


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"summary": "both"}, r"options\.summary: expected one of abstractive, extractive"),
        ({"min_reference_score": 5}, r"options\.min_reference_score: expected a score from 1"),
        ({"min_reference_score": "3"}, r"options\.min_reference_score"),
        ({"rating": 3}, r"unknown option .*available: min_reference_score, summary"),
    ],
)
def test_bad_options_are_refused(settings: dict, match: str) -> None:
    with pytest.raises(RecipeError, match=match):
        MediqaSource(**settings)


def test_unlabelled_answers_are_counted(unlabelled_test_xml: Path) -> None:
    assert run(unlabelled_test_xml) == ([], Counter({"unjudged": 1}))


def test_a_corrected_set_shares_ids_with_its_first_version(tmp_path: Path) -> None:
    root = "MEDIQA2019-Task3-QA-TrainingSet2-Alexa"
    first = write_at(tmp_path / "v1" / f"{root}.xml", QA_XML.format(root=root), lstrip=True)
    second = write_at(
        tmp_path / "v2" / f"{root}-V2.xml", QA_XML.format(root=f"{root}-V2"), lstrip=True
    )
    assert [r[1] for r in run(first)[0]] == [r[1] for r in run(second)[0]]
    assert run(second)[0][0][1] == f"{root}/5_Answer1"


def test_folder_reads_both_collections_and_nothing_else(mediqa_folder: Path) -> None:
    files = MediqaSource().shards(mediqa_folder)
    assert [p.name for p in files] == [
        "MEDIQA2019-Task3-QA-TrainingSet1-LiveQAMed.xml",
        "question_driven_answer_summarization_primary_dataset.json",
    ]
    records, _ = run(mediqa_folder)
    assert Counter(r[0] for r in records) == {"qa": 2, "answer_summarization": 3}


def test_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    path = write_at(
        tmp_path / "MEDIQA2019-Task3-QA-ValidationSet.xml",
        f"""
        <?xml version="1.0"?>
        <!DOCTYPE MEDIQA2019-Task3-QA-ValidationSet [<!ENTITY xxe SYSTEM "file://{secret}">]>
        <MEDIQA2019-Task3-QA-ValidationSet><Question QID="1"><QuestionText>What is it?</QuestionText><AnswerList><Answer AID="1_Answer1" ReferenceScore="4"><AnswerText>It is &xxe; here.</AnswerText></Answer></AnswerList></Question></MEDIQA2019-Task3-QA-ValidationSet>
        """,
        lstrip=True,
    )
    records, _ = run(path)
    assert [r[4] for r in records] == ["It is &xxe; here."]


def test_slow_ijson_backend_warns_once(
    ans_json: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_json, "_backend_checked", False)
    monkeypatch.setattr(_json.ijson, "backend", "python")
    with caplog.at_level(logging.WARNING, logger="meadow.sources"):
        run(ans_json)
        run(ans_json)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "'python' backend, about 15x slower" in warnings[0]


# -- files that cannot be read --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", r"empty file: download it again"),
        (
            '[{"question": "q"}]',
            r"holding MEDIQA-AnS questions keyed by question id \(starting with '\{'\), found '\['",
        ),
        (
            '{"1": {"question": "q", "multi_abs_summ": "s", "multi_ext_summ": "s", "answers": {}}, "2": {"question": "q2", "multi_',
            r"row 1: stopped after question '1': the JSON is cut short after 1 items \(premature end of file\): download the file again",
        ),
        (
            '{"1": {"question": "q", "multi_ext_summ": "s", "answers": {}}}',
            r", row 1: question '1' has no 'multi_abs_summ' key",
        ),
        (
            '{"1": {"question": "q", "multi_abs_summ": "s", "multi_ext_summ": "s", "answers": {"1_Answer1": {"article": "a", "answer_abs_summ": "s", "answer_ext_summ": "s"}}}}',
            r"answer '1_Answer1' has no 'section' key",
        ),
        (
            '{"1_Answer1": {"question": "q", "articles": "a", "summary": "s"}}',
            r"derived views of MEDIQA-AnS.*pass question_driven_answer_summarization_primary_dataset\.json",
        ),
    ],
)
def test_unreadable_json(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "mediqa.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RawFileError, match=match):
        list(MediqaSource().parse(path))


def test_json_in_the_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "question_driven_answer_summarization_primary_dataset.json"
    text = '{\n    "1": {\n        "question": "Is caf\u00e9 coffee safe in pregnancy?",\n'
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(
        RawFileError, match=r"not valid UTF-8 \(byte 0xe9 on line 3\): re-save the file as UTF-8"
    ):
        list(MediqaSource().parse(path))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", r"empty file: not a MEDIQA 2019 task 3 file"),
        (
            '<?xml version="1.0"?>\n<Set>\n<Question QID="1"><QuestionText>q</QuestionText>\n',
            r"malformed XML at line \d+: .*damaged or truncated: download it again",
        ),
        ("<Set><Other/></Set>", r"no <Question> elements under <Set>: not a MEDIQA 2019 task 3"),
        (
            "<Set><Question><QuestionText>q</QuestionText></Question></Set>",
            r", row 1: <Question> number 1 has no QID attribute",
        ),
        (
            '<Set><Question QID="1"><AnswerList><Answer ReferenceScore="4"/></AnswerList></Question></Set>',
            r"an <Answer> of question 1 has no AID attribute",
        ),
    ],
)
def test_unreadable_xml(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "MEDIQA2019-Task3-QA-ValidationSet.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RawFileError, match=match):
        list(MediqaSource().parse(path))


def test_json_broken_after_a_question_names_that_question(tmp_path: Path) -> None:
    path = tmp_path / "question_driven_answer_summarization_primary_dataset.json"
    text = '{"7": {"question": "q", "multi_abs_summ": "s", "multi_ext_summ": "s", "answers": {}},\n "8": {"question": "Caf\u00e9?"'
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(
        RawFileError,
        match=r"row 1: stopped after question '7': not valid UTF-8 \(byte 0xe9 on line 2\): re-save",
    ):
        list(MediqaSource().parse(path))


def test_json_in_utf16_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "question_driven_answer_summarization_primary_dataset.json"
    path.write_text('{"1": {"question": "q"}}', encoding="utf-16")
    with pytest.raises(RawFileError, match="the file is UTF-16, not UTF-8: re-save it as UTF-8"):
        list(MediqaSource().parse(path))


def test_json_with_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "question_driven_answer_summarization_primary_dataset.json"
    path.write_bytes(
        b'\xef\xbb\xbf{"1": {"question": "Is flu contagious?", "multi_abs_summ": "Yes, for about a week.", "multi_ext_summ": "", "answers": {}}}'
    )
    records, _ = run(path)
    assert records == [
        ("answer_summarization", "1", ANSWER, "Is flu contagious?", "Yes, for about a week.")
    ]


def test_xml_in_the_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "MEDIQA2019-Task3-QA-ValidationSet.xml"
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<Set>\n<Question QID="1"><QuestionText>Caf\u00e9?</QuestionText></Question></Set>\n'
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(RawFileError, match=r"not UTF-8 text at line 3 .*re-save the file as UTF-8"):
        list(MediqaSource().parse(path))


def test_folder_without_mediqa_files(tmp_path: Path) -> None:
    write_at(tmp_path / "notes.txt", "nothing here")
    with pytest.raises(
        RawFileError,
        match=r"folder holds no MEDIQA files: expected question_driven_answer_summarization_primary_dataset\.json \(MEDIQA-AnS\) and/or MEDIQA2019-Task3-QA-\*\.xml",
    ):
        MediqaSource().shards(tmp_path)


def test_file_of_another_kind(tmp_path: Path) -> None:
    path = write_at(tmp_path / "mediqa.csv", "question,answer\n")
    with pytest.raises(RawFileError, match="not a MEDIQA file"):
        MediqaSource().shards(path)


# -- registry, sample, build ------------------------------------------------------------------


def test_registered_with_its_metadata() -> None:
    cls = get_source("mediqa")
    assert cls is MediqaSource
    info = cls.info()
    assert info["subsets"] == ["answer_summarization", "qa"]
    assert info["license"] == "other"
    assert "savery2020question" in info["citation"]
    assert "ben-abacha-etal-2019-overview" in info["citation"]
    assert "osf.io/fyg46" in info["how_to_get"].lower()
    assert info["raw_files"] == []


def test_sample_parses_with_expected_counts() -> None:
    records, skips = run(SAMPLE)
    assert Counter(r[0] for r in records) == {"qa": 3, "answer_summarization": 4}
    assert skips == {"judged_incorrect": 3, "no_summary": 1}
    for record in records:
        assert "meadow" not in record[3] + record[4]
        assert "not medical advice" not in record[3] + record[4]


def test_build_and_load_the_sample() -> None:
    result = meadow.build(sources=["mediqa"], raw={"mediqa": SAMPLE}, name="t")
    assert result.rows == 7
    data = meadow.load_mixture("t")
    rows = [row for split in data.values() for row in split]
    assert Counter(row["subset"] for row in rows) == {"qa": 3, "answer_summarization": 4}
    assert "1/1_Answer1" in {row["source_id"] for row in rows}
