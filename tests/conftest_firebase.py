"""The ``firebase_emulator`` session fixture: a running Firebase Auth emulator.

Use it from the main conftest with ``from tests.conftest_firebase import *`` or
``pytest_plugins = ["tests.conftest_firebase"]``. While it is active,
``FIREBASE_AUTH_EMULATOR_HOST=127.0.0.1:9099`` is set in ``os.environ``, so every
firebase_admin app in the process (ours and the product's) talks to the emulator.
It fails (never skips) when firebase-tools is not installed: run ``npm ci`` first.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.firebase_emulator import EmulatorClient, EmulatorError, run_emulator

__all__ = ["firebase_emulator"]


@pytest.fixture(scope="session")
def firebase_emulator() -> Iterator[EmulatorClient]:
    """The Auth emulator for project ``demo-trachea`` on 127.0.0.1:9099, emptied at start."""
    try:
        with run_emulator() as client:
            yield client
    except EmulatorError as exc:  # raised while starting: tests test nothing without it
        pytest.fail(str(exc), pytrace=False)
