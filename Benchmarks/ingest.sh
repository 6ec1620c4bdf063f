#!/usr/bin/env bash
# Live ingest, the server measured as alone as this machine allows (issues 5 and 16):
#   - ../shared/bench/udp-limit: C sendmmsg → recvmmsg, 2,000,000 datagrams of 100 bytes (the machine's ceiling);
#   - orbita serve (release) on SQLite or PostgreSQL, with 1,000 geofences (the anchors' polygons) and a route
#     assigned to each of 10,000 vehicles, fed by Benchmarks/udp-replay (C, sendmmsg of pre-rendered cycles: the
#     sender costs little, so the server gets the machine) at rising rates, for two traffic mixes:
#       full     RMC VTG GGA GSA GSV, ≈ 780 bytes a cycle (a multi-constellation receiver's whole output)
#       rmc-gga  RMC and GGA, ≈ 170 bytes a cycle (what most deployed trackers send)
#   - per run: cycles sent, fixes received, stored, lost; the drain after the sender stopped; committed fixes/s; and
#     the server's own CPU (user + system, all threads, from /proc/PID/stat) per million fixes committed.
# usage: Benchmarks/ingest.sh [sqlite|postgres] [SECONDS_PER_RATE] [RATE_HZ ...]
#        (default sqlite, 20 s, 6 8 10 12 Hz × 10,000 vehicles; MIXES="rmc-gga full"; make release first)
# PostgreSQL: a throwaway durable server (fsync and synchronous_commit on) from scripts/with-postgres.sh unless
# ORBITA_BENCH_POSTGRES names an admin URL of one.
set -euo pipefail
backend=sqlite
case "${1:-}" in sqlite | postgres) backend=$1; shift ;; esac
if [ "$backend" = postgres ] && [ -z "${ORBITA_BENCH_POSTGRES:-}" ]; then
  if [ -z "${ORBITA_TEST_POSTGRES:-}" ]; then
    exec env PG_DURABLE=1 "$(dirname "$0")/../scripts/with-postgres.sh" "$0" postgres "$@"
  fi
  ORBITA_BENCH_POSTGRES=$ORBITA_TEST_POSTGRES
fi
source "$(dirname "$0")/fleet-log.sh"
seconds=${1:-20}; shift || true
rates=${*:-6 8 10 12}
mixes=${MIXES:-rmc-gga full}
[ -d ../shared/bench ] && bash ../shared/bench/udp-limit 47011 | tail -3 | sed 's/^/udp-limit: /'
cc -O2 -o "$work/udp-replay" Benchmarks/udp-replay.c
source Benchmarks/live-fleet.sh
max_rate=$(tr ' ' '\n' <<< "$rates" | sort -n | tail -1)
cycles_needed=$((max_rate * 10000 * seconds))
full_log="$work/ingest-full-$cycles_needed.nmea"
if [ ! -s "$full_log" ]; then
  # ≈ 14 lines a cycle; a little more than needed.
  "$orbita" bench generate --lines $((cycles_needed * 15)) --vehicles 10000 --seed 3 > "$full_log"
fi
short_log="$work/ingest-rmc-gga-$cycles_needed.nmea"
[ -s "$short_log" ] || grep -E '^\$(PGID|GNRMC|GNGGA)' "$full_log" > "$short_log"
run=0
for mix in $mixes; do
  log=$full_log; [ "$mix" = rmc-gga ] && log=$short_log
  for rate in $rates; do
    run=$((run + 1))
    if [ "$backend" = postgres ]; then
      db=$(echo "$ORBITA_BENCH_POSTGRES" | sed "s#/[^/]*\$#/ingest_$run#")
      psql -X -q "$ORBITA_BENCH_POSTGRES" -c "DROP DATABASE IF EXISTS ingest_$run" -c "CREATE DATABASE ingest_$run"
    else
      db="$work/ingest.sqlite"; rm -f "$db" "$db-wal" "$db-shm"
    fi
    live_fleet_db "$db"
    out="$work/ingest-serve.out"
    "$orbita" serve --db "$db" --udp 127.0.0.1:0 --tcp off --http 127.0.0.1:0 --device-rate 0 --maximum-age off \
      ${COMMIT_INTERVAL:+--commit-interval $COMMIT_INTERVAL} ${COMMIT_SIZE:+--commit-size $COMMIT_SIZE} \
      --log-level error > "$out" &
    server=$!
    for _ in $(seq 300); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
    udp=$(sed -n 's/.*udp=\([^ ]*\).*/\1/p' "$out"); http=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$out")
    ticks_start=$(awk '{ print $14 + $15 }' "/proc/$server/stat")
    sent=$("$work/udp-replay" "$log" 127.0.0.1 "${udp##*:}" $((rate * 10000)) "$seconds")
    # Wait until the server has decided everything it received (stored + duplicates + dropped covers received);
    # the time from the sender's end to the last change (drain) counts in the committed rate.
    sent_end=$(date +%s.%N); last_change=$sent_end; metrics=""; previous=-1
    for _ in $(seq 600); do
      sleep 0.2
      metrics=$(curl -s "http://$http/metrics")
      now=$(awk '$1 ~ /^orbita_fixes_(stored|duplicate|dropped)_total/ { s += $NF } END { printf "%d", s }' <<< "$metrics")
      in=$(awk '$1 ~ /^orbita_ingest_fixes_total/ { s += $NF } END { printf "%d", s }' <<< "$metrics")
      [ "$now" != "$previous" ] && last_change=$(date +%s.%N)
      [ "$now" -ge "$in" ] && break
      previous=$now
    done
    drain=$(awk -v a="$sent_end" -v b="$last_change" 'BEGIN { d = b - a - 0.2; printf "%.1f", d < 0 ? 0 : d }')
    ticks=$(( $(awk '{ print $14 + $15 }' "/proc/$server/stat") - ticks_start )); hz=$(getconf CLK_TCK)
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
    kill -TERM $server; wait $server || true
    cycles=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<< "$sent"); elapsed=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<< "$sent")
    bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<< "$sent")
    pick() { awk -v n="$1" '$1 ~ "^"n { s += $NF } END { printf "%d", s }' <<< "$metrics"; }
    received=$(pick orbita_ingest_fixes_total); stored=$(pick orbita_fixes_stored_total)
    dropped_ingest=$(pick orbita_ingest_dropped_total); dropped_pipeline=$(pick orbita_fixes_dropped_total)
    reasons=$(awk '$1 ~ /^orbita_(ingest|fixes)_dropped_total/ && $NF > 0 { match($1, /reason="[a-z_]+"/); r = substr($1, RSTART + 8, RLENGTH - 9); s[r] += $NF } END { for (r in s) printf "%s=%d,", r, s[r] }' <<< "$metrics")
    echo "ingest backend=$backend mix=$mix rate_hz=$rate vehicles=10000 sent_cycles=$cycles bytes_per_cycle=$((bytes / (cycles > 0 ? cycles : 1))) seconds=$elapsed" \
      "sent_per_s=$(awk -v c=$cycles -v s=$elapsed 'BEGIN{printf "%d", c/s}') received=$received stored=$stored" \
      "dropped=$((dropped_ingest + dropped_pipeline))${reasons:+ (${reasons%,})} lost=$((cycles - received - dropped_ingest))" \
      "drain_s=$drain committed_per_s=$(awk -v c=$stored -v s=$elapsed -v d=$drain 'BEGIN{printf "%d", c/(s+d)}')" \
      "server_cpu_s=$(awk -v t=$ticks -v h=$hz 'BEGIN{printf "%.1f", t/h}')" \
      "cpu_s_per_million=$(awk -v t=$ticks -v h=$hz -v c=$stored 'BEGIN{printf "%.2f", (c > 0 ? t/h/c*1e6 : 0)}') peak_rss_mb=$((rss / 1024))"
  done
done
