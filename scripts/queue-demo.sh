#!/usr/bin/env bash
# From a fresh clone: the watcher on the bundled example and the review queue
# over it, on 127.0.0.1:8750: open the address it prints, which holds the
# queue's access token (Ctrl-C stops it). Installs what it needs
# like scripts/test.sh (public-inbox with apt-get as root on Debian; .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v public-inbox-httpd >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq public-inbox git >/dev/null
fi
VENV=${REVIEWBOT_VENV:-.venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
exec "$VENV/bin/python" scripts/queue_demo.py
