"""Prompt templates, one registry for training, generation and evaluation.

A template turns a row's `instruction` and `input` into the text the model reads before
its answer. Training, `meadow generate` and `meadow eval` all call `PromptTemplate.prompt`
(and `meadow.train.data.prompt_ids` for the token ids), and the template is saved beside
the adapter (`meadow_template.json`), so a model is always asked its questions exactly as
it was taught them.

* `medalpaca` (the default): medAlpaca's primer and `### Instruction:` / `### Input:` /
  `### Response:` headers, without its bugs: the Input section is left out when the input
  is blank (medAlpaca always emitted an empty one), and BOS/EOS are not text here but
  tokens added by `meadow.train.data`, the same way in training and at inference.
* `alpaca`: Stanford Alpaca's wording, with its own primer for rows without an input, and
  the newline after `### Response:` as alpaca-lora's `templates/alpaca.json` has it.
* `chat`: the tokenizer's own chat template, one user turn (`instruction`, then the input
  after a blank line) and the generation prompt.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from meadow.errors import TemplateError

TEMPLATE_FILE = "meadow_template.json"

MEDALPACA_PRIMER = (
    "Below is an instruction that describes a task, paired with an input that provides "
    "further context. Write a response that appropriately completes the request."
)
ALPACA_PRIMER_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request."
)


@dataclass(frozen=True)
class PromptTemplate:
    """How a row becomes the text before its response.

    Attributes:
        name: `medalpaca`, `alpaca` or `chat`.
        primer: the opening paragraph (text templates).
        primer_no_input: the primer for rows with a blank input; empty means `primer`.
        instruction_header, input_header, response_header: the text before the
            instruction, before the input (left out with a blank input) and before the
            response. `chat` uses none of these: the tokenizer's chat template decides.
    """

    name: str
    primer: str = ""
    primer_no_input: str = ""
    instruction_header: str = ""
    input_header: str = ""
    response_header: str = ""

    def prompt(self, instruction: str, input: str, tokenizer: Any = None) -> str:
        """The text before the response, what generation feeds the model.

        It holds no BOS text (`meadow.train.data` adds BOS as a token); a chat template's
        own BOS text is removed here for the same reason.
        """
        has_input = bool(input and input.strip())
        if self.name == "chat":
            return _chat_prompt(instruction, input if has_input else "", tokenizer)
        primer = self.primer if has_input or not self.primer_no_input else self.primer_no_input
        parts = [primer, self.instruction_header, instruction]
        if has_input:
            parts += [self.input_header, input]
        parts.append(self.response_header)
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Every field, as saved with an adapter and shown in its card."""
        return asdict(self)


def _chat_prompt(instruction: str, input: str, tokenizer: Any) -> str:
    if tokenizer is None:
        raise TemplateError("the chat template is the tokenizer's: pass the tokenizer")
    if not getattr(tokenizer, "chat_template", None):
        raise TemplateError(
            f"tokenizer {_tokenizer_name(tokenizer)} has no chat template; "
            "use --template medalpaca or alpaca, or a tokenizer that defines chat_template"
        )
    content = instruction + (f"\n\n{input}" if input else "")
    try:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True
        )
    except Exception as error:  # jinja2 errors, or a template that raises on purpose
        detail = (str(error).splitlines() or [""])[0]
        raise TemplateError(
            f"the chat template of {_tokenizer_name(tokenizer)} cannot render one user turn "
            f"({type(error).__name__}: {detail}); use --template medalpaca or alpaca"
        ) from error
    bos = getattr(tokenizer, "bos_token", None)
    if bos and text.startswith(bos):
        text = text[len(bos) :]
    return text


_TEMPLATES: dict[str, PromptTemplate] = {
    "medalpaca": PromptTemplate(
        name="medalpaca",
        primer=MEDALPACA_PRIMER,
        instruction_header="\n\n### Instruction:\n",
        input_header="\n\n### Input:\n",
        response_header="\n\n### Response:\n",
    ),
    "alpaca": PromptTemplate(
        name="alpaca",
        primer=MEDALPACA_PRIMER,  # medAlpaca took Alpaca's primer as it was
        primer_no_input=ALPACA_PRIMER_NO_INPUT,
        instruction_header="\n\n### Instruction:\n",
        input_header="\n\n### Input:\n",
        response_header="\n\n### Response:\n",
    ),
    "chat": PromptTemplate(name="chat"),
}
TEMPLATE_NAMES: tuple[str, ...] = tuple(_TEMPLATES)
DEFAULT_TEMPLATE = "medalpaca"


def get_template(name: str) -> PromptTemplate:
    """The registered template `name`; the error lists the names there are."""
    try:
        return _TEMPLATES[name]
    except KeyError:
        raise TemplateError(
            f"unknown template {name!r}; available: {', '.join(TEMPLATE_NAMES)}"
        ) from None


def check_template(template: PromptTemplate, tokenizer: Any) -> None:
    """Fail before training when the tokenizer cannot serve the template.

    Every template needs an EOS token (responses end with it); `chat` needs the
    tokenizer's chat template and that it renders one user turn.
    """
    eos_id(tokenizer)
    if template.name == "chat":
        template.prompt("instruction", "input", tokenizer)


def eos_id(tokenizer: Any) -> int:
    """The tokenizer's EOS id, which ends every response; a TemplateError without one."""
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None:
        raise TemplateError(
            f"tokenizer {_tokenizer_name(tokenizer)} has no EOS token, so a response could "
            "not end: use a tokenizer that defines eos_token"
        )
    return eos


def save_template(template: PromptTemplate, folder: Path) -> Path:
    """Write the template beside an adapter, so generation and evaluation reuse it."""
    path = Path(folder) / TEMPLATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(template.to_dict(), indent=2, sort_keys=True) + "\n")
    return path


def load_template(folder: Path) -> PromptTemplate:
    """The template saved with an adapter (its exact texts, even if meadow's changed since)."""
    path = Path(folder) / TEMPLATE_FILE
    if not path.is_file():
        raise TemplateError(
            f"{path} is missing: {folder} was not trained by meadow, or lost its template; "
            f"pass --template ({', '.join(TEMPLATE_NAMES)})"
        )
    try:
        data = json.loads(path.read_text())
        known = {f.name for f in fields(PromptTemplate)}
        template = PromptTemplate(**{k: v for k, v in data.items() if k in known})
    except (ValueError, TypeError) as error:
        raise TemplateError(f"{path}: not a meadow template ({error})") from None
    if template.name not in TEMPLATE_NAMES:
        raise TemplateError(
            f"{path}: unknown template {template.name!r}; available: {', '.join(TEMPLATE_NAMES)}"
        )
    return template


def _tokenizer_name(tokenizer: Any) -> str:
    return repr(getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__)


__all__ = [
    "DEFAULT_TEMPLATE",
    "TEMPLATE_FILE",
    "TEMPLATE_NAMES",
    "PromptTemplate",
    "check_template",
    "eos_id",
    "get_template",
    "load_template",
    "save_template",
]
