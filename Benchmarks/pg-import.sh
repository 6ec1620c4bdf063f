#!/usr/bin/env bash
# PostgreSQL writes next to ../shared/bench/pg-limit in one run (issue 16):
#   - pg-limit ROWS 1000 100000: COPY of fix rows (8 columns) into a day-partitioned table, 100,000 a transaction,
#     on a throwaway durable server of its own;
#   - orbita bench store --db postgres://…: the same number of fleet-interleaved rows (1,000 vehicles, 100,000 a
#     transaction) through Orbita's store, written by COPY straight into the partitioned table (the default) and,
#     for comparison, as column arrays through INSERT … SELECT FROM unnest … ON CONFLICT (--pg-write arrays);
#   - orbita bench import: the 2,000,000-line fleet log, file to committed rows (156,192 fixes);
#   - the same store and import into SQLite, for the two backends side by side.
# usage: Benchmarks/pg-import.sh [ROWS]   (default 2,000,000; make release first)
set -euo pipefail
if [ -z "${ORBITA_BENCH_POSTGRES:-}" ]; then
  exec env PG_DURABLE=1 ORBITA_BENCH_POSTGRES=from-script "$(dirname "$0")/../scripts/with-postgres.sh" "$0" "$@"
fi
[ "$ORBITA_BENCH_POSTGRES" = from-script ] && ORBITA_BENCH_POSTGRES=$ORBITA_TEST_POSTGRES
source "$(dirname "$0")/fleet-log.sh"
rows=${1:-2000000}
database() {
  psql -X -q "$ORBITA_BENCH_POSTGRES" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
  echo "$ORBITA_BENCH_POSTGRES" | sed "s#/[^/]*\$#/$1#"
}
if [ -x ../shared/bench/pg-limit ] || [ -f ../shared/bench/pg-limit ]; then
  bash ../shared/bench/pg-limit "$rows" 1000 100000 | sed 's/^/anchor: /'
fi
for method in copy arrays; do
  "$orbita" bench store --rows "$rows" --vehicles 1000 --batch 100000 --db "$(database store_$method)" \
    --pg-write "$method" | sed "s/^/postgres $method: /"
done
"$orbita" bench store --rows "$rows" --vehicles 1000 --batch 100000 | sed 's/^/sqlite: /'
"$orbita" bench import "$file" --db "$(database import_bench)" | sed 's/^/postgres: /'
"$orbita" bench import "$file" | sed 's/^/sqlite: /'
