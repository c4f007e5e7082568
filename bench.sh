#!/usr/bin/env bash
# Runs the benchmarks (Scheduler.Benchmarks) against a PostgreSQL of its own, started like ./test.sh starts one
# but durable (fsync and synchronous commit on), with pg_stat_statements loaded and 300 connections; writes
# docs/benchmarks.md and docs/benchmarks.json; stops what it started.
#   ./bench.sh            the full run (about 20 minutes on 2 cores)
#   ./bench.sh --quick    smaller sizes and shorter windows (a few minutes), to check that it works
#   ./bench.sh --only throughput,latency   some scenarios only (throughput, latency, cron, history, failover, idle)
#   ./bench.sh --guard    the regression guard (a few minutes): the service's costs per execution on 1 and 2 nodes,
#                         bare Quartz's, idle trigger latency, then a summary block; writes its report to its scratch
#                         directory (/tmp/scheduler-bench-<pid>), not docs/, unless --out says where
#   --out DIR             where benchmarks.md and benchmarks.json go (default docs/, or the scratch directory for --guard)
set -euo pipefail
cd "$(dirname "$0")"
. scripts/postgres.sh
require_dotnet
# The history scenario drives the API with wrk.
ensure_tools wrk:wrk

pg_dir=""
cleanup() {
  if [ -n "$pg_dir" ]; then
    pg_stop "$pg_dir"
    rm -rf "$pg_dir"; pg_dir=""
  fi
}
trap cleanup EXIT

pg_ensure_installed
pg_dir=$(mktemp -d /tmp/scheduler-bench-pg.XXXXXX)
for attempt in 1 2 3 4 5; do
  port=$(free_port $((57433 + RANDOM % 2000)))
  if (pg_start "$pg_dir" "$port"); then break; fi
  [ "$attempt" = 5 ] && die "PostgreSQL did not start after $attempt tries"
  log "port $port was taken meanwhile; trying another"
done
# Durability stays at PostgreSQL's defaults (fsync, synchronous_commit, full_page_writes on). These two need a restart.
PGPASSWORD=$(cat "$pg_dir/password") "$(pg_bin_dir)/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -q \
  -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" -c "ALTER SYSTEM SET max_connections = 300" >/dev/null
pg_stop "$pg_dir"
pg_start "$pg_dir" "$port"
for database in bench_scheduler bench_quartz bench_hangfire; do
  pg_create_database "$pg_dir" "$port" "$database"
done
export BENCH_SERVER="$(pg_connection_string "$pg_dir" "$port" postgres)"

log "building (Release)"
dotnet build Scheduler.Service/Scheduler.Service.csproj -c Release --nologo -v quiet
dotnet build Scheduler.Benchmarks/Scheduler.Benchmarks.csproj -c Release --nologo -v quiet

log "running the benchmarks"
dotnet Scheduler.Benchmarks/bin/Release/net10.0/Scheduler.Benchmarks.dll \
  --service-dir Scheduler.Service/bin/Release/net10.0 "$@"
