# Helpers for scripts/test.sh: install and start, on loopback only, the servers the tests need.
# Sourced, not run. Every server started here is stopped by stop_services (called on exit).

STARTED_PG_VERSION=""

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_packages() {
    local missing=()
    command -v pg_ctlcluster >/dev/null || missing+=(postgresql postgresql-contrib)
    command -v promtool >/dev/null || missing+=(prometheus)
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v prometheus-pushgateway >/dev/null || missing+=(prometheus-pushgateway)
    command -v python3 >/dev/null || missing+=(python3 python3-pip)
    command -v faketime >/dev/null || missing+=(faketime)
    command -v wrk >/dev/null || missing+=(wrk)
    # The real proxies of the forwarded-header tests (in /usr/sbin, outside some users' PATH).
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
    # The servers of the ready-made checks' tests, each started by its test on its own port.
    [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
    [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq)
    [ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server)
    command -v nats-server >/dev/null || missing+=(nats-server)
    command -v openssl >/dev/null || missing+=(openssl)
    # Headless Chromium and its WebDriver: the browser judge of the HTML pages (scripts/browser.py).
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing: ${missing[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    # module:package pairs; moto's server mode is the CloudWatch emulator of the signals tests.
    # grpc_health is the independent client of the gRPC health tests; selenium drives Chromium.
    for pair in prometheus_client:prometheus-client kubernetes_validate:kubernetes-validate \
        moto.server:moto[server] grpc_health.v1.health_pb2:grpcio-health-checking \
        selenium:selenium; do
        module=${pair%%:*}
        package=${pair#*:}
        if ! python3 -c "import $module" 2>/dev/null; then
            python3 -m pip install -q "$package" 2>/dev/null \
                || python3 -m pip install -q --break-system-packages "$package"
        fi
    done
}

pg_version() {
    ls /usr/lib/postgresql | sort -V | tail -n 1
}

pg_as_postgres() {
    as_root runuser -u postgres -- "$@"
}

# Starts the Debian cluster on 127.0.0.1:$VITALS_PG_PORT with pg_stat_statements, creates the
# test role and database, and exports VITALS_TEST_DATABASE_URL.
start_postgres() {
    local v port conf status
    v=$(pg_version)
    port=${VITALS_PG_PORT:-5432}
    if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$v main"; then
        as_root pg_createcluster "$v" main >/dev/null
    fi
    conf="/etc/postgresql/$v/main/conf.d/vitals-test.conf"
    local want
    want=$(printf "listen_addresses = '127.0.0.1'\nport = %s\nshared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\nmax_connections = 200\n" "$port")
    if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
        echo "$want" | as_root tee "$conf" >/dev/null
        if pg_lsclusters -h | awk -v v="$v" '$1==v && $2=="main" {print $4}' | grep -q online; then
            as_root pg_ctlcluster --skip-systemctl-redirect "$v" main restart
        fi
    fi
    status=$(pg_lsclusters -h | awk -v v="$v" '$1==v && $2=="main" {print $4}')
    if [ "$status" != "online" ]; then
        as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start
        STARTED_PG_VERSION=$v
    fi
    pg_as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vitals') THEN
    CREATE ROLE vitals LOGIN SUPERUSER PASSWORD 'vitals';
  END IF;
END $$;
SQL
    if ! pg_as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname='vitals_test'" | grep -q 1; then
        pg_as_postgres createdb -p "$port" -O vitals vitals_test
    fi
    pg_as_postgres psql -q -p "$port" -d vitals_test -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
    export VITALS_TEST_DATABASE_URL="postgres://vitals:vitals@127.0.0.1:$port/vitals_test"
    echo "PostgreSQL $v on 127.0.0.1:$port"
}

stop_services() {
    if [ -n "$STARTED_PG_VERSION" ]; then
        as_root pg_ctlcluster --skip-systemctl-redirect "$STARTED_PG_VERSION" main stop || true
    fi
}
