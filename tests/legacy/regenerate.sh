#!/usr/bin/env bash
# Regenerates tests/legacy/fixtures/0.1.9/ with trachea-login 0.1.x's own code (README.md here).
# Makes (once) a virtualenv outside the project's .venv with trachea-login 0.1.9 from PyPI and the
# pinned dependencies, unpacks the 0.1.2 and 0.1.3 wheels beside it (checked against the hashes
# below), then runs make_fixtures.py. Regenerating with the same pins gives the same files.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${LEGACY_VENV:-.legacy-venv}
PYTHON=${PYTHON:-python3}
OLD="$VENV/old-versions"
declare -A WHEEL_SHA256=(
  [0.1.2]=f79cb55476b4b4923ad5223b8beeeeda72f02eb7a37395f91615b1ef8077cd9d
  [0.1.3]=a1dad052ff2646accb4f6b7c105f7fef173107657ab98e6b51a410a2d1f45aec
)
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --quiet)

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"${PIP[@]}" install -r tests/legacy/requirements-legacy.txt

for version in 0.1.2 0.1.3; do
  wheel="$OLD/wheels/trachea_login-$version-py3-none-any.whl"
  if [ ! -f "$wheel" ]; then
    "${PIP[@]}" download --no-deps --only-binary :all: --dest "$OLD/wheels" "trachea-login==$version"
  fi
  echo "${WHEEL_SHA256[$version]}  $wheel" | sha256sum --check --quiet
  rm -rf "$OLD/$version"
  "$VENV/bin/python" -m zipfile -e "$wheel" "$OLD/$version"
done

"$VENV/bin/python" tests/legacy/make_fixtures.py --old-versions "$OLD" --out tests/legacy/fixtures/0.1.9
