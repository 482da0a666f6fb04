"""Write a large HealthCareMagic-100k.json (ChatDoctor's layout) and time the chatdoctor source.

The file is an indented JSON array of `{instruction, input, output}` with texts of the
real corpus's length (a ~500-character question, a ~900-character answer) made from a
pool of invented sentences, a few repeats and empty answers included.

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
INSTRUCTION = (
    "If you are a doctor, please answer the medical questions based on the patient's description."
)
COMPLAINTS = [
    "I have had a dull headache for {n} days that gets worse in the evening",
    "my {who} has a fever of 101 F and a sore throat since yesterday",
    "I feel a burning pain in my upper stomach after meals",
    "I get short of breath when I climb stairs and my ankles swell",
    "there is a small painless lump on the side of my neck",
    "my knee is swollen and painful after a fall {n} days ago",
    "I have been very tired for months and my hair is falling",
    "my blood pressure readings at home are around 150/95",
]
DETAILS = [
    "I am {age} years old and do not smoke.",
    "I take no regular medicines apart from vitamins.",
    "There is no history of diabetes or heart disease in my family.",
    "I tried paracetamol but it helped only a little.",
    "I also feel a little dizzy when I stand up quickly.",
    "My doctor did a blood test last year and it was normal.",
]
ANSWERS = [
    "Thanks for your query.",
    "From your description this is most likely a viral infection that settles on its own.",
    "Please get a complete blood count and a thyroid profile done.",
    "Drink plenty of fluids, rest well and take paracetamol for pain or fever if needed.",
    "An ultrasound of the area will help to tell a lymph node from a cyst.",
    "If the symptoms get worse or you notice blood, please see a doctor in person.",
    "Cut down on salt, walk for thirty minutes a day and recheck your readings in a month.",
    "Hope this helps. Regards, Chat Doctor.",
]


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
                    rng.choice(COMPLAINTS).format(n=rng.randint(2, 20), who="son", age=30)
                    for _ in range(3)
                )
                question += ". " + " ".join(
                    rng.choice(DETAILS).format(age=rng.randint(18, 80)) for _ in range(4)
                )
                answer = "Hi, " + " ".join(rng.choice(ANSWERS) for _ in range(11))
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
