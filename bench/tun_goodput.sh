#!/usr/bin/env bash
# Benchmark (issue 3): umptcp over one TUN device against the kernel's TCP, side by side with
# the raw TUN write rate of the same machine, in one run. Runs inside a private network
# namespace (unshare), so nothing outside is touched and everything vanishes at the end.
#   bench/tun_goodput.sh [BUILD_DIR] [MBYTES]
# Prints a Markdown table for docs/PERFORMANCE.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
mbytes=${2:-1000}
bytes=$((mbytes * 1000 * 1000))
umptcp=$build/umptcp sink=$build/bench/tcp_sink pump=$build/bench/tun_pump
for b in "$umptcp" "$sink" "$pump"; do
  [ -x "$b" ] || { echo "missing $b: build with cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "needs root (TUN devices, network namespace)" >&2; exit 2; }

if [ "${UMPTCP_BENCH_INSIDE:-}" != 1 ]; then
  exec unshare --net env UMPTCP_BENCH_INSIDE=1 bash "$0" "$build" "$mbytes"
fi

ip link set lo up
ip tuntap add dev ubench0 mode tun
ip link set ubench0 mtu 1500 up
ip addr add 10.77.0.1/24 dev ubench0
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

# 1. Raw TUN write rate: full-size packets written as fast as one core can.
pkts=$((bytes / 1500))
raw=$("$pump" ubench0 10.77.0.2 10.77.0.1 "$pkts" 1500)
raw_mbit=$(field mbit_s <<<"$raw")

# 2. umptcp client -> kernel TCP server over the same TUN.
"$sink" -l 5001 >/tmp/ubench.sink.$$ &
sinkpid=$!
sleep 0.3
t0=$(date +%s.%N)
head -c "$bytes" /dev/zero | "$umptcp" cat --no-mptcp -q --tun ubench0=10.77.0.2 10.77.0.1 5001 >/dev/null
t1=$(date +%s.%N)
wait $sinkpid
up=$(cat /tmp/ubench.sink.$$)
up_mbit=$(field mbit_s <<<"$up")
up_retrans=$(nstat -az TcpRetransSegs 2>/dev/null | awk '/TcpRetransSegs/{print $2}' || echo "?")

# 3. kernel TCP client -> umptcp server (the other direction).
"$umptcp" cat --no-mptcp -q -l --tun ubench0=10.77.0.2 5002 >/dev/null &
catpid=$!
sleep 0.3
down=$("$sink" -c 10.77.0.2 5002 "$bytes")
wait $catpid
down_mbit=$(field mbit_s <<<"$down")
rm -f /tmp/ubench.sink.$$

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "| measurement (${mbytes} MB, MTU 1500, one TUN) | Mbit/s | vs raw TUN write |"
echo "|---|---|---|"
echo "| raw TUN write rate (1500-byte packets, one core) | $raw_mbit | 1.00 |"
echo "| umptcp client -> kernel TCP server (goodput at the kernel) | $up_mbit | $(ratio "$up_mbit" "$raw_mbit") |"
echo "| kernel TCP client -> umptcp server (goodput at the kernel sender) | $down_mbit | $(ratio "$down_mbit" "$raw_mbit") |"
echo
echo "kernel retransmitted segments during the run: ${up_retrans}; machine: $(nproc) cores, $(uname -r)"
