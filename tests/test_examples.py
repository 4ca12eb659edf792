"""The example product app (``examples/shop``) and its own test suite, which is written on
``trachea_login.testing``: run as a product would run it, in a pytest process of its own with
its own configuration (``examples/shop/pyproject.toml``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop"


def test_the_example_shop_passes_its_own_tests():
    env = {name: value for name, value in os.environ.items() if not name.startswith("TRACHEA_")}
    result = subprocess.run(  # noqa: S603 - our own interpreter, our own example
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=SHOP,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) >= 9, result.stdout[-2000:]
    assert " failed" not in result.stdout and "skipped" not in result.stdout
