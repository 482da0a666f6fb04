# ruff: noqa: E501  (raw fixtures keep the upstream one-line JSON objects)
"""The usmle source: medAlpaca's USMLE self-assessment folder, written in tmp_path.

The files are JSON as medAlpaca published them: `stepN.json` lists `{no, question,
options}`, `stepN_solutions.json` maps the number (a string key) to a letter, and
`question_with_images.json` lists 0-based positions per step.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from meadow import build, load_mixture
from meadow.converters.multiple_choice import MULTIPLE_CHOICE_INSTRUCTION
from meadow.errors import RawFileError
from meadow.schema import EvalItem, Record
from meadow.sources import get_source
from meadow.sources.base import Skip
from meadow.sources.usmle import IMAGE_KEYS_RULE, STEPS, UsmleSource
from tests.cli import run_cli
from tests.sources.helpers import collect, rows, write_file
from tests.toy_source import write_toy

SAMPLE = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "usmle"


def run(raw: Path, **options) -> tuple[list[Record], Counter[str]]:
    """Records and skip counts of a raw file or folder."""
    return collect(UsmleSource(**options), raw)


# -- fixtures: one per shape of raw folder ------------------------------------------------------


@pytest.fixture
def medalpaca_folder(tmp_path: Path) -> Path:
    """All three steps, each with a case to leave out, as medAlpaca's folder holds them."""
    folder = tmp_path / "usmle"
    write_file(
        folder,
        "step1.json",
        """\
        [
            {
                "no": 1,
                "question": "A 24-year-old woman has burning on urination. Culture grows a gram-negative rod. Which structure lets it attach to the bladder epithelium?",
                "options": {"A": "Capsule", "B": "Fimbriae", "C": "Flagella"}
            },
            {
                "no": 2,
                "question": "The photomicrograph shows a liver biopsy specimen. Which is the most likely diagnosis?",
                "options": {"A": "Hemochromatosis", "B": "Wilson disease"}
            },
            {
                "no": 3,
                "question": "Which of the following is shown in the figure?",
                "options": {}
            }
        ]
        """,
    )
    write_file(folder, "step1_solutions.json", '{"1": "b", "2": "A", "3": "A"}')
    write_file(
        folder,
        "step2.json",
        """\
        [
            {"no": 1, "question": "Which graph best matches the data?", "options": {"A": "", "B": "", "C": ""}},
            {"no": "2", "question": "  A 30-year-old woman has fatigue and cold intolerance;\\nher TSH is   increased.\\n\\n\\nWhich is the most appropriate treatment?  ", "options": {"A": " Levothyroxine ", "B": "Methimazole\\u00a0 (oral)"}}
        ]
        """,
    )
    write_file(folder, "step2_solutions.json", '{"1": "A", "2": "A"}')
    write_file(
        folder,
        "step3.json",
        """\
        [
            {"no": 1, "question": "Which vaccine is contraindicated in pregnancy?", "options": {"A": "Influenza (inactivated)", "B": "MMR"}},
            {"no": 2, "question": "Which drug slows diabetic kidney disease?", "options": {"A": "Empagliflozin", "B": "Glipizide"}},
            {"no": 3, "question": "Which test confirms latent tuberculosis?", "options": {"A": "Interferon-gamma release assay", "B": "Sputum culture"}}
        ]
        """,
    )
    write_file(folder, "step3_solutions.json", '{"1": "B", "3": "E", "7": "A"}')
    write_file(
        folder,
        "question_with_images.json",
        '{"step1": [1], "step2": [], "step3": []}',
    )
    return folder


# The real files hold 119/120/135 questions; dropping image questions and questions
# without options leaves 92/110/122. How the drops split between the two reasons is not
# published; this fixture picks one split with the same totals, and makes one image
# question also have no options (it counts once, as `has_image`).
REAL_SHAPE = {
    1: {"questions": 119, "images": 25, "empty": 2},
    2: {"questions": 120, "images": 8, "empty": 2},
    3: {"questions": 135, "images": 11, "empty": 2},
}


@pytest.fixture
def folder_shaped_like_the_real_files(tmp_path: Path) -> Path:
    folder = tmp_path / "usmle-real-shape"
    folder.mkdir()
    images: dict[str, list[int]] = {}
    for step, shape in REAL_SHAPE.items():
        n, n_images, n_empty = shape["questions"], shape["images"], shape["empty"]
        image_positions = list(range(3, 3 + 4 * n_images, 4))  # every fourth question
        no_options = {n - 1: {}, n - 2: dict.fromkeys("ABCD", ""), image_positions[0]: {}}
        assert len(no_options) == n_empty + 1
        questions = [
            {
                "no": position + 1,
                "question": f"Question {position + 1} of step {step}?",
                "options": no_options.get(
                    position, {letter: f"Option {letter}" for letter in "ABCDE"}
                ),
            }
            for position in range(n)
        ]
        images[f"step{step}"] = image_positions
        (folder / f"step{step}.json").write_text(json.dumps(questions, indent=4))
        solutions = {str(q["no"]): "abcd"[q["no"] % 4] for q in questions}
        (folder / f"step{step}_solutions.json").write_text(json.dumps(solutions, indent=4))
    (folder / "question_with_images.json").write_text(json.dumps(images))
    return folder


@pytest.fixture
def folder_with_both_image_rules(folder_shaped_like_the_real_files: Path) -> Path:
    """The real-shaped folder whose questions also carry their own picture, as copies
    without `question_with_images.json` do: an image question has an `image` path or an
    `image_url`; the others have no key, or one that is null, "" or []."""
    folder = folder_shaped_like_the_real_files
    listed = json.loads((folder / "question_with_images.json").read_text())
    for step in STEPS:
        path = folder / f"step{step}.json"
        questions = json.loads(path.read_text())
        for position, question in enumerate(questions):
            if position in listed[f"step{step}"]:
                if position % 2:
                    question["image"] = f"images/step{step}_{position}.png"
                else:
                    question["image_url"] = f"https://example.org/step{step}/{position}.jpg"
            else:
                no_picture: list[dict] = [{}, {"image": None}, {"image_url": ""}, {"image": []}]
                question.update(no_picture[position % 4])
        path.write_text(json.dumps(questions, indent=4))
    return folder


# -- records ---------------------------------------------------------------------------------


def test_folder_gives_one_multiple_choice_record_per_usable_question(
    medalpaca_folder: Path,
) -> None:
    records, skips = run(medalpaca_folder)
    assert rows(records) == [
        (
            "step1",
            "step1/1",
            "A 24-year-old woman has burning on urination. Culture grows a gram-negative rod. "
            "Which structure lets it attach to the bladder epithelium?\n\n"
            "A: Capsule\nB: Fimbriae\nC: Flagella",
            "B: Fimbriae",
        ),
        (
            "step2",
            "step2/2",
            "A 30-year-old woman has fatigue and cold intolerance;\nher TSH is increased.\n\n"
            "Which is the most appropriate treatment?\n\n"
            "A: Levothyroxine\nB: Methimazole (oral)",
            "A: Levothyroxine",
        ),
        (
            "step3",
            "step3/1",
            "Which vaccine is contraindicated in pregnancy?\n\nA: Influenza (inactivated)\nB: MMR",
            "B: MMR",
        ),
    ]
    assert {(r.instruction, r.source, r.license) for r in records} == {
        (MULTIPLE_CHOICE_INSTRUCTION, "usmle", "other")
    }
    assert skips == {
        "has_image": 1,
        "empty_options": 2,
        "no_solution": 1,
        "answer_not_an_option": 1,
        "solution_without_question": 1,
    }


def test_counts_match_medalpacas_92_110_122(folder_shaped_like_the_real_files: Path) -> None:
    records, skips = run(folder_shaped_like_the_real_files)
    assert Counter(r.subset for r in records) == {"step1": 92, "step2": 110, "step3": 122}
    assert skips == {"has_image": 25 + 8 + 11, "empty_options": 2 + 2 + 2}


def test_lower_case_solutions_are_upper_cased(medalpaca_folder: Path) -> None:
    (record,) = [r for r in run(medalpaca_folder)[0] if r.source_id == "step1/1"]
    assert record.output == "B: Fimbriae"


def test_image_questions_are_kept_when_asked(medalpaca_folder: Path) -> None:
    records, skips = run(medalpaca_folder, include_image_questions=True)
    assert ("step1/2", "A: Hemochromatosis") in [(r.source_id, r.output) for r in records]
    assert "has_image" not in skips


def test_a_single_step_file_reads_its_siblings(medalpaca_folder: Path) -> None:
    source = UsmleSource()
    shards = source.shards(medalpaca_folder / "step2.json")
    assert [p.name for p in shards] == [
        "step2.json",
        "step2_solutions.json",
        "question_with_images.json",
    ]
    records, skips = run(medalpaca_folder / "step2.json")
    assert [r.source_id for r in records] == ["step2/2"]
    assert skips == {"empty_options": 1}


def test_only_present_steps_are_read(medalpaca_folder: Path) -> None:
    for name in ("step2.json", "step2_solutions.json", "step3.json", "step3_solutions.json"):
        (medalpaca_folder / name).unlink()
    assert [p.name for p in UsmleSource().shards(medalpaca_folder)] == [
        "step1.json",
        "step1_solutions.json",
        "question_with_images.json",
    ]


def test_repeated_question_number_is_skipped(tmp_path: Path) -> None:
    write_file(
        tmp_path,
        "step1.json",
        """\
        [{"no": 4, "question": "Q one?", "options": {"A": "x", "B": "y"}},
         {"no": 4, "question": "Q two?", "options": {"A": "x", "B": "y"}}]
        """,
    )
    write_file(tmp_path, "step1_solutions.json", '{"4": "A"}')
    write_file(tmp_path, "question_with_images.json", '{"step1": [], "step2": [], "step3": []}')
    records, skips = run(tmp_path)
    assert [r.input.split("\n")[0] for r in records] == ["Q one?"]
    assert skips == {"duplicate_no": 1}


def test_byte_order_mark_and_list_options_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "step3.json").write_bytes(
        b'\xef\xbb\xbf[{"no": "1", "question": "Which?", "options": ["Left", "Right"]}]'
    )
    write_file(tmp_path, "step3_solutions.json", '{"1": " b "}')
    write_file(tmp_path, "question_with_images.json", '{"step3": []}')
    records, _ = run(tmp_path)
    assert rows(records) == [("step3", "step3/1", "Which?\n\nA: Left\nB: Right", "B: Right")]


# -- evaluation items ---------------------------------------------------------------------------


def test_evaluation_items_match_records(medalpaca_folder: Path) -> None:
    source = UsmleSource()
    items: list[EvalItem] = []
    skips: Counter = Counter()
    for shard in source.shards(medalpaca_folder):
        for item in source.evaluation_items(shard):
            if isinstance(item, Skip):
                skips[item.reason] += 1
            else:
                items.append(item)
    records, record_skips = run(medalpaca_folder)
    assert skips == record_skips
    assert [i.id for i in items] == [r.id for r in records]
    assert items[1] == EvalItem(
        source="usmle",
        subset="step2",
        source_id="step2/2",
        question="A 30-year-old woman has fatigue and cold intolerance;\nher TSH is increased."
        "\n\nWhich is the most appropriate treatment?",
        options={"A": "Levothyroxine", "B": "Methimazole (oral)"},
        answer="A",
        meta={"step": 2, "no": 2},
    )


# -- files that cannot be read --------------------------------------------------------------------


def test_folder_without_usmle_files(tmp_path: Path) -> None:
    write_file(tmp_path, "notes.json", "[]")
    with pytest.raises(
        RawFileError,
        match=r"folder holds none of step1\.json, step2\.json, step3\.json .*"
        r"step1_solutions\.json.*question_with_images\.json",
    ):
        UsmleSource().shards(tmp_path)


def test_missing_solutions_file_is_named(medalpaca_folder: Path) -> None:
    (medalpaca_folder / "step2_solutions.json").unlink()
    with pytest.raises(
        RawFileError, match=r"step2_solutions\.json is missing.*next to step2\.json"
    ):
        UsmleSource().shards(medalpaca_folder)
    with pytest.raises(RawFileError, match=r"step2_solutions\.json is missing"):
        list(UsmleSource().parse(medalpaca_folder / "step2.json"))


def test_missing_image_list_and_no_image_keys_is_refused(medalpaca_folder: Path) -> None:
    (medalpaca_folder / "question_with_images.json").unlink()
    message = (
        r"usmle: question_with_images\.json is missing and no question of step1\.json, "
        r"step2\.json, step3\.json has an 'image' or 'image_url' key, so image questions "
        r"cannot be told apart: put question_with_images\.json next to step\d\.json, or set "
        r"the option include_image_questions to keep them all"
    )
    with pytest.raises(RawFileError, match=message):
        UsmleSource().shards(medalpaca_folder)  # before any work
    with pytest.raises(RawFileError, match=message):
        list(UsmleSource().parse(medalpaca_folder / "step2.json"))


def test_image_keys_on_the_image_questions_of_one_step_only(medalpaca_folder: Path) -> None:
    step1 = medalpaca_folder / "step1.json"
    questions = json.loads(step1.read_text())
    questions[1]["image"] = "liver.png"
    step1.write_text(json.dumps(questions))
    with_list = run(medalpaca_folder)
    (medalpaca_folder / "question_with_images.json").unlink()
    assert run(medalpaca_folder) == with_list  # step2 and step3, without keys, are read


def test_missing_image_list_is_not_needed_to_keep_image_questions(medalpaca_folder: Path) -> None:
    with_list = run(medalpaca_folder, include_image_questions=True)
    (medalpaca_folder / "question_with_images.json").unlink()
    assert run(medalpaca_folder, include_image_questions=True) == with_list


# -- copies without question_with_images.json ----------------------------------------------------


def test_image_keys_give_the_same_exclusions_as_the_image_list(
    folder_with_both_image_rules: Path,
) -> None:
    with_list = run(folder_with_both_image_rules)
    assert with_list[1] == {"has_image": 25 + 8 + 11, "empty_options": 2 + 2 + 2}
    (folder_with_both_image_rules / "question_with_images.json").unlink()
    without_list = run(folder_with_both_image_rules)
    assert without_list[1] == with_list[1]
    assert [r.id for r in without_list[0]] == [r.id for r in with_list[0]]


def test_the_rule_used_without_the_image_list_is_said_once(
    folder_with_both_image_rules: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = UsmleSource()
    source.shards(folder_with_both_image_rules)
    assert source.image_rule(folder_with_both_image_rules) is None
    assert not caplog.records
    (folder_with_both_image_rules / "question_with_images.json").unlink()
    shards = source.shards(folder_with_both_image_rules)
    source.shards(folder_with_both_image_rules / "step2.json")  # the same folder: said once
    assert "question_with_images.json" not in [p.name for p in shards]
    assert [r.getMessage() for r in caplog.records] == [
        f"usmle: {folder_with_both_image_rules}: image questions are those with an 'image' or "
        "'image_url' key (question_with_images.json not found)"
    ]
    assert source.image_rule(folder_with_both_image_rules / "step1.json") == IMAGE_KEYS_RULE
    assert (
        UsmleSource(include_image_questions=True).image_rule(folder_with_both_image_rules) is None
    )


def test_image_keys_that_disagree_with_the_list_are_reported(
    medalpaca_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = medalpaca_folder / "step1.json"
    questions = json.loads(path.read_text())
    questions[0]["image"] = "figure1.png"  # the list says position 1 only
    path.write_text(json.dumps(questions))
    records, skips = run(medalpaca_folder)
    assert skips["has_image"] == 1  # the list decides
    assert "step1/1" in [r.source_id for r in records]
    assert [r.getMessage() for r in caplog.records] == [
        f"usmle: {path}: 1 questions' image/image_url keys disagree with "
        "question_with_images.json; the list decides"
    ]


def test_audit_reads_a_copy_without_the_image_list(
    capsys: pytest.CaptureFixture,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    folder_with_both_image_rules: Path,
) -> None:
    wikidoc = tmp_path / "medical_meadow_wikidoc.json"
    wikidoc.write_text(
        json.dumps([{"instruction": "Answer", "input": "Question 5 of step 1?", "output": "A"}])
    )
    reports = []
    for name in ("with.json", "without.json"):
        code, _, err = run_cli(
            capsys, "audit", str(wikidoc), "--against", "usmle",
            "--raw", f"usmle={folder_with_both_image_rules}", "--output", str(tmp_path / name),
        )  # fmt: skip
        assert code == 0, err
        reports.append(json.loads((tmp_path / name).read_text())["benchmarks"]["usmle"])
        (folder_with_both_image_rules / "question_with_images.json").unlink(missing_ok=True)
    assert reports[1]["skipped"] == reports[0]["skipped"]
    assert reports[1]["items"] == reports[0]["items"] == 92 + 110 + 122
    assert "image questions are those with an 'image' or 'image_url' key" in caplog.text


def test_build_of_a_copy_without_the_image_list(folder_with_both_image_rules: Path) -> None:
    kept = build(sources=["usmle"], raw={"usmle": folder_with_both_image_rules}, name="with")
    (folder_with_both_image_rules / "question_with_images.json").unlink()
    found = build(sources=["usmle"], raw={"usmle": folder_with_both_image_rules}, name="without")
    with_list, without_list = load_mixture("with"), load_mixture("without")
    assert without_list["test"]["id"] == with_list["test"]["id"]
    assert len(without_list["test"]) == 92 + 110 + 122
    # the rule used is kept with the data, not only warned on a terminal
    assert "notes" not in kept.manifest["sources"]["usmle"]
    assert found.manifest["sources"]["usmle"]["notes"] == [IMAGE_KEYS_RULE]
    assert f"- usmle: {IMAGE_KEYS_RULE}" in (found.path / "README.md").read_text()


def test_image_list_without_the_step(medalpaca_folder: Path) -> None:
    write_file(medalpaca_folder, "question_with_images.json", '{"step1": [1], "step2": []}')
    with pytest.raises(
        RawFileError, match=r"question_with_images\.json: has no 'step3' key \(expected keys step1"
    ):
        list(UsmleSource().parse(medalpaca_folder / "step3.json"))


def test_image_positions_beyond_the_questions(medalpaca_folder: Path) -> None:
    write_file(
        medalpaca_folder, "question_with_images.json", '{"step1": [1, 3], "step2": [], "step3": []}'
    )
    with pytest.raises(
        RawFileError, match=r"lists position 3 for step1, but step1\.json has only 3 questions"
    ):
        list(UsmleSource().parse(medalpaca_folder / "step1.json"))


def test_solutions_of_another_step(medalpaca_folder: Path) -> None:
    write_file(medalpaca_folder, "step1_solutions.json", '{"41": "A", "42": "B"}')
    with pytest.raises(
        RawFileError,
        match=r"step1_solutions\.json: none of its question numbers is in step1\.json",
    ):
        list(UsmleSource().parse(medalpaca_folder / "step1.json"))


def test_truncated_step_file(medalpaca_folder: Path) -> None:
    path = medalpaca_folder / "step3.json"
    path.write_bytes(path.read_bytes()[:150])
    with pytest.raises(
        RawFileError,
        match=r"step3\.json, row \d+: the JSON is cut short after \d+ items .*download the file again",
    ):
        list(UsmleSource().parse(path))


def test_truncated_solutions_file(medalpaca_folder: Path) -> None:
    write_file(medalpaca_folder, "step1_solutions.json", '{"1": "b", "2": ')
    with pytest.raises(
        RawFileError, match=r"step1_solutions\.json, row \d+: the JSON is cut short"
    ):
        list(UsmleSource().parse(medalpaca_folder / "step1.json"))


def test_wrong_encoding_names_file_and_line(tmp_path: Path) -> None:
    text = '[\n{"no": 1,\n "question": "Caf\u00e9 au lait spots?",\n "options": {"A": "x"}}\n]\n'
    (tmp_path / "step1.json").write_bytes(text.encode("latin-1"))
    write_file(tmp_path, "step1_solutions.json", '{"1": "A"}')
    write_file(tmp_path, "question_with_images.json", '{"step1": []}')
    with pytest.raises(
        RawFileError,
        match=r"step1\.json, row \d+: not valid UTF-8 \(byte 0xe9 on line 3\): re-save the file as UTF-8",
    ):
        list(UsmleSource().parse(tmp_path / "step1.json"))


def test_utf16_file_is_an_encoding_error(tmp_path: Path) -> None:
    (tmp_path / "step1.json").write_text('[{"no": 1}]', encoding="utf-16")
    write_file(tmp_path, "step1_solutions.json", '{"1": "A"}')
    write_file(tmp_path, "question_with_images.json", '{"step1": []}')
    with pytest.raises(RawFileError, match=r"the file is UTF-16, not UTF-8: re-save it as UTF-8"):
        list(UsmleSource().parse(tmp_path / "step1.json"))


def test_question_without_options_key(medalpaca_folder: Path) -> None:
    write_file(medalpaca_folder, "step3.json", '[{"no": 1, "question": "Which?"}]')
    with pytest.raises(
        RawFileError, match=r"step3\.json, row 1: question has no 'options' key \(expected keys"
    ):
        list(UsmleSource().parse(medalpaca_folder / "step3.json"))


def test_empty_file(medalpaca_folder: Path) -> None:
    write_file(medalpaca_folder, "step2.json", "  \n")
    with pytest.raises(RawFileError, match=r"step2\.json: empty file"):
        list(UsmleSource().parse(medalpaca_folder / "step2.json"))


def test_step_file_that_is_not_a_list(medalpaca_folder: Path) -> None:
    write_file(medalpaca_folder, "step2.json", '{"1": "A"}')
    with pytest.raises(RawFileError, match=r"expected a JSON file holding a list of questions"):
        list(UsmleSource().parse(medalpaca_folder / "step2.json"))


def test_other_file_given_directly(medalpaca_folder: Path) -> None:
    with pytest.raises(RawFileError, match=r"not a USMLE questions file: pass the folder"):
        UsmleSource().shards(medalpaca_folder / "step1_solutions.json")


# -- registry, sample, build ----------------------------------------------------------------------


def test_registered_as_an_evaluation_source() -> None:
    cls = get_source("usmle")
    assert cls is UsmleSource
    info = cls.info()
    assert info["subsets"] == ["step1", "step2", "step3"]
    assert info["license"] == "other"
    assert info["raw_files"] == []
    assert info["evaluation_subsets"] == ["*"]
    assert "arXiv:2304.08247" in info["citation"]
    assert "medalpaca/medical_meadow_usmle_self_assessment" in info["how_to_get"]
    assert all(cls.is_evaluation_only(s) for s in ("step1", "step2", "step3"))


def test_sample_parses_with_expected_counts() -> None:
    records, skips = run(SAMPLE)
    assert Counter(r.subset for r in records) == {"step1": 4, "step2": 3, "step3": 3}
    assert skips == {
        "empty_options": 4,
        "has_image": 1,
        "answer_not_an_option": 1,
        "no_solution": 1,
        "solution_without_question": 1,
    }
    assert not any("sample" in r.input.lower() for r in records)


def test_build_keeps_usmle_rows_in_the_test_split(tmp_path: Path) -> None:
    toy = write_toy(tmp_path / "toy" / "qa.jsonl", range(6))
    build(sources=["usmle", "toy"], raw={"usmle": SAMPLE, "toy": toy}, name="t")
    mixture = load_mixture("t")
    test = mixture["test"]
    assert sorted(test["source_id"]) == sorted(r.source_id for r in run(SAMPLE)[0])
    assert set(test["source"]) == {"usmle"}
    assert "usmle" not in set(mixture["train"]["source"])


def test_build_of_usmle_alone_loads() -> None:
    build(sources=["usmle"], raw={"usmle": SAMPLE}, name="t")
    assert len(load_mixture("t")["test"]) == 10
