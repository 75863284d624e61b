# Sourced by `make test` and `make bench`: when TEST_POSTGRES_URL is not set, start (or reuse) a
# throwaway PostgreSQL cluster from the machine's PostgreSQL binaries and export its URL.
# Where no server binaries exist the PostgreSQL tests skip and say why.
# shellcheck shell=bash
_deskbot_pg_start() {
  local initdb pgbin port dir owner run
  [ -n "${TEST_POSTGRES_URL:-}" ] && return 0
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
  [ -z "$initdb" ] && initdb=$(command -v initdb 2>/dev/null)
  if [ -z "$initdb" ]; then
    echo "postgres.sh: no PostgreSQL server binaries found; PostgreSQL tests will skip" >&2
    return 0
  fi
  pgbin=$(dirname "$(readlink -f "$initdb")")
  port=${DESKBOT_TEST_PG_PORT:-54329}
  dir=/tmp/deskbot-pg-$(id -u)-$port
  run=()
  if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "postgres.sh: running as root without a 'postgres' user; PostgreSQL tests will skip" >&2
      return 0
    fi
    run=(runuser -u postgres --)
  fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    "${run[@]}" "$pgbin/initdb" -D "$dir" -U deskbot --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
      || { echo "postgres.sh: initdb failed; PostgreSQL tests will skip" >&2; return 0; }
  fi
  if ! "${run[@]}" "$pgbin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    "${run[@]}" "$pgbin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
      || { echo "postgres.sh: server did not start (see $dir/server.log); PostgreSQL tests will skip" >&2; return 0; }
  fi
  export TEST_POSTGRES_URL="postgresql+asyncpg://deskbot@127.0.0.1:$port/postgres"
  export DESKBOT_PG_BIN="$pgbin"
  echo "postgres.sh: PostgreSQL test server at 127.0.0.1:$port" >&2
}
_deskbot_pg_start
