#!/usr/bin/env bash
# Instructions per request over the wire, counted by valgrind's callgrind (steady on a noisy
# machine, unlike req/s): for each variant, the release `bench_server` (one actix worker) runs
# under callgrind while a client sends exactly N keep-alive `GET /hello/{name}` requests on one
# connection; the run is repeated with N = LOW and N = HIGH, and
#   instructions per request = (total(HIGH) − total(LOW)) / (HIGH − LOW)
# so start-up, shutdown and the first requests cancel out. HTTP parsing, routing, the handler and
# writing the response are all included, as a user's server would see them.
#
#   bash scripts/instructions.sh                          # LOW=2000 HIGH=6000, every variant
#   PROFILE=dev LOW=50 HIGH=150 bash scripts/instructions.sh   # smoke (CI): figures meaningless
#   VARIANTS="bare middleware" bash scripts/instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LOW=${LOW:-2000}
HIGH=${HIGH:-6000}
VARIANTS=${VARIANTS:-"bare vitals vitals-timed middleware middleware-timed prom"}
PORT=${PORT:-18190}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v valgrind >/dev/null; then
    echo "installing: valgrind"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq valgrind >/dev/null
fi

profile=${PROFILE:-release}
out=$([ "$profile" = dev ] && echo debug || echo "$profile")
cargo build -q --profile "$profile" -p vitals-kernel --example bench_server
server_bin=${CARGO_TARGET_DIR:-target}/$out/examples/bench_server
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT

# Sends exactly $1 requests on one keep-alive connection; fails on any status but 200.
client() {
    python3 - "$PORT" "$1" <<'PY'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for i in range(n):
    c.request("GET", f"/hello/user{i % 1000}")
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"request {i}: status {r.status}")
c.close()
PY
}

# Total instructions of one server run that answered $2 requests, variant $1.
total() {
    local file="$work/$1.$2.out"
    valgrind --tool=callgrind --callgrind-out-file="$file" \
        "$server_bin" "$1" "127.0.0.1:$PORT" >"$work/$1.$2.log" 2>&1 &
    pid=$!
    # Up within 120 s (valgrind starts slowly), or the run fails with the server's output.
    if ! python3 - "$PORT" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
    then
        echo "$1 did not come up:" >&2
        cat "$work/$1.$2.log" >&2
        return 1
    fi
    client "$2"
    kill -INT "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
    awk '/^(summary|totals):/ {print $2; exit}' "$file"
}

printf '%-11s %14s %14s %16s %8s\n' variant "total N=$LOW" "total N=$HIGH" "instr/request" added
bare=""
for variant in $VARIANTS; do
    lo=$(total "$variant" "$LOW")
    hi=$(total "$variant" "$HIGH")
    per=$(( (hi - lo) / (HIGH - LOW) ))
    [ "$variant" = bare ] && bare=$per
    added=$([ -n "$bare" ] && echo $(( per - bare )) || echo "-")
    printf '%-11s %14d %14d %16d %8s\n' "$variant" "$lo" "$hi" "$per" "$added"
done
