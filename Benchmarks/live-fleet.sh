# Sourced by ingest.sh and soak.sh: the live benchmarks' fleet. Sets route (a GeoJSON line); defines live_fleet_db DB:
# a fresh database with 1,000 of the anchors' polygons, route R, and the simulator's 10,000 vehicles registered and
# assigned to it (its IDs: "35" + 100000000000 + 7919 i).
[ -f "$work/geo/fences_10000.tsv" ] || python3 ../shared/bench/gen_geo.py "$work/geo" >/dev/null
head -1000 "$work/geo/fences_10000.tsv" > "$work/fences_1000.tsv"
route="$work/ingest-route.geojson"
echo '{"type":"LineString","coordinates":[[37.55,55.70],[37.60,55.75],[37.65,55.78],[37.70,55.80]]}' > "$route"
live_fleet_db() {
  "$orbita" bench zones "$work/fences_1000.tsv" --db "$1" --keep >/dev/null
  "$orbita" route add R --geojson "$route" --db "$1" >/dev/null
  python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ids = ["35" + str(100_000_000_000 + i * 7_919) for i in range(10_000)]
db.executemany("INSERT INTO vehicles (id, name, kind) VALUES (?, ?, 'bus')", [(i, i) for i in ids])
route = db.execute("SELECT key FROM routes WHERE name = 'R'").fetchone()[0]
db.execute("INSERT INTO route_assignments (vehicle_key, route_key) SELECT key, ? FROM vehicles", (route,))
db.commit()
PY
}
