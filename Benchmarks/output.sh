#!/usr/bin/env bash
# Output as fast as the decoder (issue 15): the whole commands a user runs, output included, per fix, next to the
# decoder's own cost per fix in the same run.
#   - `orbita decode FILE > /dev/null` and gpsdecode on the 2,000,000-line `--ids` log of 1,000 trackers;
#   - `orbita track V --format geojson|csv|gpx > /dev/null` on one vehicle's long track;
#   - the API: GET /api/vehicles/V/track?limit=100000 and GET /api/vehicles with 1,000 vehicles.
# usage: Benchmarks/output.sh [ORBITA]   (default .build/release/orbita; the data is made once in $ORBITA_BENCH_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
orbita=${1:-.build/release/orbita}
bench=$(dirname "$orbita")/orbita-bench
[ -x "$orbita" ] && [ -x "$bench" ] || { echo "build first: make release" >&2; exit 1; }
work=${ORBITA_BENCH_DIR:-/tmp/orbita-bench}
mkdir -p "$work"
log="$work/fleet-2m-ids.nmea"
[ -s "$log" ] || python3 ../shared/bench/gen_nmea.py --lines 2000000 --vehicles 1000 --seed 1 --ids > "$log"
command -v gpsdecode > /dev/null || apt-get install -y -qq gpsd-clients > /dev/null 2>&1 || true

# The median of 3 wall times of a command (seconds), its output thrown away.
median3() {
  for _ in 1 2 3; do
    s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); echo "$s $e" | awk '{printf "%.4f\n", $2 - $1}'
  done | sort -n | sed -n 2p
}
per_fix() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.2f", s / n * 1e6 }'; }

# The budget: the decoder's own cost per fix, file in memory.
decoded=$("$orbita" decode "$log" 2>&1 > /dev/null | sed -n 's/.*fixes=\([0-9]*\).*/\1/p')
in_memory=$("$bench" decode "$log" --runs 5 | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
echo "budget: orbita bench decode (in memory) ${in_memory} s for ${decoded} fixes = $(per_fix "$in_memory" "$decoded") µs a fix"
whole=$(median3 "$orbita" decode "$log")
echo "orbita decode FILE > /dev/null: ${whole} s = $(per_fix "$whole" "$decoded") µs a fix (median of 3)"
if command -v gpsdecode > /dev/null; then
  s=$(date +%s.%N); gpsdecode < "$log" > /dev/null 2>&1 || true; e=$(date +%s.%N)
  gpsd=$(echo "$s $e" | awk '{printf "%.3f", $2 - $1}')
  awk -v o="$whole" -v g="$gpsd" 'BEGIN { printf "gpsdecode < FILE > /dev/null: %.3f s; orbita decode is %.1fx as fast\n", g, g / o }'
fi

# One vehicle's long track, and a fleet of 1,000 vehicles.
track_db="$work/output-track.sqlite"
if [ ! -s "$track_db" ]; then
  "$bench" generate --lines 2000000 --vehicles 1 --seed 5 | "$orbita" import - --db "$track_db" --quiet > /dev/null
fi
fleet_db="$work/output-fleet.sqlite"
[ -s "$fleet_db" ] || "$orbita" import "$log" --db "$fleet_db" --quiet > /dev/null
vehicle=$("$orbita" vehicles --db "$track_db" | awk 'NR==2 {print $1}')
fixes=$("$orbita" vehicles --db "$track_db" | awk 'NR==2 {print $4}')
empty=$(median3 "$orbita" track "$vehicle" --db "$track_db" --from 1990-01-01 --to 1990-01-02)
echo "one vehicle: $fixes fixes; orbita track with an empty range (start, open, query): $empty s"
for format in geojson csv gpx; do
  t=$(median3 "$orbita" track "$vehicle" --db "$track_db" --format "$format")
  bytes=$("$orbita" track "$vehicle" --db "$track_db" --format "$format" | wc -c)
  echo "orbita track --format $format > /dev/null: $t s, $bytes bytes = $(per_fix "$t" "$fixes") µs a fix" \
    "($(per_fix "$(awk -v a="$t" -v b="$empty" 'BEGIN{print a-b}')" "$fixes") µs beyond the empty range)"
done

# The API on the same data.
for db in "$track_db" "$fleet_db"; do
  token=$("$orbita" token create --role viewer --db "$db" 2>/dev/null)
  out="$work/output-serve.out"
  "$orbita" serve --db "$db" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http 127.0.0.1:0 --log-level error > "$out" 2>&1 &
  pid=$!
  while ! grep -q ready "$out"; do sleep 0.1; done
  http=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$out")
  get() {
    for _ in 1 2 3 4 5; do
      curl -s -o "$work/output.json" -w '%{time_total}\n' -H "Authorization: Bearer $token" "http://$http$1"
    done | sort -n | sed -n 3p
  }
  if [ "$db" = "$track_db" ]; then
    t=$(get "/api/vehicles/$vehicle/track?limit=100000")
    echo "GET /api/vehicles/V/track?limit=100000: $t s, $(stat -c %s "$work/output.json") bytes =" \
      "$(per_fix "$t" 100000) µs a fix (median of 5)"
  else
    t=$(get "/api/vehicles")
    count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["vehicles"]))' "$work/output.json")
    echo "GET /api/vehicles: $t s for $count vehicles, $(stat -c %s "$work/output.json") bytes =" \
      "$(per_fix "$t" "$count") µs a vehicle (median of 5)"
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
