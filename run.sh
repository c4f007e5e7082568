#!/usr/bin/env bash
# Runs the scheduler service on http://127.0.0.1:8080 (PORT to change) with the stand-ins for
# all five downstream services (crawler, discovery, email, user, core API) on
# http://127.0.0.1:7101 (STANDIN_URL to change) and, unless ConnectionStrings__Scheduler is set,
# a private PostgreSQL cluster kept in .local/pg. Everything listens on loopback only.
# The core API's admin password is generated afresh on every run, handed to the stand-ins and the
# service through their environment (never on a command line) and never printed.
# Ctrl-C (or SIGTERM) stops everything it started.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/postgres.sh
. scripts/dev-tokens.sh
require_dotnet

root=$(pwd)
mkdir -p .local
service_port=${PORT:-8080}
standin_url=${STANDIN_URL:-http://127.0.0.1:7101}
standin_port=${standin_url##*:}; standin_port=${standin_port%%/*}
admin_username=admin
# Alphanumeric, about 40 characters; from /dev/urandom without a pipe that can end early (pipefail).
admin_password=$(head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
[ "${#admin_password}" -ge 24 ] || die "could not generate the local admin password"
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
port_in_use "$standin_port" && die "port $standin_port is in use; stop what uses it or run STANDIN_URL=http://127.0.0.1:<port> ./run.sh"

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

# Real tokens from a local issuer: the service trusts its public key; admin and reader tokens for curl.
dev_signing_key "$root/.local"
(umask 077
 dev_token "$root/.local" local-admin Scheduler.Admin > "$root/.local/admin.jwt"
 dev_token "$root/.local" local-reader Scheduler.Reader > "$root/.local/reader.jwt")

log "building"
dotnet build Scheduler.sln -c Debug -nologo -v quiet >/dev/null

# The admin credentials go through the environment (StandIns__Admin* is --StandIns:Admin*), so the
# password never shows in ps or /proc/<pid>/cmdline.
log "starting the stand-in downstream services on $standin_url"
(cd Scheduler.StandIns/bin/Debug/net10.0 && \
  StandIns__AdminUsername="$admin_username" StandIns__AdminPassword="$admin_password" \
  exec dotnet Scheduler.StandIns.dll --urls "$standin_url" \
  --StandIns:PendingDiscoveries=25 --StandIns:FailEvery=8 --StandIns:DigestRecipients=12) &
pids+=($!)

log "starting the scheduler service on http://127.0.0.1:$service_port"
(cd Scheduler.Service/bin/Debug/net10.0 && \
  ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development} PORT="$service_port" HOST=${HOST:-127.0.0.1} \
  JOB_RUNNER_ID=${JOB_RUNNER_ID:-local-$(hostname)} \
  CRAWLER_SERVICE_URL=${CRAWLER_SERVICE_URL:-$standin_url} DISCOVERY_SERVICE_URL=${DISCOVERY_SERVICE_URL:-$standin_url} \
  EMAIL_SERVICE_URL=${EMAIL_SERVICE_URL:-$standin_url} USER_SERVICE_URL=${USER_SERVICE_URL:-$standin_url} \
  API_BASE=${API_BASE:-$standin_url} \
  ADMIN_BASIC_USERNAME="$admin_username" ADMIN_BASIC_PASSWORD="$admin_password" \
  Auth__Local__SigningKeyFile="$root/.local/signing-key.pub.pem" \
  exec dotnet Scheduler.Service.dll) &
pids+=($!)
unset admin_password

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$service_port/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "${pids[0]}" 2>/dev/null || die "the stand-ins exited during start-up (see their log above)"
  kill -0 "${pids[1]}" 2>/dev/null || die "the service exited during start-up (see its log above)"
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$service_port/readyz" >/dev/null 2>&1 || die "the service did not become ready within 60 s"

cat <<TXT

Scheduler service is up.
  API        http://127.0.0.1:$service_port/api/jobs
  Liveness   http://127.0.0.1:$service_port/health
  Readiness  http://127.0.0.1:$service_port/readyz
  Dashboard  http://127.0.0.1:$service_port/dashboard  (paste a token below, or open /dashboard#token=<token>)
  Stand-ins  $standin_url  (crawler, discovery, email, user and core API; 25 pending discoveries,
             every 8th fails to crawl; 12 digest recipients; core API admin password generated for this run)
             $standin_url/_standin/requests     (every request the jobs sent downstream, with headers)
             $standin_url/_standin/deliveries   (the emails actually delivered)
  Database   $psql_hint

Tokens (RS256, local issuer, valid 12 h; everything under /api needs one):
  admin   .local/admin.jwt    (Scheduler.Admin: trigger, cancel, retry)
  reader  .local/reader.jwt   (Scheduler.Reader: every GET)
  admin token:  $(cat "$root/.local/admin.jwt")
  reader token: $(cat "$root/.local/reader.jwt")

Trigger a job (crawl_pending, weekly_digest, cleanup_old_data, export_dlq_replay, outbox_dlq_replay,
email_scan, retention_cleanup, admin_cleanup), then look it up by the "id" it answers with:
  curl -s -X POST 127.0.0.1:$service_port/api/jobs/trigger -H "Authorization: Bearer \$(cat .local/admin.jwt)" \\
       -H 'content-type: application/json' -d '{"jobType":"weekly_digest"}'
  curl -s 127.0.0.1:$service_port/api/jobs/<id> -H "Authorization: Bearer \$(cat .local/reader.jwt)"
  curl -s '127.0.0.1:$service_port/api/jobs?type=weekly_digest&limit=5' -H "Authorization: Bearer \$(cat .local/reader.jwt)"

Ctrl-C stops the service, the stand-ins and PostgreSQL.
TXT

wait -n "${pids[@]}" || true
