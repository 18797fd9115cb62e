#!/usr/bin/env bash
# Runs the shared benchmark (../shared/bench/editorial/run.sh) on this project, with one change: its approve
# request names the revision the member signs ("revision": 1), which API.md requires of every board decision
# (400 without it). Nothing else is changed. Needs wrk (apt-get install -y wrk).
#
#   bench/shared_bench.sh [SHARED_BENCH_DIR] [--with-wagtail]     (default ../shared/bench/editorial)
# Options (--with-wagtail: the Wagtail anchor in the same run) go to the shared run.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SOURCE="$ROOT/../shared/bench/editorial"
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then SOURCE="$1"; shift; fi
[ -f "$SOURCE/run.sh" ] || { echo "no shared bench at $SOURCE" >&2; exit 2; }
# The whole bench folder is copied (bench.py reads the Wagtail anchor's content beside it).
SOURCE="$(cd "$SOURCE" && pwd)"
COPY="$(mktemp -d /tmp/editorial-shared-bench.XXXXXX)"
cp -r "$(dirname "$SOURCE")"/. "$COPY"/
BENCH="$COPY/$(basename "$SOURCE")"
sed -i 's|json={"password": PASSWORD, "comment": "Approved for medical accuracy."}|json={"password": PASSWORD, "comment": "Approved for medical accuracy.", "revision": 1}|' "$BENCH/bench.py"
sed -i 's|{"password": PW, "comment": "ok"}|{"password": PW, "comment": "ok", "revision": 1}|' "$BENCH/queries.py"
grep -q '"revision": 1}' "$BENCH/bench.py" && grep -q '"revision": 1}' "$BENCH/queries.py" \
  || { echo "could not patch the approve request (the shared bench changed?)" >&2; exit 2; }
exec bash "$BENCH/run.sh" "$ROOT" "$@"
