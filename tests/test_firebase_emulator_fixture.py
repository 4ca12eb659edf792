"""The Auth emulator fixture: free ports of its own, never anyone else's emulator, nothing left
running afterwards (tests/firebase_emulator.py).

The failure paths run firebase-tools' place with small stand-in programs: what is tested
there is how we start, wait for and stop a process tree, not Firebase.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.firebase_emulator import (
    CONFIG_NAME,
    EMULATOR_HOST_ENV,
    HOST,
    REPO_ROOT,
    EmulatorClient,
    EmulatorError,
    EmulatorPorts,
    ProcessGroup,
    emulator_answers,
    start_emulator,
    use_emulator,
)

PASSWORD = "secret-password-1"
BOUND_WAIT_SECONDS = 30.0  # how long a test waits for processes to go before it looks


def new_email() -> str:
    return f"fixture-{uuid.uuid4().hex[:12]}@example.com"


def live_members(pgid: int) -> list[int]:
    """The processes of group ``pgid`` that still run (zombies, already dead, excluded)."""
    listing = subprocess.run(  # noqa: S603 - fixed argv
        ["ps", "-A", "-o", "pid=,pgid=,stat="],  # noqa: S607 - ps from PATH
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    members = []
    for line in listing.splitlines():
        pid, group, stat = line.split(maxsplit=2)
        if int(group) == pgid and not stat.startswith("Z"):
            members.append(int(pid))
    return members


def wait_until_gone(pgid: int) -> list[int]:
    """Wait (bounded) for group ``pgid`` to have no live process; return what is left."""
    deadline = time.monotonic() + BOUND_WAIT_SECONDS
    while (left := live_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def stand_in(tmp_path: Path, body: str) -> Path:
    """An executable that takes firebase-tools' place: ``body`` runs as Python, after
    writing its process group to ``pgid`` in its working directory (the run's directory)."""
    script = tmp_path / "stand-in-firebase"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, signal, subprocess, sys, time\n"
        "open('pgid', 'w').write(str(os.getpgrp()))\n" + textwrap.dedent(body),
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


# A child that ignores SIGTERM, so only SIGKILL of the whole group stops it.
STUBBORN_CHILD = """
subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"])
"""


@pytest.fixture
def kept_logs() -> Iterator[list[Path]]:
    """Directories of failed starts (kept on purpose), removed after the test."""
    dirs: list[Path] = []
    yield dirs
    for path in dirs:
        shutil.rmtree(path, ignore_errors=True)


def test_the_environment_names_the_emulator_this_run_started(
    firebase_emulator: EmulatorClient,
) -> None:
    assert os.environ[EMULATOR_HOST_ENV] == firebase_emulator.host
    host, port = firebase_emulator.host.split(":")
    assert host == HOST and emulator_answers(host, int(port))
    uid, _ = firebase_emulator.sign_in_anonymously()
    assert firebase_emulator.get_user(uid)["localId"] == uid


def test_picked_ports_are_distinct_and_free() -> None:
    ports = EmulatorPorts.pick()
    assert len(set(ports.all())) == len(ports.all()) == 3
    for port in ports.all():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, port))  # raises if anything holds it


def test_a_second_emulator_runs_beside_the_first_and_stops_completely(
    firebase_emulator: EmulatorClient,
) -> None:
    first_uid, _ = firebase_emulator.sign_up(new_email(), PASSWORD)
    session_host = os.environ[EMULATOR_HOST_ENV]

    with start_emulator() as second:
        assert second.host != firebase_emulator.host
        config = json.loads((second.run_dir / CONFIG_NAME).read_text(encoding="utf-8"))
        assert config["emulators"]["auth"]["port"] == second.ports.auth
        assert config["emulators"]["hub"]["port"] == second.ports.hub
        assert config["emulators"]["logging"]["port"] == second.ports.logging
        assert not second.run_dir.is_relative_to(REPO_ROOT)
        with use_emulator(second) as client:
            assert os.environ[EMULATOR_HOST_ENV] == second.host
            with pytest.raises(EmulatorError):
                client.get_user(first_uid)  # a world of its own
            second_uid, _ = client.sign_up(new_email(), PASSWORD)
        assert os.environ[EMULATOR_HOST_ENV] == session_host
        pgid = second.group.pgid
        assert live_members(pgid)

    assert wait_until_gone(pgid) == []
    assert not emulator_answers(HOST, second.ports.auth)
    assert not second.run_dir.exists()
    # Starting and stopping another emulator neither cleared nor stopped the session's.
    assert firebase_emulator.get_user(first_uid)["localId"] == first_uid
    with pytest.raises(EmulatorError):
        firebase_emulator.get_user(second_uid)


class _ReadyEmulatorLookalike(BaseHTTPRequestHandler):
    """Answers every request as a ready Auth emulator would, and records it."""

    def do_GET(self) -> None:
        self.server.requests.append(f"GET {self.path}")  # type: ignore[attr-defined]
        body = json.dumps({"authEmulator": {"ready": True}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_DELETE(self) -> None:
        self.server.requests.append(f"DELETE {self.path}")  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_emulator_this_run_did_not_start_is_never_used_or_cleared(
    kept_logs: list[Path],
) -> None:
    foreign = ThreadingHTTPServer((HOST, 0), _ReadyEmulatorLookalike)
    foreign.requests = []  # type: ignore[attr-defined]
    threading.Thread(target=foreign.serve_forever, daemon=True).start()
    try:
        port = foreign.server_address[1]
        picked = EmulatorPorts.pick()
        ports = EmulatorPorts(auth=port, hub=picked.hub, logging=picked.logging)

        with pytest.raises(EmulatorError) as caught:
            start_emulator(ports=ports)
        assert caught.value.log_dir is not None
        kept_logs.append(caught.value.log_dir)

        assert "port taken" in str(caught.value) and str(port) in str(caught.value)
        assert foreign.requests == []  # type: ignore[attr-defined]
    finally:
        foreign.shutdown()
        foreign.server_close()


def test_a_start_that_fails_shows_the_output_and_keeps_the_logs(
    tmp_path: Path, kept_logs: list[Path]
) -> None:
    bin_path = stand_in(
        tmp_path, "print('stand-in firebase: cannot start', flush=True)\nsys.exit(3)\n"
    )

    with pytest.raises(EmulatorError) as caught:
        start_emulator(timeout=60, firebase_bin=bin_path)
    log_dir = caught.value.log_dir
    assert log_dir is not None
    kept_logs.append(log_dir)

    message = str(caught.value)
    assert "exited with status 3" in message
    assert "stand-in firebase: cannot start" in message
    assert str(log_dir) in message
    assert "cannot start" in (log_dir / "emulator.log").read_text(encoding="utf-8")
    assert wait_until_gone(int((log_dir / "pgid").read_text())) == []


def test_a_start_that_never_gets_ready_is_bounded_and_leaves_nothing_running(
    tmp_path: Path, kept_logs: list[Path]
) -> None:
    bin_path = stand_in(
        tmp_path,
        STUBBORN_CHILD + "print('stand-in firebase: starting', flush=True)\ntime.sleep(120)\n",
    )

    with pytest.raises(EmulatorError) as caught:
        start_emulator(timeout=3, firebase_bin=bin_path)
    log_dir = caught.value.log_dir
    assert log_dir is not None
    kept_logs.append(log_dir)

    assert "did not answer" in str(caught.value) and "within 3 s" in str(caught.value)
    assert "stand-in firebase: starting" in str(caught.value)
    assert wait_until_gone(int((log_dir / "pgid").read_text())) == []


def test_stopping_a_process_group_stops_its_children_too(tmp_path: Path) -> None:
    bin_path = stand_in(tmp_path, STUBBORN_CHILD + "time.sleep(120)\n")
    group = ProcessGroup(
        [str(bin_path)], cwd=tmp_path, env=dict(os.environ), log_path=tmp_path / "log", grace=1
    )
    try:
        deadline = time.monotonic() + BOUND_WAIT_SECONDS
        while len(live_members(group.pgid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)  # watchdog, stand-in and its child
        assert len(live_members(group.pgid)) == 3
    finally:
        group.stop()

    assert wait_until_gone(group.pgid) == []
    assert group.poll() is not None


def test_the_emulator_stops_when_the_test_process_is_killed(tmp_path: Path) -> None:
    bin_path = stand_in(tmp_path, STUBBORN_CHILD + "time.sleep(120)\n")
    owner_source = textwrap.dedent(
        f"""
        import os, sys, time
        from pathlib import Path
        sys.path.insert(0, {str(REPO_ROOT)!r})
        from tests.firebase_emulator import ProcessGroup
        tmp = Path({str(tmp_path)!r})
        group = ProcessGroup([{str(bin_path)!r}], cwd=tmp, env=dict(os.environ),
                             log_path=tmp / "log", grace=1)
        print(group.pgid, flush=True)
        time.sleep(120)
        """
    )
    owner = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-c", owner_source], stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None
        pgid = int(owner.stdout.readline())
        deadline = time.monotonic() + BOUND_WAIT_SECONDS
        while len(live_members(pgid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(live_members(pgid)) == 3

        owner.send_signal(signal.SIGKILL)  # no finally, no teardown: only the pipe closes
        owner.wait(timeout=BOUND_WAIT_SECONDS)

        assert wait_until_gone(pgid) == []
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
