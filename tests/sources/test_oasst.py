"""OasstSource on OpenAssistant's message and tree exports (plain and gzipped), and bad files."""

# The fixtures are JSON lines as the oasst exports hold them, long lines included.
# ruff: noqa: E501

from __future__ import annotations

import gzip
import textwrap
from collections import Counter
from pathlib import Path

import pytest

import meadow
from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import Skip, get_source
from meadow.sources.oasst import OasstSource, clean_text
from tests.sources.helpers import collect, write_file

SAMPLES = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "oasst"
INSTRUCTION = "Reply to the user's last message helpfully and truthfully"


def uid(n: int) -> str:
    return f"c0ffee00-0000-4000-8000-{n:012d}"


def write_gz(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(textwrap.dedent(text).lstrip())
    return path


def run(raw: Path, **options) -> tuple[list[Record], Counter[str]]:
    """Records and skip counts of a raw file or folder."""
    return collect(OasstSource(**options), raw)


def pairs(records: list) -> list[tuple[str, str, str]]:
    return [(r.source_id, r.input, r.output) for r in records]


# Seven trees, depth first, as the messages export writes them: a fever conversation with
# a follow-up (1-6), German (7-8), a deleted prompt (9-10), replies that failed or await
# review (11-13), a synthetic prompt (14-15), an empty prompt (16-17) and a prompt that
# failed review (18-19).
MESSAGES = r"""
    {"message_id": "c0ffee00-0000-4000-8000-000000000001", "parent_id": null, "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:01.000000+00:00", "text": "What causes a fever?", "role": "prompter", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000002", "parent_id": "c0ffee00-0000-4000-8000-000000000001", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:02.000000+00:00", "text": "A fever is the body raising its temperature to fight an infection, most often a virus.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 1, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000003", "parent_id": "c0ffee00-0000-4000-8000-000000000002", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:03.000000+00:00", "text": "Should I always bring it down?", "role": "prompter", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000004", "parent_id": "c0ffee00-0000-4000-8000-000000000003", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:04.000000+00:00", "text": "No. A mild fever helps fight infection; treat it if it makes you uncomfortable.\n\n```\nparacetamol: every 4-6 hours, at most 4 doses a day\n    (follow the label)\n```", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 1, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000005", "parent_id": "c0ffee00-0000-4000-8000-000000000003", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:05.000000+00:00", "text": "Always bring it down with ice baths.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": true, "rank": 0, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000006", "parent_id": "c0ffee00-0000-4000-8000-000000000001", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:06.000000+00:00", "text": "  Most fevers come from infections such as colds or flu.   \r\nOther causes include inflammation and some medicines.  ", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 0, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000007", "parent_id": null, "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:07.000000+00:00", "text": "Was ist Bluthochdruck?", "role": "prompter", "lang": "de", "review_count": 3, "review_result": true, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000007", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000008", "parent_id": "c0ffee00-0000-4000-8000-000000000007", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:08.000000+00:00", "text": "Bluthochdruck ist ein dauerhaft erhöhter Blutdruck.", "role": "assistant", "lang": "de", "review_count": 3, "review_result": true, "deleted": false, "rank": 0, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000007", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000009", "parent_id": null, "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:09.000000+00:00", "text": "Buy cheap pills here", "role": "prompter", "lang": "en", "review_count": 3, "review_result": true, "deleted": true, "rank": null, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000009", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000010", "parent_id": "c0ffee00-0000-4000-8000-000000000009", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:10.000000+00:00", "text": "I cannot help with that.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 0, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000009", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000011", "parent_id": null, "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:11.000000+00:00", "text": "How long does a cold last?", "role": "prompter", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000011", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000012", "parent_id": "c0ffee00-0000-4000-8000-000000000011", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:12.000000+00:00", "text": "Forever.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": false, "deleted": false, "rank": 0, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000011", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000013", "parent_id": "c0ffee00-0000-4000-8000-000000000011", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:13.000000+00:00", "text": "About a week to ten days.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": null, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000011", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000014", "parent_id": null, "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:14.000000+00:00", "text": "What is a normal resting heart rate?", "role": "prompter", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": null, "synthetic": true, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000014", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000015", "parent_id": "c0ffee00-0000-4000-8000-000000000014", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:15.000000+00:00", "text": "For adults, 60 to 100 beats per minute.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 0, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000014", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000016", "parent_id": null, "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:16.000000+00:00", "text": " \n ", "role": "prompter", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000016", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000017", "parent_id": "c0ffee00-0000-4000-8000-000000000016", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:17.000000+00:00", "text": "Could you say more?", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 0, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000016", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000018", "parent_id": null, "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:18.000000+00:00", "text": "asdf qwer", "role": "prompter", "lang": "en", "review_count": 3, "review_result": false, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000018", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000019", "parent_id": "c0ffee00-0000-4000-8000-000000000018", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:19.000000+00:00", "text": "It looks like your message was cut off.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 0, "synthetic": false, "model_name": null, "detoxify": null, "message_tree_id": "c0ffee00-0000-4000-8000-000000000018", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
"""

# Trees 1, 7 and 11 of MESSAGES as the trees export writes them: one tree per line.
TREES = r"""
    {"message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "prompt": {"message_id": "c0ffee00-0000-4000-8000-000000000001", "parent_id": null, "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:01.000000+00:00", "text": "What causes a fever?", "role": "prompter", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "emojis": {"+1": 3}, "replies": [{"message_id": "c0ffee00-0000-4000-8000-000000000002", "parent_id": "c0ffee00-0000-4000-8000-000000000001", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:02.000000+00:00", "text": "A fever is the body raising its temperature to fight an infection, most often a virus.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 1, "synthetic": false, "model_name": null, "emojis": {"+1": 3}, "replies": [{"message_id": "c0ffee00-0000-4000-8000-000000000003", "parent_id": "c0ffee00-0000-4000-8000-000000000002", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:03.000000+00:00", "text": "Should I always bring it down?", "role": "prompter", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "emojis": {"+1": 3}, "replies": [{"message_id": "c0ffee00-0000-4000-8000-000000000004", "parent_id": "c0ffee00-0000-4000-8000-000000000003", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:04.000000+00:00", "text": "No. A mild fever helps fight infection; treat it if it makes you uncomfortable.\n\n```\nparacetamol: every 4-6 hours, at most 4 doses a day\n    (follow the label)\n```", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 1, "synthetic": false, "model_name": null, "emojis": {"+1": 3}, "replies": null, "labels": {"spam": {"value": 0.0, "count": 3}}}, {"message_id": "c0ffee00-0000-4000-8000-000000000005", "parent_id": "c0ffee00-0000-4000-8000-000000000003", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:05.000000+00:00", "text": "Always bring it down with ice baths.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": true, "rank": 0, "synthetic": false, "model_name": null, "emojis": {"+1": 3}, "replies": null, "labels": {"spam": {"value": 0.0, "count": 3}}}], "labels": {"spam": {"value": 0.0, "count": 3}}}], "labels": {"spam": {"value": 0.0, "count": 3}}}, {"message_id": "c0ffee00-0000-4000-8000-000000000006", "parent_id": "c0ffee00-0000-4000-8000-000000000001", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:06.000000+00:00", "text": "  Most fevers come from infections such as colds or flu.   \r\nOther causes include inflammation and some medicines.  ", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 0, "synthetic": false, "model_name": null, "emojis": {"+1": 3}, "replies": null, "labels": {"spam": {"value": 0.0, "count": 3}}}], "labels": {"spam": {"value": 0.0, "count": 3}}}, "origin": null}
    {"message_tree_id": "c0ffee00-0000-4000-8000-000000000007", "tree_state": "ready_for_export", "prompt": {"message_id": "c0ffee00-0000-4000-8000-000000000007", "parent_id": null, "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:07.000000+00:00", "text": "Was ist Bluthochdruck?", "role": "prompter", "lang": "de", "review_count": 3, "review_result": true, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "emojis": {"+1": 3}, "replies": [{"message_id": "c0ffee00-0000-4000-8000-000000000008", "parent_id": "c0ffee00-0000-4000-8000-000000000007", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:08.000000+00:00", "text": "Bluthochdruck ist ein dauerhaft erhöhter Blutdruck.", "role": "assistant", "lang": "de", "review_count": 3, "review_result": true, "deleted": false, "rank": 0, "synthetic": false, "model_name": null, "emojis": {"+1": 3}, "replies": null, "labels": {"spam": {"value": 0.0, "count": 3}}}], "labels": {"spam": {"value": 0.0, "count": 3}}}, "origin": null}
    {"message_tree_id": "c0ffee00-0000-4000-8000-000000000011", "tree_state": "ready_for_export", "prompt": {"message_id": "c0ffee00-0000-4000-8000-000000000011", "parent_id": null, "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:11.000000+00:00", "text": "How long does a cold last?", "role": "prompter", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "emojis": {"+1": 3}, "replies": [{"message_id": "c0ffee00-0000-4000-8000-000000000012", "parent_id": "c0ffee00-0000-4000-8000-000000000011", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:12.000000+00:00", "text": "Forever.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": false, "deleted": false, "rank": 0, "synthetic": false, "model_name": null, "emojis": {"+1": 3}, "replies": null, "labels": {"spam": {"value": 0.0, "count": 3}}}, {"message_id": "c0ffee00-0000-4000-8000-000000000013", "parent_id": "c0ffee00-0000-4000-8000-000000000011", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:13.000000+00:00", "text": "About a week to ten days.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": null, "deleted": false, "rank": null, "synthetic": false, "model_name": null, "emojis": {"+1": 3}, "replies": null, "labels": {"spam": {"value": 0.0, "count": 3}}}], "labels": {"spam": {"value": 0.0, "count": 3}}}, "origin": null}
"""

# Tree 1 written with --exclude-nulls: null keys are left out (no parent_id at the root).
MESSAGES_WITHOUT_NULLS = r"""
    {"message_id": "c0ffee00-0000-4000-8000-000000000001", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:01.000000+00:00", "text": "What causes a fever?", "role": "prompter", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "synthetic": false, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000002", "parent_id": "c0ffee00-0000-4000-8000-000000000001", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:02.000000+00:00", "text": "A fever is the body raising its temperature to fight an infection, most often a virus.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 1, "synthetic": false, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000003", "parent_id": "c0ffee00-0000-4000-8000-000000000002", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:03.000000+00:00", "text": "Should I always bring it down?", "role": "prompter", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "synthetic": false, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000004", "parent_id": "c0ffee00-0000-4000-8000-000000000003", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:04.000000+00:00", "text": "No. A mild fever helps fight infection; treat it if it makes you uncomfortable.\n\n```\nparacetamol: every 4-6 hours, at most 4 doses a day\n    (follow the label)\n```", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 1, "synthetic": false, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000005", "parent_id": "c0ffee00-0000-4000-8000-000000000003", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:05.000000+00:00", "text": "Always bring it down with ice baths.", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": true, "rank": 0, "synthetic": false, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
    {"message_id": "c0ffee00-0000-4000-8000-000000000006", "parent_id": "c0ffee00-0000-4000-8000-000000000001", "user_id": "2c96e467-66f0-4be7-9693-bda51356a424", "created_date": "2023-02-08T14:30:06.000000+00:00", "text": "  Most fevers come from infections such as colds or flu.   \r\nOther causes include inflammation and some medicines.  ", "role": "assistant", "lang": "en", "review_count": 3, "review_result": true, "deleted": false, "rank": 0, "synthetic": false, "message_tree_id": "c0ffee00-0000-4000-8000-000000000001", "tree_state": "ready_for_export", "emojis": {"+1": 3}, "labels": {"spam": {"value": 0.0, "count": 3}}}
"""

FEVER = (
    uid(1) + ":" + uid(6),
    "What causes a fever?",
    "Most fevers come from infections such as colds or flu.\nOther causes include inflammation and some medicines.",
)
FOLLOW_UP = (
    uid(3) + ":" + uid(4),
    "User: What causes a fever?\n\n"
    "Assistant: A fever is the body raising its temperature to fight an infection, most often a virus.\n\n"
    "User: Should I always bring it down?",
    "No. A mild fever helps fight infection; treat it if it makes you uncomfortable.\n\n"
    "```\nparacetamol: every 4-6 hours, at most 4 doses a day\n    (follow the label)\n```",
)
GERMAN = (
    uid(7) + ":" + uid(8),
    "Was ist Bluthochdruck?",
    "Bluthochdruck ist ein dauerhaft erhöhter Blutdruck.",
)


@pytest.fixture
def messages_jsonl(tmp_path: Path) -> Path:
    return write_file(tmp_path, "2023-04-12_oasst_ready.messages.jsonl", MESSAGES, lstrip=True)


@pytest.fixture
def messages_jsonl_gz(tmp_path: Path) -> Path:
    return write_gz(tmp_path, "2023-04-12_oasst_ready.messages.jsonl.gz", MESSAGES)


@pytest.fixture
def trees_jsonl(tmp_path: Path) -> Path:
    return write_file(tmp_path, "2023-04-12_oasst_ready.trees.jsonl", TREES, lstrip=True)


@pytest.fixture
def trees_jsonl_gz(tmp_path: Path) -> Path:
    return write_gz(tmp_path, "2023-04-12_oasst_ready.trees.jsonl.gz", TREES)


@pytest.fixture
def messages_without_nulls(tmp_path: Path) -> Path:
    return write_file(tmp_path, "fever.messages.jsonl", MESSAGES_WITHOUT_NULLS, lstrip=True)


# -- pairs -------------------------------------------------------------------------------------


def test_each_prompt_is_paired_with_its_best_reviewed_reply(messages_jsonl: Path) -> None:
    records, skips = run(messages_jsonl)
    assert pairs(records) == [FEVER, FOLLOW_UP]
    first = records[0]
    assert (first.instruction, first.source, first.subset, first.license) == (
        INSTRUCTION,
        "oasst",
        "",
        "Apache-2.0",
    )
    assert skips == {
        "wrong_language": 1,
        "deleted": 1,
        "no_reviewed_reply": 1,
        "synthetic": 1,
        "empty_text": 1,
        "failed_review": 1,
    }


@pytest.mark.parametrize(
    ("shape", "skipped"),
    [
        ("messages_jsonl_gz", 5),  # every other tree of MESSAGES
        ("trees_jsonl", 1),  # trees 1, 7 and 11: the cold question has no reviewed reply
        ("trees_jsonl_gz", 1),
    ],
)
def test_every_export_shape_gives_the_same_pairs(shape: str, skipped: int, request) -> None:
    path: Path = request.getfixturevalue(shape)
    records, skips = run(path, lang=["en", "de"])
    assert pairs(records) == [FEVER, FOLLOW_UP, GERMAN]
    assert skips["no_reviewed_reply"] == 1
    assert sum(skips.values()) == skipped


def test_gzip_is_told_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    path = write_gz(tmp_path, "oasst-messages.jsonl", MESSAGES)
    records, _ = run(path)
    assert pairs(records) == [FEVER, FOLLOW_UP]


def test_file_without_null_keys_reads_the_same(messages_without_nulls: Path) -> None:
    records, skips = run(messages_without_nulls)
    assert pairs(records) == [FEVER, FOLLOW_UP]
    assert not skips


def test_interleaved_trees_are_still_paired_right(tmp_path: Path) -> None:
    lines = textwrap.dedent(MESSAGES).strip().splitlines()
    shuffled = [lines[i] for i in (0, 10, 1, 11, 6, 2, 12, 3, 7, 4, 5, *range(13, 19))]
    path = write_file(tmp_path, "shuffled.messages.jsonl", "\n".join(shuffled) + "\n", lstrip=True)
    records, skips = run(path, lang=["en", "de"])
    assert sorted(pairs(records)) == sorted([FEVER, FOLLOW_UP, GERMAN])
    assert skips["no_reviewed_reply"] == 1


def test_messages_without_tree_ids_are_read_whole(tmp_path: Path) -> None:
    lines = textwrap.dedent(MESSAGES).strip().splitlines()
    stripped = [
        line.replace(f', "message_tree_id": "{uid(1)}"', "").replace(
            f', "message_tree_id": "{uid(7)}"', ""
        )
        for line in lines[:8]
    ]
    assert all("message_tree_id" not in line for line in stripped)
    path = write_file(tmp_path, "no-tree-ids.jsonl", "\n".join(stripped) + "\n", lstrip=True)
    records, _ = run(path, lang="*")
    assert pairs(records) == [FEVER, FOLLOW_UP, GERMAN]


def test_text_keeps_code_indentation_and_loses_trailing_spaces() -> None:
    assert clean_text("  a  \r\n    indented\t\n\nb  ") == "a\n    indented\n\nb"
    assert clean_text(None) == ""


# -- options -----------------------------------------------------------------------------------


def test_language_option_takes_a_tag_or_a_list(messages_jsonl: Path) -> None:
    records, skips = run(messages_jsonl, lang="de")
    assert pairs(records) == [GERMAN]
    assert skips["wrong_language"] == 2 + 5  # the two English pairs and the five skipped prompts
    records, _ = run(messages_jsonl, lang=["EN", "de"])
    assert len(records) == 3
    records, _ = run(messages_jsonl, lang="*")
    assert len(records) == 3


@pytest.mark.parametrize(
    ("wanted", "lang", "taken"),
    [
        ("en", "en", True),
        ("en", "en-GB", True),
        ("en", "EN_us", True),
        ("en", "eng", False),
        ("pt-BR", "pt-BR", True),
        ("pt-BR", "pt", False),
        ("pt", "pt-BR", True),
        ("en", None, False),
    ],
)
def test_language_tags_match_by_prefix(wanted: str, lang: str | None, taken: bool) -> None:
    prompt = {
        "message_id": "p",
        "parent_id": None,
        "role": "prompter",
        "text": "Hello?",
        "lang": lang,
        "review_result": True,
        "deleted": False,
        "rank": None,
        "synthetic": False,
    }
    reply = {
        **prompt,
        "message_id": "r",
        "parent_id": "p",
        "role": "assistant",
        "text": "Hi.",
        "rank": 0,
    }
    item = {"prompt": prompt, "replies": [reply], "history": []}
    (out,) = OasstSource(lang=wanted).to_records(item)
    assert (out != Skip("wrong_language")) is taken


def test_roots_only_keeps_first_turns(messages_jsonl: Path) -> None:
    records, skips = run(messages_jsonl, roots_only=True)
    assert pairs(records) == [FEVER]
    assert skips["not_first_turn"] == 1


def test_history_can_be_left_out(messages_jsonl: Path) -> None:
    records, _ = run(messages_jsonl, history=False)
    assert [r.input for r in records] == ["What causes a fever?", "Should I always bring it down?"]


def test_synthetic_prompts_can_be_kept(messages_jsonl: Path) -> None:
    records, skips = run(messages_jsonl, keep_synthetic=True)
    assert pairs(records)[-1] == (
        uid(14) + ":" + uid(15),
        "What is a normal resting heart rate?",
        "For adults, 60 to 100 beats per minute.",
    )
    assert "synthetic" not in skips


def test_follow_up_whose_conversation_is_not_in_the_file_is_skipped(tmp_path: Path) -> None:
    lines = textwrap.dedent(MESSAGES).strip().splitlines()
    path = write_file(tmp_path, "part.messages.jsonl", "\n".join(lines[2:4]) + "\n", lstrip=True)
    records, skips = run(path)
    assert records == []
    assert skips == {"missing_context": 1}
    records, _ = run(path, history=False)
    assert [r.input for r in records] == ["Should I always bring it down?"]


@pytest.mark.parametrize("value", [5, [], ["en", ""], {"en": True}])
def test_bad_language_option_is_refused(value) -> None:
    with pytest.raises(RecipeError, match=r"sources\.oasst\.options\.lang: expected"):
        OasstSource(lang=value)


def test_tree_without_prompt_is_skipped(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "x.trees.jsonl",
        '{"message_tree_id": "c0ffee00-0000-4000-8000-000000000099", "tree_state": "aborted_low_grade", "prompt": null, "origin": null}\n',
    )
    assert run(path) == ([], Counter({"empty_tree": 1}))


# -- files and folders -------------------------------------------------------------------------


def test_folder_reads_messages_and_skips_trees_of_the_same_export(
    messages_jsonl_gz: Path, trees_jsonl_gz: Path
) -> None:
    folder = messages_jsonl_gz.parent
    write_file(folder, "README.md", "# oasst1")
    write_gz(folder, "2023-04-12_oasst_all.trees.jsonl.gz", TREES)
    shards = OasstSource().shards(folder)
    assert [p.name for p in shards] == [
        "2023-04-12_oasst_all.trees.jsonl.gz",
        "2023-04-12_oasst_ready.messages.jsonl.gz",
    ]


def test_folder_without_exports_is_refused(tmp_path: Path) -> None:
    write_file(tmp_path, "README.md", "# oasst1")
    with pytest.raises(
        RawFileError,
        match=r"folder holds no OpenAssistant export: expected 2023-04-12_oasst_ready\.messages\.jsonl\.gz",
    ):
        OasstSource().shards(tmp_path)


# -- files that cannot be read ----------------------------------------------------------------


def test_cut_gzip_file_is_refused(messages_jsonl_gz: Path) -> None:
    data = messages_jsonl_gz.read_bytes()
    messages_jsonl_gz.write_bytes(data[: len(data) // 2])
    with pytest.raises(RawFileError, match=r"the gzip file is cut short .*download it again") as e:
        list(OasstSource().parse(messages_jsonl_gz))
    assert e.value.path == messages_jsonl_gz


def test_corrupt_gzip_file_is_refused(messages_jsonl_gz: Path) -> None:
    data = bytearray(messages_jsonl_gz.read_bytes())
    data[-8:-4] = b"\0\0\0\0"  # the CRC
    messages_jsonl_gz.write_bytes(bytes(data))
    with pytest.raises(RawFileError, match=r"not a readable gzip file \(CRC check failed"):
        list(OasstSource().parse(messages_jsonl_gz))


def test_cut_json_lines_file_is_refused(messages_jsonl: Path) -> None:
    data = messages_jsonl.read_bytes()
    messages_jsonl.write_bytes(data[:-40])
    with pytest.raises(
        RawFileError, match=r"row 19: line 19 is cut short \(the file ends inside it\)"
    ):
        list(OasstSource().parse(messages_jsonl))


def test_file_not_in_utf8_names_the_line(messages_jsonl: Path) -> None:
    messages_jsonl.write_bytes(messages_jsonl.read_text(encoding="utf-8").encode("latin-1"))
    with pytest.raises(
        RawFileError,
        match=r"row 8: not valid UTF-8 \(byte 0xf6 on line 8\): re-save the file as UTF-8",
    ):
        list(OasstSource().parse(messages_jsonl))


def test_utf16_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.messages.jsonl"
    path.write_bytes(textwrap.dedent(MESSAGES).lstrip().encode("utf-16"))
    with pytest.raises(RawFileError, match="the file is UTF-16, not UTF-8"):
        list(OasstSource().parse(path))


@pytest.mark.parametrize("gzipped", [False, True])
def test_empty_file_is_refused(tmp_path: Path, gzipped: bool) -> None:
    if gzipped:
        path = write_gz(tmp_path, "x.messages.jsonl", "\n\n")
    else:
        path = write_file(tmp_path, "x.messages.jsonl", "\n\n", lstrip=True)
    with pytest.raises(RawFileError, match="empty file: download it again"):
        list(OasstSource().parse(path))


def test_message_without_text_is_refused_naming_the_key(messages_jsonl: Path) -> None:
    text = messages_jsonl.read_text(encoding="utf-8")
    messages_jsonl.write_text(text.replace('"text": "Forever.", ', ""), encoding="utf-8")
    with pytest.raises(
        RawFileError,
        match=r"messages\.jsonl, row 12: message has no key 'text' \(keys: message_id, parent_id, .*\); "
        r"an OpenAssistant message has message_id, role, text",
    ):
        list(OasstSource().parse(messages_jsonl))


def test_tree_line_without_prompt_is_refused(trees_jsonl: Path) -> None:
    with trees_jsonl.open("a", encoding="utf-8") as f:
        f.write(
            '{"message_tree_id": "c0ffee00-0000-4000-8000-000000000098", "tree_state": "ready_for_export"}\n'
        )
    with pytest.raises(RawFileError, match=r"row 4: message tree has no key 'prompt'"):
        list(OasstSource().parse(trees_jsonl))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            '{"id": 1, "question": "q"}\n',
            r"row 1: neither an OpenAssistant message .* keys: id, question",
        ),
        ('["a", "b"]\n', r"line 1 holds a JSON list, not an object"),
        ('[{"message_id": "m",\n "text": "t"}]\n', r"line 1 is not valid JSON"),
    ],
    ids=["other-json", "list", "json-array"],
)
def test_json_that_is_not_an_oasst_export_is_refused(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = write_file(tmp_path, "x.jsonl", content, lstrip=True)
    with pytest.raises(RawFileError, match=problem):
        list(OasstSource().parse(path))


# -- registry, sample, build ------------------------------------------------------------------


def test_registered_with_its_metadata() -> None:
    assert get_source("oasst") is OasstSource
    info = OasstSource.info()
    assert info["license"] == "Apache-2.0"
    [raw_file] = info["raw_files"]
    assert raw_file["name"] == "2023-04-12_oasst_ready.messages.jsonl.gz"
    assert raw_file["url"].endswith(
        "/datasets/OpenAssistant/oasst1/resolve/main/" + raw_file["name"]
    )
    assert raw_file["sha256"] is None
    assert "2304.07327" in info["citation"]
    assert OasstSource.default_options == {
        "lang": "en",
        "roots_only": False,
        "history": True,
        "keep_synthetic": False,
    }


def test_bundled_sample_parses_with_its_skips() -> None:
    records, skips = collect(OasstSource(), SAMPLES)
    assert len(records) == 4
    assert skips == {"no_reviewed_reply": 1, "wrong_language": 1}
    assert sum(r.input.startswith("User: ") for r in records) == 1  # the one follow-up


def test_sample_builds_into_a_mixture() -> None:
    result = meadow.build(sources=["oasst"], raw={"oasst": SAMPLES}, name="t")
    stats = result.manifest["sources"]["oasst"]
    assert stats["taken"] == 4
    assert stats["skipped"] == {"no_reviewed_reply": 1, "wrong_language": 1}
    mixture = meadow.load_mixture("t")
    loaded = [row for split in mixture.values() for row in split]
    assert len(loaded) == 4
    assert {row["license"] for row in loaded} == {"Apache-2.0"}
