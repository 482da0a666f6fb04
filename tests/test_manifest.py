"""meadow.manifest: the manifest as a type; the file read and written byte for byte as
before, and a key the type does not know (or a missing one) named with its file."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest

from meadow import build
from meadow.errors import ManifestError, MeadowError
from meadow.manifest import Manifest, QualityReport, SourceStats, read, read_dict, write
from meadow.recipe import Recipe, SourceSpec
from tests.toy_source import write_toy

# A manifest as this version writes it (a quality build, every optional key of a source).
WRITTEN = textwrap.dedent(
    """\
    {
      "columns": [
        "id",
        "contamination"
      ],
      "meadow_version": "0.1.0",
      "name": "demo",
      "quality": {
        "benchmarks": {
          "usmle": {
            "checked": false,
            "reason": "no raw files"
          }
        },
        "libraries": {
          "datasketch": "1.6.5"
        },
        "near_duplicate_lsh": [
          16,
          8
        ],
        "removed_rows": {
          "file": "removed.parquet",
          "rows": 1,
          "text_chars": 2000
        },
        "settings": {
          "exact_dedup": {
            "by_input": false
          }
        }
      },
      "recipe": {
        "name": "demo",
        "seed": 1
      },
      "revision": "0123456789abcdef",
      "seed": 1,
      "sources": {
        "toy": {
          "adapter_version": "1",
          "available": 3,
          "boilerplate_stripped": 1,
          "duplicate_of": {
            "other": 1
          },
          "evaluation_only": [
            "hard"
          ],
          "fingerprint": "ab",
          "flagged": {},
          "instruction_paraphrases": {
            "hard": 2
          },
          "license": "MIT",
          "licenses": {
            "MIT": 2
          },
          "llm": {
            "model": "gpt-4o-mini",
            "rows_written": 1
          },
          "notes": [
            "a note"
          ],
          "pii_replaced": {
            "email": 0
          },
          "quota": 5,
          "quota_exceeds_available": true,
          "raw_files": [
            {
              "name": "a.jsonl",
              "sha256": "00",
              "size": 1
            }
          ],
          "removed": {
            "total": 1
          },
          "rows": 1,
          "rows_parsed": 3,
          "skipped": {
            "duplicate_id": 1
          },
          "splits": {
            "test": 0,
            "train": 1,
            "validation": 0
          },
          "subsets": {
            "": {
              "available": 3,
              "licenses": {
                "MIT": 2
              },
              "quota": "all",
              "taken": 2
            }
          },
          "taken": 2
        }
      },
      "splits": {
        "test": 0,
        "train": 1,
        "validation": 0
      },
      "tokens": {
        "total": 12
      }
    }
    """
)


@pytest.fixture
def written(tmp_path):
    folder = tmp_path / "rev"
    folder.mkdir()
    (folder / "manifest.json").write_text(WRITTEN, encoding="utf-8")
    return folder


@pytest.fixture
def toy_files(tmp_path):
    folder = tmp_path / "toy"
    write_toy(folder / "part0.jsonl", range(200))
    return folder


def test_a_manifest_of_this_version_reads_and_writes_back_byte_for_byte(written, tmp_path):
    manifest = read(written)
    assert manifest.name == "demo" and manifest.rows == 1
    toy = manifest.sources["toy"]
    assert isinstance(toy, SourceStats) and toy.taken == 2 and toy.flagged == {}
    assert isinstance(manifest.quality, QualityReport)
    assert manifest.quality.removed_rows["rows"] == 1
    assert manifest.llm is None and manifest.has_column("contamination")
    out = tmp_path / "out"
    out.mkdir()
    write(out, manifest)
    assert (out / "manifest.json").read_text(encoding="utf-8") == WRITTEN
    assert read_dict(written) == json.loads(WRITTEN)


@pytest.mark.parametrize("quality", [None, False], ids=["quality", "no_quality"])
def test_a_built_manifest_reads_and_writes_back_byte_for_byte(toy_files, tmp_path, quality):
    recipe = Recipe(name="mix", sources={"toy": SourceSpec("toy")}, seed=3, quality=quality)
    result = build(recipe, raw={"toy": toy_files})
    before = (result.path / "manifest.json").read_bytes()
    copy = tmp_path / "copy"
    copy.mkdir()
    write(copy, read(result.path))
    assert (copy / "manifest.json").read_bytes() == before
    assert read(result.path).to_dict() == result.manifest
    assert (read(result.path).quality is not None) and "llm" not in result.manifest


def _with(text: str, change) -> str:
    data = json.loads(text)
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (lambda d: d.pop("revision"), "revision", "required key is missing"),
        (lambda d: d["sources"]["toy"].pop("taken"), "sources.toy.taken", "required key"),
        (lambda d: d["quality"].pop("settings"), "quality.settings", "required key"),
        (lambda d: d.update(sources=[]), "sources", "expected an object"),
    ],
)
def test_a_missing_key_or_a_wrong_shape_names_the_file_and_the_key(written, change, key, problem):
    path = written / "manifest.json"
    path.write_text(_with(WRITTEN, change))
    with pytest.raises(ManifestError, match=rf"{path}, key '{key}': {problem}") as raised:
        read(written)
    assert raised.value.key == key and raised.value.path == str(path)
    assert isinstance(raised.value, MeadowError)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(shiny=1),
        lambda d: d["sources"]["toy"].update(shiny={"a": [1]}),
        lambda d: d["quality"].update(shiny="x"),
    ],
)
def test_keys_a_newer_meadow_wrote_are_kept_and_written_back(written, tmp_path, change):
    text = json.dumps(json.loads(_with(WRITTEN, change)), indent=2, sort_keys=True) + "\n"
    (written / "manifest.json").write_text(text)
    copy = tmp_path / "copy"
    copy.mkdir()
    write(copy, read(written))
    assert (copy / "manifest.json").read_text() == text


def test_a_missing_or_broken_file_is_a_clear_error(written, tmp_path):
    shutil.rmtree(written)
    written.mkdir()
    with pytest.raises(ManifestError, match="manifest.json: no such file"):
        read(written)
    (written / "manifest.json").write_text("{not json")
    with pytest.raises(ManifestError, match="manifest.json: not valid JSON"):
        read(written)


def test_fields_left_unset_are_left_out_of_the_file(tmp_path):
    manifest = Manifest(
        name="m",
        revision="r",
        meadow_version="0",
        recipe={},
        seed=0,
        splits={"train": 0},
        sources={"s": SourceStats(license="MIT", available=0, quota="all", taken=0)},
    )
    write(tmp_path, manifest)
    data = json.loads((tmp_path / "manifest.json").read_text())
    required = {"name", "revision", "meadow_version", "recipe", "seed", "splits", "sources"}
    assert set(data) == required
    assert data["sources"]["s"] == {"license": "MIT", "available": 0, "quota": "all", "taken": 0}
