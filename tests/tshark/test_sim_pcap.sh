#!/usr/bin/env bash
# `umptcp sim --pcap-dir`: one capture per host, which tshark reads and whose MPTCP analysis
# ties the subflows of the wifi-lte download into one MPTCP connection.
set -uo pipefail
bin=${UMPTCP_BIN:?UMPTCP_BIN (set by ctest)}
if ! command -v tshark >/dev/null; then
  [ "${CI:-}" = true ] && { echo "FAIL: tshark is not installed"; exit 1; }
  echo "skipped: tshark is not installed"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

"$bin" sim -q --preset wifi-lte --no-baseline --time 3 --pcap-dir "$tmp/pcap" >/dev/null ||
  fail "umptcp sim exited $?"
for h in phone server; do
  [ -s "$tmp/pcap/$h.pcap" ] || fail "no capture of host $h"
done
[ -e "$tmp/pcap/internet.pcap" ] && fail "a router got a capture"

# tcp.stream -> mptcp.stream for every packet of the phone's capture.
tshark -n -r "$tmp/pcap/phone.pcap" -o mptcp.analyze_mptcp:TRUE -T fields -E separator=' ' \
  -e tcp.stream -e mptcp.stream 2>/dev/null | sort -u >"$tmp/streams"
tcp_streams=$(cut -d' ' -f1 "$tmp/streams" | sort -u | wc -l)
mptcp_streams=$(awk 'NF == 2 { print $2 }' "$tmp/streams" | sort -u | wc -l)
echo "phone.pcap: $tcp_streams TCP streams in $mptcp_streams MPTCP connection(s)"
[ "$tcp_streams" -eq 2 ] || fail "expected 2 subflows (wifi, lte), tshark saw $tcp_streams"
[ "$mptcp_streams" -eq 1 ] || fail "expected tshark to tie them into 1 MPTCP connection"

# The join carries MP_JOIN, and tshark finds no malformed packet and no retransmission whose
# bytes differ from the original's (its reassembly flags overlaps as errors; port 5201 is
# decoded as plain data so that no payload dissector asks for reassembly).
joins=$(tshark -n -r "$tmp/pcap/phone.pcap" -Y 'tcp.options.mptcp.subtype == 1' 2>/dev/null | wc -l)
[ "$joins" -ge 2 ] || fail "expected MP_JOIN SYN and SYN/ACK at least, saw $joins"
bad=$(tshark -n -r "$tmp/pcap/server.pcap" -d tcp.port==5201,data \
  -Y '_ws.malformed || _ws.expert.severity == error || _ws.expert.message contains "onflict"' \
  2>/dev/null | wc -l)
[ "$bad" -eq 0 ] || fail "$bad malformed or erroneous packets in server.pcap"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
