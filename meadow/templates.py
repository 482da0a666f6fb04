"""The card templates, found where they are: in the package or in a source checkout.

The templates live in the repository's top-level `cards/`, where a user edits them; the
wheel ships them as `meadow/cards/` (hatch `force-include`). Every card reads its
template through `card_template`, so both layouts serve every caller.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# The repository's cards/, next to the meadow package in a source or editable checkout.
_CHECKOUT_CARDS = Path(__file__).resolve().parent.parent / "cards"


def card_template(name: str) -> str:
    """The text of the card template `name` (say "dataset_card.md.j2").

    The installed package's copy comes first, then the checkout's `cards/`; a name found
    in neither raises FileNotFoundError naming both places.
    """
    packaged = resources.files("meadow") / "cards" / name
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = _CHECKOUT_CARDS / name
    if checkout.is_file():
        return checkout.read_text(encoding="utf-8")
    raise FileNotFoundError(
        f"no card template {name!r} in the package (meadow/cards/) or the checkout ({checkout})"
    )
