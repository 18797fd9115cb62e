#!/usr/bin/env bash
# Scale out, shown: the public article page with one web process and with two (gunicorn sync workers, each a
# process, sharing the Redis cache), and notifications with one worker process and with two (sharing the Redis
# broker). PostgreSQL and Redis on 127.0.0.1; needs wrk (apt-get install -y wrk).
#
#   bench/scale_out.sh            DUR=10s NOTIFICATIONS=2000
#
# Prints one JSON line: requests per second for 1 and 2 web processes, notifications per second for 1 and 2
# worker processes. On a machine with two cores wrk itself takes a share of them: the growth, not the absolute
# figure, is the measure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 2; }
DUR="${DUR:-10s}"
NOTIFICATIONS="${NOTIFICATIONS:-2000}"
PG="${BENCH_PG_URL_BASE:-postgres://postgres@127.0.0.1:5432}"
DB=editorial_bench_scale
export DATABASE_URL="$PG/$DB" DJANGO_SETTINGS_MODULE=config.settings SECRET_KEY=bench-scale-out DEBUG= \
  ALLOWED_HOSTS=127.0.0.1,localhost CACHE_URL="rediscache://127.0.0.1:6379/9" EMAIL_URL=memorymail://
PY=.venv/bin/python
LOG="$(mktemp -d /tmp/editorial-scale.XXXXXX)"

$PY - <<EOF >"$LOG/setup.log" 2>&1
import psycopg
with psycopg.connect("$PG/postgres", autocommit=True) as conn:
    conn.execute("DROP DATABASE IF EXISTS $DB")
    conn.execute("CREATE DATABASE $DB")
EOF
$PY manage.py migrate -v 0
# An approved article, published in-process (no broker for the set-up); its slug for the URL.
SLUG=$($PY manage.py shell -c "
from tests.factories import make_user, reviewed_article
from editorial.services import publishing
a, e, b = make_user('author', username='sa'), make_user('editor', username='se'), make_user('board', username='sb')
article = reviewed_article(a, e, [b], state='approved', title='How is high blood pressure treated?')
publishing.request_publication(article, actor=e)
print(article.slug)" 2>>"$LOG/setup.log" | tail -1)
$PY -c "import redis; r = redis.Redis.from_url('redis://127.0.0.1:6379/9'); [r.delete(k) for k in r.scan_iter('*editorial*')]"

page_rate() {  # $1: web processes
  local port=18$((RANDOM % 900 + 100))
  setsid .venv/bin/gunicorn config.wsgi -w "$1" -b "127.0.0.1:$port" --access-logfile /dev/null \
    >"$LOG/gunicorn-$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/articles/$SLUG/" >/dev/null && break; sleep 0.1; done
  wrk -t2 -c16 -d"$DUR" "http://127.0.0.1:$port/articles/$SLUG/" >"$LOG/wrk-$1.txt"
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  awk '/Requests\/sec/ {print $2}' "$LOG/wrk-$1.txt"
}
notify_rate() {  # $1: worker processes
  .venv/bin/python bench/publishing.py --publishes 0 --notifications "$NOTIFICATIONS" --workers "$1" \
    2>>"$LOG/publishing.log" | tail -1 | $PY -c "import json, sys; print(json.load(sys.stdin)['notifications_per_second'])"
}
web1=$(page_rate 1); web2=$(page_rate 2)
unset DATABASE_URL CACHE_URL  # bench/publishing.py uses a database and a queue of its own
work1=$(notify_rate 1); work2=$(notify_rate 2)
echo "{\"page_rps\": {\"1\": $web1, \"2\": $web2}, \"notifications_per_second\": {\"1\": $work1, \"2\": $work2}, \"logs\": \"$LOG\"}"
