#!/usr/bin/env bash
# Soak (issue 5): orbita serve under a steady load for a long run, its memory sampled every 10 s.
#   10,000 vehicles (registered, a route each), 1,000 fences, UDP at RATE Hz for SECONDS; prints per sample the
#   server's resident memory (VmRSS), fixes committed and the queue depth, then sent / received / stored / lost.
#   HISTORY_ROWS=N first fills the database with N fixes of another 10,000 vehicles (orbita bench history: 10 s apart,
#   batches of 100,000) so that the soak runs on a database with a history behind it.
# usage: Benchmarks/soak.sh [sqlite|postgres] [SECONDS] [RATE_HZ]   (default sqlite, 300 s at 5 Hz; make release first)
set -euo pipefail
backend=sqlite
case "${1:-}" in sqlite | postgres) backend=$1; shift ;; esac
if [ "$backend" = postgres ] && [ -z "${ORBITA_TEST_POSTGRES:-}" ]; then
  exec env PG_DURABLE=1 "$(dirname "$0")/../scripts/with-postgres.sh" "$0" postgres "$@"
fi
source "$(dirname "$0")/fleet-log.sh"
seconds=${1:-300}; rate=${2:-5}
source Benchmarks/live-fleet.sh
if [ "$backend" = postgres ]; then
  psql -X -q "$ORBITA_TEST_POSTGRES" -c "DROP DATABASE IF EXISTS soak" -c "CREATE DATABASE soak"
  db=$(echo "$ORBITA_TEST_POSTGRES" | sed 's#/[^/]*$#/soak#')
else
  db="$work/soak.sqlite"; rm -f "$db" "$db-wal" "$db-shm"
fi
if [ "${HISTORY_ROWS:-0}" -gt 0 ]; then
  "$orbita" bench history --db "$db" --rows "$HISTORY_ROWS" --chunk 10000000 --batch 100000 --queries 0 \
    | sed 's/^/history: /'
fi
live_fleet_db "$db"
out="$work/soak-serve.out"
"$orbita" serve --db "$db" --udp 127.0.0.1:0 --tcp off --http 127.0.0.1:0 --device-rate 0 --log-level error ${SERVE_ARGS:-} > "$out" &
server=$!
for _ in $(seq 100); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
udp=$(sed -n 's/.*udp=\([^ ]*\).*/\1/p' "$out"); http=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$out")
metric() { python3 -c "import urllib.request; print(urllib.request.urlopen('http://$http/metrics').read().decode())" |
  awk -v n="$1" '$1 ~ "^"n { s += $NF } END { printf "%d", s }'; }
"$orbita" simulate --to "udp://$udp" --vehicles 10000 --rate "$rate" --duration "$seconds" --geojson "$route" \
  --quiet > "$work/soak-sim.out" &
sim=$!
start=$(date +%s)
echo "soak t_s rss_mib stored queue_depth"
while kill -0 $sim 2>/dev/null; do
  sleep 10
  rss=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' /proc/$server/status)
  echo "soak $(( $(date +%s) - start )) $rss $(metric orbita_fixes_stored_total) $(metric orbita_queue_depth)"
done
wait $sim || true
sleep 3
received=$(metric orbita_ingest_fixes_total); stored=$(metric orbita_fixes_stored_total)
kill -TERM $server; wait $server || true
sent=$(sed -n 's/.*cycles=\([0-9]*\).*/\1/p' "$work/soak-sim.out")
echo "soak done seconds=$seconds rate_hz=$rate sent=$sent received=$received stored=$stored lost=$((sent - received))"
