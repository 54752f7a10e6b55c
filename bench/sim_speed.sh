#!/usr/bin/env bash
# Simulation speed (a benchmark, not a test): wall time to simulate 60 s of the wifi-lte preset
# and of two 1 Gbit/s paths (bench/scenarios/dual-gigabit.ini) with a release build, side by
# side in one run, as "times faster than real time" (simulated seconds / wall seconds).
# Usage: bench/sim_speed.sh [REPEATS] (default 3). Figures go to docs/PERFORMANCE.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/common.sh"
repeats=${1:-3}
build="$root/build/release"
configure_and_build "$build" -DUMPTCP_TESTS=OFF >/dev/null
bin="$build/umptcp"

# one NAME ARGS...: runs `umptcp sim ARGS` for 60 simulated seconds, prints the speed.
one() {
  local name=$1
  shift
  local t0 t1 wall goodput
  t0=$(date +%s.%N)
  "$bin" sim -q --no-baseline --time 60 --json /tmp/sim_speed.$$.json "$@" >/dev/null
  t1=$(date +%s.%N)
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  goodput=$(grep -m1 '"goodput_mbps"' /tmp/sim_speed.$$.json | sed -E 's/.*: *([0-9.]+).*/\1/')
  printf '%-14s simulated 60 s in %6.2f s wall: %6.1fx real time (goodput %s Mbit/s)\n' \
    "$name" "$wall" "$(awk -v w="$wall" 'BEGIN { print 60 / w }')" "$goodput"
}

echo "umptcp sim speed, $(nproc) cores, $(date -u +%Y-%m-%d), release build ($(git -C "$root" rev-parse --short HEAD))"
for i in $(seq "$repeats"); do
  echo "run $i:"
  one wifi-lte --preset wifi-lte
  one dual-gigabit "$root/bench/scenarios/dual-gigabit.ini"
done
rm -f /tmp/sim_speed.$$.json
