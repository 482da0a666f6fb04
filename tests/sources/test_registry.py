"""The source registry: built-ins, entry-point plugins, and errors that list what exists."""

from __future__ import annotations

import sys
import textwrap

import pytest

import meadow.sources as registry
from meadow import build, load_mixture
from meadow.errors import MeadowError, UnknownSourceError
from meadow.sources import get_source, list_sources, register_source
from meadow.sources.base import Source


@pytest.fixture
def fresh_registry(monkeypatch):
    """Forget what was discovered, so entry points are read again."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_discovered", False)


def _install_plugin(site, monkeypatch, *, ep_name="demo", class_name="demo"):
    """A real installed distribution (dist-info + module) that declares a meadow source."""
    (site / "meadow_demo_plugin.py").write_text(
        textwrap.dedent(f'''
        from meadow.sources.base import Source

        class DemoSource(Source):
            name = "{class_name}"
            license = "MIT"
            file_suffixes = (".txt",)

            def parse(self, path):
                for n, line in enumerate(path.read_text().splitlines()):
                    yield {{"n": n, "line": line}}

            def to_records(self, item):
                q, _, a = item["line"].partition("|")
                yield self.record(input=q, output=a, source_id=str(item["n"]))
    ''')
    )
    dist = site / "meadow_demo_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: meadow-demo-plugin\nVersion: 0.1\n"
    )
    (dist / "entry_points.txt").write_text(
        f"[meadow.sources]\n{ep_name} = meadow_demo_plugin:DemoSource\n"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "meadow_demo_plugin", raising=False)


def test_builtin_sources_are_registered():
    assert {"anki", "wikidoc"} <= set(list_sources())
    assert get_source("anki").name == "anki"


def test_unknown_source_lists_the_known_ones():
    with pytest.raises(UnknownSourceError, match=r"unknown source 'nope'; available: .*anki.*"):
        get_source("nope")


def test_plugin_source_from_an_entry_point_builds(tmp_path, monkeypatch, fresh_registry):
    (tmp_path / "site").mkdir()
    _install_plugin(tmp_path / "site", monkeypatch)
    assert "demo" in list_sources()
    raw = tmp_path / "qa.txt"
    raw.write_text("What is a plugin?|A package.\nWhy?|Reuse.\n")
    result = build(sources=["demo"], raw={"demo": raw}, name="plugged")
    assert result.manifest["sources"]["demo"]["taken"] == 2
    assert load_mixture("plugged")["train"]["output"] == ["A package.", "Reuse."]


def test_plugin_whose_name_disagrees_is_refused(tmp_path, monkeypatch, fresh_registry):
    (tmp_path / "site").mkdir()
    _install_plugin(tmp_path / "site", monkeypatch, ep_name="demo", class_name="other")
    with pytest.raises(MeadowError, match="registered as 'demo' but its class says name='other'"):
        list_sources()


def test_two_sources_with_one_name_are_refused(fresh_registry):
    class First(Source):
        name = "clash"

        def parse(self, path):
            yield from ()

        def to_records(self, item):
            yield from ()

    class Second(First):
        pass

    register_source(First)
    with pytest.raises(MeadowError, match="two sources are named 'clash'"):
        register_source(Second)


def test_register_source_checks_its_argument():
    with pytest.raises(TypeError, match="not a subclass"):
        register_source(object)
