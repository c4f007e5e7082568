#!/usr/bin/env bash
# Runs the scheduler service on http://localhost:8080 (PORT to change) with the stand-in
# downstream services and, unless ConnectionStrings__Scheduler is set, a private PostgreSQL
# cluster kept in .local/pg. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/postgres.sh
require_dotnet

root=$(pwd)
mkdir -p .local
service_port=${PORT:-8080}
standin_url=${STANDIN_URL:-http://127.0.0.1:7101}
pids=()
pg_dir=""

cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$pg_dir" ]; then log "stopping PostgreSQL"; pg_stop "$pg_dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use "$service_port" && die "port $service_port is in use; stop what uses it or run PORT=<port> ./run.sh"

if [ -z "${ConnectionStrings__Scheduler:-}" ]; then
  pg_ensure_installed
  pg_dir="$root/.local/pg"
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$root/.local" 2>/dev/null; then
    # PostgreSQL runs as 'postgres' and cannot reach this checkout; keep the cluster where it can.
    pg_dir="/var/tmp/scheduler-dev-pg-$(printf '%s' "$root" | md5sum | cut -c1-8)"
    log "postgres cannot reach $root; keeping the dev cluster in $pg_dir"
  fi
  pg_port=$(cat "$root/.local/pg.port" 2>/dev/null || true)
  if [ -z "$pg_port" ] || port_in_use "$pg_port"; then pg_port=$(free_port 55432); fi
  echo "$pg_port" > "$root/.local/pg.port"
  pg_start "$pg_dir" "$pg_port"
  pg_create_database "$pg_dir" "$pg_port" scheduler
  export ConnectionStrings__Scheduler="$(pg_connection_string "$pg_dir" "$pg_port" scheduler)"
  psql_hint="PGPASSWORD=\$(cat $pg_dir/password) psql -h 127.0.0.1 -p $pg_port -U postgres scheduler"
else
  log "using the database in ConnectionStrings__Scheduler"
  psql_hint="psql \"<your database>\""
fi

log "building"
dotnet build Scheduler.sln -c Debug -nologo -v quiet >/dev/null

log "starting the stand-in downstream services on $standin_url"
(cd Scheduler.StandIns/bin/Debug/net10.0 && exec dotnet Scheduler.StandIns.dll --urls "$standin_url" \
  --StandIns:PendingDiscoveries=25 --StandIns:FailEvery=8) &
pids+=($!)

log "starting the scheduler service on http://localhost:$service_port"
(cd Scheduler.Service/bin/Debug/net10.0 && \
  ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development} PORT="$service_port" HOST=${HOST:-0.0.0.0} \
  JOB_RUNNER_ID=${JOB_RUNNER_ID:-local-$(hostname)} \
  CRAWLER_SERVICE_URL=${CRAWLER_SERVICE_URL:-$standin_url} DISCOVERY_SERVICE_URL=${DISCOVERY_SERVICE_URL:-$standin_url} \
  exec dotnet Scheduler.Service.dll) &
pids+=($!)

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$service_port/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "${pids[1]}" 2>/dev/null || die "the service exited during start-up (see its log above)"
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$service_port/readyz" >/dev/null 2>&1 || die "the service did not become ready within 60 s"

cat <<TXT

Scheduler service is up.
  API        http://localhost:$service_port/api/jobs
  Liveness   http://localhost:$service_port/health
  Readiness  http://localhost:$service_port/readyz
  Stand-ins  $standin_url/_standin/requests   (what the jobs sent downstream)
  Database   $psql_hint

Try:
  curl -s -X POST localhost:$service_port/api/jobs/trigger -H 'Content-Type: application/json' \\
       -d '{"jobType":"crawl_pending","triggeredBy":"test_user"}'
  curl -s localhost:$service_port/api/jobs/<id>

Ctrl-C stops the service, the stand-ins and PostgreSQL.
TXT

wait -n "${pids[@]}" || true
