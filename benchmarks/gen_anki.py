"""Write a large, realistic schema-11 Anki deck (.apkg) for benchmarking the anki source.

genanki builds one Python object per note and card; for 100k notes that is the slow part,
so this writes the same SQLite layout (genanki's schema and collection row, its Basic and
Cloze models) with `executemany`, then zips it as Anki does (deflate).

Fronts and backs are composed per note from benchmarks/medtext.py's vocabulary (drugs,
diseases, tests, findings, numbers), so notes repeat only by chance (well under 1%).

    python benchmarks/gen_anki.py OUT.apkg --notes 100000 [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import genanki
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA

sys.path.insert(0, str(Path(__file__).resolve().parent))

import medtext  # noqa: E402

TIMESTAMP = 1_700_000_000
DECKS = {
    2059400110: "Medicine::Cardiology",
    2059400111: "Medicine::Nephrology",
    2059400112: "Pharmacology",
    2059400113: "Physiology::Respiratory",
    2059400114: "Microbiology",
}
VERBS = [
    "regulates",
    "inhibits",
    "stimulates",
    "increases",
    "decreases",
    "lowers",
    "raises",
    "worsens",
]


def _sentence(rng: random.Random) -> str:
    return medtext.sentence(rng)[:-1]


def _htmlish(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.3:
        return f"<div>{text}</div>"
    if roll < 0.45:
        head, _, tail = text.partition(" in ")
        return f"<b>{head}</b><br>in&nbsp;{tail}" if tail else text
    return text


def _basic(rng: random.Random) -> tuple[str, str]:
    question = medtext.question(rng)
    answer = ". ".join(_sentence(rng) for _ in range(rng.randint(1, 3))) + "."
    roll = rng.random()
    if roll < 0.03:
        question += f'<br><img src="fig{rng.randrange(10_000)}.png">'
    elif roll < 0.04:
        answer += f" [sound:clip{rng.randrange(10_000)}.mp3]"
    return _htmlish(rng, question), _htmlish(rng, answer)


def _cloze(rng: random.Random) -> tuple[str, str, int]:
    n = rng.randint(1, 3)
    parts = []
    for k in range(1, n + 1):
        hint = f"::{rng.choice(['drug', 'organ', 'effect'])}" if rng.random() < 0.2 else ""
        effect = f"{rng.choice(medtext.OUTCOMES)} in {rng.choice(medtext.DISEASES)}"
        if rng.random() < 0.15:  # the same number twice: both hidden on one card
            effect = f"{{{{c{k}::{effect}}}}}"
        drug = rng.choice(medtext.DRUGS)
        parts.append(f"{{{{c{k}::{drug}{hint}}}}} {rng.choice(VERBS)} {effect}")
    extra = _sentence(rng) + "." if rng.random() < 0.4 else ""
    return _htmlish(rng, "; ".join(parts) + "."), extra, n


def make_deck(path: Path, n_notes: int, seed: int = 0) -> Path:
    """Write an .apkg of `n_notes` notes (~75% basic, ~25% cloze) to `path`; return it."""
    rng = random.Random(seed)
    path = Path(path)
    basic, cloze = genanki.BASIC_MODEL, genanki.CLOZE_MODEL
    first_deck = next(iter(DECKS))
    models = {str(m.model_id): m.to_json(TIMESTAMP, first_deck) for m in (basic, cloze)}
    decks = {str(did): genanki.Deck(did, name).to_json() for did, name in DECKS.items()}
    deck_ids = list(DECKS)
    notes, cards = [], []
    card_id = TIMESTAMP * 1000 + 10 * n_notes
    random_ = rng.random
    for i in range(n_notes):
        note_id = TIMESTAMP * 1000 + i
        did = deck_ids[int(random_() * len(deck_ids))]
        if random_() < 0.75:
            mid, flds, n_cards = basic.model_id, "\x1f".join(_basic(rng)), 1
        else:
            mid = cloze.model_id
            text, extra, n_cards = _cloze(rng)
            flds = f"{text}\x1f{extra}"
        guid = f"{rng.getrandbits(60):015x}"
        sfld = flds.split("\x1f", 1)[0]
        notes.append((note_id, guid, mid, TIMESTAMP, -1, " bench ", flds, sfld, 0, 0, ""))
        for ord_ in range(n_cards):
            card_id += 1
            cards.append(
                (card_id, note_id, did, ord_, TIMESTAMP, -1, 0, 0, i, 0, 0, 0, 0, 0, 0, 0, 0, "")
            )

    statements = [st.strip() for st in APKG_SCHEMA.split(";") if st.strip()]
    tables = [st for st in statements if not st.upper().startswith("CREATE INDEX")]
    indexes = [st for st in statements if st.upper().startswith("CREATE INDEX")]
    with tempfile.TemporaryDirectory(prefix="meadow-bench-") as tmp:
        db_path = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(db_path)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            for statement in tables:
                conn.execute(statement)
            conn.executescript(APKG_COL)
            conn.execute(
                "UPDATE col SET models = ?, decks = ?", (json.dumps(models), json.dumps(decks))
            )
            conn.executemany(f"INSERT INTO notes VALUES ({','.join('?' * 11)})", notes)
            conn.executemany(f"INSERT INTO cards VALUES ({','.join('?' * 18)})", cards)
            for statement in indexes:  # indexing once at the end is faster than per row
                conn.execute(statement)
            conn.commit()
        finally:
            conn.close()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as apkg:
            apkg.write(db_path, "collection.anki2")
            apkg.writestr("media", "{}")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the .apkg to write")
    parser.add_argument("--notes", type=int, default=100_000, help="number of notes")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args()
    start = time.perf_counter()
    make_deck(args.out, args.notes, args.seed)
    size = args.out.stat().st_size / 1e6
    took = time.perf_counter() - start
    print(f"wrote {args.out} ({args.notes} notes, {size:.1f} MB) in {took:.1f} s")


if __name__ == "__main__":
    main()
