#!/usr/bin/env bash
# System packages the tests need, installed only when missing (safe to run again and again):
#   postgresql  initdb / pg_ctl for the throw-away PostgreSQL server (tests/conftest.py starts it)
#   chromium    the browser the web tests drive
#   fonts-wqy-microhei  a Chinese font, so the browser tests' screenshots are readable
# Works on a clean Debian bookworm machine as root (CI); elsewhere it only reports what is missing.
set -euo pipefail

have_postgres() {
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null 2>&1 && compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null 2>&1
}

have_chromium() {
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

missing=()
# As root the server runs as the `postgres` system user, which the Debian package creates.
if ! have_postgres || { [ "$(id -u)" -eq 0 ] && ! id -u postgres >/dev/null 2>&1; }; then
    missing+=(postgresql)
fi
if ! have_chromium; then
    missing+=(chromium)
fi
if command -v fc-list >/dev/null 2>&1 && ! fc-list :lang=zh | grep -q .; then
    missing+=(fonts-wqy-microhei)
elif ! command -v fc-list >/dev/null 2>&1; then
    missing+=(fonts-wqy-microhei)
fi

if [ "${#missing[@]}" -eq 0 ]; then
    echo "setup_system: postgresql, chromium and a Chinese font are present."
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup_system: missing ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})." >&2
    echo "setup_system: PostgreSQL tests are skipped without initdb (and fail when CI is set)." >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_system: missing ${missing[*]} and no apt-get here; install them by hand." >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup_system: installing ${missing[*]} ..."
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package creates a cluster and may start it; the tests use their own server instead.
echo "setup_system: done."
