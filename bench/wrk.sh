#!/usr/bin/env bash
# Load test: gunicorn on 127.0.0.1 against the crm_load database (bench/load_data.py fills it),
# production settings, a salesperson signed in; `wrk -t2 -c16 -d30s` on the lead grid and on a
# lead form. Prints requests/s, p50/p99 latency and the count of non-2xx answers (must be 0),
# then stops gunicorn. Loopback only; about 75 s in all.
#
#   bench/wrk.sh                        # from the project directory
#   WORKERS=4 DURATION=30s bench/wrk.sh
#
# Needs wrk (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install wrk) and curl.
set -euo pipefail

cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=127.0.0.1
PORT=${PORT:-8790}
WORKERS=${WORKERS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-30s}
SALESPERSON=sales1
PASSWORD=bench-load-2026 # bench/load_data.py BENCH_PASSWORD
BASE="http://$HOST:$PORT"

for tool in wrk curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool is not installed. Debian/Ubuntu: apt-get install -y $tool; macOS: brew install $tool" >&2
    exit 1
  fi
done
if [ ! -x .venv/bin/gunicorn ]; then
  echo "No .venv/bin/gunicorn: run 'make install' first." >&2
  exit 1
fi
if curl -s -o /dev/null --max-time 2 "$BASE/"; then
  echo "Something already answers on $BASE; set PORT to a free port." >&2
  exit 1
fi

WORK=$(mktemp -d -t crm-wrk-XXXXXX)
GUNICORN_PID=""
cleanup() {
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID"
    wait "$GUNICORN_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Production settings (crm/settings.py reads these), except plain HTTP on loopback.
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_load
export DEBUG=false
export ENV_FILE=/dev/null
export SECRET_KEY
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export ALLOWED_HOSTS=$HOST
export SECURE_SSL_REDIRECT=false
export STATIC_ROOT=$WORK/static

LEAD_ID=$(timeout 30 "$PY" - <<'EOF'
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)) as conn:
    row = conn.execute(
        "SELECT l.id FROM leads_lead l JOIN auth_user u ON u.id = l.owner_id "
        "WHERE u.username = 'sales1' AND l.state = 'open' ORDER BY l.created_at DESC LIMIT 1"
    ).fetchone()
print(row[0] if row else "")
EOF
) || { echo "Cannot read crm_load: run bench/load_data.py first." >&2; exit 1; }
if [ -z "$LEAD_ID" ]; then
  echo "crm_load has no open lead for $SALESPERSON: run bench/load_data.py first." >&2
  exit 1
fi

timeout 120 "$PY" manage.py collectstatic --noinput -v0
timeout 60 "$PY" manage.py createcachetable -v0

.venv/bin/gunicorn crm.wsgi:application --bind "$HOST:$PORT" --workers "$WORKERS" \
  --access-logfile /dev/null --error-logfile "$WORK/gunicorn.log" --graceful-timeout 5 &
GUNICORN_PID=$!
for _ in $(seq 1 60); do
  if curl -s -o /dev/null --max-time 2 "$BASE/login/"; then break; fi
  sleep 0.5
done

# Sign in: GET the form for the CSRF cookie and token, POST it. The cookies are marked Secure,
# so they are read from the headers and sent by hand rather than through a cookie jar.
curl -sS --max-time 10 -D "$WORK/form.headers" -o "$WORK/form.html" "$BASE/login/"
CSRF_COOKIE=$(sed -n 's/^[Ss]et-[Cc]ookie: csrftoken=\([^;]*\).*/\1/p' "$WORK/form.headers")
CSRF_TOKEN=$(sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' "$WORK/form.html")
STATUS=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -D "$WORK/login.headers" \
  -H "Cookie: csrftoken=$CSRF_COOKIE" \
  --data-urlencode "username=$SALESPERSON" --data-urlencode "password=$PASSWORD" \
  --data-urlencode "csrfmiddlewaretoken=$CSRF_TOKEN" "$BASE/login/")
SESSION=$(sed -n 's/^[Ss]et-[Cc]ookie: sessionid=\([^;]*\).*/\1/p' "$WORK/login.headers")
if [ "$STATUS" != 302 ] || [ -z "$SESSION" ]; then
  echo "Sign-in as $SALESPERSON failed (HTTP $STATUS)." >&2
  exit 1
fi
COOKIE="sessionid=$SESSION"

# Every answer that is not a 2xx counts as an error (wrk itself only counts 4xx and 5xx, so a
# redirect to the sign-in page would pass unnoticed).
cat >"$WORK/status.lua" <<'EOF'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; bad = 0 end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local ok_total, bad_total = 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    bad_total = bad_total + thread:get("bad")
  end
  io.write(string.format("2xx answers: %d, non-2xx answers: %d, socket errors: %d\n",
    ok_total, bad_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("SUMMARY requests/s=%.1f p50_ms=%.1f p99_ms=%.1f non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, bad_total))
end
EOF

echo "gunicorn $("$PY" -c 'import gunicorn; print(gunicorn.__version__)'), $WORKERS sync workers on $BASE;" \
  "wrk -t$THREADS -c$CONNECTIONS -d$DURATION; signed in as $SALESPERSON; $(nproc) CPUs;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
FAILED=0
for path in "/leads/?view=open" "/leads/$LEAD_ID/"; do
  check=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE$path")
  if [ "$check" != 200 ]; then
    echo "GET $path answered $check before the run." >&2
    exit 1
  fi
  echo
  echo "== GET $path"
  timeout 120 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency --timeout 10s \
    -H "Cookie: $COOKIE" -s "$WORK/status.lua" "$BASE$path" | tee "$WORK/wrk.out"
  if ! grep -q "non2xx=0$" "$WORK/wrk.out"; then FAILED=1; fi
done

if [ -s "$WORK/gunicorn.log" ] && grep -qiE "error|exception|timeout" "$WORK/gunicorn.log"; then
  echo
  echo "gunicorn reported:"
  tail -20 "$WORK/gunicorn.log"
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$FAILED" != 0 ]; then
  echo "Some answers were not 2xx." >&2
  exit 1
fi
