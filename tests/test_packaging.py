"""What pyproject.toml declares is what CI tests: every Python version classified is in the
workflow's matrix, the lowest one also runs the lowest declared dependency versions, and every
runtime dependency has a lower bound that job can pin."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = (ROOT / "pyproject.toml").read_text()
WORKFLOW = (ROOT / ".github" / "workflows" / "ci.yml").read_text()


def classified_pythons() -> list[str]:
    return re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT)


def job(name: str) -> str:
    """The text of one job of the workflow (up to the next job)."""
    match = re.search(rf"^  {name}:\n(.*?)(?=^  \S|\Z)", WORKFLOW, re.MULTILINE | re.DOTALL)
    assert match, f"no job {name!r} in ci.yml"
    return match.group(1)


def test_requires_python_has_no_upper_bound_and_starts_at_the_lowest_classified_version():
    """An upper bound would make pip on a newer Python fall back to a release without one:
    trachea-login 0.1.9, a different code base."""
    declared = re.search(r'^requires-python = "(.*)"$', PYPROJECT, re.MULTILINE).group(1)
    assert declared == f">={classified_pythons()[0]}"


def test_every_classified_python_is_tested_and_3_14_is_among_them():
    matrix = re.search(r"python-version: \[(.*?)\]", job("test")).group(1)
    tested = re.findall(r'"(3\.\d+)"', matrix)
    assert tested == classified_pythons()
    assert tested[0] == "3.10" and "3.14" in tested


def test_the_lowest_versions_job_runs_on_the_lowest_python_and_gates_the_build():
    lowest = job("test-lowest-versions")
    assert f'python-version: "{classified_pythons()[0]}"' in lowest
    assert "bash scripts/test-lowest" in lowest
    assert "test-lowest-versions" in re.search(r"needs: \[(.*?)\]", job("build")).group(1)


def test_every_runtime_dependency_has_a_lower_bound_to_pin():
    result = subprocess.run(  # noqa: S603 - a script of the repository
        [sys.executable, str(ROOT / "scripts" / "lowest_constraints.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pins = result.stdout.split()
    assert all(re.fullmatch(r"[\w.-]+==[\w.]+", pin) for pin in pins), pins
    assert {"fastapi", "pydantic", "pymongo"} <= {pin.split("==")[0] for pin in pins}
