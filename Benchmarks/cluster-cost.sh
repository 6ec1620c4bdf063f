#!/usr/bin/env bash
# What several nodes cost (issue 17): the same traffic through 1 node and through N nodes on one PostgreSQL.
#   - a fresh database with the ingest benchmark's fleet (10,000 vehicles on route R, 1,000 fences);
#   - NODES `orbita serve --node` processes (release, default lease and hold-back), waited for until they share the
#     256 shards;
#   - the log (`orbita bench generate`, 10,000 vehicles) cut cycle by cycle into one part per node, so that every
#     vehicle's fixes arrive at every node (the worst case: each fix crosses the inbox to its owner), each part sent
#     by Benchmarks/udp-replay at RATE/NODES cycles a second for SECONDS;
#   - first 10,000 cycles (each vehicle once) to node 1, unmeasured: every node resumes its vehicles before;
#   - per run: fixes sent, stored, lost, seconds until all was committed; CPU seconds (user + system, /proc/PID/stat) of the nodes together and of the
#     PostgreSQL server's processes, per million fixes committed.
# usage: Benchmarks/cluster-cost.sh [SECONDS] [RATE] [NODES ...]  (default 30 s, 20,000 fixes/s, 0 1 3; 0: a single
#        server without --node; make release first)
# A throwaway durable PostgreSQL from scripts/with-postgres.sh unless ORBITA_BENCH_POSTGRES names an admin URL.
set -euo pipefail
if [ -z "${ORBITA_BENCH_POSTGRES:-}" ]; then
  if [ -z "${ORBITA_TEST_POSTGRES:-}" ]; then
    exec env PG_DURABLE=1 "$(dirname "$0")/../scripts/with-postgres.sh" "$0" "$@"
  fi
  ORBITA_BENCH_POSTGRES=$ORBITA_TEST_POSTGRES
fi
source "$(dirname "$0")/fleet-log.sh"
seconds=${1:-30}; rate=${2:-20000}; shift 2 || shift $#
counts=${*:-0 1 3}
cc -O2 -o "$work/udp-replay" Benchmarks/udp-replay.c
source Benchmarks/live-fleet.sh
cycles_needed=$((rate * seconds))
log="$work/cluster-$cycles_needed.nmea"
[ -s "$log" ] || "$orbita" bench generate --lines $((cycles_needed * 15)) --vehicles 10000 --seed 5 \
  | grep -E '^\$(PGID|GNRMC|GNGGA)' > "$log"
hz=$(getconf CLK_TCK)
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo $t; }
postgres_pids() { pgrep -x postgres | tr '\n' ' '; }
for nodes in $counts; do
  db=$(echo "$ORBITA_BENCH_POSTGRES" | sed "s#/[^/]*\$#/cluster_cost_$nodes#")
  psql -X -q "$ORBITA_BENCH_POSTGRES" -c "DROP DATABASE IF EXISTS cluster_cost_$nodes" -c "CREATE DATABASE cluster_cost_$nodes"
  live_fleet_db "$db"
  # The first 10,000 cycles (every vehicle once) warm the nodes up, unmeasured; the rest is cut into one part per
  # node, cycle by cycle. NODES 0: a single server without --node, for comparison.
  senders_count=$((nodes > 0 ? nodes : 1))
  awk '/^\$PGID/ { c++ } c <= 10000' "$log" > "$work/cluster-warm.nmea"
  for ((k = 0; k < senders_count; k++)); do
    awk -v n="$senders_count" -v k="$k" '/^\$PGID/ { c++ } c > 10000 && (c - 1) % n == k' "$log" \
      > "$work/cluster-part-$k.nmea"
  done
  pids=(); ports=(); https=()
  for ((k = 1; k <= senders_count; k++)); do
    out="$work/cluster-node-$k.out"
    node=(--node "n$k"); [ "$nodes" -eq 0 ] && node=()
    "$orbita" serve --db "$db" "${node[@]}" --udp 127.0.0.1:0 --tcp off --http 127.0.0.1:0 --device-rate 0 \
      --maximum-age off --log-level error > "$out" &
    pids+=($!)
    for _ in $(seq 300); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
    udp=$(sed -n 's/.*udp=\([^ ]*\).*/\1/p' "$out"); ports+=("${udp##*:}")
    https+=("$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$out")")
  done
  metric() { curl -s "http://$1/metrics" | awk -v n="$2" '$1 ~ "^"n { s += $NF } END { printf "%d", s }'; }
  # Until the nodes share the shards.
  for _ in $(seq 120); do
    [ "$nodes" -eq 0 ] && break
    owned=0; for h in "${https[@]}"; do owned=$((owned + $(metric "$h" orbita_cluster_shards_owned))); done
    [ "$owned" -eq 256 ] && break; sleep 0.5
  done
  sleep 2
  # Until everything received is decided, the inbox is empty and nothing changes for two seconds.
  settle() {
    previous=-1; started=$(date +%s)
    while :; do
      sleep 2
      stored=0; received=0; backlog=0
      for h in "${https[@]}"; do
        stored=$((stored + $(metric "$h" orbita_fixes_stored_total) + $(metric "$h" orbita_fixes_duplicate_total)))
        received=$((received + $(metric "$h" orbita_ingest_fixes_total)))
        backlog=$((backlog + $(metric "$h" orbita_cluster_inbox_backlog)))
      done
      [ "$stored" = "$previous" ] && [ "$backlog" -eq 0 ] && break
      [ $(($(date +%s) - started)) -gt 600 ] && break
      previous=$stored
    done
  }
  "$work/udp-replay" "$work/cluster-warm.nmea" 127.0.0.1 "${ports[0]}" 10000 1 > /dev/null
  settle
  warm=$(psql -X -A -t "$db" -c "SELECT count(*) FROM fixes")
  dropped_before=0; for h in "${https[@]}"; do dropped_before=$((dropped_before + $(metric "$h" orbita_fixes_dropped_total))); done
  pg=$(postgres_pids); node_start=$(ticks "${pids[@]}"); pg_start=$(ticks $pg); measured_from=$(date +%s.%N)
  senders=(); rm -f "$work"/cluster-send-*.out
  for ((k = 0; k < senders_count; k++)); do
    "$work/udp-replay" "$work/cluster-part-$k.nmea" 127.0.0.1 "${ports[$k]}" $((rate / senders_count)) "$seconds" \
      > "$work/cluster-send-$k.out" &
    senders+=($!)
  done
  wait "${senders[@]}"
  sent=$(cat "$work"/cluster-send-*.out | sed -n 's/.*sent=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }')
  settle
  elapsed=$(awk -v a="$measured_from" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a - 2 }')
  dropped=0; for h in "${https[@]}"; do dropped=$((dropped + $(metric "$h" orbita_fixes_dropped_total))); done
  dropped=$((dropped - dropped_before))
  node_ticks=$(($(ticks "${pids[@]}") - node_start)); pg_ticks=$(($(ticks $(echo $pg $(postgres_pids) | tr ' ' '\n' | sort -u)) - pg_start))
  committed=$(($(psql -X -A -t "$db" -c "SELECT count(*) FROM fixes") - warm))
  for p in "${pids[@]}"; do kill -TERM "$p"; done; wait "${pids[@]}" || true
  echo "cluster nodes=$nodes rate=$rate seconds=$seconds sent=$sent committed=$committed until_settled_s=$elapsed" \
    "dropped_by_pipeline=$dropped lost=$((sent - committed - dropped)) nodes_cpu_s=$(awk -v t=$node_ticks -v h=$hz 'BEGIN{printf "%.1f", t/h}')" \
    "nodes_cpu_s_per_million=$(awk -v t=$node_ticks -v h=$hz -v c=$committed 'BEGIN{printf "%.2f", t/h/c*1e6}')" \
    "postgres_cpu_s_per_million=$(awk -v t=$pg_ticks -v h=$hz -v c=$committed 'BEGIN{printf "%.2f", t/h/c*1e6}')"
done
