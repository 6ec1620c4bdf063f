#!/usr/bin/env bash
# Fuzz the NMEA framer and decoder with libFuzzer for N seconds (default 600).
# Findings (crashing inputs) go to fuzz-findings/; add each as a seed under fixtures/fuzz-seeds with a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -DORBITA_FUZZ \
  --product NMEAFuzz --scratch-path .build-fuzz
mkdir -p fuzz-findings .build-fuzz/corpus
cp fixtures/fuzz-seeds/* .build-fuzz/corpus/
.build-fuzz/debug/NMEAFuzz .build-fuzz/corpus -max_total_time="$seconds" -max_len=4096 \
  -artifact_prefix=fuzz-findings/ -print_final_stats=1
