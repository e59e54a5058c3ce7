#!/usr/bin/env bash
# Cron benchmark (docs/performance.md): seeds 100,000 organizations into a fresh local D1
# (1,000 of them with a trial that has ended, 1,000 due for a reminder, the rest in trial
# for longer, active, or without the add-on), runs the Cron once at a chosen time under
# `wrangler dev`, and prints the wall time and what the run's log line reports (D1 round
# trips, rows changed). Run with `make bench-cron` (after `make build`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false SKIP_WORKER_BUILD=1
ORGS=${ORGS:-100000}
DUE=${DUE:-1000}
state=$(mktemp -d)
log=$(mktemp)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
inspector=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
trap 'kill -TERM $pid 2>/dev/null || true; rm -rf "$state" "$log" "$state.sql"' EXIT

./node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$state" >/dev/null
now=$(( $(date +%s) * 1000 ))
day=86400000
python3 - "$ORGS" "$DUE" "$now" "$day" > "$state.sql" <<'PY'
import sys
orgs, due, now, day = (int(x) for x in sys.argv[1:])
print("BEGIN TRANSACTION;")
batch = []
for i in range(orgs):
    key = f"B{i:09d}"
    if i < due:                      # trial ended an hour ago
        status, trial, period = "'trial'", now - 3600_000, "NULL"
    elif i < 2 * due:                # trial ends in 5 days: 7-day reminder due
        status, trial, period = "'trial'", now + 5 * day, "NULL"
    elif i % 3 == 0:
        status, trial, period = "'trial'", now + 20 * day, "NULL"
    elif i % 3 == 1:
        status, trial, period = "'active'", "NULL", now + 15 * day
    else:
        status, trial, period = "'none'", "NULL", "NULL"
    admin = f"'admin{i}@example.com'" if status != "'none'" else "NULL"
    batch.append(f"('{key}', 'org-{i}', 'Org {i}', {now}, {status}, {trial}, {period}, {admin}, 'Admin {i}', 'Company {i}', {now})")
    if len(batch) == 500:
        print("INSERT INTO organizations (space_key, organization_id, name, created_at, pass_status, pass_trial_ends_at, pass_current_period_end, pass_admin_email, pass_admin_name, pass_company_name, pass_applied_at) VALUES " + ",".join(batch) + ";")
        batch = []
if batch:
    print("INSERT INTO organizations (space_key, organization_id, name, created_at, pass_status, pass_trial_ends_at, pass_current_period_end, pass_admin_email, pass_admin_name, pass_company_name, pass_applied_at) VALUES " + ",".join(batch) + ";")
print("COMMIT;")
PY
ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }
seed_start=$(ms)
./node_modules/.bin/wrangler d1 execute DB --local --persist-to "$state" --file "$state.sql" >/dev/null 2>&1 \
  || ./node_modules/.bin/wrangler d1 execute DB --local --persist-to "$state" --file <(grep -v -e '^BEGIN' -e '^COMMIT' "$state.sql") >/dev/null
echo "seeded $ORGS organizations in $(( $(ms) - seed_start )) ms"

./node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" \
  --persist-to "$state" --var ENVIRONMENT:development --var BASE_URL:http://127.0.0.1:$port >"$log" 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done

for run in 1 2; do
  start=$(ms)
  curl -sf "http://127.0.0.1:$port/cdn-cgi/handler/scheduled?cron=0+*+*+*+*&time=$now" >/dev/null
  end=$(ms)
  sleep 0.5
  line=$(grep '"event":"scheduled"' "$log" | tail -1)
  echo "cron run $run over $ORGS organizations: $(( end - start )) ms wall"
  echo "  $line"
done
