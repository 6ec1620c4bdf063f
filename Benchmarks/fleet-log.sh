# Sourced by the benchmark scripts: checks the release binary and makes the deterministic 2M-line fleet log once.
# Sets: orbita (the binary), work (scratch folder), file (the log).
cd "$(dirname "$0")/.."
orbita=.build/release/orbita
[ -x "$orbita" ] || { echo "build first: make release" >&2; exit 1; }
work=${ORBITA_BENCH_DIR:-/tmp/orbita-bench}
mkdir -p "$work"
file="$work/orbita-fleet-2m.nmea"
[ -s "$file" ] || "$orbita" bench generate --lines 2000000 --vehicles 1000 --seed 1 > "$file"
