#!/usr/bin/env bash
# Start-up of `orbita serve`, again and again (issue 13): COUNT consecutive starts, each on a fresh database with
# UDP, TCP and HTTP on free loopback ports. A start passes when its ready line names all three listeners and
# /health answers 200; then it is stopped with SIGTERM and must exit 0. Prints one line per failure and a summary:
# starts, passed, and the time from launch to the ready line (median and max).
# usage: Benchmarks/start-loop.sh [COUNT] [BINARY]   (default 200, .build/release/orbita, else .build/debug/orbita)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
orbita=${2:-.build/release/orbita}
[ -x "$orbita" ] || orbita=.build/debug/orbita
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
times=()
for i in $(seq "$count"); do
  db="$work/start-$i.sqlite"
  out="$work/out"
  : > "$out"
  began=$(date +%s%N)
  "$orbita" serve --db "$db" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http 127.0.0.1:0 --log-level error \
    > "$out" 2> "$work/err" &
  pid=$!
  while ! grep -q ready "$out" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  ready=$(date +%s%N)
  line=$(head -n 1 "$out")
  http=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$out")
  ok=1
  case "$line" in *udp=*tcp=*http=*) ;; *) ok=0 ;; esac
  [ "$ok" = 1 ] && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$http/health")" = 200 ] || ok=0
  kill -TERM "$pid" 2>/dev/null || true
  status=0; wait "$pid" || status=$?
  [ "$status" = 0 ] || ok=0
  if [ "$ok" = 1 ]; then
    passed=$((passed + 1))
    times+=($(( (ready - began) / 1000000 )))
  else
    echo "start $i FAILED: ready line '$line', exit $status, stderr: $(tr '\n' ' ' < "$work/err")"
  fi
  rm -f "$db" "$db-wal" "$db-shm"
done
sorted=$(printf '%s\n' "${times[@]:-0}" | sort -n)
median=$(printf '%s\n' "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
max=$(printf '%s\n' "$sorted" | tail -n 1)
echo "starts=$count passed=$passed ready_ms_median=$median ready_ms_max=$max binary=$orbita"
[ "$passed" = "$count" ]
