#!/usr/bin/env bash
# `umptcp sim` from the command line: presets, determinism of the results files, the CSV, the
# plot, exit statuses, and clear errors for bad arguments and bad scenario files.
set -uo pipefail
bin=${UMPTCP_BIN:?UMPTCP_BIN (set by ctest)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# expect_status STATUS DESCRIPTION CMD...: runs CMD (stdout+stderr to $tmp/out), checks status.
expect_status() {
  local want=$1 what=$2
  shift 2
  "$@" >"$tmp/out" 2>&1
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$what: exit status $got, expected $want"
    sed 's/^/    /' "$tmp/out" | head -20
    return 1
  fi
  echo "ok: $what"
}

# expect_error DESCRIPTION PATTERN CMD...: exit status 2 and PATTERN (grep -E) in the output.
expect_error() {
  local what=$1 pattern=$2
  shift 2
  expect_status 2 "$what" "$@" || return 0
  grep -Eq -- "$pattern" "$tmp/out" || fail "$what: no '$pattern' in: $(head -3 "$tmp/out")"
}

# ---- presets ------------------------------------------------------------------------------
expect_status 0 "--list-presets" "$bin" sim --list-presets
for p in wifi-lte dual-ethernet heterogeneous handover shared-bottleneck lossy middlebox; do
  grep -q "^$p " "$tmp/out" || fail "--list-presets does not list $p"
done
expect_status 0 "--show-preset" "$bin" sim --show-preset wifi-lte
cp "$tmp/out" "$tmp/wifi-lte.ini"

# ---- a run, its files, determinism ----------------------------------------------------------
run() { "$bin" sim -q --time 4 "$@"; }
expect_status 0 "run wifi-lte for 4 s" run --preset wifi-lte --json "$tmp/a.json" --csv "$tmp/a.csv"
grep -q "download" "$tmp/out" || fail "the table does not name the flow"
grep -q "wifi" "$tmp/out" || fail "the table does not name the wifi link"
grep -qi "alone" "$tmp/out" || fail "the table shows no single-path baseline"
expect_status 0 "the same run again" run --preset wifi-lte --json "$tmp/b.json" --csv "$tmp/b.csv"
cmp -s "$tmp/a.json" "$tmp/b.json" || fail "same seed, different JSON"
cmp -s "$tmp/a.csv" "$tmp/b.csv" || fail "same seed, different CSV"
expect_status 0 "another seed" run --preset wifi-lte --seed 7 --json "$tmp/c.json"
cmp -s "$tmp/a.json" "$tmp/c.json" && fail "seed 7 gave the same JSON as seed 1"
# The preset's text as a file gives the same run (only the scenario's source differs).
expect_status 0 "the preset's text as a file" run "$tmp/wifi-lte.ini" --json "$tmp/d.json"
diff <(grep -v '"source"' "$tmp/a.json") <(grep -v '"source"' "$tmp/d.json") >/dev/null ||
  fail "the preset's text as a file gives other results than the preset"

head -1 "$tmp/a.csv" | grep -q '^time_s,flow,subflow,link,throughput_mbps,cwnd_bytes,srtt_ms$' ||
  fail "CSV header: $(head -1 "$tmp/a.csv")"
# 4 s in 100 ms steps: 40 samples of the flow and of each of its two subflows.
lines=$(($(wc -l <"$tmp/a.csv") - 1))
[ "$lines" -eq 120 ] || fail "CSV has $lines samples, expected 120"
grep -q '^4.000*,download,all,' "$tmp/a.csv" || fail "CSV has no aggregate sample at 4 s"

# ---- plot ----------------------------------------------------------------------------------
if command -v gnuplot >/dev/null; then
  expect_status 0 "--plot svg" run --preset wifi-lte --no-baseline --plot "$tmp/p.svg"
  grep -q "<svg" "$tmp/p.svg" 2>/dev/null || fail "--plot wrote no SVG"
  expect_status 0 "--plot png" run --preset wifi-lte --no-baseline --plot "$tmp/p.png"
  [ "$(head -c 4 "$tmp/p.png" | od -An -tx1 | tr -d ' ')" = "89504e47" ] || fail "not a PNG"
elif [ "${CI:-}" = true ]; then
  fail "gnuplot is not installed (CI must test --plot)"
fi
expect_status 1 "--plot with an unknown format" run --preset wifi-lte --no-baseline --plot "$tmp/p.jpg"
grep -q "svg" "$tmp/out" || fail "--plot .jpg: the message does not say what works"

# ---- a flow that fails: exit status 1 ----------------------------------------------------------
cat >"$tmp/dead.ini" <<'INI'
[host a]
address = 10.9.0.1
[host b]
address = 10.9.0.2
[link wire]
a = a
b = b
[flow f]
client = a
server = b
bytes = 1MB
[events]
0s = down wire
INI
expect_status 1 "a flow over a dead link" run "$tmp/dead.ini"

# ---- errors: one line, exit status 2 ------------------------------------------------------------
expect_error "no scenario" "give a scenario file" "$bin" sim
expect_error "unknown option" "unknown option '--bogus'" "$bin" sim --bogus
expect_error "unknown preset" "unknown preset 'nope'.*wifi-lte" "$bin" sim --preset nope
expect_error "bad --time" "--time 'x'" "$bin" sim --preset wifi-lte --time x
expect_error "negative --time" "--time '-1'" "$bin" sim --preset wifi-lte --time -1
expect_error "bad --seed" "--seed '1x'" "$bin" sim --preset wifi-lte --seed 1x
expect_error "unknown --cc" "unknown congestion control 'nope'" "$bin" sim --preset wifi-lte --cc nope
expect_error "unknown --sched" "unknown scheduler 'nope'" "$bin" sim --preset wifi-lte --sched nope
expect_error "missing file" "nothere.ini" "$bin" sim "$tmp/nothere.ini"
expect_error "two scenarios" "give one of" "$bin" sim --preset wifi-lte "$tmp/wifi-lte.ini"
printf '[host a]\naddress = 10.0.0.1\n[link l]\na = a\nb = ghost\n' >"$tmp/bad.ini"
expect_error "bad scenario file" "bad.ini:5: .*ghost" "$bin" sim "$tmp/bad.ini"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
