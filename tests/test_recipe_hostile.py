"""Hostile recipes: each is refused with a one-line RecipeError naming the key, fast.

An alias bomb, a mixture of key types, dates, deep nesting, a 5,000-digit seed, a huge or
non-UTF-8 file: before, these ran out of memory or raised TypeError, RecursionError or
ValueError from deep inside PyYAML or the build.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
import textwrap
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meadow.errors import RecipeError
from meadow.recipe import Recipe, SourceSpec, load_recipe, recipe_from_dict
from meadow.recipe_yaml import MAX_RECIPE_BYTES, MAX_RECIPE_DEPTH, MAX_RECIPE_NODES
from tests.cli import run_cli

VALID_TAIL = "sources:\n  local:\n    raw: rows.jsonl\n"
BOMB = "expands to more than 10,000 values through aliases"


def alias_bomb(levels: int, width: int = 9) -> str:
    """`levels` lists of `width` aliases of the list before: width**levels strings."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "description:\n  " + "\n  ".join(lines) + "\n"


@pytest.fixture
def write_recipe(tmp_path):
    def write(text: str, name: str = "hostile.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_a_small_alias_bomb_is_refused_naming_the_key(write_recipe):
    # 9**5 = 59,049 strings once expanded: the old loader built and printed them all
    path = write_recipe("name: bomb\n" + alias_bomb(5) + VALID_TAIL)
    with pytest.raises(RecipeError, match=rf"description\.a4: {BOMB}"):
        load_recipe(path)


def test_the_one_kilobyte_alias_bomb_is_refused_in_milliseconds(write_recipe):
    """The issue's bomb (9**9 strings, 4.4 GB then MemoryError before), in a child process
    capped at 1.5 GB of address space so that a regression cannot take the machine down."""
    path = write_recipe("name: bomb\n" + alias_bomb(9) + VALID_TAIL)
    assert path.stat().st_size < 1100
    script = textwrap.dedent(
        f"""
        import resource, time
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
        from meadow.errors import RecipeError
        from meadow.recipe import load_recipe
        start = time.monotonic()
        try:
            load_recipe({str(path)!r})
        except RecipeError as err:
            print(f"{{time.monotonic() - start:.3f}}", err)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-500:]
    seconds, message = done.stdout.split(" ", 1)
    assert (
        "expands to more than 10,000 values through aliases" in message and message.count("\n") == 1
    )
    assert float(seconds) < 1


def test_merge_keys_that_multiply_are_refused(write_recipe):
    # `<<` copies the merged pairs: six levels of eight merges flatten to 8**6 pairs
    lines = ["m0: &m0 {k: v}"]
    for level in range(1, 7):
        merges = ", ".join([f"*m{level - 1}"] * 8)
        lines.append(f"m{level}: &m{level} {{<<: [{merges}], k{level}: v}}")
    path = write_recipe("name: merge\ndescription:\n  " + "\n  ".join(lines) + "\n" + VALID_TAIL)
    with pytest.raises(RecipeError, match=r"description\.m\d\.<<: expands to more than"):
        load_recipe(path)


def test_an_alias_inside_its_own_anchor_is_refused(write_recipe):
    path = write_recipe("name: loop\ndescription: &loop [a, *loop]\n" + VALID_TAIL)
    with pytest.raises(RecipeError, match=r"description\[1\]: an alias refers to the list"):
        load_recipe(path)


def test_aliases_and_merges_within_the_bounds_still_work(write_recipe):
    text = """\
        name: shared
        sources:
          local: &local
            raw: rows.jsonl
            quota: 5
            options: {columns: &columns {input: q, output: a}}
          toy:
            <<: *local
            options: {upper: true}
    """
    recipe = load_recipe(write_recipe(textwrap.dedent(text)))
    assert recipe.sources["local"].options == {"columns": {"input": "q", "output": "a"}}
    assert recipe.sources["toy"].quota == 5 and recipe.sources["toy"].options == {"upper": True}


def test_mixed_type_keys_are_refused_naming_the_key(write_recipe):
    path = write_recipe("name: mixed\n1: x\nfoo: y\n" + VALID_TAIL)
    with pytest.raises(RecipeError, match=r"hostile\.yaml: 1: a key must be text.*'1'"):
        load_recipe(path)


@pytest.mark.parametrize(
    ("key", "kind"), [("yes", "true/false"), ("2024-01-01", "a date"), ("~", "null")]
)
def test_keys_yaml_reads_as_other_types_are_refused(write_recipe, key, kind):
    path = write_recipe(f"name: odd\n{VALID_TAIL}    options:\n      {key}: x\n")
    with pytest.raises(
        RecipeError, match=rf"sources\.local\.options\..*: a key must be text.*{kind}"
    ):
        load_recipe(path)


def test_a_date_in_options_is_refused_naming_the_key(write_recipe):
    path = write_recipe(f"name: dated\n{VALID_TAIL}    options:\n      subset: 2024-01-01\n")
    with pytest.raises(
        RecipeError,
        match=r"sources\.local\.options\.subset: a date is not a recipe value.*'2024-01-01'",
    ):
        load_recipe(path)


def test_a_date_in_options_from_python_is_refused_naming_the_key():
    body = {"sources": {"cord19": {"options": {"since": datetime.date(2024, 1, 1)}}}}
    with pytest.raises(RecipeError, match=r"sources\.cord19\.options\.since: a date"):
        recipe_from_dict({"name": "x", **body})
    spec = SourceSpec("cord19", options={"min_abstract_words": datetime.datetime(2024, 1, 1)})
    with pytest.raises(RecipeError, match=r"options\.min_abstract_words: a date and time"):
        Recipe(name="x", sources={"cord19": spec})


def test_nesting_5000_deep_is_refused_at_the_depth_bound(write_recipe):
    deep = "[" * 5000 + "]" * 5000
    path = write_recipe(f"name: deep\n{VALID_TAIL}    options:\n      columns: {deep}\n")
    with pytest.raises(
        RecipeError, match=r"sources\.local\.options\.columns\[0\].*nested more than 32 levels deep"
    ) as info:
        load_recipe(path)
    assert len(info.value.problem) < 100 and MAX_RECIPE_DEPTH == 32


def test_nesting_built_from_chained_aliases_is_refused(write_recipe):
    # each anchor nests the one before a level deeper: 40 levels once expanded
    lines = ["d0: &d0 [x]"] + [f"d{i}: &d{i} [*d{i - 1}]" for i in range(1, 40)]
    path = write_recipe("name: chain\ndescription:\n  " + "\n  ".join(lines) + "\n" + VALID_TAIL)
    with pytest.raises(RecipeError, match=r"description\.d\d+\[0\]: nested more .* \(through"):
        load_recipe(path)


def test_a_python_mapping_that_contains_itself_is_refused():
    options: dict = {}
    options["again"] = options
    with pytest.raises(RecipeError, match=r"options\.again\.again.*nested more than"):
        recipe_from_dict({"name": "x", "sources": {"local": {"options": options}}})


def test_a_5000_digit_seed_is_refused_naming_the_key(write_recipe):
    path = write_recipe("name: seeded\nseed: " + "7" * 5000 + "\n" + VALID_TAIL)
    with pytest.raises(RecipeError, match=r"seed: an integer of 5,000 digits; .* 64 bits"):
        load_recipe(path)
    with pytest.raises(RecipeError, match=r"seed: an integer of 5,000 digits"):
        Recipe(name="x", sources={"local": SourceSpec("local")}, seed=10**4999)


def test_a_recipe_file_over_the_size_cap_is_refused_unread(write_recipe):
    path = write_recipe("name: huge\n" + VALID_TAIL + "#" * MAX_RECIPE_BYTES + "\n")
    start = time.monotonic()
    with pytest.raises(RecipeError, match=r"hostile\.yaml: \(file\): larger than 1 MiB"):
        load_recipe(path)
    assert time.monotonic() - start < 1


def test_a_recipe_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: x\ndescription: café\n".encode("latin-1"))
    with pytest.raises(RecipeError, match=r"\(file\): not UTF-8 text \(line 2\)"):
        load_recipe(path)


def test_the_cli_prints_one_line_for_an_alias_bomb(capsys, write_recipe):
    path = write_recipe("name: bomb\n" + alias_bomb(5) + VALID_TAIL)
    code, out, err = run_cli(capsys, "build", "--mixture", str(path))
    assert code != 0
    assert (
        "expands to more than 10,000 values through aliases" in err and err.strip().count("\n") == 0
    )


def test_many_plain_values_hit_the_node_bound(write_recipe):
    items = ", ".join(["x"] * (MAX_RECIPE_NODES + 1))
    path = write_recipe(f"name: wide\ndescription: [{items}]\n" + VALID_TAIL)
    with pytest.raises(RecipeError, match=r"description\[\d+\]: more than 10,000 values, the most"):
        load_recipe(path)


# -- anything YAML-shaped: a RecipeError or a recipe, never another exception ------------

_KEYS = st.sampled_from(
    ["name", "seed", "sources", "splits", "quality", "llm", "description", "options",
     "quota", "subsets", "raw", "local", "toy", "anki", "validation", "test", "pii"]
)  # fmt: skip
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
    | st.dates()
    | st.binary(max_size=4)
)
_ANY_KEY = _KEYS | st.integers(-3, 3) | st.booleans() | st.none() | st.dates()
_TREES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_ANY_KEY, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_ANY_KEY, _TREES, max_size=5))
def test_any_yaml_document_gives_a_recipe_or_a_recipe_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("recipes") / "r.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        load_recipe(path)
    except RecipeError as err:
        assert "\n" not in str(err)


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(
        {"name": st.text(min_size=1, max_size=5)},
        optional={
            "seed": _SCALARS,
            "splits": _TREES,
            "sources": st.dictionaries(
                st.sampled_from(["toy", "local", "anki", "nope"]),
                st.dictionaries(_KEYS | st.sampled_from(["instruction", "llm", "language"]),
                                _TREES, max_size=3) | _SCALARS,
                max_size=3,
            ),
            "quality": _TREES,
            "llm": _TREES,
        },
    )
)  # fmt: skip
def test_any_recipe_shaped_mapping_gives_a_recipe_or_a_recipe_error(data):
    try:
        recipe_from_dict(data, origin="hypothesis")
    except RecipeError as err:
        assert "\n" not in str(err)
