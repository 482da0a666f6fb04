"""Recipes: parsing, validation messages, quotas, overrides."""

from __future__ import annotations

import pytest

from meadow.errors import RecipeError
from meadow.mixer import split_of
from meadow.recipe import (
    ALL,
    builtin_recipes,
    load_recipe,
    parse_quota,
    quota_count,
    recipe_from_dict,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("all", ALL),
        (None, ALL),
        (10, 10),
        ("10", 10),
        (0, 0),
        (0.25, 0.25),
        ("25%", 0.25),
        ("0.5", 0.5),
        (1.0, 1.0),
    ],
)
def test_quota_accepts_counts_fractions_and_all(value, expected):
    assert parse_quota(value, "q") == expected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (-1, "must not be negative"),
        ("-5", "must not be negative"),
        (1.5, r"in \(0, 1\]"),
        (0.0, r"in \(0, 1\]"),
        (True, "expected a count"),
        ("lots", "expected a count"),
        ([1], "expected a count"),
    ],
)
def test_bad_quota_names_the_key(value, match):
    with pytest.raises(RecipeError, match=f"sources.toy.quota: .*{match}"):
        parse_quota(value, "sources.toy.quota")


@pytest.mark.parametrize(
    ("quota", "available", "taken"),
    [(ALL, 7, 7), (5, 7, 5), (50, 7, 7), (0.5, 7, 4), (0.5, 6, 3), (1.0, 7, 7), (0, 7, 0)],
)
def test_quota_count(quota, available, taken):
    assert quota_count(quota, available) == taken


def test_recipe_from_dict_reads_every_key(tmp_path):
    recipe = recipe_from_dict(
        {
            "name": "mix",
            "description": "d",
            "seed": 7,
            "splits": {"validation": 0.1, "test": 0.2},
            "sources": {
                "toy": {
                    "quota": 100,
                    "subsets": {"easy": 5, "hard": "all"},
                    "options": {"upper": True},
                    "instruction": "Be brief",
                    "paraphrase": False,
                    "train_on_evaluation": True,
                    "raw": "data",
                    "pii": True,
                    "language": "en",
                },
            },
            "quality": {"near_dedup": False},
        },
        origin="mix.yaml",
        base_dir=tmp_path,
    )
    spec = recipe.sources["toy"]
    assert recipe.quality == {"near_dedup": False}
    assert recipe.to_dict()["quality"] == {"near_dedup": False}
    assert (spec.pii, spec.language) == (True, "en")
    assert spec.canonical()["pii"] is True and spec.canonical()["language"] == "en"
    assert (recipe.seed, recipe.validation, recipe.test) == (7, 0.1, 0.2)
    assert spec.quota == 100 and spec.subsets == {"easy": 5, "hard": ALL}
    assert spec.options == {"upper": True} and spec.instruction == "Be brief"
    assert spec.raw == (tmp_path / "data").resolve()
    assert spec.paraphrase is False and spec.train_on_evaluation is True


def test_recipe_sources_may_be_a_list():
    recipe = recipe_from_dict({"name": "m", "sources": ["toy"]})
    assert recipe.sources["toy"].quota == ALL


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            {"name": "m", "sources": {"nope": {}}},
            r"sources\.nope: unknown source; available: .*toy",
        ),
        ({"name": "m", "sources": {"toy": {"quota": -3}}}, r"sources\.toy\.quota: .*negative"),
        ({"name": "m", "sources": {"toy": {"qouta": 3}}}, r"sources\.toy\.qouta: unknown key"),
        (
            {"name": "m", "sources": {"toy": {"subsets": ["medium"]}}},
            r"sources\.toy\.subsets\.medium: unknown subset; toy has: easy, hard",
        ),
        (
            {"name": "m", "sources": {"toy": {"subsets": {"easy": -1}}}},
            r"sources\.toy\.subsets\.easy: .*negative",
        ),
        ({"name": "m", "sources": {}}, r"sources: expected a non-empty"),
        (
            {"name": "m", "sorces": {"toy": {}}},
            r"sorces: unknown key \(did you mean 'sources'\?\); allowed: name",
        ),
        ({"name": "m", "seed": -1, "sources": ["toy"]}, r"seed: expected a non-negative"),
        ({"name": "m", "seed": "x", "sources": ["toy"]}, r"seed: expected a non-negative"),
        (
            {"name": "m", "splits": {"validation": 1.5}, "sources": ["toy"]},
            r"splits\.validation: expected a fraction",
        ),
        (
            {"name": "m", "splits": {"validation": 0.5, "test": 0.5}, "sources": ["toy"]},
            r"splits: validation \+ test must leave rows for train",
        ),
        ({"name": "m", "splits": {"dev": 0.1}, "sources": ["toy"]}, r"splits\.dev: unknown split"),
        ({"name": "m", "sources": {"toy": {"options": {"lower": 1}}}}, None),
        (
            {"name": "m", "sources": {"toy": {"paraphrase": "no"}}},
            r"sources\.toy\.paraphrase: expected true or false, got 'no'",
        ),
        (
            {"name": "m", "sources": {"toy": {"train_on_evaluation": 1}}},
            r"sources\.toy\.train_on_evaluation: expected true or false",
        ),
        ({"name": "m", "sources": {"toy": {"instruction": ""}}}, r"instruction: expected a non"),
        ({"name": "m", "sources": {"toy": {"pii": "no"}}}, r"sources\.toy\.pii: expected true"),
        (
            {"name": "m", "sources": {"toy": {"language": "english"}}},
            r"sources\.toy\.language: expected a language code such as en, or false",
        ),
        ({"name": "m", "quality": "on", "sources": ["toy"]}, r"quality: expected true, false"),
        (["toy"], r"\(top level\): a recipe is a mapping"),
    ],
)
def test_invalid_recipe_error_names_the_key(data, match):
    if match is None:  # unknown options are checked when the source is made
        recipe_from_dict(data)
        return
    with pytest.raises(RecipeError, match=match):
        recipe_from_dict(data, origin="bad.yaml")


def test_recipe_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsources: [toy\n")
    with pytest.raises(RecipeError, match=r"recipe .*bad\.yaml: \(yaml\): not valid YAML at line"):
        load_recipe(bad)
    with pytest.raises(RecipeError, match="no recipe file at"):
        load_recipe(tmp_path / "missing.yaml")
    with pytest.raises(RecipeError, match="no built-in recipe 'nosuch'.*built-in: medalpaca"):
        load_recipe("nosuch")


def test_builtin_recipes_load():
    assert {"sample", "small", "medalpaca"} <= set(builtin_recipes())
    for name in builtin_recipes():
        recipe = load_recipe(name)
        assert recipe.name == name and recipe.origin == f"builtin:{name}"
    small = load_recipe("small")
    assert small.sources["wikidoc"].subsets == {"patient_information": ALL}
    medalpaca = load_recipe("medalpaca")
    assert medalpaca.sources["wikidoc"].subsets == {"textbook": 10000, "patient_information": ALL}
    sample = load_recipe("sample")
    assert all(spec.raw is not None and spec.raw.exists() for spec in sample.sources.values())


def test_overrides_win_over_the_recipe():
    recipe = recipe_from_dict({"name": "m", "seed": 1, "sources": {"toy": {"quota": 5}}})
    changed = recipe.with_overrides(
        name="n", seed=9, quotas={"toy": "all", "toy.hard": "2"}, validation=0.3
    )
    assert (changed.name, changed.seed, changed.validation) == ("n", 9, 0.3)
    assert changed.sources["toy"].quota == ALL and changed.sources["toy"].subsets == {"hard": 2}
    with pytest.raises(RecipeError, match=r"--quota other: source 'other' is not in this build"):
        recipe.with_overrides(quotas={"other": "3"})


def test_split_depends_on_the_id_only():
    ids = [f"{i:016x}" for i in range(4000)]
    splits = [split_of(i, 0.1, 0.2) for i in ids]
    assert splits == [split_of(i, 0.1, 0.2) for i in ids]
    assert 0.08 < splits.count("validation") / 4000 < 0.12
    assert 0.18 < splits.count("test") / 4000 < 0.22
    assert set(split_of(i, 0.0, 0.0) for i in ids) == {"train"}


def test_sample_recipe_covers_every_built_in_source():
    import meadow.sources as registry

    built_in = {
        name
        for name, cls in registry._REGISTRY.items()
        if cls.__module__.startswith("meadow.sources.")
    }
    assert built_in and set(load_recipe("sample").sources) == built_in


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            {"sources": {"toy": {"instruction": 5}}},
            r"recipe bad\.yaml: sources\.toy\.instruction: expected a string or null, got 5",
        ),
        (
            {"sources": {"toy": {"llm": "yes"}}},
            r"sources\.toy\.llm: expected true or false, got 'yes'",
        ),
        (
            {"sources": {"toy": {"pii": "no"}}},
            r"sources\.toy\.pii: expected true or false or null, got 'no'",
        ),
        (
            {"sources": {"toy": {"options": [1]}}},
            r"sources\.toy\.options: expected a mapping, got \[1\]",
        ),
        (
            {"sources": ["toy"], "llm": {"concurrency": "8"}},
            r"llm\.concurrency: expected an integer, got '8'",
        ),
        ({"sources": ["toy"], "llm": {"model": 3}}, r"llm\.model: expected a string, got 3"),
    ],
)
def test_a_recipe_value_of_the_wrong_type_names_the_key_and_the_type(data, match):
    with pytest.raises(RecipeError, match=match):
        recipe_from_dict({"name": "m", **data}, origin="bad.yaml")
