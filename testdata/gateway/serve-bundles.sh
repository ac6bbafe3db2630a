#!/usr/bin/env bash
# Serves a directory of plugin bundles (default: dist/) over HTTP on
# 127.0.0.1:${PORT:-8000}, for a local gateway with
#   "bundle_base_url": "http://127.0.0.1:8000/"
# One line with python3; busybox httpd when python3 is missing.
set -euo pipefail
dir=${1:-dist}
port=${PORT:-8000}
if command -v python3 >/dev/null 2>&1; then
	exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$dir"
fi
exec busybox httpd -f -v -p "127.0.0.1:${port}" -h "$dir"
