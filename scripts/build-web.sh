#!/usr/bin/env bash
# Builds the dashboard (web/ -> web/dist) when web/dist is missing or older than any
# of its sources, so `npm start` and `npm test` always serve the current dashboard.
# Quiet when the build is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

# One build at a time (parallel test workers and cdk synth may all ask): the others
# wait here and then find the build up to date.
# (flock is util-linux; where it is missing, builds are simply not serialized.)
if command -v flock >/dev/null 2>&1; then
  exec 9>web/.build-web.lock
  flock 9
fi

stamp=web/dist/index.html
if [ -f "$stamp" ] && [ -z "$(find web/src web/public web/index.html web/vite.config.ts package-lock.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  exit 0
fi
echo "build-web: building the dashboard (web/dist)" >&2
npx --no-install vite build web --logLevel warn >&2
