"""What the quality tests share: rows as the mixer yields them, and raw benchmark files."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from meadow.quality import QualityRun, QualitySettings, SourcePolicy
from meadow.schema import ARROW_SCHEMA, record_id

# Benchmark-like items (invented, not USMLE or MedQA material) and a training row that
# paraphrases the first around a shared 13-word run.
WERNICKE = (
    "A 45-year-old man with long-standing heavy alcohol use is brought to the emergency "
    "department because of confusion. He has an unsteady gait and horizontal nystagmus. "
    "Which of the following is the most appropriate first treatment?"
)
WERNICKE_OPTIONS = {"A": "Glucose", "B": "Haloperidol", "C": "Thiamine", "D": "Aspirin"}
PARAPHRASE = (
    "A man of 47 with long-standing heavy alcohol use is brought to the emergency department "
    "because of confusion and ataxia. What should he be given before glucose?"
)
PARKINSON = (
    "A 68-year-old man has a resting tremor of his right hand, slowness of movement, and "
    "cogwheel rigidity. Degeneration of neurons in which of the following structures is the "
    "most likely cause?"
)
PARKINSON_OPTIONS = {
    "A": "Caudate nucleus",
    "B": "Substantia nigra pars compacta",
    "C": "Cerebellar vermis",
    "D": "Subthalamic nucleus",
}

ABSTRACT = (
    "Background: prolonged bed rest after hip fracture surgery is linked to pneumonia, pressure "
    "ulcers and loss of independence. Methods: in a cohort of 240 older adults we compared "
    "getting patients out of bed within 24 hours with later mobilisation. Results: early "
    "mobilisation shortened the hospital stay by two days and halved chest infections, "
    "without more falls or wound problems in the first month after the operation."
)


def table(*rows: dict[str, str]) -> pa.Table:
    """Rows with meadow's columns; each dict needs `input`, `output` and may set `source`
    (default `local`), `subset`, `source_id` (default its position), `instruction`."""
    full = []
    for i, row in enumerate(rows):
        source, subset = row.get("source", "local"), row.get("subset", "")
        source_id = row.get("source_id", str(i))
        full.append(
            {
                "id": record_id(source, subset, source_id),
                "instruction": row.get("instruction", "Answer this question truthfully"),
                "input": row["input"],
                "output": row["output"],
                "source": source,
                "subset": subset,
                "source_id": source_id,
                "license": "CC0-1.0",
            }
        )
    return pa.Table.from_pylist(full, schema=ARROW_SCHEMA)


def kept_rows(
    pieces: list[tuple[str, pa.Table]],
    settings: QualitySettings | None = None,
    policies: dict[str, SourcePolicy] | None = None,
    **kwargs,
) -> tuple[list[dict[str, str]], dict]:
    """The rows a quality run keeps (with their split), and its per-source stats."""
    with QualityRun(settings or QualitySettings(), policies or {}, **kwargs) as run:
        run.run(pieces)
        kept = [{**row, "split": split} for split, t in run.iter_tables() for row in t.to_pylist()]
        return kept, run.source_stats()


def write_usmle(folder: Path, questions: list[tuple[str, dict[str, str], str]]) -> Path:
    """A USMLE self-assessment folder (step1.json, its solutions, the image list) holding
    `(question, options, answer letter)` items, numbered from 1."""
    folder.mkdir(parents=True, exist_ok=True)
    items = [{"no": n, "question": q, "options": o} for n, (q, o, _) in enumerate(questions, 1)]
    (folder / "step1.json").write_text(json.dumps(items, indent=4))
    answers = {str(n): a for n, (_, _, a) in enumerate(questions, 1)}
    (folder / "step1_solutions.json").write_text(json.dumps(answers, indent=4))
    images = {"step1": [], "step2": [], "step3": []}
    (folder / "question_with_images.json").write_text(json.dumps(images, indent=4))
    return folder


def write_medqa_test(
    folder: Path, questions: list[tuple[str, dict[str, str], str]], split: str = "test"
) -> Path:
    """MedQA's 4-option US file of a split (`4_options/phrases_no_exclude_test.jsonl`)."""
    path = folder / "4_options" / f"phrases_no_exclude_{split}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                "question": q,
                "answer": o[a],
                "options": o,
                "meta_info": "step1",
                "answer_idx": a,
                "metamap_phrases": [],
            }
        )
        for q, o, a in questions
    ]
    path.write_text("\n".join(lines) + "\n")
    return folder


def write_meadow_json(path: Path, rows: list[tuple[str, str]]) -> Path:
    """A medAlpaca `medical_meadow_*.json` file: a JSON array of instruction/input/output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = [
        {"instruction": "Answer this question truthfully", "input": q, "output": a} for q, a in rows
    ]
    path.write_text(json.dumps(data, indent=4))
    return path
