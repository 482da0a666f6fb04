"""`meadow generate`: ask a trained adapter (or its merged model) a question, as it was taught.

The prompt is built by the template saved with the adapter and tokenised by
`meadow.train.data.prompt_ids`, the function training used for the text before each
response: the same BOS, the same headers, the same token ids. Decoding is greedy by
default, so the same question gives the same answer.

    from meadow.train.generate import generate
    generate("adapters/my-run", "What are the symptoms of gout?")
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from peft import PeftModel

from meadow.errors import TrainError
from meadow.train.data import prompt_ids
from meadow.train.model import (
    load_causal_lm,
    load_tokenizer,
    peft_quietly,
    quiet_libraries,
    torch_dtype,
)
from meadow.train.templates import PromptTemplate, get_template, load_template

ADAPTER_CONFIG = "adapter_config.json"
DEFAULT_INSTRUCTION = "Answer this question truthfully"


class Generator:
    """A model folder loaded once, to answer many questions (evaluation reuses it).

    `model_dir` is an adapter folder (its base model is read from `adapter_config.json`)
    or a merged model folder; `template` overrides the saved template's name.
    """

    def __init__(self, model_dir: str | Path, *, template: str | None = None):
        quiet_libraries()
        self.model_dir = Path(model_dir).expanduser()
        if not self.model_dir.is_dir():
            raise TrainError(f"no model folder at {self.model_dir}")
        self.template: PromptTemplate = (
            get_template(template) if template else load_template(self.model_dir)
        )
        self.tokenizer = load_tokenizer(str(self.model_dir))
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = _load_model(self.model_dir, self.device)

    def prompt_ids(
        self, question: str, input: str = "", instruction: str | None = None
    ) -> list[int]:
        """The ids fed to the model: exactly what training put before a response."""
        instruction, input = _roles(question, input, instruction)
        return prompt_ids(self.template, self.tokenizer, instruction, input)

    def __call__(
        self,
        question: str,
        *,
        input: str = "",
        instruction: str | None = None,
        max_new_tokens: int = 256,
        do_sample: bool = False,
        temperature: float = 1.0,
    ) -> str:
        """The response text only (the prompt and the EOS are not in it)."""
        ids = self.prompt_ids(question, input, instruction)
        input_ids = torch.tensor([ids], device=self.device)
        eos = self.tokenizer.eos_token_id
        pad = self.tokenizer.pad_token_id
        sampling: dict[str, Any] = {"do_sample": do_sample}
        if do_sample:
            sampling["temperature"] = temperature
        with torch.no_grad():
            output = self.model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=max_new_tokens,
                eos_token_id=eos,
                pad_token_id=pad if pad is not None else eos,
                **sampling,
            )
        new = output[0, len(ids) :].tolist()
        return self.tokenizer.decode(new, skip_special_tokens=True).strip()


def generate(
    model_dir: str | Path,
    question: str,
    *,
    input: str = "",
    instruction: str | None = None,
    max_new_tokens: int = 256,
    template: str | None = None,
    do_sample: bool = False,
) -> str:
    """Answer `question` with the model in `model_dir`, prompted as in training.

    `question` is the row's `input` (with medAlpaca's default instruction, "Answer this
    question truthfully") unless `instruction` is given, in which case `question` is the
    instruction and `input` the context, as in the training rows.
    """
    runner = Generator(model_dir, template=template)
    return runner(
        question,
        input=input,
        instruction=instruction,
        max_new_tokens=max_new_tokens,
        do_sample=do_sample,
    )


def _roles(question: str, input: str, instruction: str | None) -> tuple[str, str]:
    """(instruction, input) of a training row for a question asked from the command line."""
    if instruction is not None:
        return instruction, (question + ("\n\n" + input if input else "")).strip()
    if input:
        return question, input
    return DEFAULT_INSTRUCTION, question


def _load_model(model_dir: Path, device: torch.device) -> Any:
    precision = "fp32"
    if device.type == "cuda":
        precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    dtype = torch_dtype(precision)
    adapter = model_dir / ADAPTER_CONFIG
    if adapter.is_file():
        base = json.loads(adapter.read_text()).get("base_model_name_or_path")
        if not base:
            raise TrainError(f"{adapter} names no base model (base_model_name_or_path)")
        with peft_quietly():
            model = PeftModel.from_pretrained(load_causal_lm(base, dtype=dtype), str(model_dir))
    elif (model_dir / "config.json").is_file():
        model = load_causal_lm(str(model_dir), dtype=dtype)
    else:
        raise TrainError(
            f"{model_dir} holds neither an adapter ({ADAPTER_CONFIG}) nor a model (config.json)"
        )
    return model.to(device).eval()


__all__ = ["DEFAULT_INSTRUCTION", "Generator", "generate"]
