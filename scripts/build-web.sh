#!/usr/bin/env bash
# Builds the dashboard (web/ -> web/dist) when web/dist is missing or older than any
# of its sources, so `npm start` and `npm test` always serve the current dashboard.
# Quiet when the build is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=web/dist/index.html
if [ -f "$stamp" ] && [ -z "$(find web/src web/public web/index.html web/vite.config.ts package-lock.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  exit 0
fi
echo "build-web: building the dashboard (web/dist)" >&2
npx --no-install vite build web --logLevel warn >&2
