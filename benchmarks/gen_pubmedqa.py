"""Write a full-size PubMedQA ori_pqaa.json (PQA-A's layout), for the benchmarks.

The file is one JSON object keyed by PMID, written as the PubMedQA repository writes its
files (`json.dump(..., indent=4)`, non-ASCII as `\\u` escapes; `--compact` for no
indentation), streamed item by item so memory stays flat whatever --items is. Items have
the real corpus's sizes from invented text: a title question, 3-4 labelled context
sections of 300-900 characters, a 150-400 character LONG_ANSWER, 5-15 MeSH terms, and a
yes/no decision (about 93% yes, as in PQA-A); a few items have an empty LONG_ANSWER.
Topics (subject, exposure, outcome) are composed per item, partly from
benchmarks/medtext.py's vocabulary, so questions repeat only by chance (about 1%).

    python benchmarks/gen_pubmedqa.py OUT_FOLDER --items 211269 [--seed 0]

`python benchmarks/bench_build.py --only pubmedqa` measures meadow on it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import medtext  # noqa: E402

FULL_SIZE = 211_269

SUBJECTS = [
    "patients with type 2 diabetes",
    "children with asthma",
    "older adults after hip fracture",
    "women with gestational hypertension",
    "adults with chronic kidney disease",
    "patients admitted with community-acquired pneumonia",
    "smokers with chronic obstructive pulmonary disease",
    "patients undergoing coronary artery bypass grafting",
    "adolescents with major depressive disorder",
    "patients with rheumatoid arthritis",
]
EXPOSURES = [
    "early mobilisation",
    "statin therapy",
    "a nurse-led telephone follow-up",
    "vitamin D supplementation",
    "a structured exercise programme",
    "preoperative carbohydrate loading",
    "proton pump inhibitor use",
    "a low-sodium diet",
    "continuous glucose monitoring",
    "antibiotic prophylaxis",
]
OUTCOMES = [
    "length of hospital stay",
    "30-day readmission",
    "all-cause mortality",
    "glycated haemoglobin",
    "quality of life scores",
    "the rate of postoperative infection",
    "systolic blood pressure",
    "the number of exacerbations",
    "functional independence at discharge",
    "serum creatinine",
]
BACKGROUND = [
    "{exposure} has been proposed to improve outcomes in {subject}, but the evidence is "
    "conflicting.",
    "Little is known about the effect of {exposure} on {outcome} in {subject}.",
    "Guidelines recommend {exposure} for {subject}, although its benefit on {outcome} has "
    "not been tested in routine practice.",
    "Results for {outcome} remain poor in {subject} despite advances in care.",
    "The aim of this study was to assess whether {exposure} is associated with {outcome}.",
]
METHODS = [
    "We performed a retrospective cohort study of {n} {subject} treated at {k} hospitals "
    "between {y1} and {y2}.",
    "Participants were randomised to {exposure} or usual care and followed for {m} months.",
    "Multivariable logistic regression adjusted for age, sex, comorbidity and disease severity.",
    "The primary end point was {outcome}; secondary end points included adverse events and costs.",
    "Data were collected prospectively by research nurses blinded to group allocation.",
    "Baseline characteristics were compared with the chi-square test and the Mann-Whitney U test.",
]
RESULTS = [
    "Of the {n} participants, {p}% received {exposure}.",
    "Mean {outcome} was {a} \u00b1 {b} in the intervention group and {c} \u00b1 {d} in the "
    "control group (p = 0.0{e}).",
    "After adjustment, {exposure} was associated with an odds ratio of {r} (95% CI {lo} to "
    "{hi}) for {outcome}.",
    "No serious adverse events were attributed to the intervention.",
    "The effect was consistent across subgroups defined by age \u2265 65 years and sex.",
    "Median follow-up was {m} months (interquartile range {lo} to {hi}).",
]
CONCLUSIONS = [
    "In {subject}, {exposure} was associated with better {outcome}.",
    "These findings support the use of {exposure} in routine care, although randomised "
    "trials are needed to confirm them.",
    "{exposure} did not change {outcome} in this population.",
    "Clinicians should consider {exposure} for {subject} when resources allow.",
    "The benefit appeared greatest in patients with the most severe disease at baseline.",
]
QUESTIONS = [
    "Does {exposure} improve {outcome} in {subject}?",
    "Is {exposure} associated with {outcome} among {subject}?",
    "Can {exposure} reduce {outcome} in {subject}?",
    "Should {exposure} be offered to {subject}?",
]
LABEL_SETS = [
    ["BACKGROUND", "METHODS", "RESULTS"],
    ["OBJECTIVE", "METHODS", "RESULTS"],
    ["BACKGROUND", "OBJECTIVE", "METHODS", "RESULTS"],
    ["PURPOSE", "PATIENTS AND METHODS", "RESULTS"],
    ["INTRODUCTION", "MATERIALS AND METHODS", "RESULTS", "DISCUSSION"],
    ["AIMS", "DESIGN", "SETTING", "RESULTS"],
]
MESHES = [
    "Adult",
    "Aged",
    "Aged, 80 and over",
    "Child",
    "Cohort Studies",
    "Female",
    "Follow-Up Studies",
    "Hospitalization",
    "Humans",
    "Length of Stay",
    "Logistic Models",
    "Male",
    "Middle Aged",
    "Odds Ratio",
    "Prognosis",
    "Prospective Studies",
    "Quality of Life",
    "Retrospective Studies",
    "Risk Factors",
    "Treatment Outcome",
    "Young Adult",
    "Diabetes Mellitus, Type 2",
    "Asthma",
    "Hip Fractures",
    "Pneumonia",
    "Renal Insufficiency, Chronic",
    "Pulmonary Disease, Chronic Obstructive",
    "Coronary Artery Bypass",
    "Depressive Disorder, Major",
    "Arthritis, Rheumatoid",
]


def _fill(rng: random.Random, template: str, topic: dict[str, str]) -> str:
    return template.format(
        **topic,
        n=rng.randint(40, 9000),
        k=rng.randint(2, 40),
        y1=rng.randint(1995, 2008),
        y2=rng.randint(2009, 2018),
        m=rng.randint(3, 60),
        p=rng.randint(5, 95),
        a=rng.randint(10, 90),
        b=rng.randint(1, 20),
        c=rng.randint(10, 90),
        d=rng.randint(1, 20),
        e=rng.randint(1, 9),
        r=f"{rng.uniform(0.3, 3):.2f}",
        lo=rng.randint(1, 10),
        hi=rng.randint(11, 40),
    )


def _paragraph(rng: random.Random, pool: list[str], topic: dict[str, str], size: int) -> str:
    """Sentences from `pool` until the text is about `size` characters long."""
    sentences: list[str] = []
    length = 0
    while length < size:
        sentence = _fill(rng, rng.choice(pool), topic)
        sentence = sentence[0].upper() + sentence[1:]
        sentences.append(sentence)
        length += len(sentence) + 1
    return " ".join(sentences)


def make_item(rng: random.Random) -> dict:
    """One PQA-A item of realistic size, from invented text."""
    pick = rng.choice
    # the study's own topics, or ones composed from the wider vocabulary
    subject = (
        pick(SUBJECTS)
        if rng.random() < 0.15
        else f"{pick(medtext.POPULATIONS)} with {pick(medtext.DISEASES)}"
    )
    roll = rng.random()
    exposure = (
        pick(EXPOSURES) if roll < 0.3 else pick(medtext.DRUGS if roll < 0.8 else medtext.TESTS)
    )
    outcome = pick(OUTCOMES) if rng.random() < 0.3 else pick(medtext.OUTCOMES)
    topic = {"subject": subject, "exposure": exposure, "outcome": outcome}
    labels = rng.choice(LABEL_SETS)
    pools = {"RESULTS": RESULTS, "DISCUSSION": CONCLUSIONS}
    contexts = [
        _paragraph(
            rng,
            pools.get(label, METHODS if "METHOD" in label or label == "DESIGN" else BACKGROUND),
            topic,
            rng.randint(300, 900),
        )
        for label in labels
    ]
    question = _fill(rng, rng.choice(QUESTIONS), topic)
    question = question[0].upper() + question[1:]
    long_answer = (
        "" if rng.random() < 0.001 else _paragraph(rng, CONCLUSIONS, topic, rng.randint(150, 400))
    )
    return {
        "QUESTION": question,
        "CONTEXTS": contexts,
        "LABELS": labels,
        "LONG_ANSWER": long_answer,
        "MESHES": sorted(rng.sample(MESHES, rng.randint(5, 15))),
        "final_decision": "yes" if rng.random() < 0.93 else "no",
    }


def make_file(folder: Path, items: int, *, seed: int = 0, compact: bool = False) -> Path:
    """ori_pqaa.json with `items` items, written one item at a time."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ori_pqaa.json"
    pmid = 10_000_000
    with path.open("w", encoding="utf-8") as f:
        f.write("{" if compact else "{\n")
        for i in range(items):
            pmid += rng.randint(1, 90)  # unique, like real PMIDs of a period
            item = make_item(rng)
            last = i == items - 1
            if compact:
                f.write(f'"{pmid}": {json.dumps(item)}{"" if last else ", "}')
            else:
                text = json.dumps(item, indent=4).replace("\n", "\n    ")
                f.write(f'    "{pmid}": {text}{chr(10) if last else "," + chr(10)}')
        f.write("}")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write ori_pqaa.json into")
    parser.add_argument("--items", type=int, default=FULL_SIZE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compact", action="store_true", help="no indentation")
    args = parser.parse_args()
    start = time.perf_counter()
    path = make_file(args.out, args.items, seed=args.seed, compact=args.compact)
    took = time.perf_counter() - start
    print(
        f"wrote {path} ({args.items:,} items, {path.stat().st_size / 1e6:,.0f} MB) in {took:.1f}s"
    )


if __name__ == "__main__":
    main()
