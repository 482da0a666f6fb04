"""Every source's column batches (`Source.batches`, the runner's fast path) hold the same
rows, in the same order, with the same skips as its records (`Source.read`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from meadow.sources import get_source, list_sources
from tests.sources.helpers import assert_batches_match_read

SAMPLES = Path(__file__).resolve().parents[2] / "meadow" / "samples"


@pytest.mark.parametrize("name", [n for n in list_sources() if (SAMPLES / n).is_dir()])
def test_batches_give_the_rows_and_skips_of_read_on_the_bundled_sample(name: str) -> None:
    source = get_source(name)()
    assert assert_batches_match_read(source, SAMPLES / name) > 0
