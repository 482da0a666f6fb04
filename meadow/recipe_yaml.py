"""Reading a recipe's YAML safely: bounded in size, nesting and alias expansion, and
made only of plain JSON-like values, so a hostile recipe is one `RecipeError`, never an
exhausted memory, a recursion error or a type error deep in a build.

Real recipes are a few KB with a hundred values nested five deep; the bounds below stop a
hostile one (an alias bomb, a 5,000-deep nesting, a 5,000-digit seed) in milliseconds.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from meadow.errors import RecipeError, did_you_mean

# Makes the error of a bad file: `error(key, problem)` or `error(key, problem, origin)`
ErrorType = Callable[..., Exception]

MAX_RECIPE_BYTES = 1 << 20  # the file
MAX_RECIPE_NODES = 10_000  # keys, values and list items, each alias counted at its full size
MAX_RECIPE_DEPTH = 32  # levels of mappings and lists
_INT_LIMIT = 2**63  # recipe integers are 64-bit: a seed, a count


def _key_path(parts: list[str]) -> str:
    """`sources.local.options.columns[0]`, shortened past 8 parts (a deep path is one line)."""
    shown = parts if len(parts) <= 8 else [*parts[:8], "…"]
    text = "".join(p if p[0] in "[…" else f".{p}" for p in shown if p).lstrip(".")
    return text or "(top level)"


def _node_key(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return node.value if len(node.value) <= 40 else node.value[:40] + "…"
    return "(a key that is a list or mapping)"


def _line(node_or_mark: yaml.Node | yaml.Mark) -> str:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return f" (line {mark.line + 1})" if mark is not None else ""


def _too_many_nodes(through_aliases: bool = False) -> str:
    if through_aliases:
        return (
            f"expands to more than {MAX_RECIPE_NODES:,} values through aliases, the most a "
            "recipe may hold (an alias counts at its full size): is it an alias bomb?"
        )
    return f"more than {MAX_RECIPE_NODES:,} values, the most a recipe may hold"


def _too_deep() -> str:
    return f"nested more than {MAX_RECIPE_DEPTH} levels deep, the most a recipe may nest"


def _long_integer(digits: int) -> str:
    return f"an integer of {digits:,} digits; recipe integers must fit in 64 bits"


class _RecipeLoader(yaml.SafeLoader):
    """PyYAML's safe loader that stops composing past `MAX_RECIPE_DEPTH` levels or
    `MAX_RECIPE_NODES` nodes (its composer recurses per level), naming the key it was at."""

    def __init__(self, stream: str, origin: str):
        super().__init__(stream)
        self.origin = origin
        self.path: list[str] = []
        self.nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if parent is not None:  # a mapping value (index: its key), a list item, or a key
            if isinstance(index, int):
                part = f"[{index}]"
            else:
                part = "(key)" if index is None else _node_key(index)
            self.path.append(part)
        try:
            self.nodes += 1
            if self.nodes > MAX_RECIPE_NODES:
                problem = _too_many_nodes() + _line(self.peek_event().start_mark)
                raise RecipeError(_key_path(self.path), problem, recipe=self.origin)
            if len(self.path) >= MAX_RECIPE_DEPTH:
                problem = _too_deep() + _line(self.peek_event().start_mark)
                raise RecipeError(_key_path(self.path), problem, recipe=self.origin)
            return super().compose_node(parent, index)
        finally:
            if parent is not None:
                self.path.pop()


def _check_expansion(root: yaml.Node, origin: str) -> None:
    """Refuse a composed recipe whose aliases expand it past the bounds, before anything
    is built from it: each node is visited once, its expanded size and height memoised."""
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded nodes, levels)
    open_nodes: set[int] = set()

    def walk(node: yaml.Node, path: list[str]) -> tuple[int, int]:
        key = id(node)
        if key in open_nodes:
            raise RecipeError(
                _key_path(path),
                f"an alias refers to the list or mapping that holds it{_line(node)}",
                recipe=origin,
            )
        if key not in measured:
            open_nodes.add(key)
            size, height = 1, 1
            if isinstance(node, yaml.ScalarNode):
                if node.tag == "tag:yaml.org,2002:int" and len(node.value) > 100:
                    digits = sum(c.isdigit() for c in node.value)
                    raise RecipeError(_key_path(path), _long_integer(digits), recipe=origin)
                children: list[tuple[list[str], yaml.Node]] = []
            elif isinstance(node, yaml.SequenceNode):
                children = [([*path, f"[{i}]"], item) for i, item in enumerate(node.value)]
            else:
                children = []
                for k, v in node.value:
                    children += [([*path, "(key)"], k), ([*path, _node_key(k)], v)]
            for child_path, child in children:
                child_size, child_height = walk(child, child_path)
                size += child_size
                height = max(height, child_height + 1)
                if size > MAX_RECIPE_NODES:
                    raise RecipeError(
                        _key_path(path), _too_many_nodes(True) + _line(node), recipe=origin
                    )
            open_nodes.discard(key)
            measured[key] = (size, height)
        size, height = measured[key]
        if len(path) + height > MAX_RECIPE_DEPTH:
            raise RecipeError(
                _key_path(path), _too_deep() + " (through aliases)" + _line(node), recipe=origin
            )
        return size, height

    walk(root, [])


_KINDS = {
    bool: "true/false",
    int: "an integer",
    float: "a number",
    type(None): "null",
    datetime.date: "a date",
    datetime.datetime: "a date and time",
    bytes: "binary data",
    set: "a set",
}


def check_plain(value: Any, path: list[str], origin: str | None) -> None:
    """Refuse what a recipe cannot hold: keys that are not text, dates and other values
    JSON cannot write, integers past 64 bits, nesting past `MAX_RECIPE_DEPTH` levels or more
    than `MAX_RECIPE_NODES` values (a Python mapping may share or contain itself)."""
    count = 0

    def check(value: Any, path: list[str]) -> None:
        nonlocal count
        count += 1
        if count > MAX_RECIPE_NODES:
            raise RecipeError(_key_path(path), _too_many_nodes(), recipe=origin)
        if len(path) >= MAX_RECIPE_DEPTH:
            raise RecipeError(_key_path(path), _too_deep(), recipe=origin)
        if isinstance(value, str | bool | float) or value is None:
            return
        if isinstance(value, int):
            if not -_INT_LIMIT <= value < _INT_LIMIT:
                digits = math.ceil(value.bit_length() * math.log10(2))
                raise RecipeError(_key_path(path), _long_integer(digits), recipe=origin)
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    kind = _KINDS.get(type(key), type(key).__name__)
                    raise RecipeError(
                        _key_path([*path, str(key)[:40]]),
                        f"a key must be text, this one is {kind}: write it in quotes "
                        f"('{str(key)[:40]}')",
                        recipe=origin,
                    )
                check(item, [*path, key if len(key) <= 40 else key[:40] + "…"])
            return
        if isinstance(value, list | tuple):
            for i, item in enumerate(value):
                check(item, [*path, f"[{i}]"])
            return
        kind = _KINDS.get(type(value), type(value).__name__)
        hint = (
            f": write it in quotes ('{value}') to mean the text"
            if isinstance(value, datetime.date)
            else ""
        )
        raise RecipeError(
            _key_path(path),
            f"{kind} is not a recipe value (text, numbers, true/false, null, lists and "
            f"mappings are){hint}",
            recipe=origin,
        )

    check(value, path)


def parse_recipe_yaml(content: str, origin: str = "") -> Any:
    """The YAML of a recipe as plain data, refusing alias bombs and deep nesting before
    they are built (see `MAX_RECIPE_NODES`, `MAX_RECIPE_DEPTH`)."""
    loader = _RecipeLoader(content, origin)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _check_expansion(root, origin)
        return loader.construct_document(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise RecipeError(
            "(yaml)", f"not valid YAML{where}: {getattr(exc, 'problem', exc)}", recipe=origin
        ) from None
    finally:
        loader.dispose()


def read_recipe_file(path: Path) -> str:
    """A recipe file's text, at most `MAX_RECIPE_BYTES`."""
    return _read_bounded(path, recipe_error)


def recipe_error(key: str, problem: str, origin: str | None = None) -> RecipeError:
    """`RecipeError` called as an `ErrorType`."""
    return RecipeError(key, problem, recipe=origin)


def _read_bounded(path: Path, error: ErrorType) -> str:
    origin = str(path)
    with path.open("rb") as file:
        data = file.read(MAX_RECIPE_BYTES + 1)
    if len(data) > MAX_RECIPE_BYTES:
        raise error(
            "(file)",
            f"larger than {MAX_RECIPE_BYTES >> 20} MiB; a recipe is a few KB of YAML: "
            "is this the right file?",
            origin,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error("(file)", f"not UTF-8 text (line {line}): save it as UTF-8", origin) from None


@dataclass(frozen=True)
class YamlFile:
    """A YAML file found by name or path: where it came from and its text."""

    origin: str  # the path, or `PREFIX:NAME` for a built-in one
    text: str
    folder: Path  # relative paths inside it are read from here


@dataclass(frozen=True)
class BuiltinYaml:
    """A kind of YAML file meadow ships (recipes, training presets) that a user names by
    its built-in name or by a path: `read` is the one loader of both."""

    package: str  # where the built-in files are: `package/folder/NAME.yaml`
    folder: str
    prefix: str  # origin of a built-in one: `PREFIX:NAME`
    flag: str  # the option that names one, for errors
    file_word: str  # "no recipe file at …"
    builtin_word: str  # "no built-in recipe 'x' and no such file"
    list_word: str  # "…; built-in: a, b"

    def names(self) -> list[str]:
        """The built-in names, sorted."""
        folder = resources.files(self.package) / self.folder
        return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))

    def read(self, name_or_path: str | Path, error: ErrorType) -> YamlFile:
        """A path (it ends in .yaml/.yml, exists or has a slash) or a built-in name, read
        as text of at most `MAX_RECIPE_BYTES`; a missing one is `error(flag, problem)`."""
        path = Path(name_or_path).expanduser()
        text = str(name_or_path)
        if path.suffix in (".yaml", ".yml") or path.exists() or "/" in text:
            if not path.is_file():
                raise error(self.flag, f"no {self.file_word} at {path}")
            return YamlFile(str(path), _read_bounded(path, error), path.resolve().parent)
        resource = resources.files(self.package) / self.folder / f"{text}.yaml"
        if not resource.is_file():
            raise error(
                self.flag,
                f"no {self.builtin_word} {text!r}{did_you_mean(text, self.names())} and no "
                "such file; "
                f"{self.list_word}: {', '.join(self.names())}",
            )
        with resources.as_file(resource) as real:
            real_path = Path(real)
            return YamlFile(
                f"{self.prefix}:{text}", _read_bounded(real_path, error), real_path.resolve().parent
            )
