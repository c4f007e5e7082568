#!/usr/bin/env bash
# Runs every test against a real PostgreSQL. Starts a throwaway cluster on a free loopback port
# unless ConnectionStrings__Scheduler is set (as in GitHub Actions); stops what it started.
# Exits with the tests' result; the last line is the summary.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/postgres.sh
require_dotnet
# Tools some tests call. A missing one fails only the tests that need it, each saying what to install: nothing here
# stops the suite over it. The observability tests run jq and promtool; the dashboard's browser tests drive a
# system Chromium through Playwright (no browser download); the deployment tests render k8s/ with kubectl kustomize
# and validate it with Node (npm packages below). Supported: Debian 12/13, Ubuntu 22.04/24.04 (docs/deployment.md#tests).
. /etc/os-release 2>/dev/null || ID=unknown
try_tools jq:jq promtool:prometheus node:nodejs npm:npm || true

# Chromium: CHROMIUM_PATH wins; then Debian's, Ubuntu's (deb or snap), Google Chrome. Exported for the tests.
find_chromium() {
  local c
  for c in /usr/bin/chromium /usr/bin/chromium-browser /snap/bin/chromium /usr/bin/google-chrome /usr/bin/google-chrome-stable \
           "$(command -v chromium 2>/dev/null)" "$(command -v chromium-browser 2>/dev/null)" "$(command -v google-chrome 2>/dev/null)"; do
    if [ -n "$c" ] && [ -x "$c" ]; then printf '%s' "$c"; return 0; fi
  done
  return 1
}
chromium_install="Debian: apt-get install chromium; Ubuntu: snap install chromium (or install google-chrome-stable); or set CHROMIUM_PATH to a Chromium or Chrome binary"
if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] || export SCHEDULER_CHROMIUM_PROBLEM="CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file. $chromium_install."
else
  if ! find_chromium >/dev/null; then
    case "$ID" in
      debian) try_tools chromium:chromium || true ;;
      ubuntu) { command -v snap >/dev/null 2>&1 && as_root snap install chromium >/dev/null 2>&1; } || log "could not install Chromium by snap" ;;
    esac
  fi
  if CHROMIUM_PATH=$(find_chromium); then export CHROMIUM_PATH
  else
    export CHROMIUM_PATH=""
    export SCHEDULER_CHROMIUM_PROBLEM="No Chromium found (looked for /usr/bin/chromium, chromium-browser, /snap/bin/chromium, google-chrome). $chromium_install."
    log "$SCHEDULER_CHROMIUM_PROBLEM The dashboard's browser tests will fail."
  fi
fi
[ -n "${CHROMIUM_PATH:-}" ] && log "Chromium for the browser tests: $CHROMIUM_PATH"

# kubectl (its built-in kustomize renders the overlays): kustomize replacements and components need kubectl 1.27+,
# so Debian's own kubernetes-client (1.20) is too old. Tried: the distribution's kubectl package (present when the
# Kubernetes apt repository is configured), then the snap on Ubuntu.
kubectl_install="install kubectl 1.27 or newer: add the Kubernetes apt repository as kubernetes.io/docs/tasks/tools/install-kubectl-linux describes, then apt-get install kubectl (on Ubuntu also: snap install kubectl --classic); or put a kubectl binary on PATH"
if ! command -v kubectl >/dev/null 2>&1; then
  try_tools kubectl:kubectl || true
  if ! command -v kubectl >/dev/null 2>&1 && [ "$ID" = ubuntu ] && command -v snap >/dev/null 2>&1; then
    as_root snap install kubectl --classic >/dev/null 2>&1 || true
    export PATH="$PATH:/snap/bin"
  fi
fi
if ! command -v kubectl >/dev/null 2>&1; then
  export SCHEDULER_KUBECTL_PROBLEM="kubectl was not found and could not be installed: $kubectl_install."
  log "$SCHEDULER_KUBECTL_PROBLEM The deployment tests will fail."
else
  kubectl_minor=$(kubectl version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n 1)
  if [ -z "$kubectl_minor" ] || [ "$kubectl_minor" -lt 27 ]; then
    export SCHEDULER_KUBECTL_PROBLEM="$(command -v kubectl) is kubectl 1.${kubectl_minor:-?}, too old for the overlays' kustomize features: $kubectl_install."
    log "$SCHEDULER_KUBECTL_PROBLEM The deployment tests will fail."
  fi
fi

# The offline manifest validator (scripts/k8s-validate: Kubernetes and Prometheus Operator schemas from npm),
# installed into the git-ignored .tools/ once, and again only when its lock file changes.
ensure_k8s_validator() {
  local dir=.tools/k8s-validate
  if [ -d "$dir/node_modules" ] && cmp -s scripts/k8s-validate/package-lock.json "$dir/package-lock.json"; then return 0; fi
  log "installing the manifest validator (npm ci, scripts/k8s-validate/package-lock.json) into $dir"
  rm -rf "$dir" && mkdir -p "$dir"
  cp scripts/k8s-validate/package.json scripts/k8s-validate/package-lock.json "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) \
    || { rm -rf "$dir"; log "could not install the manifest validator: (cd $dir && npm ci)"; return 1; }
}
# The Node major the validator's packages declare in "engines" (kubernetes-models asks for >=22); an older Node is
# named in a warning, and the validation tests report what the validator actually does on it.
check_node_engines() {
  local need have
  need=$(node -e '
    const fs = require("fs"), path = require("path"); let need = 0;
    const walk = d => { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) { walk(p); continue; }
      if (e.name !== "package.json") continue;
      const m = /(\d+)/.exec((JSON.parse(fs.readFileSync(p, "utf8")).engines || {}).node || "");
      if (m && +m[1] > need) need = +m[1]; } };
    walk(process.argv[1]); console.log(need);' .tools/k8s-validate/node_modules 2>/dev/null) || return 0
  have=$(node -p 'process.versions.node.split(".")[0]')
  if [ "${need:-0}" -gt "$have" ]; then
    log "Node $have is older than the $need the manifest validator's packages declare (engines); if validation fails, install Node $need+ (e.g. NodeSource's nodejs)"
  fi
}
# The TypeScript client's tests (Scheduler.Tests/Clients) generate, compile and run clients/typescript: its packages
# come from its lock file into its git-ignored node_modules, once, and again only when the lock file changes.
ensure_ts_client() {
  local dir=clients/typescript
  if cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-from-package-lock.json"; then return 0; fi
  log "installing the TypeScript client's packages (npm ci, $dir/package-lock.json)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-from-package-lock.json) \
    || log "could not install the TypeScript client's packages (cd $dir && npm ci): its tests will fail"
}
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  ensure_k8s_validator && check_node_engines || true
  ensure_ts_client
else
  export SCHEDULER_NODE_PROBLEM="node and npm are needed for the manifest validator: apt-get install nodejs npm (Node 22+ is what its packages declare)."
  log "$SCHEDULER_NODE_PROBLEM The manifest validation tests will fail."
fi

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
