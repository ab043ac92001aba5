#!/usr/bin/env bash
# The end-to-end tests drive Debian's Chromium through playwright-core (no
# browser download). Installs it with apt-get when missing and we may; else
# says exactly what to do.
set -euo pipefail
bin="${WHEELHOUSE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$bin" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "e2e: installing Debian's chromium (apt-get install chromium)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null; }
  [ -x "$bin" ] && exit 0
fi
echo "e2e: Chromium not found at $bin. Install it (Debian: sudo apt-get install chromium) or set WHEELHOUSE_CHROMIUM to its path." >&2
exit 1
