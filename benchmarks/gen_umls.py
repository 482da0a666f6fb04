"""Write a large, realistic UMLS META folder (MRCONSO, MRDEF, MRREL), for the benchmarks.

The files have the exact RRF layout (pipe-delimited, every line closed by `|`, no header)
and realistic values: several atoms per concept from several vocabularies and languages
(preferred and non-preferred, suppressed ones, vocabularies at restriction levels 0, 3
and 9, some concepts with no English name), definitions from English and non-English
vocabularies (a few with HTML tags), and relations written in pairs with their inverse
(CHD/isa with PAR/inverse_isa, RO/may_treat with RO/may_be_treated_by, …), about 55% of
MRREL rows with an empty RELA, a few suppressed and self relations. Everything is drawn
from a seeded generator: the same arguments write the same bytes. Output is streamed.

    python benchmarks/gen_umls.py OUT_FOLDER --concepts 300000 --mrrel-lines 5000000

`python benchmarks/bench_build.py --only umls` measures meadow on it (5M and 1M MRREL lines).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import medtext  # noqa: E402

sys.path.insert(0, str(HERE.parent))

# Vocabularies: (SAB, language, restriction level, weight as a concept's preferred name).
VOCABULARIES = (
    ("MTH", "ENG", 0, 10),
    ("MSH", "ENG", 0, 20),
    ("NCI", "ENG", 0, 15),
    ("SNOMEDCT_US", "ENG", 9, 25),
    ("RXNORM", "ENG", 0, 8),
    ("LNC", "ENG", 0, 10),
    ("MDR", "ENG", 3, 5),
    ("HPO", "ENG", 0, 7),
)
FOREIGN = (
    ("MSHFRE", "FRE", 3),
    ("MSHGER", "GER", 3),
    ("MSHSPA", "SPA", 3),
    ("SCTSPA", "SPA", 9),
    ("MSHPOR", "POR", 3),
    ("MDRJPN", "JPN", 3),
)
SRL = {sab: level for sab, _, level, _ in VOCABULARIES} | {sab: lvl for sab, _, lvl in FOREIGN}
TTYS = {"MSH": "MH", "NCI": "PT", "MTH": "PN", "SNOMEDCT_US": "PT", "RXNORM": "IN"}

# Relations as pairs: (REL, RELA, inverse REL, inverse RELA, weight). Each pair is written
# twice (both directions), as MRREL holds it.
RELATIONS = (
    ("CHD", "isa", "PAR", "inverse_isa", 12),
    ("RO", "may_treat", "RO", "may_be_treated_by", 3),
    ("RO", "has_finding_site", "RO", "finding_site_of", 4),
    ("RO", "associated_with", "RO", "associated_with", 3),
    ("RO", "has_ingredient", "RO", "ingredient_of", 4),
    ("RO", "mapped_to", "RO", "mapped_from", 2),
    ("RO", "tradename_of", "RO", "has_tradename", 3),
    ("RO", "part_of", "RO", "has_part", 4),
    ("SY", "same_as", "SY", "same_as", 2),
    ("RO", "classified_as", "RO", "classifies", 3),
    ("RO", "manifestation_of", "RO", "has_manifestation", 1),
    ("RO", "has_causative_agent", "RO", "causative_agent_of", 3),
    ("SIB", "", "SIB", "", 18),
    ("CHD", "", "PAR", "", 10),
    ("RB", "", "RN", "", 8),
    ("RO", "", "RO", "", 10),
    ("AQ", "", "QB", "", 4),
    ("RQ", "", "RQ", "", 3),
    ("SY", "", "SY", "", 2),
    ("RL", "", "RL", "", 1),
)
RELATION_SABS = (("SNOMEDCT_US", 30), ("MSH", 20), ("NCI", 15), ("MTH", 10), ("RXNORM", 10))
RELATION_SABS += (("MDR", 5), ("LNC", 5), ("HPO", 5))

QUALIFIERS = ("Acute", "Chronic", "Congenital", "Recurrent", "Primary", "Secondary", "Severe")
QUALIFIERS += ("Mild", "Bilateral", "Idiopathic", "Hereditary", "Drug-induced", "Juvenile")
SITES = ("renal", "hepatic", "pulmonary", "cardiac", "cerebral", "gastric", "cutaneous")
SITES += ("ocular", "pancreatic", "thyroid", "splenic", "bronchial", "vascular", "spinal")
HEADS = ("failure", "inflammation", "neoplasm", "infection", "stenosis", "fibrosis", "injury")
HEADS += ("insufficiency", "hemorrhage", "cyst", "abscess", "ischemia", "atrophy", "disorder")
SENTENCES = (
    "A condition in which the affected organ cannot maintain its normal function.",
    "It is usually diagnosed from the clinical picture and confirmed by imaging.",
    "Treatment depends on the cause and on how far the disease has progressed.",
    "The disorder often follows an infection or an injury of the tissue.",
    "Symptoms include pain, swelling and a gradual loss of function.",
    "A substance used to prevent or treat the disease in adults and children.",
    "It is more common in older adults and in people with long-term illness.",
)


def _name(number: int) -> str:
    """A medically plausible, mostly unique name for concept `number`."""
    q, s, h = QUALIFIERS, SITES, HEADS
    base = len(q) * len(s) * len(h)  # mixed radix: every number below `base` is distinct
    site, head = number // len(q) % len(s), number // len(q) // len(s) % len(h)
    text = f"{q[number % len(q)]} {s[site]} {h[head]}"
    return text if number < base else f"{text}, type {number // base}"


def _definition(rng: random.Random) -> str:
    text = " ".join([medtext.sentence(rng), *rng.sample(SENTENCES, rng.randint(0, 2))])
    roll = rng.random()
    if roll < 0.04:
        return f"<p>{text}</p>"
    if roll < 0.07:
        return text.replace("condition", "<i>condition</i>", 1)
    return text


def _write(out, lines: list[str]) -> None:
    out.write("".join(lines))
    lines.clear()


def make_meta(folder: Path, concepts: int, mrrel_lines: int, seed: int = 0) -> Path:
    """Write MRCONSO.RRF, MRDEF.RRF and MRREL.RRF into `folder`; return the folder."""
    rng = random.Random(seed)
    random_ = rng.random
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    first_cui = 1_000
    english_sabs = [v[0] for v in VOCABULARIES]
    english_weights = [v[3] for v in VOCABULARIES]
    aui = lui = sui = atui = 0
    lines: list[str] = []
    with (folder / "MRCONSO.RRF").open("w", encoding="utf-8", newline="\n") as out:
        for n in range(concepts):
            cui = f"C{first_cui + n:07d}"
            name = _name(n)
            atoms = []  # (LAT, TS, STT, ISPREF, SAB, TTY, STR, SUPPRESS)
            if random_() < 0.05:  # a concept with no English name at all
                sab, lat, _ = FOREIGN[n % len(FOREIGN)]
                atoms.append((lat, "P", "PF", "Y", sab, "MH", f"{name} ({lat.lower()})", "N"))
            else:
                sab = rng.choices(english_sabs, english_weights)[0]
                suppress = "O" if random_() < 0.02 else "N"
                atoms.append(("ENG", "P", "PF", "Y", sab, TTYS.get(sab, "PT"), name, suppress))
                for _ in range(rng.randint(0, 2)):  # the same string from other vocabularies
                    other = rng.choices(english_sabs, english_weights)[0]
                    atoms.append(("ENG", "P", "PF", "N", other, "SY", name, "N"))
                for k in range(rng.randint(0, 3)):  # synonyms and variants
                    stt = "PF" if k % 2 == 0 else "VO"
                    other = rng.choices(english_sabs, english_weights)[0]
                    text = f"{name} (finding)" if k == 0 else f"{name}, NOS {k}"
                    atoms.append(("ENG", "S", stt, "Y", other, "SY", text, "N"))
                for _ in range(rng.randint(0, 2)):  # translations
                    fsab, lat, _ = FOREIGN[int(random_() * len(FOREIGN))]
                    atoms.append((lat, "P", "PF", "Y", fsab, "MH", f"{name} [{lat}]", "N"))
            for lat, ts, stt, ispref, sab, tty, text, suppress in atoms:
                aui += 1
                lui += 1
                sui += 1
                code = f"{900_000 + n}" if sab == "SNOMEDCT_US" else f"D{n:06d}"
                cvf = "256" if lat == "ENG" and random_() < 0.6 else ""
                lines.append(
                    f"{cui}|{lat}|{ts}|L{lui:07d}|{stt}|S{sui:07d}|{ispref}|A{aui:08d}|"
                    f"{aui * 7 if sab == 'SNOMEDCT_US' else ''}|{code}|"
                    f"{code if sab.startswith('MSH') else ''}|{sab}|{tty}|{code}|{text}|"
                    f"{SRL[sab]}|{suppress}|{cvf}|\n"
                )
            if len(lines) >= 10_000:
                _write(out, lines)
        _write(out, lines)

    def_sabs = ("MSH", "NCI", "MTH", "MSHPOR", "NCI", "MSH", "HPO", "MSHFRE")
    with (folder / "MRDEF.RRF").open("w", encoding="utf-8", newline="\n") as out:
        for n in range(concepts):
            if random_() >= 0.15:
                continue
            for _ in range(rng.randint(1, 2)):
                atui += 1
                sab = def_sabs[int(random_() * len(def_sabs))]
                suppress = "N" if random_() >= 0.02 else "O"
                text = "" if random_() < 0.005 else _definition(rng)
                lines.append(
                    f"C{first_cui + n:07d}|A{n * 3 + 1:08d}|AT{atui:08d}||{sab}|{text}|"
                    f"{suppress}||\n"
                )
            if len(lines) >= 10_000:
                _write(out, lines)
        _write(out, lines)

    pairs = [(r[0], r[1], r[2], r[3]) for r in RELATIONS]
    weights = [r[4] for r in RELATIONS]
    sabs = [s for s, _ in RELATION_SABS]
    sab_weights = [w for _, w in RELATION_SABS]
    rui = 0
    written = 0
    with (folder / "MRREL.RRF").open("w", encoding="utf-8", newline="\n") as out:
        while written < mrrel_lines:
            batch = min(10_000, (mrrel_lines - written + 1) // 2)
            kinds = rng.choices(pairs, weights, k=batch)
            vocabularies = rng.choices(sabs, sab_weights, k=batch)
            for (rel, rela, inv_rel, inv_rela), sab in zip(kinds, vocabularies, strict=True):
                a = int(random_() * concepts)
                # a nearby concept, or now and then the concept itself (a self relation)
                b = a if random_() < 0.002 else (a + 1 + int(random_() * 2_000)) % concepts
                cui1, cui2 = f"C{first_cui + a:07d}", f"C{first_cui + b:07d}"
                suppress = "N" if random_() >= 0.03 else ("O", "E", "Y")[int(random_() * 3)]
                stype = "SCUI" if sab != "MTH" else "CUI"
                rg = "0" if sab == "SNOMEDCT_US" else ""
                direction = "Y" if rela and random_() < 0.5 else ""
                for c1, r, c2, ra in ((cui1, rel, cui2, rela), (cui2, inv_rel, cui1, inv_rela)):
                    if written >= mrrel_lines:
                        break
                    rui += 1
                    lines.append(
                        f"{c1}|A{a * 3 + 1:08d}|{stype}|{r}|{c2}|A{b * 3 + 1:08d}|{stype}|{ra}|"
                        f"R{rui:09d}||{sab}|{sab}|{rg}|{direction}|{suppress}||\n"
                    )
                    written += 1
            _write(out, lines)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the META folder to write")
    parser.add_argument("--concepts", type=int, default=300_000, help="number of concepts")
    parser.add_argument("--mrrel-lines", type=int, default=5_000_000, help="MRREL.RRF lines")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args()
    start = time.perf_counter()
    make_meta(args.out, args.concepts, args.mrrel_lines, args.seed)
    size = sum(p.stat().st_size for p in args.out.glob("*.RRF")) / 1e6
    took = time.perf_counter() - start
    print(f"wrote {args.out} ({size:,.0f} MB) in {took:.1f} s")


if __name__ == "__main__":
    main()
