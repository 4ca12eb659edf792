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
