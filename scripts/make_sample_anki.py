"""Write meadow's bundled sample deck, meadow/samples/anki/meadow-sample.apkg, with genanki.

Every card is invented sample text written for meadow (tag `meadow-sample`, decks under
`Meadow sample::`), not medical advice. Ids, guids and the timestamp are fixed and the
zip members carry a fixed date, so running this again gives the same bytes.

    python scripts/make_sample_anki.py
"""

from __future__ import annotations

import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import genanki

OUT = Path(__file__).resolve().parents[1] / "meadow" / "samples" / "anki" / "meadow-sample.apkg"
TIMESTAMP = 1_700_000_000.0
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
TAGS = ["meadow-sample"]
DESCRIPTION = (
    "Sample flashcards written for meadow's tests and demos. Invented, simplified text: "
    "not medical advice."
)

BASIC = genanki.Model(
    1_760_000_001,
    "Meadow sample Basic",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[
        {"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}
    ],
)
CLOZE = genanki.Model(
    1_760_000_002,
    "Meadow sample Cloze",
    model_type=genanki.Model.CLOZE,
    fields=[{"name": "Text"}, {"name": "Back Extra"}],
    templates=[
        {"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}<br>{{Back Extra}}"}
    ],
)

PHYSIOLOGY = [
    (
        "What is a typical resting heart rate for a healthy adult?",
        "About 60 to 100 beats per minute.",
    ),
    (
        "Which blood cells carry oxygen?",
        "Red blood cells, which carry it bound to <b>haemoglobin</b>.",
    ),
    ("Which organ produces insulin?", "The pancreas (the beta cells of its islets)."),
    (
        "Where is bile made, and where is it stored?",
        "<div>Made in the liver.</div><div>Stored in the gallbladder.</div>",
    ),
    ("Which gas do the lungs remove from the blood?", "Carbon dioxide."),
    (
        "What do the kidneys filter out of the blood?",
        "Waste products and excess water and salts,&nbsp;which leave the body as urine.",
    ),
    ("Which vitamin does the skin make when exposed to sunlight?", "Vitamin D."),
]
PHARMACOLOGY = [
    ("What class of drug is amoxicillin?", "A penicillin antibiotic (a beta-lactam)."),
    ("What is paracetamol called in the United States?", "Acetaminophen."),
]
CLOZES = [
    (
        "The {{c1::left ventricle}} pumps oxygen-rich blood into the {{c2::aorta}}.",
        "Sample text written for meadow.",
    ),
    ("Normal body temperature is about {{c1::37::number}} °C.", ""),
    ("Insulin lowers the level of {{c1::glucose}} in the blood.", ""),
]
IMAGE_CARD = (
    'Name the chambers of the heart in this diagram.<br><img src="meadow-sample-heart.png">',
    "Right atrium, right ventricle, left atrium and left ventricle.",
)


def _png(width: int = 8, height: int = 8) -> bytes:
    """A tiny solid red PNG, so the image card has a real media file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xc0\x20\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _note(model: genanki.Model, fields: tuple[str, str], n: int) -> genanki.Note:
    return genanki.Note(model=model, fields=list(fields), tags=TAGS, guid=f"meadow-sample-{n:02d}")


def build_decks() -> list[genanki.Deck]:
    """The sample decks: physiology (basic, cloze, one image card) and pharmacology."""
    physiology = genanki.Deck(1_760_000_101, "Meadow sample::Physiology", DESCRIPTION)
    pharmacology = genanki.Deck(1_760_000_102, "Meadow sample::Pharmacology", DESCRIPTION)
    n = 0
    for deck, model, cards in (
        (physiology, BASIC, PHYSIOLOGY),
        (physiology, CLOZE, CLOZES),
        (physiology, BASIC, [IMAGE_CARD]),
        (pharmacology, BASIC, PHARMACOLOGY),
    ):
        for fields in cards:
            n += 1
            deck.add_note(_note(model, fields, n))
    return [physiology, pharmacology]


def write_sample(out: Path = OUT) -> Path:
    """Write the sample .apkg to `out` byte for byte the same on every run."""
    with tempfile.TemporaryDirectory(prefix="meadow-sample-") as tmp:
        image = Path(tmp) / "meadow-sample-heart.png"
        image.write_bytes(_png())
        draft = Path(tmp) / "draft.apkg"
        # genanki leaves its scratch database in the temporary folder: use ours.
        saved, tempfile.tempdir = tempfile.tempdir, tmp
        try:
            genanki.Package(build_decks(), media_files=[str(image)]).write_to_file(
                draft, timestamp=TIMESTAMP
            )
        finally:
            tempfile.tempdir = saved
        # genanki stamps members with the current time; rewrite them with a fixed date.
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(draft) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
                fixed.compress_type = zipfile.ZIP_DEFLATED
                fixed.external_attr = 0o644 << 16
                dst.writestr(fixed, src.read(info))
    return out


if __name__ == "__main__":
    print(f"wrote {write_sample()}")
