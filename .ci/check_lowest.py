"""Check that .ci/constraints-lowest.txt pins every core and test dependency at the lower
bound pyproject.toml states, so the lowest-versions job tests what the ranges claim.

Run by .ci/run (Python 3.11+, `packaging` installed); exits 1 naming each mismatch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def lower_bound(requirement: Requirement) -> Version | None:
    bounds = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]
    return max(bounds) if bounds else None


def pins(path: Path) -> dict[str, Version]:
    found: dict[str, Version] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            found[canonicalize_name(name)] = Version(version)
    return found


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    pinned = pins(ROOT / ".ci" / "constraints-lowest.txt")
    problems = []
    for text in declared:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        bound = lower_bound(requirement)
        if bound is None:
            problems.append(f"{text}: no lower bound in pyproject.toml")
        elif name not in pinned:
            problems.append(f"{text}: not pinned in .ci/constraints-lowest.txt")
        elif pinned[name] != bound and Version(pinned[name].base_version) != bound:
            problems.append(
                f"{text}: .ci/constraints-lowest.txt pins {pinned[name]}, not the lower "
                f"bound {bound}"
            )
    for problem in problems:
        print(f"lowest versions: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
