#!/usr/bin/env bash
# GET /api/vehicles/{id}/track on a long history (issue 14): one vehicle with FIXES fixes (default ≈ 2,000,000,
# generated and imported once into $ORBITA_BENCH_DIR), then a server and, one at a time, a 1-fix request, a 1-day
# request (limit 100,000) and the 100,000 latest fixes; for each, wall time, bytes returned and the server's peak
# resident memory (VmHWM) after it. Meanwhile /health is timed while three heavy requests run at once.
# usage: Benchmarks/track-api.sh [LINES]   (default 26000000 generated lines ≈ 2 M fixes; release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
orbita=.build/release/orbita
[ -x "$orbita" ] || { echo "build first: make release" >&2; exit 1; }
lines=${1:-26000000}
work=${ORBITA_BENCH_DIR:-/tmp/orbita-bench}
mkdir -p "$work"
db="$work/track-$lines.sqlite"
if [ ! -s "$db" ]; then
  "$orbita" bench generate --lines "$lines" --vehicles 1 --seed 5 | "$orbita" import - --db "$db" --quiet | tail -n 2
fi
token=$("$orbita" token create --role viewer --db "$db" 2>/dev/null)
out="$work/serve.out"
"$orbita" serve --db "$db" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http 127.0.0.1:0 --log-level error > "$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
while ! grep -q ready "$out"; do sleep 0.1; done
http=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$out")
vehicle=$(curl -s -H "Authorization: Bearer $token" "http://$http/api/vehicles" | python3 -c 'import json,sys; print(json.load(sys.stdin)["vehicles"][0]["id"])')
fixes=$("$orbita" vehicles --db "$db" | awk 'NR==2 {print $4}')
last=$("$orbita" vehicles --db "$db" | awk 'NR==2 {print $6}')
from=$(python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat('$last'.replace('Z','+00:00')); print((t-datetime.timedelta(days=1)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
echo "vehicle=$vehicle fixes=$fixes last=$last"
hwm() { awk '/VmHWM/ {print $2}' /proc/$pid/status; }
echo "server idle: peak_rss_kb=$(hwm)"
for query in "limit=1" "from=$from&limit=100000" "limit=100000"; do
  t=$(curl -s -o "$work/track.json" -w '%{time_total}' -H "Authorization: Bearer $token" \
    "http://$http/api/vehicles/$vehicle/track?$query")
  echo "track?$query: seconds=$t bytes=$(stat -c %s "$work/track.json") peak_rss_kb=$(hwm)"
done
heavy=()
for _ in 1 2 3; do
  curl -s -o /dev/null -H "Authorization: Bearer $token" "http://$http/api/vehicles/$vehicle/track?limit=100000" &
  heavy+=($!)
done
sleep 0.05
echo "health during 3 heavy requests: seconds=$(curl -s -o /dev/null -w '%{time_total}' "http://$http/health")"
wait "${heavy[@]}"
echo "after 3 concurrent heavy requests: peak_rss_kb=$(hwm)"
