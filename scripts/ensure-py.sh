#!/usr/bin/env bash
# Installs the pinned Python test tools (requirements-test.txt: the official copr-cli and
# python-copr clients, moto's server mode, cfn-lint) into the project-local venv .venv-test/.
# Idempotent and quiet: reinstalls only when the requirements file is newer than the venv.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-test
STAMP="$VENV/.installed"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" || { echo "ensure-py: python3 -m venv failed (install python3-venv)" >&2; exit 1; }
fi
if [ ! -f "$STAMP" ] || [ requirements-test.txt -nt "$STAMP" ]; then
  echo "ensure-py: installing Python test tools into $VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-test.txt >&2
  touch "$STAMP"
fi
