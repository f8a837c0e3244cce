#!/bin/sh
# Install a headless browser for the browser tests (tests/test_browser.py): Debian's chromium.
# Playwright drives it through executable_path=/usr/bin/chromium; nothing is downloaded by
# Playwright itself (no `playwright install`). Needs root (CI runs as root) and apt-get.
set -u

if command -v chromium >/dev/null 2>&1; then
    echo "install-browser: chromium already installed: $(command -v chromium)"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "install-browser: chromium is missing and this script is not running as root;" >&2
    echo "  install it yourself (Debian/Ubuntu: apt-get install -y chromium) or run this script as root." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: chromium is missing and apt-get is not available on this system;" >&2
    echo "  install Chromium with your system's package manager (the tests look for /usr/bin/chromium)." >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get update && apt-get install -y --no-install-recommends chromium; then
    echo "install-browser: installed $(command -v chromium)"
    exit 0
fi
echo "install-browser: apt-get could not install chromium (offline, or no 'chromium' package in" >&2
echo "  the configured sources); browser tests will be skipped (and fail when CI is set)." >&2
exit 1
