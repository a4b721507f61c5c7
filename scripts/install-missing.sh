#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are not installed yet (none: does nothing).
# Runs as root (CI) or through sudo (a developer's machine). Used by install-deps.sh and
# install-fuzz-deps.sh, which say what each package is for.
set -euo pipefail

missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
