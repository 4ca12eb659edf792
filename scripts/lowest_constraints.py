"""Print pip constraints pinning every runtime dependency of pyproject.toml to its lowest
declared version (``name>=1.2`` becomes ``name==1.2``), for ``scripts/test-lowest``.

Runtime dependencies are ``project.dependencies`` and every optional extra but ``dev`` (test
and lint tools are not what users install). A dependency without a ``>=`` lower bound is an
error: the point is to prove each bound. ``--extras`` prints instead the extras to install
(``dev`` and the runtime ones, comma-separated). Needs ``packaging`` and, before Python
3.11, ``tomli``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
TOOL_EXTRAS = {"dev"}


def runtime_requirements(project: dict) -> list[Requirement]:
    texts = list(project.get("dependencies", []))
    for extra, requirements in project.get("optional-dependencies", {}).items():
        if extra not in TOOL_EXTRAS:
            texts.extend(requirements)
    return [Requirement(text) for text in texts]


def lowest_pin(requirement: Requirement) -> str:
    """``name==X`` for the requirement's ``>=X`` bound (extras dropped: constraints have none)."""
    lows = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    if len(lows) != 1:
        raise SystemExit(f"{requirement}: needs exactly one '>=' lower bound to be pinned")
    marker = f"; {requirement.marker}" if requirement.marker else ""
    return f"{requirement.name}=={lows[0]}{marker}"


def main() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    if sys.argv[1:] == ["--extras"]:
        runtime = [e for e in project.get("optional-dependencies", {}) if e not in TOOL_EXTRAS]
        print(",".join(sorted({*TOOL_EXTRAS, *runtime})))
        return
    pins = {lowest_pin(requirement) for requirement in runtime_requirements(project)}
    print("\n".join(sorted(pins, key=str.lower)))


if __name__ == "__main__":
    main()
