# Sourced by ingest.sh and soak.sh: the live benchmarks' fleet. Sets route (a GeoJSON line); defines live_fleet_db DB:
# a fresh database (a SQLite file or a postgres:// URL of an empty database) with 1,000 of the anchors' polygons, route
# R, and the simulator's 10,000 vehicles registered as buses and assigned to it (`orbita bench fleet`).
[ -f "$work/geo/fences_10000.tsv" ] || python3 ../shared/bench/gen_geo.py "$work/geo" >/dev/null
head -1000 "$work/geo/fences_10000.tsv" > "$work/fences_1000.tsv"
route="$work/ingest-route.geojson"
echo '{"type":"LineString","coordinates":[[37.55,55.70],[37.60,55.75],[37.65,55.78],[37.70,55.80]]}' > "$route"
live_fleet_db() {
  "$orbita" bench zones "$work/fences_1000.tsv" --db "$1" --keep >/dev/null
  "$orbita" route add R --geojson "$route" --db "$1" >/dev/null
  "$orbita" bench fleet --db "$1" --vehicles 10000 --route R >/dev/null
}
