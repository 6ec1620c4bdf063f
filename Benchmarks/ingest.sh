#!/usr/bin/env bash
# Live ingest next to the loopback UDP limit, in one run (issue 5):
#   - ../shared/bench/udp-limit: C sendmmsg → recvmmsg, 2,000,000 datagrams of 100 bytes (the machine's ceiling)
#   - orbita serve (release) with 1,000 geofences (the anchors' polygons) and a route assigned to every vehicle,
#     fed by orbita simulate: 10,000 vehicles, full cycles (RMC VTG GGA GSA GSV, ≈ 800 bytes), at rising rates;
#     per rate: cycles sent, fixes the server received, committed, and lost (sent − received − pipeline drops)
# usage: Benchmarks/ingest.sh [SECONDS_PER_RATE] [RATE_HZ ...]   (default 15 s at 1 2 5 10 Hz; make release first)
set -euo pipefail
source "$(dirname "$0")/fleet-log.sh"
seconds=${1:-15}; shift || true
rates=${*:-1 2 5 10}
[ -d ../shared/bench ] && bash ../shared/bench/udp-limit 47011 | tail -3 | sed 's/^/udp-limit: /'
source Benchmarks/live-fleet.sh  # (fleet-log.sh moved to the project root)
for rate in $rates; do
  db="$work/ingest.sqlite"
  live_fleet_db "$db"
  out="$work/ingest-serve.out"
  "$orbita" serve --db "$db" --udp 127.0.0.1:0 --tcp off --http 127.0.0.1:0 --register-unknown --device-rate 0 ${COMMIT_INTERVAL:+--commit-interval $COMMIT_INTERVAL} ${COMMIT_SIZE:+--commit-size $COMMIT_SIZE} \
    --log-level error > "$out" &
  server=$!
  for _ in $(seq 100); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
  udp=$(sed -n 's/.*udp=\([^ ]*\).*/\1/p' "$out"); http=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$out")
  sent=$("$orbita" simulate --to "udp://$udp" --vehicles 10000 --rate "$rate" --duration "$seconds" \
    --geojson "$route" --quiet)
  # Wait until the server has committed everything it received (queue empty, stored count steady); the time
  # from the simulator's end to the last commit (drain) counts in the committed rate.
  sent_end=$(date +%s.%N); last_change=$sent_end; metrics=""; previous=-1
  for _ in $(seq 300); do
    sleep 0.2
    metrics=$(python3 -c "import urllib.request,sys; print(urllib.request.urlopen('http://$http/metrics').read().decode())")
    # decided = stored + duplicates + dropped by the pipeline (incl. unregistered); done when it covers received
    now=$(awk '$1 ~ /^orbita_fixes_(stored|duplicate|dropped)_total/ { s += $NF } END { printf "%d", s }' <<< "$metrics")
    in=$(awk '$1 ~ /^orbita_ingest_fixes_total/ { s += $NF } END { printf "%d", s }' <<< "$metrics")
    [ "$now" != "$previous" ] && last_change=$(date +%s.%N)
    [ "$now" -ge "$in" ] && break
    previous=$now
  done
  drain=$(awk -v a="$sent_end" -v b="$last_change" 'BEGIN { d = b - a - 0.2; printf "%.1f", d < 0 ? 0 : d }')
  # The server's own CPU (user + system, all threads) from /proc, before it stops.
  ticks=$(awk '{ print $14 + $15 }' "/proc/$server/stat"); hz=$(getconf CLK_TCK)
  kill -TERM $server; wait $server || true
  cycles=$(sed -n 's/.*cycles=\([0-9]*\).*/\1/p' <<< "$sent"); elapsed=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<< "$sent")
  pick() { awk -v n="$1" -v l="$2" '$1 ~ "^"n && index($1, l) { s += $NF } END { printf "%d", s }' <<< "$metrics"; }
  received=$(pick orbita_ingest_fixes_total ""); stored=$(pick orbita_fixes_stored_total "")
  dropped_ingest=$(pick orbita_ingest_dropped_total ""); dropped_pipeline=$(pick orbita_fixes_dropped_total "")
  reasons=$(awk '$1 ~ /^orbita_ingest_dropped_total/ && $NF > 0 { match($1, /reason="[a-z_]+"/); r = substr($1, RSTART + 8, RLENGTH - 9); s[r] += $NF } END { for (r in s) printf "%s=%d,", r, s[r] }' <<< "$metrics")
  echo "ingest rate_hz=$rate vehicles=10000 sent_cycles=$cycles seconds=$elapsed sent_per_s=$(awk -v c=$cycles -v s=$elapsed 'BEGIN{printf "%d", c/s}') received=$received stored=$stored ingest_dropped=$dropped_ingest${reasons:+ (${reasons%,})} pipeline_dropped=$dropped_pipeline lost=$((cycles - received - dropped_ingest)) drain_s=$drain committed_per_s=$(awk -v c=$stored -v s=$elapsed -v d=$drain 'BEGIN{printf "%d", c/(s+d)}') server_cpu_s=$(awk -v t=$ticks -v h=$hz 'BEGIN{printf "%.1f", t/h}') cpu_s_per_million=$(awk -v t=$ticks -v h=$hz -v c=$stored 'BEGIN{printf "%.2f", (c > 0 ? t/h/c*1e6 : 0)}')"
done
