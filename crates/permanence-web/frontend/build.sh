#!/usr/bin/env bash
# Makes crates/permanence-web/assets (the served styles and scripts, and GraphiQL's in
# assets/graphiql/) and tests/assets (axe-core, for the browser tests) again from
# package-lock.json. The committed files must be exactly what this writes: `.ci/run` runs it
# with --check. Building the server never needs Node.
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
mkdir -p "$out/web" "$out/graphiql" "$out/tests"
"$work/node_modules/.bin/sass" --no-source-map --style=compressed \
    --load-path="$work/node_modules" "$work/app.scss" "$out/web/app.css"
cp "$work/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js" "$out/web/"
# GraphiQL's UMD build (React and ReactDOM are loaded beside it, as globals), each package's
# licence beside its files. React 18 is the last React with UMD builds.
cp "$work/node_modules/graphiql/graphiql.min.js" "$work/node_modules/graphiql/graphiql.min.css" "$out/graphiql/"
cp "$work/node_modules/graphiql/LICENSE" "$out/graphiql/LICENSE-graphiql.txt"
cp "$work/node_modules/react/umd/react.production.min.js" "$out/graphiql/"
cp "$work/node_modules/react/LICENSE" "$out/graphiql/LICENSE-react.txt"
cp "$work/node_modules/react-dom/umd/react-dom.production.min.js" "$out/graphiql/"
cp "$work/node_modules/react-dom/LICENSE" "$out/graphiql/LICENSE-react-dom.txt"
cp "$work/node_modules/axe-core/axe.min.js" "$out/tests/"
cp "$work/node_modules/axe-core/LICENSE" "$out/tests/LICENSE-axe-core.txt"

if $check; then
    status=0
    for f in app.css govuk-frontend.min.js; do
        cmp -s "$out/web/$f" "$web/assets/$f" || { echo "differs from the lock file's build: crates/permanence-web/assets/$f" >&2; status=1; }
    done
    for f in graphiql.min.js graphiql.min.css LICENSE-graphiql.txt react.production.min.js \
        LICENSE-react.txt react-dom.production.min.js LICENSE-react-dom.txt; do
        cmp -s "$out/graphiql/$f" "$web/assets/graphiql/$f" || { echo "differs from the lock file's build: crates/permanence-web/assets/graphiql/$f" >&2; status=1; }
    done
    for f in axe.min.js LICENSE-axe-core.txt; do
        cmp -s "$out/tests/$f" "$repo/tests/assets/$f" || { echo "differs from the lock file's build: tests/assets/$f" >&2; status=1; }
    done
    [ "$status" -eq 0 ] && echo "front-end assets: identical to a fresh build from package-lock.json"
    exit "$status"
fi
cp "$out/web/"* "$web/assets/"
mkdir -p "$web/assets/graphiql"
cp "$out/graphiql/"* "$web/assets/graphiql/"
mkdir -p "$repo/tests/assets"
cp "$out/tests/"* "$repo/tests/assets/"
echo "front-end assets written from package-lock.json"
