#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need on a fresh machine: Debian packages
# (RPM toolchain, gpg, bubblewrap and slirp4netns for the build sandbox, Java for
# DynamoDB Local (and javac for its loopback-only launcher, functions/local/dynamodb-loopback/),
# Chromium for browser tests) and the npm dependencies pinned by package-lock.json.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# command-to-package map: one command per Debian package proves it is installed.
declare -A NEED=(
  [rpmbuild]=rpm [rpmsign]=rpm [createrepo_c]=createrepo-c [dnf]=dnf
  [gpg]=gnupg [bwrap]=bubblewrap [java]=openjdk-17-jre-headless [javac]=openjdk-17-jdk-headless
  [chromium]=chromium [git]=git [make]=make [cpio]=cpio [rpm2cpio]=rpm2cpio [wget]=wget
  [slirp4netns]=slirp4netns
  # the e2e tests mirror published repositories with lftp, as users' mirroring scripts do
  [lftp]=lftp
  # Local builds: C toolchain, -debuginfo/-debugsource (find-debuginfo + eu-strip), gdb-add-index
  [gcc]=gcc [find-debuginfo]=debugedit [eu-strip]=elfutils [gdb-add-index]=gdb
  # host stand-ins for python3-devel (PyPI builds' generated spec)
  [python3-config]=python3-dev
)
missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}")
done
# dnf copr plugin and config-manager live in dnf-plugins-core (no command of its own)
[ -d /usr/lib/python3/dist-packages/dnf-plugins ] || missing+=(dnf-plugins-core)
# python3-setuptools (PyPI builds' generated spec) has no command either
[ -f /usr/lib/python3/dist-packages/setuptools/__init__.py ] || missing+=(python3-setuptools)
# tito (scripts/ensure-tito.sh) runs on the system python3 with its rpm bindings, installed by pip
[ -f /usr/lib/python3/dist-packages/rpm/__init__.py ] || missing+=(python3-rpm)
[ -f /usr/lib/python3/dist-packages/pip/__init__.py ] || missing+=(python3-pip)

if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" = 0 ]; then
    echo "ensure-deps: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "ensure-deps: missing Debian packages: ${missing[*]}" >&2
    echo "ensure-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# npm dependencies: install when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-deps: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'nodedir' >&2 || true
  [ -d node_modules ] || { echo "ensure-deps: npm ci failed" >&2; exit 1; }
fi
bash scripts/ensure-py.sh
bash scripts/ensure-tito.sh
