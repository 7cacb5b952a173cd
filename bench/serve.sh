#!/bin/sh
# serve.sh — the speed of `covcast serve` (a benchmark, not a timed test):
# medians over 15 edits, measured through the API from sending the edit to
# the first answer (a quick pass of 200 replicates) and to the full count.
#   Nam Trực: 20 communes, 12 months, 2,000 replicates
#   a synthetic province: 150 communes x 6 groups, 24 months, 2,000 replicates
# Usage: sh bench/serve.sh [COVCAST]   (after make; needs build/bench/province
# or PROVINCE=path/to/province)
set -eu
bin=${1:-./covcast}
province=${PROVINCE:-build/bench/province}
dir=$(mktemp -d /tmp/covcast-bench-serve-XXXXXX)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
start() {   # start FOLDER: a server on a free port; sets url
  "$bin" serve "$1" --listen 127.0.0.1:0 --threads 2 --quiet > "$dir/addr" 2>/dev/null &
  pids="$pids $!"
  for i in $(seq 50); do [ -s "$dir/addr" ] && break; sleep 0.1; done
  url=$(sed -n 's|^covcast serve: \(http://[0-9.:]*\)/.*|\1|p' "$dir/addr")
}
echo "covcast serve bench: $(nproc) cores, $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
start scenarios
/usr/bin/python3 bench/serve_measure.py "$url" nam-truc-2018.ini campaign.peak enroll_multiplier 2,2.5,3,3.5,4
mkdir -p "$dir/province"
"$province" gen "$dir/province" 150 6 24 2000 >/dev/null
start "$dir/province"
/usr/bin/python3 bench/serve_measure.py "$url" scenario.ini target.province threshold 74,75,76,77
