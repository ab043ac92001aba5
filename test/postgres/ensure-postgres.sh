#!/usr/bin/env bash
# Store tests start their own throw-away PostgreSQL 15 server (test/postgres).
# Installs Debian's postgresql-15 when missing and we may — without the "main"
# cluster and service the package would otherwise create — else says what to do.
# (test/postgres/src/install.ts does the same when tests start, as a fallback.)
set -euo pipefail
bin="${WHEELHOUSE_PG_BIN:-/usr/lib/postgresql/15/bin}"
if [ -x "$bin/initdb" ] && [ -x "$bin/postgres" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "test-postgres: installing Debian's postgresql-15 (apt-get install postgresql-15)…" >&2
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common
    printf '# Wheelhouse tests start their own throw-away servers.\ncreate_main_cluster = false\n' >/etc/postgresql-common/createcluster.conf
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends postgresql-15 >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends postgresql-15 >/dev/null; }
  [ -x "$bin/initdb" ] && exit 0
fi
echo "test-postgres: PostgreSQL 15 not found at $bin. Install it (Debian: sudo apt-get install postgresql-15) or set WHEELHOUSE_PG_BIN." >&2
exit 1
