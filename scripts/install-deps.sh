#!/bin/sh
# Install the Debian packages pkh needs, only those missing (apt-get, as root or through sudo).
# Usage: scripts/install-deps.sh [extra packages...]
set -eu
PKGS="gcc make cmake pkg-config libgsl-dev libcsv-dev zlib1g-dev libcmocka-dev libjansson-dev $*"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "pkh: installing missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "pkh: these packages are missing and I am not root (no sudo either):$missing" >&2
    echo "pkh: install them with: apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q --no-install-recommends $missing; then
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends $missing
fi
