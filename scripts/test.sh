#!/usr/bin/env bash
# The whole test suite: installs the system packages the real-service tests need when missing,
# then typechecks, lints and runs every unit and integration test. Used by `npm test` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# A real headless browser for the HTML view's tests (driven by playwright-core at /usr/bin/chromium).
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  cmd="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing ${need[*]} (Debian packages) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing ${need[*]} with sudo ..." >&2
    sudo env DEBIAN_FRONTEND=noninteractive sh -c "$cmd" >&2
  else
    echo "test: missing ${need[*]}; install with: sudo sh -c '$cmd'" >&2
    exit 1
  fi
fi

echo "test: build (dist/cli.mjs)" >&2
node scripts/build.mjs
echo "test: typecheck" >&2
npx tsc -p tsconfig.json --noEmit
echo 'test: lint (eslint) and format (prettier --check; npm run format fixes it)' >&2
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --list-different .; echo "test: files not formatted: run npm run format" >&2; exit 1; }
echo "test: vitest" >&2
npx vitest run "$@"
