#!/usr/bin/env bash
# Refreshes the TypeScript client (clients/typescript) from the service's OpenAPI document:
# writes the snapshot clients/typescript/openapi.json, then regenerates src/schema.ts from it.
#   scripts/update-ts-client.sh                         starts the service with ./run.sh on free loopback ports, reads
#                                                       /openapi/v1.json, and stops everything it started
#   scripts/update-ts-client.sh http://127.0.0.1:8080   reads /openapi/v1.json from a service that is already running
# The snapshot leaves out "servers" (the address it was read from) so that it does not depend on where the service ran.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  || die "node and npm are needed (Node.js 20 or later): apt-get install nodejs npm"

client=clients/typescript
base_url=${1:-}
run_pid=""
stop_service() {
  if [ -n "$run_pid" ]; then
    # run.sh stops the stand-ins, the service and its PostgreSQL on TERM.
    kill -TERM "$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
    run_pid=""
  fi
}
trap stop_service EXIT

if [ -z "$base_url" ]; then
  port=$(free_port 18080)
  standin_port=$(free_port $((port + 1)))
  log "starting the service with ./run.sh on http://127.0.0.1:$port (log: .local/update-ts-client.log)"
  mkdir -p .local
  PORT=$port STANDIN_URL=http://127.0.0.1:$standin_port ./run.sh > .local/update-ts-client.log 2>&1 &
  run_pid=$!
  # run.sh builds first: allow for a cold build on a small machine.
  for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "$run_pid" 2>/dev/null || die "./run.sh exited during start-up; see .local/update-ts-client.log"
    sleep 1
  done
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 \
    || die "the service was not ready within 10 minutes; see .local/update-ts-client.log"
  base_url=http://127.0.0.1:$port
fi

document=$(mktemp)
curl -fsS "${base_url%/}/openapi/v1.json" -o "$document" \
  || die "could not read ${base_url%/}/openapi/v1.json (is ApiReference:Enabled false?)"
stop_service

node -e '
  const fs = require("node:fs");
  const document = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  delete document.servers;
  fs.writeFileSync(process.argv[2], JSON.stringify(document, null, 2) + "\n");
' "$document" "$client/openapi.json"
rm -f "$document"
log "wrote $client/openapi.json"

if ! cmp -s "$client/package-lock.json" "$client/node_modules/.installed-from-package-lock.json"; then
  (cd "$client" && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-from-package-lock.json)
fi
(cd "$client" && npm run --silent generate && npx --no-install tsc --noEmit)
log "regenerated $client/src/schema.ts and type-checked the client"
