#!/usr/bin/env bash
# Memory of the geofence index for shapes that used to blow it up (issue 14): a comb (teeth over the fence's full
# height), jittered circles and random star polygons. For each shape, `orbita geofence add` then `orbita import` of
# the demo fleet (12 fixes, the fences compiled once), with the peak resident memory of the import (GNU time) minus
# that of the same import without fences: index bytes per vertex, and seconds to compile.
# usage: Benchmarks/fence-memory.sh [BINARY]   (default .build/release/orbita, else .build/debug/orbita)
set -euo pipefail
cd "$(dirname "$0")/.."
orbita=${1:-.build/release/orbita}
[ -x "$orbita" ] || orbita=.build/debug/orbita
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shape() { # KIND VERTICES > geojson
  python3 - "$1" "$2" <<'PY'
import json, math, random, sys
kind, n = sys.argv[1], int(sys.argv[2])
random.seed(14)
if kind == "comb":
    r = [[37.6 + i * 0.04 / n, 55.76 if i % 2 == 0 else 55.7401] for i in range(n)]
    r += [[37.64, 55.74], [37.6, 55.74], [37.6, 55.76]]
else:
    jitter = {"circle": 0.0, "jittered": 0.05, "star": 0.5}[kind]
    r = []
    for i in range(n):
        a = 2 * math.pi * i / n
        k = 1 - random.uniform(0, jitter)
        r.append([37.8065 + 0.05 * k * math.cos(a) / 0.56, 55.6 + 0.05 * k * math.sin(a)])
    r.append(r[0])
print(json.dumps({"type": "Polygon", "coordinates": [r]}))
PY
}
peak_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }
"$orbita" vehicles --db "$work/base.sqlite" >/dev/null
base=$(peak_kb "$orbita" import fixtures/nmea/demo-fleet.nmea --db "$work/base.sqlite" --quiet)
echo "baseline import (no fences): peak_rss_kb=$base"
for spec in ${SHAPES:-comb:10000 comb:20000 comb:100000 circle:100000 jittered:100000 star:10000}; do
  kind=${spec%%:*}
  n=${spec##*:}
  shape "$kind" "$n" > "$work/shape.geojson"
  db="$work/$kind-$n.sqlite"
  "$orbita" geofence add "$kind" --geojson "$work/shape.geojson" --max-fence-vertices 2000000 \
    --max-total-fence-vertices 2000000 --db "$db" > /dev/null
  began=$(date +%s%N)
  peak=$(peak_kb "$orbita" import fixtures/nmea/demo-fleet.nmea --db "$db" --quiet --max-fence-vertices 2000000 \
    --max-total-fence-vertices 2000000)
  ended=$(date +%s%N)
  awk -v k="$kind" -v n="$n" -v p="$peak" -v b="$base" -v t=$(( (ended - began) / 1000000 )) 'BEGIN {
    printf "%-9s vertices=%-8d peak_rss_kb=%-8d fence_kb=%-7d bytes_per_vertex=%.0f import_ms=%d\n",
      k, n, p, p - b, (p - b) * 1024 / n, t }'
done
