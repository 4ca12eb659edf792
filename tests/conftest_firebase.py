"""The ``firebase_emulator`` session fixture: a Firebase Auth emulator of this test run's own.

Use it from the main conftest with ``from tests.conftest_firebase import *`` or
``pytest_plugins = ["tests.conftest_firebase"]``. The emulator listens on free ports of
127.0.0.1 chosen for this run (see :func:`tests.firebase_emulator.start_emulator`), so other
test runs on the machine, and emulators started by hand, are never used or cleared. While it
is active, ``FIREBASE_AUTH_EMULATOR_HOST`` in ``os.environ`` names it, so every firebase_admin
app in the process (ours and the product's) talks to it. It fails (never skips) when
firebase-tools is not installed: run ``npm ci`` first.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.firebase_emulator import EmulatorClient, EmulatorError, run_emulator

__all__ = ["firebase_emulator"]


@pytest.fixture(scope="session")
def firebase_emulator() -> Iterator[EmulatorClient]:
    """The Auth emulator for project ``demo-trachea``, started empty for this run; stopped,
    process tree and all, when the session ends (also after failures and Ctrl-C)."""
    try:
        with run_emulator() as client:
            yield client
    except EmulatorError as exc:  # raised while starting: tests test nothing without it
        pytest.fail(str(exc), pytrace=False)
