"""OpenAssistant Conversations (oasst1): a user's message and the best reviewed reply to it.

OpenAssistant publishes its conversation trees in two JSON-lines shapes (each plain or
gzipped; gzip is told by its magic bytes, not by the name):

* messages (`2023-04-12_oasst_ready.messages.jsonl.gz`): one message per line, `{message_id,
  parent_id, text, role, lang, review_count, review_result, deleted, rank, synthetic,
  message_tree_id, …}`, the messages of a tree together, depth first;
* trees (`…trees.jsonl.gz`): one tree per line, `{message_tree_id, tree_state, prompt:
  {…message, replies: [{…message, replies: […]}, …]}}`.

Files written with `--exclude-nulls` leave out null keys (a root has no `parent_id`, a
prompter no `rank`); missing keys read as null.

A pair is a prompter message (the first turn or, unless `roots_only`, any later one) and
its best-ranked assistant reply that is not deleted and passed review. Later turns keep
the conversation before them in the input (`history`), since "And for children?" alone
asks nothing.

Memory: a tree is held only while it is read (a tree is a few to a few hundred messages):
a quick first pass over the messages file (tree ids only, no JSON parsing) notes the line
where each tree ends, so a file whose trees are interleaved is still read correctly,
holding the trees that are open. On 100k generated messages (150 MB of JSON) this adds
about 3 MiB to the process; a messages file without `message_tree_id` is held whole
instead (about 145 MiB per 100k messages).
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

import orjson

from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._readers import json_line_error
from meadow.sources.base import RawFile, Skip, Source

HF_FILES = "https://huggingface.co/datasets/OpenAssistant/oasst1/resolve/main"
READY_MESSAGES = "2023-04-12_oasst_ready.messages.jsonl.gz"
MESSAGE_KEYS = ("message_id", "role", "text")
ANY_LANGUAGE = frozenset({"*", "all", "any"})

_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_BUFFER = 1 << 20
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SPEAKERS = {"prompter": "User", "assistant": "Assistant"}
_JSONL_ENDINGS = (".jsonl", ".jsonl.gz")
_TREE_ID = re.compile(rb'"message_tree_id"\s*:\s*"([^"\\]*)"')

CITATION = """\
@misc{kopf2023openassistant,
  title={OpenAssistant Conversations -- Democratizing Large Language Model Alignment},
  author={K{\\"o}pf, Andreas and Kilcher, Yannic and von R{\\"u}tte, Dimitri and Anagnostidis, Sotiris and Tam, Zhi-Rui and Stevens, Keith and Barhoum, Abdullah and Duc, Nguyen Minh and Stanley, Oliver and Nagyfi, Rich{\\'a}rd and ES, Shahul and Suri, Sameer and Glushkov, David and Dantuluri, Arnav and Maguire, Andrew and Schuhmann, Christoph and Nguyen, Huu and Mattick, Alexander},
  year={2023},
  eprint={2304.07327},
  archivePrefix={arXiv},
  primaryClass={cs.CL}
}"""  # noqa: E501


@register_source
class OasstSource(Source):
    """OpenAssistant oasst1: one record per user message and its best reviewed reply.

    Options: `lang` (a BCP-47 tag or a list of them, `"en"` by default; `"en"` also takes
    `"en-GB"`; `"*"` takes every language), `roots_only` (only first turns; default
    False, every turn), `history` (later turns carry the conversation before them;
    default True), `keep_synthetic` (default False).
    """

    name = "oasst"
    description = (
        "OpenAssistant Conversations (oasst1): human-written assistant conversations; one "
        "pair per user message and its best-ranked reply that passed review."
    )
    homepage = "https://huggingface.co/datasets/OpenAssistant/oasst1"
    license = "Apache-2.0"
    citation = CITATION
    subsets = ()
    default_instruction = "Reply to the user's last message helpfully and truthfully"
    raw_files = (RawFile(READY_MESSAGES, url=f"{HF_FILES}/{READY_MESSAGES}"),)
    how_to_get = (
        f"Download {READY_MESSAGES} (or 2023-04-12_oasst_ready.trees.jsonl.gz) from "
        "https://huggingface.co/datasets/OpenAssistant/oasst1/tree/main."
    )
    file_suffixes = (".jsonl", ".gz")
    scrub_pii = True  # volunteers' conversations
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {
        "lang": "en",
        "roots_only": False,
        "history": True,
        "keep_synthetic": False,
    }

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        self._languages = _languages(
            self.options_in_effect["lang"], f"sources.{self.name}.options.lang"
        )

    # -- files ----------------------------------------------------------------------------

    def folder_shards(self, folder: Path) -> list[Path]:
        """The JSON-lines exports of a folder; a trees file is skipped next to its messages."""
        files = sorted(
            p for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(_JSONL_ENDINGS)
        )
        if not files:
            raise RawFileError(
                folder,
                f"folder holds no OpenAssistant export: expected {READY_MESSAGES} (or another "
                "*.messages.jsonl[.gz] or *.trees.jsonl[.gz] file)",
            )
        present = {str(p).lower() for p in files}
        return [
            p
            for p in files
            if ".trees." not in p.name.lower()
            or str(p).lower().replace(".trees.", ".messages.") not in present
        ]

    # -- parsing --------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """One item per prompter message: `{"prompt", "replies", "history"}` (message dicts).

        `replies` are the prompter's assistant children in file order; `history` is the
        conversation before it, root first (None when a message of it is not in the file).
        """
        path = Path(path)
        objects = _objects(path)
        first = next(objects, None)
        objects.close()
        if first is None:
            raise RawFileError(path, "empty file: download it again")
        _, obj = first
        if "prompt" in obj or ("message_tree_id" in obj and "message_id" not in obj):
            yield from self._parse_trees(path)
        elif "message_id" in obj:
            yield from self._parse_messages(path)
        else:
            raise RawFileError(
                path,
                "neither an OpenAssistant message (message_id, role, text) nor a message "
                f"tree (message_tree_id, prompt); keys: {', '.join(obj) or 'none'}",
                row=first[0],
            )

    def _parse_messages(self, path: Path) -> Iterator[dict[str, Any]]:
        # First pass: the last line of each tree, so a tree is handled once it is whole.
        # It only looks for the tree id (JSON escapes a quote inside a text, so the pattern
        # cannot match inside one); a line without a plain one makes the file read whole.
        last_line: dict[str, int] | None = {}
        for number, line in _lines(path):
            match = _TREE_ID.search(line)
            if match is None:
                last_line = None
                break
            last_line[match.group(1).decode()] = number
        open_trees: dict[str, list[dict[str, Any]]] = {}
        for number, line in _lines(path):
            message = _message(path, number, _load(path, number, line))
            tree = "" if last_line is None else _TREE_ID.search(line).group(1).decode()
            open_trees.setdefault(tree, []).append(message)
            if last_line is not None and last_line[tree] == number:
                yield from _items(open_trees.pop(tree))
        for messages in open_trees.values():
            yield from _items(messages)

    def _parse_trees(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        for number, obj in _objects(path):
            if "prompt" not in obj:
                raise RawFileError(
                    path,
                    f"message tree has no key 'prompt' (keys: {', '.join(obj) or 'none'}); "
                    "a trees file has one {message_tree_id, tree_state, prompt} per line",
                    row=number,
                )
            if obj["prompt"] is None:
                yield Skip("empty_tree")
                continue
            yield from _items(_flatten(path, number, obj["prompt"]))

    # -- mapping --------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """The prompter's message (after its conversation) is the input; the reply, output."""
        prompt: dict[str, Any] = item["prompt"]
        keep_synthetic: bool = self.options_in_effect["keep_synthetic"]
        is_root = prompt["parent_id"] is None
        if self.options_in_effect["roots_only"] and not is_root:
            return [Skip("not_first_turn")]
        if not self._language_wanted(prompt["lang"]):
            return [Skip("wrong_language")]
        if prompt["deleted"]:
            return [Skip("deleted")]
        if prompt["review_result"] is False:
            return [Skip("failed_review")]
        if prompt["synthetic"] and not keep_synthetic:
            return [Skip("synthetic")]
        text = clean_text(prompt["text"])
        if not text:
            return [Skip("empty_text")]
        best = _best_reply(item["replies"], keep_synthetic)
        if best is None:
            return [Skip("no_reviewed_reply")]
        reply, answer = best
        question = text
        if self.options_in_effect["history"] and not is_root:
            history: list[dict[str, Any]] | None = item["history"]
            if history is None:
                return [Skip("missing_context")]
            if any(m["deleted"] for m in history):
                return [Skip("deleted")]
            turns = [
                f"{_SPEAKERS.get(m['role'], 'User')}: {clean_text(m['text'])}" for m in history
            ]
            question = "\n\n".join([*turns, f"User: {text}"])
        return [
            self.record(
                input=question,
                output=answer,
                source_id=f"{prompt['message_id']}:{reply['message_id']}",
            )
        ]

    def _language_wanted(self, lang: Any) -> bool:
        if self._languages is None:
            return True
        if not isinstance(lang, str):
            return False
        tag = lang.replace("_", "-").lower()
        return tag in self._languages or any(tag.startswith(f"{w}-") for w in self._languages)


# -- mapping helpers --------------------------------------------------------------------------


def clean_text(text: Any) -> str:
    """A message's text with its ends and line ends trimmed; code indentation is kept."""
    if not isinstance(text, str):
        return ""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if " \n" in text or "\t\n" in text:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text.strip()


def _best_reply(
    replies: list[dict[str, Any]], keep_synthetic: bool
) -> tuple[dict[str, Any], str] | None:
    """The best-ranked reply that is not deleted and passed review (unranked ones last)."""
    best, best_key, best_text = None, None, ""
    for position, reply in enumerate(replies):
        if reply["deleted"] or reply["review_result"] is not True:
            continue
        if reply["synthetic"] and not keep_synthetic:
            continue
        rank = reply["rank"]
        key = (0, rank, position) if isinstance(rank, int) else (1, 0, position)
        if best_key is not None and key >= best_key:
            continue
        text = clean_text(reply["text"])
        if text:
            best, best_key, best_text = reply, key, text
    return None if best is None else (best, best_text)


def _languages(value: Any, key: str) -> frozenset[str] | None:
    """The wanted language tags, lower case; None for any language."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ANY_LANGUAGE):
        return None
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not values:
        raise RecipeError(key, f"expected a language tag or a list of them, got {value!r}")
    tags = set()
    for tag in values:
        if not isinstance(tag, str) or not tag.strip():
            raise RecipeError(key, f"expected language tags such as 'en' or 'pt-BR', got {tag!r}")
        tags.add(tag.strip().replace("_", "-").lower())
    return None if tags & ANY_LANGUAGE else frozenset(tags)


# -- reading ----------------------------------------------------------------------------------


def _open(path: Path) -> IO[bytes]:
    try:
        with path.open("rb") as f:
            magic = f.read(2)
        if magic == _GZIP_MAGIC:  # a large buffer: GzipFile's own reads 8 KiB at a time
            return io.BufferedReader(gzip.GzipFile(path, "rb"), _GZIP_BUFFER)
        return path.open("rb")
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None


def _objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of every non-blank line of a JSON-lines file, gzipped or not."""
    for number, line in _lines(path):
        yield number, _load(path, number, line)


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of every non-blank line, gzipped or not."""
    try:
        with _open(path) as f:
            for number, line in enumerate(f, start=1):
                if number == 1:
                    if line.startswith(_UTF16_BOMS):
                        raise RawFileError(
                            path, "the file is UTF-16, not UTF-8: re-save it as UTF-8"
                        )
                    line = line.removeprefix(codecs.BOM_UTF8)
                if line.isspace() or not line:
                    continue
                yield number, line
    except EOFError:
        raise RawFileError(
            path, "the gzip file is cut short (it ends before its last block): download it again"
        ) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise RawFileError(path, f"not a readable gzip file ({exc}): download it again") from None


def _load(path: Path, number: int, line: bytes) -> dict[str, Any]:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise json_line_error(
            path, line, number, exc, row=number, expected="one object per line"
        ) from None
    if not isinstance(obj, dict):
        raise RawFileError(
            path,
            f"line {number} holds a JSON {type(obj).__name__}, not an object: expected one "
            "OpenAssistant message or tree per line",
            row=number,
        )
    return obj


def _message(path: Path, number: int, obj: dict[str, Any], parent_id: Any = ...) -> dict[str, Any]:
    """The fields a pair needs, out of one message object (missing optional keys are null)."""
    for key in MESSAGE_KEYS:
        if key not in obj:
            raise RawFileError(
                path,
                f"message has no key {key!r} (keys: {', '.join(obj) or 'none'}); an "
                f"OpenAssistant message has {', '.join(MESSAGE_KEYS)}",
                row=number,
            )
    get = obj.get
    return {
        "message_id": obj["message_id"],
        "parent_id": get("parent_id") if parent_id is ... else parent_id,
        "role": obj["role"],
        "text": obj["text"],
        "lang": get("lang"),
        "review_result": get("review_result"),
        "deleted": get("deleted"),
        "rank": get("rank"),
        "synthetic": get("synthetic"),
    }


def _flatten(path: Path, number: int, prompt: Any) -> list[dict[str, Any]]:
    """The messages of one tree, depth first, each with its parent's id."""
    out: list[dict[str, Any]] = []
    stack: list[tuple[Any, Any]] = [(prompt, None)]
    while stack:
        node, parent_id = stack.pop()
        if not isinstance(node, dict):
            raise RawFileError(
                path,
                "a message of the tree is not a JSON object: not an OpenAssistant tree",
                row=number,
            )
        message = _message(path, number, node, parent_id)
        out.append(message)
        replies = node.get("replies") or []
        if not isinstance(replies, list):
            raise RawFileError(
                path, f"'replies' of message {message['message_id']} is not a list", row=number
            )
        stack.extend((reply, message["message_id"]) for reply in reversed(replies))
    return out


def _items(messages: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One item per prompter message of a tree (or of several), in file order."""
    by_id = {m["message_id"]: m for m in messages}
    children: dict[Any, list[dict[str, Any]]] = {}
    for m in messages:
        if m["parent_id"] is not None:
            children.setdefault(m["parent_id"], []).append(m)
    for m in messages:
        if m["role"] != "prompter":
            continue
        replies = [c for c in children.get(m["message_id"], ()) if c["role"] == "assistant"]
        yield {"prompt": m, "replies": replies, "history": _history(m, by_id)}


def _history(message: dict[str, Any], by_id: dict[Any, dict[str, Any]]) -> list | None:
    """The messages before `message`, root first; None if one is missing from the file."""
    chain: list[dict[str, Any]] = []
    parent_id = message["parent_id"]
    while parent_id is not None:
        parent = by_id.get(parent_id)
        if parent is None or len(chain) > len(by_id):  # not in the file, or a loop
            return None
        chain.append(parent)
        parent_id = parent["parent_id"]
    chain.reverse()
    return chain
