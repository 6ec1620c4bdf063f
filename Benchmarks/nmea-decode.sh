#!/usr/bin/env bash
# Decode throughput next to the anchors, in one run, on the same file:
#   - Orbita: `orbita bench decode` (full decode to Fix values, file in memory, median of runs, one core)
#   - ../shared/bench/nmea-anchors.sh: the checksum-scan limit (C: split lines + XOR) and gpsd's gpsdecode
# The file is `orbita bench generate --lines 2000000 --vehicles 1000 --seed 1` (deterministic).
# usage: Benchmarks/nmea-decode.sh            (run `make release` first; `make bench` does both)
set -euo pipefail
source "$(dirname "$0")/fleet-log.sh"
echo "file: $file ($(wc -c < "$file") bytes, $(wc -l < "$file") lines)"

ours() { "$orbita" bench decode "$file" --runs 5 | sed -n 's/.*sentences_per_s=\([0-9]*\).*/\1/p'; }
first=$(ours)
anchors=../shared/bench/nmea-anchors.sh
out=""
if [ -x "$anchors" ] || [ -f "$anchors" ]; then
  out=$(bash "$anchors" "$file")
  echo "$out"
  scan=$(echo "$out" | sed -n 's/^anchor=checksum-scan.*lines_per_s=\([0-9]*\).*/\1/p')
  gpsd=$(echo "$out" | sed -n 's/^anchor=gpsdecode.*lines_per_s=\([0-9]*\).*/\1/p')
else
  echo "../shared/bench absent: anchors not measured"
  scan=""; gpsd=""
fi
second=$(ours)
# The whole command a user runs, output included (JSON to /dev/null), median of 3 runs.
process=$(for i in 1 2 3; do
  s=$(date +%s.%N); "$orbita" decode "$file" > /dev/null 2>&1; e=$(date +%s.%N); echo "$s $e" | awk '{printf "%.3f\n", $2 - $1}'
done | sort -n | sed -n 2p)
gpsd_seconds=$(echo "${out:-}" | sed -n 's/^anchor=gpsdecode.*seconds=\([0-9.]*\).*/\1/p')
echo "orbita decode FILE > /dev/null: ${process} s (median of 3)"
if [ -n "$gpsd_seconds" ]; then
  awk -v o="$process" -v g="$gpsd_seconds" 'BEGIN { printf "whole process: orbita decode %.3f s, gpsdecode %.3f s: %.1fx\n", o, g, g / o }'
fi
orbita_rate=$(( (first + second) / 2 ))
echo "orbita decode: runs $first and $second sentences/s, mean $orbita_rate"
if [ -n "$scan" ]; then
  awk -v o="$orbita_rate" -v s="$scan" -v g="${gpsd:-0}" 'BEGIN {
    printf "| measure | sentences/s | Orbita ratio |\n|---|---|---|\n"
    printf "| Orbita full decode to Fix | %.2f M | 1 |\n", o / 1e6
    printf "| checksum-scan limit (C) | %.2f M | %.1f%% of the limit |\n", s / 1e6, 100 * o / s
    if (g > 0) printf "| gpsd gpsdecode | %.3f M | %.1fx |\n", g / 1e6, o / g
    printf "| minmea (reported in ../shared/bench/README.md, not rerun) | 4.0 M | %.2fx |\n", o / 4e6
  }'
fi
