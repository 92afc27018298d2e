#!/usr/bin/env bash
# tools/setup.sh: installs what flowrt needs to build and test on Debian, and nothing that is
# already there. Idempotent; uses sudo when not root. `setup.sh --fuzz` also installs clang and
# its sanitizer and libFuzzer runtimes (make fuzz, make fuzz-smoke).
set -euo pipefail

pkgs=(gcc libc6-dev make cmake pkg-config libopenblas-dev libprotobuf-c-dev protobuf-c-compiler
      libcmocka-dev libsnappy-dev)
if [ "${1:-}" = "--fuzz" ]; then
  pkgs+=(clang libclang-rt-dev)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
