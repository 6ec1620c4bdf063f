#!/usr/bin/env bash
# make demo: a live Orbita on its embedded default (SQLite) with a simulated fleet, shown on the terminal map.
#   - a demo database (.build/demo.sqlite) with two bus routes, a depot and a hospital zone (fixtures/demo)
#   - orbita serve on 127.0.0.1 (UDP/TCP 5005, HTTP 8080: /metrics, /health)
#   - orbita simulate: 4 buses on the routes (one takes a detour), an ambulance and 3 freight trucks
#   - in a terminal: orbita map on the server's API with its built-in basemap (a dispatcher token; q quits the map
#     and stops the demo);
#     otherwise (or DEMO_MAP=0) the events are printed as they are committed
# Ctrl-C stops the simulators and the server (which commits everything it received) and exits.
# DEMO_SECONDS=N stops by itself after N seconds (default: run until Ctrl-C); it implies DEMO_MAP=0.
set -euo pipefail
cd "$(dirname "$0")/.."
orbita=.build/debug/orbita
db=.build/demo.sqlite
udp=${DEMO_UDP:-127.0.0.1:5005}
http=${DEMO_HTTP:-127.0.0.1:8080}
seconds=${DEMO_SECONDS:-86400}
rm -f "$db" "$db-wal" "$db-shm"
"$orbita" route add B-Tverskaya --geojson fixtures/demo/route-tverskaya.geojson --db "$db" >/dev/null
"$orbita" route add B-Garden-Ring --geojson fixtures/demo/route-garden-ring.geojson --db "$db" >/dev/null
"$orbita" geofence add depot --geojson fixtures/demo/depot.geojson --db "$db" >/dev/null
"$orbita" geofence add hospital --circle 55.7775,37.6330,300 --speed-limit 40 --db "$db" >/dev/null
for i in 1 2 3 4; do "$orbita" vehicles add "BUS000$i" --kind bus --name "Bus $i" --db "$db" >/dev/null; done
"$orbita" vehicles add AMB0001 --kind ambulance --name "Ambulance 1" --db "$db" >/dev/null
for i in 1 2 3; do "$orbita" vehicles add "TRK000$i" --kind freight --name "Truck $i" --db "$db" >/dev/null; done
# Buses 1 and 3 drive B-Tverskaya, 2 and 4 B-Garden-Ring (the simulator alternates routes); bus 1 makes the detour.
for i in 1 3; do "$orbita" route assign "BUS000$i" B-Tverskaya --db "$db" >/dev/null; done
for i in 2 4; do "$orbita" route assign "BUS000$i" B-Garden-Ring --db "$db" >/dev/null; done

token=$("$orbita" token create --role dispatcher --name demo --db "$db" 2>/dev/null)
map=${DEMO_MAP:-1}
{ [ -t 0 ] && [ -t 1 ] && [ -z "${DEMO_SECONDS:-}" ]; } || map=0

pids=()
stop() {
  trap - INT TERM
  echo; echo "demo: stopping simulators and server"
  for pid in "${pids[@]:1}"; do kill "$pid" 2>/dev/null || true; done
  kill -TERM "${pids[0]}" 2>/dev/null || true
  wait "${pids[0]}" 2>/dev/null || true
  "$orbita" vehicles --db "$db"
  echo; echo "demo: today's report rows (kept up to date as the fixes came; see README, Reports)"
  "$orbita" report summary --db "$db"
  echo "demo: more with: $orbita report trips|stops|visits|mileage|routes --db $db"
  exit 0
}
trap stop INT TERM
"$orbita" serve --db "$db" --udp "$udp" --tcp "${udp%:*}:0" --http "$http" --log-level warning > .build/demo-serve.out &
pids+=($!)
for _ in $(seq 50); do grep -q ready .build/demo-serve.out 2>/dev/null && break; sleep 0.1; done
cat .build/demo-serve.out
"$orbita" simulate --to "udp://$udp" --vehicles 4 --prefix BUS --geojson fixtures/demo/route-tverskaya.geojson \
  --geojson fixtures/demo/route-garden-ring.geojson --deviate 0.25 \
  --duration "$seconds" --quiet > /dev/null &
pids+=($!)
"$orbita" simulate --to "udp://$udp" --vehicles 1 --prefix AMB --seed 7 --duration "$seconds" --quiet > /dev/null &
pids+=($!)
"$orbita" simulate --to "udp://$udp" --vehicles 3 --prefix TRK --seed 9 --duration "$seconds" --quiet > /dev/null &
pids+=($!)
if [ "$map" = 1 ]; then
  echo "demo: 8 vehicles streaming to $udp; opening the map (? help, q quit) ..."
  sleep 3
  "$orbita" map --server "http://$http" --token "$token" || true
  stop
fi
echo "demo: 8 vehicles streaming to $udp; metrics at http://$http/metrics; events below as they are committed (Ctrl-C stops)"
start=$(date +%s)
shown=0
while [ $(( $(date +%s) - start )) -lt "$seconds" ]; do
  sleep 2
  events=$("$orbita" events --db "$db" 2>/dev/null | tail -n +2 || true)
  count=$(printf '%s' "$events" | grep -c . || true)
  if [ "$count" -gt "$shown" ]; then printf '%s\n' "$events" | tail -n $((count - shown)); shown=$count; fi
  fixes=$(python3 - "$http" <<'PY' 2>/dev/null || echo "?"
import json, sys, urllib.request
h = json.load(urllib.request.urlopen(f"http://{sys.argv[1]}/health", timeout=2))
print(f"{h['committedFixes']} fixes committed, {h['vehiclesOnline']} vehicles online, queue {h['queueDepth']}")
PY
)
  echo "demo: $fixes"
done
stop
