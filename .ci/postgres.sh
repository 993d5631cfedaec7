#!/usr/bin/env bash
# Starts a local PostgreSQL for the store and worker tests and exports REDFLAG_TEST_DATABASE_URL.
# Source it from .ci/run (`source .ci/postgres.sh`) so the export reaches the test command.
# Works on a fresh Debian machine (installs the `postgresql` package) and on one where it is already
# installed; listens on 127.0.0.1 only. Idempotent: a second run finds the cluster up and the role there.
set -euo pipefail

pg_user="${REDFLAG_PG_USER:-redflag}"
pg_password="${REDFLAG_PG_PASSWORD:-redflag-ci}"
pg_db="${REDFLAG_PG_DB:-redflag_test}"
pg_port="${REDFLAG_PG_PORT:-5432}"

if ! command -v pg_lsclusters >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "==> installing PostgreSQL (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

if command -v pg_lsclusters >/dev/null 2>&1; then
  # Debian layout: start the first cluster (creating one if the package made none).
  read -r version cluster _ < <(pg_lsclusters --no-header | head -n1 || true) || true
  if [ -z "${version:-}" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
    cluster=main
    pg_createcluster "$version" "$cluster" --port "$pg_port" >/dev/null
  fi
  if ! pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $4}' | grep -q online; then
    pg_ctlcluster "$version" "$cluster" start
  fi
  pg_port=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')
else
  # Plain layout: our own data directory under /tmp, owned by postgres.
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  data=/tmp/redflag-pg
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data" && chown postgres "$data"
    su postgres -c "$bin/initdb -D $data -A trust" >/dev/null
  fi
  su postgres -c "$bin/pg_ctl -D $data -o '-p $pg_port -c listen_addresses=127.0.0.1' -l $data/log -w status" >/dev/null 2>&1 \
    || su postgres -c "$bin/pg_ctl -D $data -o '-p $pg_port -c listen_addresses=127.0.0.1' -l $data/log -w start" >/dev/null
fi

for _ in $(seq 1 30); do
  su postgres -c "psql -p $pg_port -tAc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 1
done

su postgres -c "psql -p $pg_port -v ON_ERROR_STOP=1 -q" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$pg_user') THEN
    CREATE ROLE $pg_user LOGIN PASSWORD '$pg_password' CREATEDB;
  END IF;
END \$\$;
SQL
if ! su postgres -c "psql -p $pg_port -tAc \"SELECT 1 FROM pg_database WHERE datname = '$pg_db'\"" | grep -q 1; then
  su postgres -c "createdb -p $pg_port -O $pg_user $pg_db"
fi

export REDFLAG_TEST_DATABASE_URL="postgres://$pg_user:$pg_password@127.0.0.1:$pg_port/$pg_db"
echo "==> PostgreSQL ready: postgres://$pg_user:***@127.0.0.1:$pg_port/$pg_db (REDFLAG_TEST_DATABASE_URL)"
