"""The quality steps inside `meadow build`: manifest counts, the card's "Data hygiene"
section, benchmark files recorded, the revision, flagged rows, evaluation rows untouched."""

from __future__ import annotations

import json
import textwrap

import pytest

from meadow import build, load_mixture
from meadow.errors import BenchmarkMissingError
from meadow.store import revision_dir
from tests.cli import run_cli
from tests.quality.helpers import (
    PARAPHRASE,
    WERNICKE,
    WERNICKE_OPTIONS,
    write_meadow_json,
    write_medqa_test,
    write_usmle,
)

CHATDOCTOR_INSTRUCTION = (
    "If you are a doctor, please answer the medical questions based on the patient's description."
)


@pytest.fixture
def usmle(tmp_path):
    return write_usmle(tmp_path / "usmle", [(WERNICKE, WERNICKE_OPTIONS, "C")])


@pytest.fixture
def meadow_json(tmp_path):
    return write_meadow_json(
        tmp_path / "local" / "medical_meadow_wikidoc.json",
        [
            ("What causes gout?", "Uric acid crystals in a joint."),
            ("What causes gout ?", "uric acid crystals in a joint"),  # a duplicate
            (PARAPHRASE, "Thiamine, before any glucose."),  # contaminated (usmle)
            ("Write to me at jane@example.org", "Ok."),  # local rows are not scrubbed
            ("What is a normal resting heart rate?", "60 to 100 beats per minute."),
        ],
    )


@pytest.fixture
def chatdoctor(tmp_path):
    rows = [
        {
            "instruction": CHATDOCTOR_INSTRUCTION,
            "input": "Hi doctor, my name is Ravi, 34. Call me on 98765 43210. My BP is 150/95.",
            "output": "Hi, Thanks for your query. A BP of 150/95 is high; take amlodipine 5 mg "
            "as your doctor advises and recheck in 2 weeks. Regards, Dr. Anil Mehta",
        },
        {
            "instruction": CHATDOCTOR_INSTRUCTION,
            "input": "Hola doctor, tengo fiebre y dolor de garganta desde hace tres días.",
            "output": "Hola, puede ser una infección viral; tome paracetamol y beba líquidos.",
        },
        {
            "instruction": CHATDOCTOR_INSTRUCTION,
            "input": "My email is ravi.k@gmail.com; is a fasting sugar of 110 mg/dL normal?",
            "output": "Hello, Welcome. A fasting glucose of 110 mg/dL is impaired fasting "
            "glucose; repeat it and check HbA1c. Hope this helps.",
        },
    ]
    path = tmp_path / "chatdoctor" / "HealthCareMagic-100k.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(rows, indent=4))
    return path.parent


def _build_local(capsys, meadow_json, *flags: str) -> tuple[int, str, str]:
    """`meadow build --sources local --raw local=FILE FLAGS…`."""
    return run_cli(capsys, "build", "--sources", "local", "--raw", f"local={meadow_json}", *flags)


def _recipe(tmp_path, body: str) -> str:
    path = tmp_path / "recipe.yaml"
    path.write_text(textwrap.dedent(body))
    return str(path)


def test_a_build_removes_scrubs_and_says_so_in_manifest_and_card(
    tmp_path, usmle, meadow_json, chatdoctor
):
    result = build(
        sources=["local", "chatdoctor"],
        raw={"local": meadow_json.parent, "chatdoctor": chatdoctor, "usmle": usmle},
        name="hygiene",
    )
    local, doctor = result.manifest["sources"]["local"], result.manifest["sources"]["chatdoctor"]
    assert local["removed"] == {
        "filtered": {},
        "contaminated": {"usmle": 1},
        "duplicate": 1,
        "near_duplicate": 0,
        "total": 2,
        "by_step": {"filters": 0, "decontamination": 1, "exact_dedup": 1, "near_dedup": 0},
    }
    assert local["taken"] == 5 and local["rows"] == 3 and "pii_replaced" not in local
    assert doctor["removed"]["filtered"] == {"not_en": 1}
    replaced = {kind: n for kind, n in doctor["pii_replaced"].items() if n}
    assert replaced == {"email": 1, "phone": 1, "name": 1}
    assert {"url", "postcode", "id"} <= set(doctor["pii_replaced"])  # every kind, even at 0
    assert doctor["boilerplate_stripped"] == 2
    assert result.splits == {"train": 5}

    rows = {r["input"][:12]: r for r in load_mixture("hygiene")["train"]}
    ravi = rows["Hi doctor, m"]
    assert ravi["input"] == "Hi doctor, my name is [NAME], 34. Call me on [PHONE]. My BP is 150/95."
    assert ravi["output"] == (
        "A BP of 150/95 is high; take amlodipine 5 mg as your doctor advises and recheck in "
        "2 weeks."
    )
    assert rows["Write to me "]["input"] == "Write to me at jane@example.org"

    benchmarks = result.manifest["quality"]["benchmarks"]
    assert benchmarks["usmle"]["checked"] is True
    assert benchmarks["usmle"]["files"] == [
        {"name": "step1.json", "sha256": benchmarks["usmle"]["files"][0]["sha256"], "items": 1}
    ]
    assert benchmarks["medqa"]["checked"] is False

    card = (result.path / "README.md").read_text()
    section = card[card.index("## Data hygiene") : card.index("## Skipped rows")]
    assert "| usmle | 1 | `step1.json`" in section
    assert "`medqa` was **not checked**: no raw files found (pass --raw medqa=PATH" in section
    assert "| local | 5 | – | usmle 1 | 1 | 0 | 2 | 3 |" in section
    assert "| chatdoctor | 3 | not_en 1 | – | 0 | 0 | 1 | 2 |" in section
    assert "| chatdoctor | 1 | 1 | 0 | 0 | 0 | 1 |" in section
    assert "`chatdoctor`: greetings and sign-offs stripped from 2 answers." in section
    assert "--raw usmle=PATH" in card  # the rebuild command names the benchmark's files


def test_a_recipe_tunes_steps_and_per_source_pii(tmp_path, meadow_json, chatdoctor):
    recipe = _recipe(
        tmp_path,
        f"""
        name: tuned
        quality:
          filters: false
          decontamination: false
          near_dedup: {{threshold: 0.9}}
        sources:
          local: {{raw: {meadow_json}, pii: true}}
          chatdoctor: {{raw: {chatdoctor}, pii: false}}
        """,
    )
    result = build(recipe)
    sources = result.manifest["sources"]
    assert sources["local"]["pii_replaced"]["email"] == 1
    assert "pii_replaced" not in sources["chatdoctor"]
    assert sources["chatdoctor"]["removed"]["filtered"] == {}  # no language filter
    assert "benchmarks" not in json.dumps(result.manifest["quality"]["benchmarks"])
    assert result.manifest["quality"]["settings"]["near_dedup"]["threshold"] == 0.9


def test_settings_and_benchmark_files_are_part_of_the_revision(tmp_path, usmle, meadow_json):
    raw = {"local": meadow_json, "usmle": usmle}
    first = build(sources=["local"], raw=raw, name="rev")
    again = build(sources=["local"], raw=raw, name="rev")
    flagged = build(sources=["local"], raw=raw, name="rev", contamination="flag")
    write_usmle(usmle, [(WERNICKE.replace("45", "46"), WERNICKE_OPTIONS, "C")])
    other_items = build(sources=["local"], raw=raw, name="rev")
    assert first.revision == again.revision
    assert len({first.revision, flagged.revision, other_items.revision}) == 3


def test_flagged_rows_stay_with_a_contamination_column(tmp_path, usmle, meadow_json, capsys):
    code, out, err = _build_local(
        capsys,
        meadow_json,
        "--raw",
        f"usmle={usmle}",
        "--contamination",
        "flag",
        "--name",
        "flagged",
    )
    assert code == 0, err
    rows = load_mixture("flagged")["train"]
    assert "contamination" in rows.column_names
    assert sorted(r["contamination"] for r in rows) == ["", "", "", "usmle"]
    card = (revision_dir("flagged") / "README.md").read_text()
    assert "`contamination` (the benchmarks a row overlaps" in card
    assert "`local`: usmle 1 rows overlap a benchmark and are flagged, not removed." in card


def test_evaluation_only_rows_are_never_removed(tmp_path, usmle):
    copy = write_meadow_json(tmp_path / "copy" / "copy.json", [(WERNICKE, "C: Thiamine")])
    medqa = write_medqa_test(tmp_path / "medqa", [(WERNICKE, WERNICKE_OPTIONS, "C")])
    result = build(
        sources=["usmle", "medqa", "local"], raw={"usmle": usmle, "medqa": medqa, "local": copy}
    )
    sources = result.manifest["sources"]
    assert sources["usmle"]["rows"] == 1 and sources["medqa"]["rows"] == 1
    assert sources["local"]["removed"]["contaminated"] == {"usmle": 1, "medqa": 1}
    assert result.splits == {"train": 0, "test": 2}


def test_a_required_benchmark_without_raw_files_stops_the_build(tmp_path, meadow_json, capsys):
    with pytest.raises(BenchmarkMissingError, match="decontamination against 'medqa' needs"):
        build(sources=["local"], raw={"local": meadow_json}, require_benchmarks=["medqa"])
    code, _, err = _build_local(capsys, meadow_json, "--require-benchmarks", "usmle")
    assert code == 1
    assert "decontamination against 'usmle' needs its raw files" in err
    assert "--raw usmle=PATH" in err and "\n" not in err.strip()


def test_quality_false_builds_as_before(tmp_path, meadow_json):
    recipe = _recipe(
        tmp_path,
        f"""
        name: raw-rows
        quality: false
        sources:
          local: {{raw: {meadow_json}}}
        """,
    )
    result = build(recipe)
    assert result.splits == {"train": 5}
    assert "removed" not in result.manifest["sources"]["local"]
    assert "## Data hygiene" in (result.path / "README.md").read_text()


def test_benchmark_items_may_come_from_a_built_evaluation_mixture(
    tmp_path, usmle, meadow_json, capsys
):
    evaluation = build(sources=["usmle"], raw={"usmle": usmle}, name="eval-mix")
    result = build(
        sources=["local"],
        raw={"local": meadow_json},
        benchmark_mixture="eval-mix",
        require_benchmarks=["usmle"],
    )
    assert result.manifest["sources"]["local"]["removed"]["contaminated"] == {"usmle": 1}
    checked = result.manifest["quality"]["benchmarks"]["usmle"]
    assert checked["files"][0]["name"] == f"mixture eval-mix@{evaluation.revision}"
    assert checked["items"] == 1
    code, out, err = run_cli(
        capsys,
        "audit", str(meadow_json),
        "--benchmark-mixture", "eval-mix",
        "--against", "usmle",
        "--output", str(tmp_path / "a.json"),
    )  # fmt: skip
    assert code == 0, err
    assert "usmle: 1 rows overlap its 1 items" in out
