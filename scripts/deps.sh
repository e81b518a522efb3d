#!/usr/bin/env bash
# scripts/deps.sh — installs the Debian packages skucast needs to build and test.
# Runs apt-get only when something is missing and we are root (or have sudo).
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config git ccache
      libhdf5-dev zlib1g-dev libdeflate-dev libcli11-dev libopenblas-dev libgtest-dev libgmock-dev libbenchmark-dev
      nlohmann-json3-dev libomp-dev libeigen3-dev
      python3 python3-numpy python3-h5py python3-statsmodels python3-scipy python3-pandas python3-torch)
PKGS+=("$@")
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "deps: missing packages (${missing[*]}) and not root; install them and rerun" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
