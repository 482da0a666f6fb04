"""Hostile CSV inputs (issue 14, section 7): what a CSV error message shows, and a field
larger than the reader takes.

* a CORD-19 `metadata.csv` row holding terminal escape sequences (`\\x1b]0;…\\x1b[2J`
  retitles and clears the terminal that prints the error);
* a CORD-19 abstract of 8 MB and a UMLS definition of 4 MB, larger than pyarrow's 1 MB
  block: the message must name the line and the field and say how to raise the limit
  (`MEADOW_CSV_FIELD_MB`), not "download it again";
* a health_advice sentence of 160,000 characters (over Python csv's field limit) whose
  text holds a line shaped like a row: the rest of the field must not become rows.

Results are returned with any raw ESC or BEL shown as <ESC> / <BEL> (and flagged), so the
harness's terminal stays safe whatever the meadow under test prints.
"""

from __future__ import annotations

from pathlib import Path

from meadow import build
from meadow.errors import MeadowError

CORD19_HEADER = (
    "cord_uid,sha,source_x,title,doi,pmcid,pubmed_id,license,abstract,publish_time,authors,"
    "journal,mag_id,who_covidence_id,arxiv_id,pdf_json_files,pmc_json_files,url,s2_id"
)
GOOD_ROW = (
    "ab12cd34,,PMC,A title,,,,cc-by,An abstract that is long enough to be kept as a record "
    "here.,2020,,,,,,,,,"
)


def _run(source: str, raw: Path) -> str:
    try:
        result = build(sources=[source], raw={source: raw}, name=f"hostile-{source}")
    except MeadowError as err:
        line = f"{type(err).__name__}: {err}"
    else:
        line = f"built: {result.rows} rows"
    if "\x1b" in line or "\x07" in line:
        line = "[RAW ESCAPES PRINTED] " + line.replace("\x1b", "<ESC>").replace("\x07", "<BEL>")
    return line


def escapes_in_a_row(work: Path) -> str:
    path = work / "metadata.csv"
    path.write_text(
        f"{CORD19_HEADER}\n{GOOD_ROW}\nab12cd35,\x1b]0;owned\x07\x1b[2J,PMC,A title\n",
        encoding="utf-8",
    )
    return _run("cord19", path)


def cord19_abstract_8mb(work: Path) -> str:
    path = work / "metadata.csv"
    big = "Fever in children. " * (8 * 2**20 // 19)
    with path.open("w", encoding="utf-8") as f:
        f.write(f'{CORD19_HEADER}\n{GOOD_ROW}\ncd34ef56,,PMC,Big,,,,cc-by,"{big}",2020,,,,,,,,,\n')
    return _run("cord19", path)


def umls_definition_4mb(work: Path) -> str:
    meta = work / "META"
    meta.mkdir()
    (meta / "MRCONSO.RRF").write_text(
        "C0000001|ENG|P|L1|PF|S1|Y|A1||||MSH|MH|D1|Asthma|0|N||\n", encoding="utf-8"
    )
    definition = "Asthma is a disease of the airways. " * (4 * 2**20 // 36)
    (meta / "MRDEF.RRF").write_text(
        f"C0000001|A1|AT1||MSH|A short one.|N||\nC0000001|A1|AT2||MSH|{definition}|N||\n",
        encoding="utf-8",
    )
    (meta / "MRREL.RRF").write_text("", encoding="utf-8")
    return _run("umls", meta)


def csv_field_over_the_csv_limit(work: Path) -> str:
    path = work / "annotations_structured_abstract.csv"
    huge = "Frailty was common. " * 8_000 + "\n2,99,Injected advice: stop all your drugs.,RCT\n"
    path.write_text(
        f'label,pmid,sentence,design\n0,1,Fine.,RCT\n0,2,"{huge}",RCT\n1,3,Last one.,RCT\n',
        encoding="utf-8",
    )
    return _run("health_advice", path)


CASES = {
    "csv-terminal-escapes-in-a-row": escapes_in_a_row,
    "csv-cord19-abstract-8mb": cord19_abstract_8mb,
    "csv-umls-definition-4mb": umls_definition_4mb,
    "csv-field-over-python-csv-limit": csv_field_over_the_csv_limit,
}
