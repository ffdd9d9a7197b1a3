#!/usr/bin/env bash
# Makes crates/permanence-web/assets (the served styles and scripts) and tests/assets (axe-core,
# for the browser tests) again from package-lock.json. The committed files must be exactly what
# this writes: `.ci/run` runs it with --check. Building the server never needs Node.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
web="$(dirname "$here")"
repo="$(cd "$web/../.." && pwd)"
check=false
if [ "${1:-}" = "--check" ]; then check=true; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$here/app.scss" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --silent)

out="$work/out"
mkdir -p "$out/web" "$out/tests"
"$work/node_modules/.bin/sass" --no-source-map --style=compressed \
    --load-path="$work/node_modules" "$work/app.scss" "$out/web/app.css"
cp "$work/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js" "$out/web/"
cp "$work/node_modules/axe-core/axe.min.js" "$out/tests/"
cp "$work/node_modules/axe-core/LICENSE" "$out/tests/LICENSE-axe-core.txt"

if $check; then
    status=0
    for f in app.css govuk-frontend.min.js; do
        cmp -s "$out/web/$f" "$web/assets/$f" || { echo "differs from the lock file's build: crates/permanence-web/assets/$f" >&2; status=1; }
    done
    for f in axe.min.js LICENSE-axe-core.txt; do
        cmp -s "$out/tests/$f" "$repo/tests/assets/$f" || { echo "differs from the lock file's build: tests/assets/$f" >&2; status=1; }
    done
    [ "$status" -eq 0 ] && echo "front-end assets: identical to a fresh build from package-lock.json"
    exit "$status"
fi
cp "$out/web/"* "$web/assets/"
mkdir -p "$repo/tests/assets"
cp "$out/tests/"* "$repo/tests/assets/"
echo "front-end assets written from package-lock.json"
