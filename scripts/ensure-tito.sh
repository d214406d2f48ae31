#!/usr/bin/env bash
# Installs tito (PyPI, pinned) for the local builder's `scm --method tito` builds into
# .builder-tools/tito/, for the system python3 (/usr/bin/python3), whose Debian python3-rpm
# bindings tito needs. The agent copies it into each tito build's sandboxed work dir
# (builder-ami/agent/srpm/tito.ts). Idempotent and quiet when the pinned version is there.
set -euo pipefail
cd "$(dirname "$0")/.."
TITO_VERSION=0.6.26
DEST=.builder-tools/tito
STAMP="$DEST/.installed-$TITO_VERSION"
[ -f "$STAMP" ] && exit 0
echo "ensure-tito: installing tito $TITO_VERSION into $DEST" >&2
rm -rf "$DEST"
/usr/bin/python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --target "$DEST" "tito==$TITO_VERSION" 2>&1 \
  | grep -v "Running pip as the 'root' user" >&2 || true
[ -x "$DEST/bin/tito" ] || { echo "ensure-tito: pip install of tito failed" >&2; exit 1; }
touch "$STAMP"
