"""The docs name tests that exist: every test path in docs/security.md resolves."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_named_in_security_md_exists():
    text = (ROOT / "docs" / "security.md").read_text()
    references = re.findall(r"`((?:security/)?test_[\w/]+\.py)(?:::(\w+))?`", text)
    assert len(references) > 20
    for path, name in references:
        source = (ROOT / "tests" / path).read_text()
        if name:
            assert re.search(rf"def {name}\(", source), f"{path}::{name}"
    # Continuation references ("`::test_x`") name tests in the file named before them.
    current = None
    for match in re.finditer(r"`((?:security/)?test_[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`", text):
        if match.group(1):
            current = match.group(1)
        elif match.group(3):
            source = (ROOT / "tests" / current).read_text()
            assert re.search(rf"def {match.group(3)}\(", source), f"{current}::{match.group(3)}"


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BACKGROUND = re.compile(r"(?<![&|])&(\s+\w+=\$!)?\s*(#.*)?$")  # `cmd &`, `cmd & PID=$!`
READINESS = re.compile(r"^(for|until|while)\b.*curl -sf .*(break|done)")


def bash_blocks(path: Path) -> list[list[str]]:
    """The lines of each ```bash block (continuation lines joined)."""
    blocks = re.findall(r"^```bash\n(.*?)^```", path.read_text(), re.MULTILINE | re.DOTALL)
    return [block.replace("\\\n", " ").splitlines() for block in blocks]


def commands(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def test_a_block_that_starts_a_server_waits_for_it_before_the_next_command():
    """Pasted whole, a block must not call a server that is still starting (the demo takes
    a minute on its first run, the emulator about 30 s)."""
    starting = 0
    for path in DOCUMENTS:
        for lines in bash_blocks(path):
            steps = commands(lines)
            for index, line in enumerate(steps):
                if BACKGROUND.search(line) and "kill" not in line:
                    starting += 1
                    following = steps[index + 1] if index + 1 < len(steps) else ""
                    assert READINESS.search(following), f"{path.name}: no wait after {line!r}"
    assert starting >= 5  # README (demo, emulator), quickstart, firebase.md


def test_a_server_started_by_a_block_is_stopped_later_in_the_same_document():
    """Pasted in order, a document's blocks leave nothing running (the next document's
    blocks use the same ports)."""
    for path in DOCUMENTS:
        steps = [step for lines in bash_blocks(path) for step in commands(lines)]
        for index, line in enumerate(steps):
            match = BACKGROUND.search(line)
            if match and match.group(1):
                variable = match.group(1).split("=")[0].strip()
                assert any(
                    later.startswith("kill") and f"${variable}" in later
                    for later in steps[index + 1 :]
                ), f"{path.name}: ${variable} is started but never stopped"


def test_the_docs_never_install_an_unpinned_trachea_login_from_the_index():
    """``pip install trachea-login`` picks 0.1.9 (a different code base) until 0.2.0 is on
    PyPI: the docs install from a checkout, or ask for ``>=0.2``."""
    unpinned = re.compile(r"pip install ['\"]?trachea-login(\[[\w,]+\])?['\"]?(\s|$|`)")
    for path in DOCUMENTS:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if unpinned.search(line) and "installs 0.1.9" not in line:
                raise AssertionError(f"{path.name}:{number}: {line.strip()}")
