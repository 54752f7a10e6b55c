#!/usr/bin/env bash
# Benchmark (issue 4): MPTCP over two rate-limited paths. In one run, side by side:
#   - umptcp client -> kernel MPTCP server over two TUN devices, with two subflows and with one;
#   - kernel MPTCP client -> kernel MPTCP server over two veth pairs, two subflows and one;
# every path limited to the same rate with tc tbf on the kernel side (both directions: egress
# tbf on the device, ingress redirected through an ifb device with its own tbf).
# Everything runs in a private network namespace (unshare) and two child namespaces of its
# own, removed at the end.
#   bench/mptcp_paths.sh [BUILD_DIR] [MBYTES] [RATE_MBIT]
# Prints a Markdown table for docs/PERFORMANCE.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
mbytes=${2:-200}
rate=${3:-200}
bytes=$((mbytes * 1000 * 1000))
umptcp=$build/umptcp sink=$build/bench/tcp_sink
for b in "$umptcp" "$sink"; do
  [ -x "$b" ] || { echo "missing $b: build with cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "needs root (TUN, veth, ifb, network namespaces)" >&2; exit 2; }

if [ "${UMPTCP_BENCH_INSIDE:-}" != 1 ]; then
  exec unshare --net --mount env UMPTCP_BENCH_INSIDE=1 bash "$0" "$build" "$mbytes" "$rate"
fi
# A private /run/netns: the child namespaces of this run are invisible outside and vanish
# with it.
mount -t tmpfs none /run 2>/dev/null || true
mkdir -p /run/netns
ip link set lo up
sysctl -qw net.mptcp.enabled=1
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
burst=$((rate * 1000000 / 8 / 250 + 3000)) # one jiffy at the rate, at least two packets

# limit NS DEV: tbf on DEV's egress and, through an ifb device, on its ingress.
limit() {
  local ns=$1 dev=$2
  ip -n "$ns" link add "ifb-$dev" type ifb
  ip -n "$ns" link set "ifb-$dev" up
  ip netns exec "$ns" tc qdisc add dev "$dev" root tbf rate "${rate}mbit" burst "$burst" latency 20ms
  ip netns exec "$ns" tc qdisc add dev "$dev" handle ffff: ingress
  ip netns exec "$ns" tc filter add dev "$dev" parent ffff: protocol all u32 match u32 0 0 \
    action mirred egress redirect dev "ifb-$dev"
  ip netns exec "$ns" tc qdisc add dev "ifb-$dev" root tbf rate "${rate}mbit" burst "$burst" latency 20ms
}

# The main namespace of this run is the kernel side of the TUN devices; it gets a name too.
touch /run/netns/top
mount --bind /proc/self/ns/net /run/netns/top

# ---- 1. kernel <-> kernel over two veth pairs ----------------------------------------------
ip netns add kcli
ip netns add ksrv
for i in 0 1; do
  ip link add "vc$i" netns kcli type veth peer name "vs$i" netns ksrv
  ip -n kcli addr add "10.9$i.0.1/24" dev "vc$i"
  ip -n ksrv addr add "10.9$i.0.2/24" dev "vs$i"
  ip -n kcli link set "vc$i" up
  ip -n ksrv link set "vs$i" up
  limit kcli "vc$i"
  limit ksrv "vs$i"
done
for ns in kcli ksrv; do
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.mptcp.enabled=1
  ip -n "$ns" mptcp limits set subflows 4 add_addr_accepted 4
done

# kernel_run SUBFLOWS: kernel client -> kernel server, prints mbit_s.
kernel_run() {
  ip -n kcli mptcp endpoint flush
  if [ "$1" -gt 1 ]; then ip -n kcli mptcp endpoint add 10.91.0.1 dev vc1 subflow; fi
  ip netns exec ksrv "$sink" -l 5001 --mptcp >/tmp/ubench.k.$$ &
  local pid=$!
  sleep 0.3
  ip netns exec kcli "$sink" -c 10.90.0.2 5001 "$bytes" --mptcp >/dev/null
  wait $pid
  field mbit_s </tmp/ubench.k.$$
}
k1=$(kernel_run 1)
k2=$(kernel_run 2)

# ---- 2. umptcp client -> kernel server over two TUN devices --------------------------------
for i in 0 1; do
  ip tuntap add dev "ub$i" mode tun
  ip link set "ub$i" mtu 1500 up
  ip addr add "10.7$i.0.1/24" dev "ub$i"
  limit top "ub$i"
done
ip mptcp limits set subflows 4 add_addr_accepted 4

# umptcp_run SUBFLOWS: prints the kernel server's mbit_s.
umptcp_run() {
  "$sink" -l 5002 --mptcp >/tmp/ubench.u.$$ &
  local pid=$!
  sleep 0.3
  head -c "$bytes" /dev/zero | "$umptcp" cat -q --max-subflows "$1" \
    --tun ub0=10.70.0.2 --tun ub1=10.71.0.2 --stats /tmp/ubench.stats.$$."$1" 10.70.0.1 5002 >/dev/null
  wait $pid
  field mbit_s </tmp/ubench.u.$$
}
u1=$(umptcp_run 1)
u2=$(umptcp_run 2)
# What each subflow of the two-subflow run sent, from umptcp's --stats file.
shares=$(python3 - "/tmp/ubench.stats.$$.2" <<'PY' 2>/dev/null || echo "(no python3)"
import json, sys
doc = json.load(open(sys.argv[1]))
conns = doc.get("connections", [doc]) if isinstance(doc, dict) else doc
for c in conns:
    subs = c.get("subflows", [])
    total = sum(s.get("bytes_sent", 0) for s in subs) or 1
    print(", ".join("%s %.0f%%" % (s.get("local", {}).get("address", "?"),
                                   100.0 * s.get("bytes_sent", 0) / total) for s in subs))
PY
)
rm -f /tmp/ubench.k.$$ /tmp/ubench.u.$$ /tmp/ubench.stats.$$.*

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "| ${mbytes} MB, each path ${rate} Mbit/s (tbf both ways) | one subflow | two subflows | two / one |"
echo "|---|---|---|---|"
echo "| umptcp client -> kernel MPTCP server (two TUN devices) | $u1 | $u2 | $(ratio "$u2" "$u1") |"
echo "| kernel MPTCP client -> kernel MPTCP server (two veth pairs) | $k1 | $k2 | $(ratio "$k2" "$k1") |"
echo
echo "umptcp two subflows / kernel two subflows: $(ratio "$u2" "$k2"); umptcp's subflows sent: $shares"
echo "machine: $(nproc) cores, $(uname -r)"
