#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests (tests/browser).
# Installs it with apt when run as root; otherwise prints one line saying why not and exits 1.
# (Playwright's own browser download needs the network and is never used.)
set -uo pipefail
CHROMIUM="${MLMCOURSE_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: no Chromium at $CHROMIUM and cannot install it (needs root and apt-get); browser tests will be skipped (they fail under CI=true)." >&2
    exit 1
fi
if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 ||
       { apt-get update -q >/dev/null 2>&1 &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }; }; then
    echo "ensure_chromium: 'apt-get install chromium' failed; browser tests will be skipped (they fail under CI=true)." >&2
    exit 1
fi
if [ ! -x "$CHROMIUM" ]; then
    echo "ensure_chromium: apt installed chromium but there is no $CHROMIUM; browser tests will be skipped (they fail under CI=true)." >&2
    exit 1
fi
echo "ensure_chromium: installed $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
