# Shared by ./run.sh and ./test.sh: a private PostgreSQL cluster on a loopback port.
# Source it; it defines functions only.

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

require_dotnet() {
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is required (dotnet not found on PATH)"
  dotnet --list-sdks 2>/dev/null | grep -q '^10\.' || die "the .NET 10 SDK is required (dotnet --list-sdks shows none)"
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi
}

pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

# Installs Debian's PostgreSQL server when no initdb is found.
pg_ensure_installed() {
  if pg_bin_dir >/dev/null; then return 0; fi
  log "PostgreSQL server not found; installing Debian's postgresql package"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
    || die "could not install PostgreSQL (needs root or passwordless sudo): apt-get install postgresql"
  pg_bin_dir >/dev/null || die "PostgreSQL installed but initdb not found"
}

# ensure_tools CMD:PACKAGE …: installs Debian's PACKAGE for each CMD that is missing (the tests call jq and promtool).
ensure_tools() {
  local missing=() pair
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing Debian's ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "could not install ${missing[*]} (needs root or passwordless sudo): apt-get install ${missing[*]}"
}

# try_tools CMD:PACKAGE …: as ensure_tools, but says what failed and returns non-zero instead of stopping.
try_tools() {
  local missing=() pair
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
  local pkg failed=()
  for pkg in "${missing[@]}"; do
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 || failed+=("$pkg")
  done
  [ "${#failed[@]}" -eq 0 ] && return 0
  log "could not install ${failed[*]} (apt-get install ${failed[*]}); the tests that need them will fail saying so"
  return 1
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# First free loopback port at or above $1.
free_port() {
  local port=$1
  while port_in_use "$port"; do port=$((port + 1)); done
  echo "$port"
}

# Runs a command as the cluster's owner: postgres when we are root (PostgreSQL refuses root).
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR PORT [fast]: creates (once) and starts a cluster in DIR/data, listening on 127.0.0.1:PORT.
# The superuser password is generated into DIR/password. 'fast' turns off durability for throwaway test clusters.
pg_start() {
  local dir=$1 port=$2 mode=${3:-}
  local bin; bin=$(pg_bin_dir)
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "user 'postgres' not found (it comes with Debian's postgresql package)"
    chown postgres: "$dir"
    runuser -u postgres -- test -w "$dir" || die "user postgres cannot write $dir; put the checkout where postgres can reach it"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    if [ ! -s "$dir/password" ]; then
      (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/password")
      [ "$(id -u)" = 0 ] && chown postgres: "$dir/password"
    fi
    log "initialising PostgreSQL cluster in $dir/data"
    pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/password" \
      --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  local opts="-c listen_addresses=127.0.0.1 -p $port -k $dir"
  if [ "$mode" = fast ]; then
    opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
  fi
  log "starting PostgreSQL on 127.0.0.1:$port"
  pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o "$opts" start >/dev/null \
    || { tail -n 20 "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
}

pg_stop() {
  local dir=$1 bin
  bin=$(pg_bin_dir) || return 0
  [ -f "$dir/data/postmaster.pid" ] || return 0
  pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# pg_connection_string DIR PORT DATABASE
pg_connection_string() {
  printf 'Host=127.0.0.1;Port=%s;Username=postgres;Password=%s;Database=%s' "$2" "$(cat "$1/password")" "$3"
}

# pg_create_database DIR PORT NAME: creates NAME unless it exists.
pg_create_database() {
  local bin; bin=$(pg_bin_dir)
  local exists
  exists=$(PGPASSWORD=$(cat "$1/password") "$bin/psql" -h 127.0.0.1 -p "$2" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$3'")
  if [ "$exists" != 1 ]; then
    PGPASSWORD=$(cat "$1/password") "$bin/psql" -h 127.0.0.1 -p "$2" -U postgres -d postgres -qc "CREATE DATABASE \"$3\"" >/dev/null
  fi
}
