#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL 15 on loopback, for the test suite and benchmarks:
#   initdb in a temporary folder (as the `postgres` user when run as root: initdb refuses root), trust
#   authentication, a free port from 55432 up, listening on 127.0.0.1 only; then
#   ORBITA_TEST_POSTGRES=postgres://orbita@127.0.0.1:PORT/postgres is exported and the command runs. The server is
#   stopped and its folder removed afterwards, also when the command fails or is interrupted.
# usage: scripts/with-postgres.sh COMMAND [ARGS…]
# Needs the PostgreSQL 15 server binaries (Debian: postgresql-15; `make deps` installs it). PG_BIN overrides where.
set -euo pipefail
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$bin/initdb" ] || { echo "with-postgres: no PostgreSQL server binaries in $bin (apt-get install postgresql-15)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/orbita-pg.XXXXXX")
as=()
if [ "$(id -u)" = 0 ]; then chown postgres "$work"; as=(runuser -u postgres --); fi
port=55432
while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
stop() {
  # Servers of tests' own (PrivatePostgresServer) live under $work too: stopped with it, even after a crash.
  for data in "$work"/data "$work"/private-*/data; do
    [ -d "$data" ] && "${as[@]}" "$bin/pg_ctl" -D "$data" -m immediate stop > /dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM
"${as[@]}" "$bin/initdb" -D "$work/data" -A trust -U orbita -E UTF8 --no-sync > "$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; exit 1; }
# A test server: durability off (fsync, full pages), enough connections for several test processes. PG_DURABLE=1
# (benchmarks): durable, as `../shared/bench/pg-limit` runs its anchor (fsync and synchronous_commit on, 512 MB of
# shared buffers, 4 GB of WAL between checkpoints).
settings="-c fsync=off -c full_page_writes=off -c synchronous_commit=off -c shared_buffers=128MB"
[ "${PG_DURABLE:-0}" = 1 ] && settings="-c synchronous_commit=on -c shared_buffers=512MB -c max_wal_size=4GB"
"${as[@]}" "$bin/pg_ctl" -D "$work/data" -l "$work/log" -w -t 60 \
  -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=500 $settings" \
  start > /dev/null || { cat "$work/log" >&2; exit 1; }
export ORBITA_TEST_POSTGRES="postgres://orbita@127.0.0.1:$port/postgres"
export ORBITA_TEST_POSTGRES_BIN="$bin"
export ORBITA_TEST_POSTGRES_DIR="$work"
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($work)" >&2
status=0
"$@" || status=$?
exit $status
