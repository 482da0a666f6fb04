"""Training, generation and eval show meadow's progress only: transformers' and datasets'
bars and notes are off while they run."""

from __future__ import annotations


def test_training_and_generation_hide_transformers_and_datasets_bars_and_notes():
    import logging

    from datasets.utils import logging as ds_logging
    from transformers.utils import logging as hf_logging

    from meadow.train.model import quiet_libraries

    before = [
        (lib.is_progress_bar_enabled(), lib.get_verbosity()) for lib in (hf_logging, ds_logging)
    ]
    try:
        quiet_libraries()
        for library in (hf_logging, ds_logging):
            assert not library.is_progress_bar_enabled()
            assert library.get_verbosity() == logging.ERROR
    finally:
        for library, (bars, verbosity) in zip((hf_logging, ds_logging), before, strict=True):
            library.set_verbosity(verbosity)
            if bars:
                library.enable_progress_bar()
