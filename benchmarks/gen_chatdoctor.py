"""Write a large HealthCareMagic-100k.json (ChatDoctor's layout) and time the chatdoctor source.

The file is an indented JSON array of `{instruction, input, output}` with texts of the
real corpus's length (a ~500-character question, a ~900-character answer) composed per
row from benchmarks/medtext.py's vocabulary (findings, drugs, diseases, tests, numbers).
Planted on purpose: 1% of items repeat the item before (as the corpus does) and 0.2%
have an empty answer; other texts repeat by chance well under 0.1% of the time.

    python benchmarks/gen_chatdoctor.py OUT_DIR --rows 112165 [--seed 0] [--measure]

With --measure, each route runs in its own process (its peak memory is its own):
the ijson ceiling (stream every item, no mapping), meadow's parse + map + clean, meadow's
full build into the parquet cache (hashing the file included), and `json.load`, what a
user would write instead.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import medtext  # noqa: E402

INSTRUCTION = (
    "If you are a doctor, please answer the medical questions based on the patient's description."
)
COMPLAINTS = [
    "I have had {finding} for {n} days that gets worse in the evening",
    "my {who} has {finding} and {finding2} since {when}",
    "I was diagnosed with {disease} {n} years ago and now I have {finding}",
    "I get {finding} when I climb stairs and sometimes {finding2}",
    "there is {finding} on my {side} side for {n} weeks",
    "my {who} takes {drug} for {disease} and has developed {finding}",
    "I have been very tired for {n} months and have {finding}",
    "my {test} result came back abnormal and I also have {finding}",
    "I stopped {drug} {n} days ago and now I have {finding}",
]
WHO = ("son", "daughter", "wife", "husband", "mother", "father", "grandmother", "brother")
WHEN = ("yesterday", "last week", "two days", "this morning", "a month", "Sunday")
DETAILS = [
    "I am {age} years old and {smoke}.",
    "I take {drug} {dose} mg {freq}.",
    "There is a history of {disease} in my family.",
    "I tried {drug} but it helped only a little.",
    "I also have {finding} when I stand up quickly.",
    "My doctor did {test} {n} months ago and it was normal.",
    "I weigh {kg} kg and I am {cm} cm tall.",
]
SMOKE = ("do not smoke", "smoke ten a day", "quit smoking last year", "drink socially")
FREQ = ("once a day", "twice a day", "at night", "when needed")
GREETINGS = ("Hi, ", "Hello, ", "Thanks for your query. ", "Dear patient, ", "Hi, welcome. ")
ANSWERS = [
    "From your description this is most likely {disease}, which is treatable.",
    "Please get {test} and {test2} done and share the reports.",
    "{finding} with {finding2} needs to be evaluated for {disease}.",
    "You can take {drug} {dose} mg {freq} for {k} days, after consulting your doctor.",
    "Do not take {drug} together with {drug2}, as they interact.",
    "If you notice {finding} or the symptoms get worse, please see a doctor in person.",
    "Cut down on salt, walk for {k} minutes a day and recheck in {n} weeks.",
    "{test} will help to tell {disease} from {disease2}.",
    "Your {organ} may be involved, so a specialist review is advisable.",
]
CLOSINGS = (
    "Hope this helps. Regards, Chat Doctor.",
    "Take care. Chat Doctor.",
    "Wishing you good health.",
    "Feel free to ask more questions.",
)


def _fill(rng: random.Random, template: str) -> str:
    c = rng.choice
    return template.format(
        finding=c(medtext.FINDINGS),
        finding2=c(medtext.FINDINGS),
        disease=c(medtext.DISEASES),
        disease2=c(medtext.DISEASES),
        drug=c(medtext.DRUGS),
        drug2=c(medtext.DRUGS),
        test=c(medtext.TESTS),
        test2=c(medtext.TESTS),
        organ=c(medtext.ORGANS),
        side=c(("left", "right", "lower", "upper")),
        who=c(WHO),
        when=c(WHEN),
        smoke=c(SMOKE),
        freq=c(FREQ),
        dose=c((5, 10, 20, 40, 50, 100, 250, 500)),
        n=rng.randint(2, 20),
        k=rng.randint(3, 45),
        age=rng.randint(18, 80),
        kg=rng.randint(45, 120),
        cm=rng.randint(150, 195),
    )


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


def make_file(folder: Path, rows: int, *, seed: int = 0) -> Path:
    """HealthCareMagic-100k.json with `rows` items, written as the upstream file is."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "HealthCareMagic-100k.json"
    with path.open("w", encoding="utf-8") as f:
        f.write("[\n")
        previous = None
        for i in range(rows):
            if previous is not None and rng.random() < 0.01:
                item = previous  # the corpus repeats some conversations
            else:
                question = "Hi doctor, " + ". ".join(
                    _fill(rng, rng.choice(COMPLAINTS)) for _ in range(rng.randint(3, 4))
                )
                question += ". " + " ".join(
                    _fill(rng, rng.choice(DETAILS)) for _ in range(rng.randint(3, 6))
                )
                answer = rng.choice(GREETINGS) + " ".join(
                    _capital(_fill(rng, rng.choice(ANSWERS))) for _ in range(rng.randint(8, 13))
                )
                answer += " " + rng.choice(CLOSINGS)
                if rng.random() < 0.002:
                    answer = ""
                item = {"instruction": INSTRUCTION, "input": question, "output": answer}
            previous = item
            text = json.dumps(item, indent=4)
            f.write("    " + text.replace("\n", "\n    "))
            f.write(",\n" if i < rows - 1 else "\n")
        f.write("]\n")
    return path


# -- routes, each measured in its own process ----------------------------------------------


def route_ceiling(path: Path) -> int:
    import ijson

    with path.open("rb") as f:
        return sum(1 for _ in ijson.items(f, "item"))


def route_records(path: Path) -> int:
    from meadow.sources.chatdoctor import ChatDoctorSource

    return sum(1 for _ in ChatDoctorSource().records(path))


def route_build(path: Path) -> int:
    """The real per-source build: parse, map, clean, write the zstd parquet cache."""
    import tempfile

    from meadow.parse_runner import plan_source, run_plans
    from meadow.progress import ProgressBars
    from meadow.sources.chatdoctor import ChatDoctorSource

    with tempfile.TemporaryDirectory() as cache:
        plan = plan_source(ChatDoctorSource(), path, Path(cache))
        built = run_plans([plan], num_proc=1, bars=ProgressBars(enabled=False))
        return built["chatdoctor"].rows


def route_json_load(path: Path) -> int:
    with path.open("rb") as f:
        return len(json.load(f))


ROUTES = {
    "ceiling": route_ceiling,
    "records": route_records,
    "build": route_build,
    "json_load": route_json_load,
}


def _run_route(name: str, path: Path) -> tuple[float, float, int]:
    out = subprocess.run(
        [sys.executable, __file__, "--route", name, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    seconds, peak, rows = out.split()
    return float(seconds), float(peak), int(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=112_165)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure", action="store_true")
    parser.add_argument("--route", choices=sorted(ROUTES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.route:
        sys.path.insert(0, str(HERE.parent))
        start = time.perf_counter()
        rows = ROUTES[args.route](args.out)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{seconds:.3f} {peak:.1f} {rows}")
        return
    path = args.out / "HealthCareMagic-100k.json"
    if not path.exists() or args.rows != 112_165:
        start = time.perf_counter()
        path = make_file(args.out, args.rows, seed=args.seed)
        took = time.perf_counter() - start
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {took:.1f}s")
    if not args.measure:
        return
    size = path.stat().st_size / 1e6
    results = {name: _run_route(name, path) for name in ROUTES}
    base = results["ceiling"][0]
    for name, (seconds, peak, rows) in results.items():
        print(
            f"{name:10s} {seconds:7.2f}s {size / seconds:7.0f} MB/s {rows / seconds:9.0f} items/s "
            f"peak {peak:7.0f} MiB  ({base / seconds:.0%} of the ceiling's speed)"
        )


if __name__ == "__main__":
    main()
