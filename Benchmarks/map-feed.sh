#!/usr/bin/env bash
# The terminal map on a live feed (issue 6): orbita serve with the live benchmarks' fleet database (1,000 fences, a
# route), VEHICLES simulated trackers at 1 Hz (default 1,000: 1,000 position updates/s), and `orbita map --server
# --headless` following /api/live for SECONDS while drawing a full 160x48 frame five times a second off-screen
# (with the Moscow basemap from ../shared/corpus when present). Every 10 s it prints fixes received, fixes/s, the
# lag (arrival on the map - fix time: commit interval + feed poll + transport + parsing) and the frame times.
# Keeping up = fixes/s equal to the sending rate and the lag flat from window to window.
# usage: Benchmarks/map-feed.sh [SECONDS] [VEHICLES]   (default 120 s, 1,000 vehicles; make release first)
set -euo pipefail
source "$(dirname "$0")/fleet-log.sh"
seconds=${1:-120}; vehicles=${2:-1000}
source Benchmarks/live-fleet.sh
db="$work/map-feed.sqlite"
rm -f "$db" "$db-wal" "$db-shm"
live_fleet_db "$db"
token=$("$orbita" token create --role viewer --name map-feed --db "$db" 2>/dev/null)
out="$work/map-feed-serve.out"
"$orbita" serve --db "$db" --udp 127.0.0.1:0 --tcp off --http 127.0.0.1:0 --device-rate 0 --log-level error > "$out" &
server=$!
trap 'kill $server $sim 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
udp=$(sed -n 's/.*udp=\([^ ]*\).*/\1/p' "$out"); http=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$out")
"$orbita" simulate --to "udp://$udp" --vehicles "$vehicles" --rate 1 --duration $((seconds + 15)) --geojson "$route" \
  --quiet > /dev/null &
sim=$!
sleep 3
basemap=()
corpus=../shared/corpus/basemap
if [ -d "$corpus" ]; then
  basemap=(--basemap "$corpus/osm-moscow-boundary/moscow_boundary.geojson"
    --basemap "$corpus/osm-moscow-ostankino/roads.geojson" --basemap "$corpus/osm-moscow-ostankino/water.geojson")
else
  echo "map-feed: ../shared/corpus/basemap absent: no basemap drawn" >&2
fi
echo "map-feed vehicles=$vehicles rate_hz=1 expected_fixes_per_s=$vehicles"
"$orbita" map --server "http://$http" --token "$token" --headless "$seconds" --columns 160 --rows 47 "${basemap[@]}"
