#!/usr/bin/env bash
# Runs every test against a real PostgreSQL. Starts a throwaway cluster on a free loopback port
# unless ConnectionStrings__Scheduler is set (as in GitHub Actions); stops what it started.
# Exits with the tests' result; the last line is the summary.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/postgres.sh
require_dotnet
# The observability tests run the runbook's jq filter and promtool (check metrics, check and test rules);
# the dashboard's browser tests drive Debian's Chromium through Playwright (no browser download);
# the deployment tests render k8s/ with kubectl kustomize and validate it with Node (npm packages below).
ensure_tools jq:jq promtool:prometheus chromium:chromium node:nodejs npm:npm
command -v kubectl >/dev/null 2>&1 \
  || log "kubectl not found: the deployment tests will fail (they render k8s/overlays/* with kubectl kustomize)"
# The offline manifest validator (scripts/k8s-validate: Kubernetes and Prometheus Operator schemas from npm),
# installed into the git-ignored .tools/ once, and again only when its lock file changes.
ensure_k8s_validator() {
  local dir=.tools/k8s-validate
  if [ -d "$dir/node_modules" ] && cmp -s scripts/k8s-validate/package-lock.json "$dir/package-lock.json"; then return 0; fi
  log "installing the manifest validator (npm ci, scripts/k8s-validate/package-lock.json) into $dir"
  rm -rf "$dir" && mkdir -p "$dir"
  cp scripts/k8s-validate/package.json scripts/k8s-validate/package-lock.json "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) \
    || { rm -rf "$dir"; die "could not install the manifest validator: (cd $dir && npm ci)"; }
}
ensure_k8s_validator

pg_dir=""
cleanup() {
  if [ -n "$pg_dir" ]; then
    pg_stop "$pg_dir"
    # The server's log stays with the results (CI uploads them): deadlocks and refusals show there.
    if [ -d TestResults ]; then cp "$pg_dir/postgres.log" TestResults/postgres.log 2>/dev/null || true; fi
    rm -rf "$pg_dir"; pg_dir=""
  fi
}
trap cleanup EXIT

if [ -z "${ConnectionStrings__Scheduler:-}" ]; then
  pg_ensure_installed
  pg_dir=$(mktemp -d /tmp/scheduler-test-pg.XXXXXX)
  # A random start and a few tries: two test runs on one machine must not race for one port.
  for attempt in 1 2 3 4 5; do
    port=$(free_port $((55433 + RANDOM % 2000)))
    if (pg_start "$pg_dir" "$port" fast); then break; fi
    [ "$attempt" = 5 ] && die "PostgreSQL did not start after $attempt tries"
    log "port $port was taken meanwhile; trying another"
  done
  export ConnectionStrings__Scheduler="$(pg_connection_string "$pg_dir" "$port" postgres)"
else
  log "using the database in ConnectionStrings__Scheduler"
fi

results=TestResults
rm -rf "$results"
set +e
dotnet test Scheduler.sln -c Release \
  --logger "console;verbosity=normal" \
  --logger "trx;LogFileName=results.trx" \
  --results-directory "$results" "$@"
status=$?
set -e
cleanup

trx=$(find "$results" -name results.trx 2>/dev/null | head -n 1)
if [ -n "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  count() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$(count passed); failed=$(count failed); skipped=$(count notExecuted)
  echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
else
  echo "tests: the test run produced no results (build or start-up failure, see above)"
fi
exit "$status"
