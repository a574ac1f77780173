#!/bin/sh
# Installs Debian's chromium for the console's browser test (test/console), only when it is missing.
# Idempotent; needs root (CI containers run as root) or passwordless sudo.
set -eu

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-chromium: /usr/bin/chromium is missing and this is not root (run: apt-get install -y chromium)" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
