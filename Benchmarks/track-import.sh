#!/usr/bin/env bash
# Import throughput next to the SQLite insert limit, in one run (issue 3):
#   - orbita bench pipeline: decoded fixes through the position pipeline, projection on (one core)
#   - orbita bench store:    the same number of fix rows into a new database, batches of 10,000 (storage alone)
#   - orbita bench import:   the 2M-line fleet log, file to committed rows, end to end
#   - ../shared/bench/sqlite-limit ROWS: C, one prepared INSERT of 8-column rows, same batches, same row count
# usage: Benchmarks/track-import.sh     (run `make release` first; `make bench` runs this too)
set -euo pipefail
source "$(dirname "$0")/fleet-log.sh"

pipeline=$("$orbita" bench pipeline "$file" --runs 5 | grep '^bench=pipeline')
echo "$pipeline"
import=$("$orbita" bench import "$file")
echo "$import"
rows=$(echo "$import" | sed -n 's/.*fixes_stored=\([0-9]*\).*/\1/p')
store=$("$orbita" bench store --rows "$rows")
echo "$store"
if [ -f ../shared/bench/sqlite-limit ]; then
  limit=$(bash ../shared/bench/sqlite-limit "$rows" | tail -1)
  echo "$limit"
  awk -v i="$(echo "$import" | sed -n 's/.*fixes_per_s=\([0-9]*\).*/\1/p')" \
      -v s="$(echo "$store" | sed -n 's/.*rows_per_s=\([0-9]*\).*/\1/p')" \
      -v l="$(echo "$limit" | sed -n 's/.*rows_per_s=\([0-9]*\).*/\1/p')" \
      -v p="$(echo "$pipeline" | sed -n 's/.*fixes_per_s=\([0-9]*\).*/\1/p')" 'BEGIN {
    printf "| measure | per second | ratio |\n|---|---|---|\n"
    printf "| SQLite insert limit (C, 8 columns) | %.0f k rows | 1 |\n", l / 1e3
    printf "| Orbita storage alone (22 columns, constraints) | %.0f k rows | %.0f%% of the limit |\n", s / 1e3, 100 * s / l
    printf "| Orbita import, file to committed rows | %.0f k fixes | %.0f%% of the limit |\n", i / 1e3, 100 * i / l
    printf "| Orbita pipeline alone (projection on, one core) | %.2f M fixes | - |\n", p / 1e6
  }'
else
  echo "../shared/bench absent: the SQLite limit was not measured"
fi
