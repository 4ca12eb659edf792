"""``scripts/newcomer``: a new user's path, run whole (contract §7, issue 13's "Shown by").

A fresh virtualenv, ``pip install 'CHECKOUT[embedded]' uvicorn``, a product app configured only
by ``TRACHEA_*`` variables on ``mongomock://``, a registered user and a protected route, with
nothing of the repository but the package. It needs the package index (as any pip install);
the run is bounded by a timeout, and pip's own cache makes later runs faster.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "newcomer"
TIMEOUT_SECONDS = 900  # a cold pip cache on a busy two-core machine takes a few minutes


def test_a_newcomer_gets_from_a_fresh_virtualenv_to_a_protected_route(tmp_path):
    environment = {**os.environ, "PYTHON": sys.executable, "TMPDIR": str(tmp_path)}
    # What this test process has set must not help the newcomer: the script unsets these.
    environment.update(TRACHEA_MONGO_URI="mongodb://127.0.0.1:1", TRACHEA_APP_ID="not-this")

    result = subprocess.run(  # noqa: S603 - a fixed script of the repository
        ["bash", str(SCRIPT)],  # noqa: S607
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )

    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "newcomer: installed: trachea-login 0.2" in result.stdout, report
    assert '{"hello":"newcomer","role":"member","plan":"free"}' in result.stdout, report
    assert "newcomer: OK: zero to the protected route in" in result.stdout, report
    assert not any(tmp_path.iterdir()), "the temporary directory was not removed"
