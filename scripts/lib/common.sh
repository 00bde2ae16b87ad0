# Shared shell helpers for scripts/test, scripts/dev-db, scripts/demo and bench/.
# Sourced, not executed. Everything here works on a fresh Debian 12 machine as root (installing
# what is missing) or as an ordinary user who already has the packages.

DW_ROOT=${DW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# Debian packages the build, the tests, the demo and the benchmarks need.
DW_PACKAGES=(
  build-essential cmake pkg-config git clang libclang-rt-14-dev
  libpq-dev libboost-dev libsimdjson-dev libspdlog-dev prometheus-cpp-dev libtomlplusplus-dev
  libcli11-dev libsystemd-dev libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-client-15 postgresql-contrib postgresql-15-pgtap pgtap
  prometheus systemd python3 bc curl
)

dw_log() { printf '%s\n' "$*" >&2; }
dw_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs whichever of DW_PACKAGES is missing. Quiet when nothing is.
dw_ensure_packages() {
  local missing=() p
  for p in "${DW_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    dw_die "missing packages: ${missing[*]} (install them with: sudo apt-get install ${missing[*]})"
  fi
  dw_log "installing missing packages: ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

dw_pg_bindir() {
  local bindir
  bindir=$(pg_config --bindir 2>/dev/null) || true
  if [ ! -x "$bindir/initdb" ]; then bindir=/usr/lib/postgresql/15/bin; fi
  [ -x "$bindir/initdb" ] || dw_die "PostgreSQL 15 server binaries not found (apt-get install postgresql-15)"
  printf '%s\n' "$bindir"
}

# Prints a TCP port on 127.0.0.1 that nobody listens on right now.
dw_free_port() {
  local port tries=0
  while [ $tries -lt 200 ]; do
    port=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
    tries=$((tries + 1))
  done
  dw_die "no free TCP port found"
}

# Runs a command as the owner of the throwaway server: initdb refuses to run as root.
dw_as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# The number of parallel build jobs this machine can take.
dw_jobs() { nproc 2>/dev/null || echo 2; }

# Configures and builds into $DW_ROOT/build (or $DW_BUILD_DIR).
dw_build() {
  local build_dir=${DW_BUILD_DIR:-$DW_ROOT/build}
  cmake -S "$DW_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=${DW_BUILD_TYPE:-RelWithDebInfo} "$@" >&2
  cmake --build "$build_dir" -j "$(dw_jobs)" >&2
}
