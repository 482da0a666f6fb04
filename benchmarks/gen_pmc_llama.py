"""Write a full-size PMC-LLaMA `release.json`, for the benchmarks.

The file is the release's layout: one indented JSON array of `{instruction, input, output,
source, sample_id}`, rows grouped by source in the release's proportions (at 513,999 rows:
pubmedqa.ori_pqaa 211,000, medmcqa 183,000, umls 99,000, medqa_train 10,200,
umls_relation 9,474, medicationqa 690, liveqa 635), with texts of realistic length made
from pools of invented sentences joined with per-row sentences, questions and concept
names from benchmarks/medtext.py's vocabulary, so rows repeat only by chance (under 1%;
about 700 MB at full size). It is written as it is
generated, so memory stays flat; the same --rows and --seed give the same bytes.

    python benchmarks/gen_pmc_llama.py OUT_DIR --rows 513999 [--seed 0]

`python benchmarks/bench_build.py --only pmc_llama` measures meadow on it.
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

FULL_ROWS = 513_999
# The release's sources in file order, with their row counts at full size.
MIX = (
    ("medqa_train", 10_200),
    ("medmcqa", 183_000),
    ("pubmedqa.ori_pqaa", 211_000),
    ("liveqa", 635),
    ("medicationqa", 690),
    ("umls", 99_000),
    ("umls_relation", 9_474),
)

INSTRUCTIONS = {
    "medqa_train": (
        "You're a doctor, kindly address the medical queries according to the patient's "
        "account. Answer with the best option directly.",
        "As a medical professional, choose the best option for the clinical case below.",
        "Answer the following multiple-choice question about a patient. Give the option.",
    ),
    "medmcqa": (
        "Solve the following multiple-choice question by looking at the options, explain "
        "your reasoning and give the best option.",
        "Explain the answer to this medical exam question, then state the correct option.",
    ),
    "pubmedqa.ori_pqaa": (
        "Answer the research question from the abstract given as context, reasoning first.",
        "Read the context from a PubMed abstract and answer the question with yes, no or "
        "maybe, explaining why.",
    ),
    "liveqa": ("Answer this consumer health question as a doctor would.",),
    "medicationqa": ("Answer this question about a medicine clearly and safely.",),
    "umls": ("Explain the meaning of the medical term.", "What does the term below mean?"),
    "umls_relation": ("Describe how the two medical concepts are related.",),
}

AGES = tuple(range(18, 86))
PATIENTS = ("man", "woman")
FINDINGS = (
    "has had a productive cough and fever for four days",
    "reports crushing chest pain radiating to the left arm for one hour",
    "has noticed painless jaundice and weight loss over two months",
    "complains of episodic headaches with palpitations and sweating",
    "has had progressive shortness of breath on exertion for six months",
    "presents with a swollen, warm and tender right calf after a long flight",
    "has a rash on both cheeks and pain in the small joints of the hands",
    "reports increased thirst, frequent urination and blurred vision",
)
EXAM = (
    "Temperature is 38.4 C, pulse 104/min and blood pressure 118/76 mm Hg.",
    "Examination shows crackles over the right lower lung field.",
    "Laboratory studies show a hemoglobin of 10.2 g/dL and a leukocyte count of 14,500/mm3.",
    "An electrocardiogram shows ST-segment elevation in leads II, III and aVF.",
    "Abdominal ultrasonography shows a dilated common bile duct.",
    "There is no lymphadenopathy and the remainder of the examination is normal.",
    "Urinalysis shows 3+ glucose and no ketones.",
    "The patient takes no medications and does not smoke or drink alcohol.",
)
QUESTIONS = (
    "Which of the following is the most likely diagnosis?",
    "Which of the following is the most appropriate next step in management?",
    "Which of the following is the most likely underlying mechanism?",
    "Which of the following best explains these findings?",
)
OPTIONS = (
    "Community-acquired pneumonia",
    "Acute inferior myocardial infarction",
    "Pancreatic adenocarcinoma",
    "Pheochromocytoma",
    "Deep venous thrombosis",
    "Systemic lupus erythematosus",
    "Type 2 diabetes mellitus",
    "Begin intravenous heparin",
    "Obtain a CT scan of the abdomen",
    "Measure plasma metanephrines",
    "Autoimmune destruction of beta cells",
    "Insulin resistance in peripheral tissues",
)
SHORT_QUESTIONS = (
    "Drug of choice for absence seizures is",
    "Most common site of carcinoid tumour is",
    "Which nerve is injured in fracture of the surgical neck of the humerus?",
    "Vitamin deficiency that causes night blindness is",
    "Commonest cause of mitral stenosis is",
    "Antidote for heparin overdose is",
)
RATIONALE = (
    "The described features are typical of this condition and are tested often.",
    "Ethosuximide acts on T-type calcium channels in thalamic neurons.",
    "The axillary nerve winds around the surgical neck and is at risk in such fractures.",
    "Retinol is needed to regenerate rhodopsin in the rods of the retina.",
    "Rheumatic heart disease remains the leading cause in most parts of the world.",
    "Protamine sulfate binds heparin and neutralises its anticoagulant effect.",
    "The other options do not explain the combination of findings in the question.",
    "Ref: standard textbooks of pharmacology and medicine, latest editions.",
)
CONTEXT = (
    "This prospective cohort study enrolled adults attending outpatient clinics.",
    "Patients were randomly assigned to the intervention or to usual care.",
    "The primary outcome was the rate of readmission within thirty days.",
    "Secondary outcomes included quality of life and adverse events.",
    "Multivariable logistic regression adjusted for age, sex and comorbidity.",
    "The intervention group had fewer readmissions than the control group.",
    "No significant difference in mortality was observed between the groups.",
    "Serum biomarker levels correlated with disease severity at baseline.",
    "Follow-up was complete for more than ninety percent of participants.",
    "Subgroup analyses suggested a larger effect in older patients.",
)
RESEARCH = (
    "Does early mobilisation reduce the length of hospital stay after surgery?",
    "Is serum ferritin a reliable marker of iron stores in chronic disease?",
    "Do structured discharge plans lower thirty-day readmission rates?",
    "Is vitamin D supplementation associated with fewer respiratory infections?",
)
CONSUMER = (
    "Can I take ibuprofen together with my blood pressure tablets?",
    "What are the side effects of metformin and do they go away?",
    "How long should a cough last after a cold before I see a doctor?",
    "Is it safe to stop taking my statin if my cholesterol is normal now?",
)
ADVICE = (
    "Talk to your doctor or pharmacist before combining these medicines.",
    "Stomach upset is common in the first weeks and often settles with food.",
    "A cough after a viral infection can last three to eight weeks.",
    "Do not stop a prescribed medicine without discussing it with your doctor.",
    "Seek urgent care if you have chest pain, trouble breathing or fainting.",
    "Keep a list of all the medicines and supplements you take.",
)
TERMS = (
    "Bronchiectasis",
    "Cholestasis",
    "Hyponatremia",
    "Osteomalacia",
    "Thrombocytopenia",
    "Cardiomyopathy",
    "Glomerulonephritis",
    "Hemochromatosis",
)
DEFINITIONS = (
    "A condition in which the airways become permanently widened and scarred.",
    "A reduction or stoppage of bile flow from the liver to the duodenum.",
    "An abnormally low concentration of sodium in the blood.",
    "Softening of the bones caused by defective mineralisation of the bone matrix.",
    "A lower than normal number of platelets in the blood.",
    "A disease of the heart muscle that makes it harder to pump blood.",
)
RELATIONS = ("may treat", "is a finding of", "is a subtype of", "may cause", "is located in")


def _counts(rows: int) -> list[tuple[str, int]]:
    """Rows per source for `rows` in all, in the release's proportions (exact at full size)."""
    counts = [(source, n * rows // FULL_ROWS) for source, n in MIX]
    short = rows - sum(n for _, n in counts)
    counts[2] = (counts[2][0], counts[2][1] + short)  # the rounding goes to the largest
    return counts


QUALIFIERS = ("Acute", "Chronic", "Congenital", "Recurrent", "Primary", "Secondary", "Severe")
QUALIFIERS += ("Mild", "Bilateral", "Idiopathic", "Hereditary", "Drug-induced", "Juvenile")


def _term(rng: random.Random) -> str:
    """A UMLS-like concept name (millions of combinations)."""
    pick = rng.choice
    if rng.random() < 0.5:
        return f"{pick(QUALIFIERS)} {pick(medtext.DISEASES)} of the {pick(medtext.ORGANS)}"
    return f"{pick(QUALIFIERS)} {pick(medtext.DISEASES)} with {pick(medtext.FINDINGS)}"


def _options(rng: random.Random, n: int) -> tuple[str, str]:
    """`###Options:` lines and the answer line for `n` options."""
    letters = "ABCDE"[:n]
    chosen = zip(letters, rng.sample(OPTIONS, n), strict=True)
    lines = "\n".join(f"{letter}. {text}" for letter, text in chosen)
    return lines, f"###Answer: OPTION {rng.choice(letters)} IS CORRECT."


def _row(rng: random.Random, source: str) -> tuple[str, str]:
    """(input, output) of one row of `source`, as long as the release's rows are."""
    pick = rng.choice
    if source == "medqa_train":
        case = f"A {pick(AGES)}-year-old {pick(PATIENTS)} {pick(FINDINGS)}. " + " ".join(
            pick(EXAM) for _ in range(9)
        )
        options, answer = _options(rng, 5)
        return f"###Question: {case} {pick(QUESTIONS)}\n###Options:\n{options}", answer
    if source == "medmcqa":
        options, answer = _options(rng, 4)
        rationale = " ".join(pick(RATIONALE) for _ in range(6)) + " " + medtext.sentences(rng, 2)
        return (
            f"###Question: {medtext.question(rng)}\n###Options:\n{options}",
            f"###Rationale: {rationale}\n\n{answer}",
        )
    if source == "pubmedqa.ori_pqaa":
        context = " ".join(pick(CONTEXT) for _ in range(20))
        letter = pick("ABC")
        rationale = " ".join(pick(CONTEXT) for _ in range(3)) + " " + medtext.sentence(rng)
        return (
            f"###Question: {medtext.title(rng)}?\n###Context: {context}\n"
            "###Options:\nA. yes\nB. no\nC. maybe",
            f"###Rationale: {rationale}\n\n###Answer: OPTION {letter} IS CORRECT.",
        )
    if source in ("liveqa", "medicationqa"):
        question = " ".join(pick(CONSUMER) for _ in range(2)) + " " + medtext.question(rng)
        answer = " ".join(pick(ADVICE) for _ in range(11)) + " " + medtext.sentences(rng, 3)
        return f"###Question: {question}", "###Answer: " + answer
    if source == "umls":
        definition = " ".join(pick(DEFINITIONS) for _ in range(2)) + " " + medtext.sentence(rng)
        return f"###Question: {_term(rng)}", "###Answer: " + definition
    first, second = _term(rng), _term(rng)
    return (
        f"###Question: What is the relation between {first} and {second}?",
        f"###Answer: {first} {pick(RELATIONS)} {second}.",
    )


def make_release(folder: Path, rows: int = FULL_ROWS, *, seed: int = 0) -> Path:
    """`folder/release.json` with `rows` rows, written as it is generated."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "release.json"
    written = 0
    with path.open("w", encoding="utf-8") as f:
        f.write("[\n")
        for source, count in _counts(rows):
            for sample_id in range(count):
                text, answer = _row(rng, source)
                item = {
                    "instruction": rng.choice(INSTRUCTIONS[source]),
                    "input": text,
                    "output": answer,
                    "source": source,
                    "sample_id": sample_id,
                }
                written += 1
                body = json.dumps(item, indent=4, ensure_ascii=False)
                f.write("    " + body.replace("\n", "\n    "))
                f.write(",\n" if written < rows else "\n")
        f.write("]\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write release.json into")
    parser.add_argument("--rows", type=int, default=FULL_ROWS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    path = make_release(args.out, args.rows, seed=args.seed)
    took = time.perf_counter() - started
    print(f"wrote {path} ({args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB) in {took:.1f}s")


if __name__ == "__main__":
    main()
