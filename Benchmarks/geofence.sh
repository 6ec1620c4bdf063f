#!/usr/bin/env bash
# Geofencing and route deviation next to the anchors, in one run (issue 4):
#   - ../shared/bench/geofence-anchors.sh N: shapely 2 STRtree 'within' (vectorised GEOS) and PostGIS ST_Contains with
#     a GiST index, on N random city-sized polygons (20-200 vertices) around Moscow and 1,000,000 points
#   - orbita bench geofence: the same fences and points, one point at a time on one core (membership alone, and with
#     each point projected to UTM 37N by PROJ as a live fix is)
#   - orbita bench route: a vehicle driving the anchors' 2,000-segment route, one fix at a time, with detours
# usage: Benchmarks/geofence.sh [N ...]   (default: 10000 100000; run `make release` first; `make bench` runs this)
set -euo pipefail
source "$(dirname "$0")/fleet-log.sh"
[ -d ../shared/bench ] || { echo "../shared/bench absent: no anchors to compare with"; exit 0; }
# PostGIS is an anchor only: install it when apt can (never needed by Orbita itself).
if ! ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql-15-postgis-3; } \
    >/dev/null 2>&1 || echo "PostGIS could not be installed: its anchor is skipped"
fi
for n in "${@:-10000 100000}"; do
  for count in $n; do
    bash ../shared/bench/geofence-anchors.sh "$count" 1000000 | tee "$work/anchors-$count.txt"
    "$orbita" bench geofence "$work/geo/fences_$count.tsv" "$work/geo/points.tsv" | tee "$work/orbita-geofence-$count.txt"
    shapely=$(sed -n 's/.*points_per_s=\([0-9]*\).*/\1/p' "$work/anchors-$count.txt" | head -1)
    # PostGIS prints "Time: MS ms … run=I" per run (run 0 is the warm-up): points/s from the median run.
    postgis=$(grep ' run=[1-9]' "$work/anchors-$count.txt" | sed -n 's/.*Time: \([0-9.]*\) ms.*/\1/p' | sort -n \
      | awk '{ t[NR] = $1 } END { if (NR > 0) printf "%.0f", 1e6 / (t[int((NR + 1) / 2)] / 1000) }')
    ours=$(sed -n 's/.* points_per_s=\([0-9]*\).*/\1/p' "$work/orbita-geofence-$count.txt")
    projected=$(sed -n 's/.*points_per_s_with_projection=\([0-9]*\).*/\1/p' "$work/orbita-geofence-$count.txt")
    awk -v n="$count" -v s="${shapely:-0}" -v p="${postgis:-0}" -v o="$ours" -v q="$projected" 'BEGIN {
      printf "| %d fences | Orbita %.2f M points/s (%.2f M with projection) | shapely %.2f M (x%.1f, x%.1f) | PostGIS %s |\n",
        n, o / 1e6, q / 1e6, s / 1e6, (s > 0 ? o / s : 0), (s > 0 ? q / s : 0),
        (p > 0 ? sprintf("%.3f M (x%.0f, x%.0f)", p / 1e6, o / p, q / p) : "not measured") }'
  done
done
"$orbita" bench route "$work/geo/route.npy"
