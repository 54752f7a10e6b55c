# Shared by scripts/demo and scripts/test: dependency installation and the build.
# shellcheck shell=bash

UMPTCP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

log() { printf '==> %s\n' "$*" >&2; }

# Installs the Debian packages given that are not installed yet (needs root for apt-get).
ensure_packages() {
  local missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# Packages needed to build the library and the tool.
BUILD_PACKAGES=(build-essential cmake pkg-config libssl-dev libpcap-dev libinih-dev)
# Extra packages for the test tiers: cmocka, clang/libFuzzer, tshark, namespaces and MPTCP peers.
TEST_PACKAGES=(libcmocka-dev clang libclang-rt-14-dev clang-format tshark iproute2 procps
  gnuplot-nox)

# configure_and_build BUILD_DIR [cmake args...]
configure_and_build() {
  local dir=$1
  shift
  cmake -S "$UMPTCP_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}
