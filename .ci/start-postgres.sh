#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the test suite and prints its URL.
# Usage: eval "$(bash .ci/start-postgres.sh)"   (sets SLUICE_TEST_DATABASE_URL and SLUICE_PG_DATA)
# PostgreSQL refuses to run as root, so as root the cluster is owned by the `postgres` user.
set -euo pipefail
port="${SLUICE_PG_PORT:-55432}"
data="$(mktemp -d /tmp/sluice-pg.XXXXXX)"
as_owner=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$data"
  as_owner=(runuser -u postgres --)
fi
"${as_owner[@]}" initdb -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$data.initdb.log" 2>&1
"${as_owner[@]}" pg_ctl -D "$data" -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off" -l "$data.log" -w start >/dev/null
echo "export SLUICE_PG_DATA='$data'"
echo "export SLUICE_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$port/postgres'"
