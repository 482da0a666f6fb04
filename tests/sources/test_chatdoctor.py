"""ChatDoctorSource on the three JSON arrays ChatDoctor shares, and on what goes wrong with them."""

# The fixtures are JSON as the upstream files hold it, long lines included.
# ruff: noqa: E501

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

import meadow
from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import _json, get_source
from meadow.sources.chatdoctor import CHATDOCTOR_INSTRUCTION, ChatDoctorSource, subset_of
from tests.sources.helpers import assert_batches_match_read, collect, rows, write_file

SAMPLES = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "chatdoctor"
INSTRUCTION = (
    "If you are a doctor, please answer the medical questions based on the patient's description."
)


def run(raw: Path, **options) -> tuple[list[Record], Counter[str]]:
    """Records and skip counts of a raw file or folder."""
    return collect(ChatDoctorSource(**options), raw)


# -- one fixture per upstream file shape -------------------------------------------------------


@pytest.fixture
def healthcaremagic_json(tmp_path: Path) -> Path:
    """HealthCareMagic-100k.json: an indented JSON array of {instruction, input, output}."""
    return write_file(
        tmp_path,
        "HealthCareMagic-100k.json",
        """
        [
            {
                "instruction": "If you are a doctor, please answer the medical questions based on the patient's description.",
                "input": "Hi doctor, I have had a dry cough for two weeks after a cold. No fever. I am 30 and do not smoke.",
                "output": "Hi, Thanks for your query. A dry cough can go on for several weeks after a viral cold. Honey in warm water and steam inhalation help. If it lasts beyond eight weeks, or you cough blood or lose weight, see a doctor for a chest X-ray. Regards, Chat Doctor."
            },
            {
                "instruction": "If you are a doctor, please answer the medical questions based on the patient's description.",
                "input": "  Hello,   my ankle is swollen\\nafter I twisted it yesterday.   ",
                "output": "Hello,\\n\\n\\n\\nRest, ice,   compression and elevation for two days.\\nIf you cannot bear weight, get an X-ray. "
            },
            {
                "instruction": "If you are a doctor, please answer the medical questions based on the patient's description.",
                "input": "",
                "output": "Hi, please describe your problem."
            },
            {
                "instruction": "If you are a doctor, please answer the medical questions based on the patient's description.",
                "input": "Hi doctor, is it normal to feel dizzy when I stand up quickly?",
                "output": "   "
            },
            {
                "instruction": "If you are a doctor, please answer the medical questions based on the patient's description.",
                "input": "Hi doctor, I have had a dry cough for two weeks after a cold.  No fever. I am 30 and do not smoke.",
                "output": "Hi, Thanks for your query. A dry cough can go on for several weeks after a viral cold. Honey in warm water and steam inhalation help. If it lasts beyond eight weeks, or you cough blood or lose weight, see a doctor for a chest X-ray. Regards, Chat Doctor."
            },
            {
                "instruction": "If you are a doctor, please answer the medical questions based on the patient's description.",
                "input": "Hi, my 4 year old has a runny nose and mild fever of 100 F. He is playing normally.",
                "output": "Hi, This is most likely a common cold. Give fluids and paracetamol for the fever, and see a doctor if the fever lasts beyond three days or he becomes drowsy."
            }
        ]
        """,
        lstrip=True,
    )


@pytest.fixture
def icliniq_json(tmp_path: Path) -> Path:
    """iCliniq.json: {input, answer_icliniq, answer_chatgpt, answer_chatdoctor}, no instruction."""
    return write_file(
        tmp_path,
        "iCliniq.json",
        """
        [
            {
                "input": "Hi doctor,I get a burning feeling in my chest after meals, mostly at night. I am 40.",
                "answer_icliniq": "Hi. This is likely acid reflux. Avoid late meals, raise the head of your bed and try an antacid. See a doctor if you have trouble swallowing or lose weight.",
                "answer_chatgpt": "It sounds like heartburn. Lifestyle changes may help; see your doctor.",
                "answer_chatdoctor": "Hi, This is GERD. Take antacids. Chat Doctor."
            },
            {
                "input": "Hello doctor,My finger has been red and swollen around the nail for three days.",
                "answer_icliniq": "",
                "answer_chatgpt": "This may be an infection around the nail called paronychia.",
                "answer_chatdoctor": "Hi, This is paronychia. Regards, Chat Doctor."
            }
        ]
        """,
        lstrip=True,
    )


@pytest.fixture
def genmedgpt_json(tmp_path: Path) -> Path:
    """GenMedGPT-5k.json: ChatGPT-made conversations, the same keys as HealthCareMagic."""
    return write_file(
        tmp_path,
        "GenMedGPT-5k.json",
        """
        [
            {
                "instruction": "If you are a doctor, please answer the medical questions based on the patient's description.",
                "input": "Doctor, I have a painful rash with blisters on one side of my back.",
                "output": "It sounds like shingles. Antiviral medicine works best when started within three days of the rash."
            },
            {
                "instruction": "Answer the patient as a general practitioner.",
                "input": "Doctor, my eyes are red, itchy and watery every spring.",
                "output": "This is likely allergic conjunctivitis. Antihistamine eye drops help."
            }
        ]
        """,
        lstrip=True,
    )


@pytest.fixture
def healthcaremagic_jsonl(tmp_path: Path) -> Path:
    """A JSON-lines copy of HealthCareMagic, as some re-uploads of the data are."""
    return write_file(
        tmp_path,
        "HealthCareMagic-100k.jsonl",
        """
        {"instruction": "If you are a doctor, please answer the medical questions based on the patient's description.", "input": "Hi, I have heel pain in the morning.", "output": "Hi, This is likely plantar fasciitis. Stretch the calf and wear supportive shoes."}

        {"instruction": "If you are a doctor, please answer the medical questions based on the patient's description.", "input": "Hi, my gums bleed when I brush.", "output": "Hi, This is usually gingivitis. Brush gently twice a day, floss and see a dentist."}
        """,
        lstrip=True,
    )


# -- records -----------------------------------------------------------------------------------


def test_healthcaremagic_rows_become_records_with_the_fixed_instruction(
    healthcaremagic_json: Path,
) -> None:
    records, _ = run(healthcaremagic_json)
    first = records[0]
    assert first.instruction == INSTRUCTION == CHATDOCTOR_INSTRUCTION
    assert first.input == (
        "Hi doctor, I have had a dry cough for two weeks after a cold. No fever. I am 30 and do not smoke."
    )
    assert first.output.startswith("Hi, Thanks for your query. A dry cough")
    assert (first.source, first.subset, first.source_id, first.license) == (
        "chatdoctor",
        "healthcaremagic",
        "healthcaremagic/0",
        "other",
    )
    assert [r.source_id for r in records] == [
        "healthcaremagic/0",
        "healthcaremagic/1",
        "healthcaremagic/5",
    ]


def test_whitespace_is_trimmed_and_collapsed_keeping_paragraphs(healthcaremagic_json: Path) -> None:
    records, _ = run(healthcaremagic_json)
    ankle = records[1]
    assert ankle.input == "Hello, my ankle is swollen\nafter I twisted it yesterday."
    assert ankle.output == (
        "Hello,\n\nRest, ice, compression and elevation for two days.\nIf you cannot bear weight, get an X-ray."
    )


def test_empty_rows_and_repeated_pairs_are_skipped_and_counted(healthcaremagic_json: Path) -> None:
    records, skips = run(healthcaremagic_json)
    assert len(records) == 3
    # row 4 repeats row 0 but for one extra space: the same pair once cleaned
    assert skips == {"empty_input": 1, "empty_output": 1, "duplicate_pair": 1}


def test_icliniq_output_is_the_real_doctors_answer(icliniq_json: Path) -> None:
    records, skips = run(icliniq_json)
    assert rows(records) == [
        (
            "icliniq",
            "icliniq/0",
            "Hi doctor,I get a burning feeling in my chest after meals, mostly at night. I am 40.",
            "Hi. This is likely acid reflux. Avoid late meals, raise the head of your bed and try an antacid. See a doctor if you have trouble swallowing or lose weight.",
        )
    ]
    assert records[0].instruction == INSTRUCTION
    assert skips == {"empty_output": 1}


def test_icliniq_answer_option_picks_another_answer(icliniq_json: Path) -> None:
    records, skips = run(icliniq_json, icliniq_answer="answer_chatgpt")
    assert [r.output for r in records] == [
        "It sounds like heartburn. Lifestyle changes may help; see your doctor.",
        "This may be an infection around the nail called paronychia.",
    ]
    assert not skips


def test_unknown_icliniq_answer_option_is_refused() -> None:
    with pytest.raises(RecipeError, match=r"icliniq_answer: expected one of answer_icliniq, "):
        ChatDoctorSource(icliniq_answer="answer_doctor")


def test_a_rows_own_instruction_is_kept_unless_the_recipe_sets_one(genmedgpt_json: Path) -> None:
    records, _ = run(genmedgpt_json)
    assert [(r.subset, r.instruction) for r in records] == [
        ("genmedgpt", INSTRUCTION),
        ("genmedgpt", "Answer the patient as a general practitioner."),
    ]
    source = ChatDoctorSource(instruction="Answer as a doctor would")
    assert {r.instruction for r in source.records(genmedgpt_json)} == {"Answer as a doctor would"}


def test_json_lines_copy_reads_like_the_array(healthcaremagic_jsonl: Path) -> None:
    records, skips = run(healthcaremagic_jsonl)
    assert rows(records) == [
        (
            "healthcaremagic",
            "healthcaremagic/0",
            "Hi, I have heel pain in the morning.",
            "Hi, This is likely plantar fasciitis. Stretch the calf and wear supportive shoes.",
        ),
        (
            "healthcaremagic",
            "healthcaremagic/1",
            "Hi, my gums bleed when I brush.",
            "Hi, This is usually gingivitis. Brush gently twice a day, floss and see a dentist.",
        ),
    ]
    assert not skips


def test_null_texts_are_empty_and_other_values_are_skipped(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "GenMedGPT-5k.json",
        """
        [{"instruction": null, "input": "Doctor, I feel tired.", "output": null},
         {"input": ["a", "list"], "output": "Rest."},
         {"instruction": null, "input": "Doctor, I sneeze a lot.", "output": "Probably hay fever."}]
        """,
        lstrip=True,
    )
    records, skips = run(path)
    assert [(r.source_id, r.instruction) for r in records] == [("genmedgpt/2", INSTRUCTION)]
    assert skips == {"empty_output": 1, "not_text": 1}


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "iCliniq.json"
    path.write_bytes(
        b'\xef\xbb\xbf[{"input": "Hi doctor, I have a stye.", "answer_icliniq": "Use warm compresses."}]'
    )
    records, _ = run(path)
    assert rows(records) == [
        ("icliniq", "icliniq/0", "Hi doctor, I have a stye.", "Use warm compresses.")
    ]


# -- files and folders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "subset"),
    [
        ("HealthCareMagic-100k.json", "healthcaremagic"),
        ("healthcaremagic_100k.json", "healthcaremagic"),
        ("iCliniq.json", "icliniq"),
        ("icliniq-10k.json", "icliniq"),
        ("GenMedGPT-5k.json", "genmedgpt"),
        ("chatdoctor5k.json", "genmedgpt"),
        ("ChatDoctor-5k.JSON", "genmedgpt"),
        ("alpaca_data.json", None),
    ],
)
def test_subset_is_told_from_the_file_name(name: str, subset: str | None) -> None:
    assert subset_of(Path(name)) == subset


def test_file_of_unknown_name_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "conversations.json", '[{"input": "q", "output": "a"}]')
    with pytest.raises(
        RawFileError,
        match=r"cannot tell which ChatDoctor file.*HealthCareMagic-100k\.json, iCliniq\.json or GenMedGPT-5k\.json",
    ):
        list(ChatDoctorSource().parse(path))


def test_folder_reads_the_chatdoctor_files_and_ignores_others(
    healthcaremagic_json: Path, icliniq_json: Path, genmedgpt_json: Path, caplog
) -> None:
    folder = healthcaremagic_json.parent
    write_file(folder, "alpaca_data.json", "[]")
    write_file(folder, "notes.txt", "not data")
    with caplog.at_level(logging.WARNING, logger="meadow.sources.chatdoctor"):
        shards = ChatDoctorSource().shards(folder)
    assert [p.name for p in shards] == [
        "GenMedGPT-5k.json",
        "HealthCareMagic-100k.json",
        "iCliniq.json",
    ]
    assert "ignoring alpaca_data.json" in caplog.text


def test_folder_without_chatdoctor_files_is_refused(tmp_path: Path) -> None:
    write_file(tmp_path, "alpaca_data.json", "[]")
    with pytest.raises(
        RawFileError,
        match=r"folder holds none of ChatDoctor's files: expected HealthCareMagic-100k\.json",
    ):
        ChatDoctorSource().shards(tmp_path)


# -- files that cannot be read ----------------------------------------------------------------


def test_truncated_file_is_refused(healthcaremagic_json: Path) -> None:
    data = healthcaremagic_json.read_bytes()
    healthcaremagic_json.write_bytes(data[: data.index(b'"input": "Hi, my 4 year old')])
    with pytest.raises(
        RawFileError, match=r"row 5: the JSON is cut short after 5 items .*download the file again"
    ) as e:
        list(ChatDoctorSource().parse(healthcaremagic_json))
    assert e.value.path == healthcaremagic_json


def test_truncated_json_lines_file_is_refused(healthcaremagic_jsonl: Path) -> None:
    data = healthcaremagic_jsonl.read_bytes()
    healthcaremagic_jsonl.write_bytes(data[:-20])
    with pytest.raises(RawFileError, match=r"row 3: line 3 is cut short"):
        list(ChatDoctorSource().parse(healthcaremagic_jsonl))


def test_file_not_in_utf8_names_the_item_and_line(healthcaremagic_json: Path) -> None:
    text = healthcaremagic_json.read_text(encoding="utf-8").replace(
        "runny nose", "runny nose, café"
    )
    healthcaremagic_json.write_bytes(text.encode("latin-1"))
    with pytest.raises(
        RawFileError,
        match=r"row 5: not valid UTF-8 \(byte 0xe9 on line 29\): re-save the file as UTF-8",
    ):
        list(ChatDoctorSource().parse(healthcaremagic_json))


def test_json_lines_not_in_utf8_names_the_line(healthcaremagic_jsonl: Path) -> None:
    text = healthcaremagic_jsonl.read_text(encoding="utf-8").replace("gums", "güms")
    healthcaremagic_jsonl.write_bytes(text.encode("latin-1"))
    with pytest.raises(RawFileError, match=r"not valid UTF-8 \(byte 0xfc on line 3\): re-save"):
        list(ChatDoctorSource().parse(healthcaremagic_jsonl))


def test_file_that_is_neither_json_nor_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "GenMedGPT-5k.json"
    path.write_bytes("input;output\nFièvre;Repos\n".encode("latin-1"))
    with pytest.raises(RawFileError, match=r"not valid UTF-8 \(byte 0xe8 on line 2\): re-save"):
        list(ChatDoctorSource().parse(path))


def test_json_lines_with_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "iCliniq.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"input": "Hi doctor, I have a stye.", "answer_icliniq": "Use warm compresses."}\n'
    )
    records, _ = run(path)
    assert rows(records) == [
        ("icliniq", "icliniq/0", "Hi doctor, I have a stye.", "Use warm compresses.")
    ]


def test_utf16_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "iCliniq.json"
    path.write_bytes('[{"input": "q", "answer_icliniq": "a"}]'.encode("utf-16"))
    with pytest.raises(RawFileError, match="the file is UTF-16, not UTF-8: re-save it as UTF-8"):
        list(ChatDoctorSource().parse(path))


@pytest.mark.parametrize("content", ["", "  \n\n "])
def test_empty_file_is_refused(tmp_path: Path, content: str) -> None:
    path = write_file(tmp_path, "GenMedGPT-5k.json", content, lstrip=True)
    with pytest.raises(RawFileError, match="empty file"):
        list(ChatDoctorSource().parse(path))


def test_missing_key_is_named_with_the_file(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "iCliniq.json",
        """
        [{"input": "Hi doctor, I have a mouth ulcer.", "answer_icliniq": "Use a saltwater rinse."},
         {"input": "Hi doctor, my knee clicks.", "answer": "Usually harmless."}]
        """,
        lstrip=True,
    )
    with pytest.raises(
        RawFileError,
        match=r"iCliniq\.json, row 1: item 1 has no key 'answer_icliniq' \(keys: input, answer\); "
        r"a ChatDoctor iCliniq\.json has input, answer_icliniq",
    ):
        list(ChatDoctorSource().parse(path))


def test_item_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "GenMedGPT-5k.json", '[["Doctor, I feel dizzy.", "Drink water."]]')
    with pytest.raises(
        RawFileError, match=r"item 0 is a list, not an object with input and output"
    ):
        list(ChatDoctorSource().parse(path))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            "instruction,input,output\n",
            r"expected a JSON file holding a list of ChatDoctor conversations \(a JSON array "
            r"starting with '\[', or JSON lines starting with '\{'\), found 'i'",
        ),
        ('[{"input": "q", "output": "a"},]', r"row 1: not valid JSON after 1 items \(parse error"),
        ('{\n  "input": "q",\n  "output": "a"\n}\n', r"line 1 is not valid JSON"),
    ],
    ids=["csv", "trailing-comma", "one-indented-object"],
)
def test_text_that_is_not_a_json_array_is_refused(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = write_file(tmp_path, "GenMedGPT-5k.json", content, lstrip=True)
    with pytest.raises(RawFileError, match=problem):
        list(ChatDoctorSource().parse(path))


def test_slow_ijson_backend_is_warned_about_once(genmedgpt_json: Path, monkeypatch, caplog) -> None:
    monkeypatch.setattr(_json.ijson, "backend", "python")
    monkeypatch.setattr(_json, "_backend_checked", False)
    with caplog.at_level(logging.WARNING, logger="meadow.sources"):
        list(ChatDoctorSource().parse(genmedgpt_json))
        list(ChatDoctorSource().parse(genmedgpt_json))
    assert caplog.text.count("'python' backend, about 15x slower") == 1


# -- registry, sample, build ------------------------------------------------------------------


def test_registered_with_its_metadata() -> None:
    assert get_source("chatdoctor") is ChatDoctorSource
    info = ChatDoctorSource.info()
    assert info["subsets"] == ["healthcaremagic", "icliniq", "genmedgpt"]
    assert info["license"] == "other"
    assert info["raw_files"] == []
    assert "li2023chatdoctor" in info["citation"]
    assert "Google-Drive" in info["how_to_get"]
    for name in ("HealthCareMagic-100k.json", "iCliniq.json", "GenMedGPT-5k.json"):
        assert name in info["how_to_get"]


def test_bundled_sample_parses_with_its_skips() -> None:
    records, skips = collect(ChatDoctorSource(), SAMPLES)
    subsets = Counter(item.subset for item in records)
    for item in records:
        assert "not medical advice" not in item.input
    assert subsets == {"healthcaremagic": 5, "icliniq": 3, "genmedgpt": 3}
    assert skips == {"empty_output": 3, "duplicate_pair": 1}


def test_sample_builds_into_a_mixture() -> None:
    result = meadow.build(sources=["chatdoctor"], raw={"chatdoctor": SAMPLES}, name="t")
    stats = result.manifest["sources"]["chatdoctor"]
    assert stats["taken"] == 11
    assert stats["skipped"] == {"duplicate_pair": 1, "empty_output": 3}
    mixture = meadow.load_mixture("t")
    loaded = [row for split in mixture.values() for row in split]
    assert len(loaded) == 11
    assert {row["source"] for row in loaded} == {"chatdoctor"}
    assert "healthcaremagic/1" in {row["source_id"] for row in loaded}


# -- the batch path (Source.batches) -----------------------------------------------------------


def _messy_copy(rows: list[dict], seed: int) -> list[dict]:
    """Generated rows with every case the mapping tells apart planted among them: texts to
    clean (double, edge and no-break spaces, line breaks, tabs, non-ASCII), null and
    non-text values, empty texts, repeats, own instructions, extra keys."""
    import random

    rng = random.Random(seed)
    out = []
    for row in rows:
        row = dict(row)
        pick = rng.random()
        if pick < 0.03:
            row["input"] = "  " + row["input"].replace(". ", ".  ", 2) + " "
        elif pick < 0.06:
            row["output"] = row["output"].replace(". ", ".\n\n\n", 2) + "\t"
        elif pick < 0.08:
            row["output"] = row["output"].replace(" ", "\u00a0", 3) + " café"
        elif pick < 0.09:
            row["input"] = None
        elif pick < 0.10:
            row["output"] = None
        elif pick < 0.11:
            row["output"] = ["not", "text"]
        elif pick < 0.12:
            row["input"] = 42
        elif pick < 0.13:
            row["input"] = " \n "
        elif pick < 0.15:
            row["instruction"] = "  Answer  as a GP.\n"
        elif pick < 0.16:
            row["instruction"] = None
        elif pick < 0.17:
            row["extra"] = {"note": "x" * 300}
        elif pick < 0.19 and out:
            row = dict(out[-1])  # a repeat
        elif pick < 0.20:
            row["input"] = row["input"] + "\x7f\x00"
        out.append(row)
    return out


@pytest.mark.parametrize("layout", ["array", "lines"])
@pytest.mark.parametrize("limit", [None, "900", "1100"])
def test_batches_match_read_on_generated_rows_with_every_skip(
    tmp_path: Path, monkeypatch, layout: str, limit: str | None
) -> None:
    """Thousands of realistic rows (several of the reader's batches) with every skip:
    field_too_long (per raw value and per record, on both sides of the batch bound),
    not_text, empty_input, empty_output, duplicate_pair."""
    import json
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from gen_chatdoctor import make_file

    if limit:
        monkeypatch.setenv("MEADOW_MAX_FIELD_CHARS", limit)
    generated = make_file(tmp_path / "gen", 2500, seed=3)
    rows = _messy_copy(json.loads(generated.read_text()), seed=4)
    if layout == "array":
        path = tmp_path / "HealthCareMagic-100k.json"
        path.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    else:
        path = tmp_path / "HealthCareMagic-100k.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    source = ChatDoctorSource()
    assert assert_batches_match_read(source, path) > 200
    _, skips = collect(source, path)
    expected = {"not_text", "empty_input", "empty_output", "duplicate_pair"}
    if limit:
        expected.add("field_too_long")
    assert expected <= set(skips)


def test_batches_match_read_on_every_fixture_and_option(
    healthcaremagic_json: Path, icliniq_json: Path, genmedgpt_json: Path, healthcaremagic_jsonl
) -> None:
    for path in (healthcaremagic_json, icliniq_json, genmedgpt_json, healthcaremagic_jsonl):
        assert assert_batches_match_read(ChatDoctorSource(), path) > 0
        assert assert_batches_match_read(ChatDoctorSource(instruction="Reply."), path) > 0
    chatgpt = ChatDoctorSource(icliniq_answer="answer_chatgpt")
    assert assert_batches_match_read(chatgpt, icliniq_json) == 2


def test_batches_match_read_when_the_limit_is_below_the_subset_name(
    tmp_path: Path, monkeypatch
) -> None:
    """`read` checks the parsed item, which holds the subset's name (`healthcaremagic`, 15
    characters): a shorter limit drops every item, in both paths, however short its texts."""
    path = write_file(
        tmp_path, "HealthCareMagic-100k.json", '[{"input": "Cough?", "output": "Rest."}]'
    )
    monkeypatch.setenv("MEADOW_MAX_FIELD_CHARS", "14")
    source = ChatDoctorSource(instruction="Reply.")  # shorter than the limit
    assert assert_batches_match_read(source, path) == 0
    assert collect(source, path)[1] == {"field_too_long": 1}


def test_batches_refuse_a_bad_item_as_parse_does(tmp_path: Path) -> None:
    path = write_file(
        tmp_path, "GenMedGPT-5k.json", '[{"input": "a", "output": "b"}, {"input": "c"}]'
    )
    with pytest.raises(RawFileError) as parsed:
        list(ChatDoctorSource().read(path))
    with pytest.raises(RawFileError) as batched:
        list(ChatDoctorSource().batches(path))
    assert str(batched.value) == str(parsed.value)
    assert "item 1 has no key 'output'" in str(batched.value)
