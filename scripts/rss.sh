#!/usr/bin/env bash
# Memory of the reference binary (`vitals` on embedded SQLite, release build): RSS idle, after a
# warm-up of WARMUP requests, and after REQUESTS more requests spread over PATHS distinct random
# paths; the number of exported series at each point. Targets: idle ≤ 20 MiB; after REQUESTS
# ≤ 1.2 × after the warm-up; series count flat (random paths must never become series).
#
#   bash scripts/rss.sh                                  # 10,000 warm-up, 1,000,000 requests
#   WARMUP=1000 REQUESTS=20000 bash scripts/rss.sh       # smoke (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

WARMUP=${WARMUP:-10000}
REQUESTS=${REQUESTS:-1000000}
PATHS=${PATHS:-10000}
PORT=${PORT:-18091}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# PROFILE=dev builds the debug profile instead (CI's smoke: figures meaningless, nothing rots).
profile=${PROFILE:-release}
out=$([ "$profile" = dev ] && echo debug || echo "$profile")
cargo build -q --profile "$profile" -p vitals-service --bin vitals
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/paths.lua" <<'LUA'
-- Random paths out of a fixed set; stops sending after WRK_REQUESTS responses.
local limit = tonumber(os.getenv("WRK_REQUESTS"))
local paths = tonumber(os.getenv("WRK_PATHS"))
local done = 0
math.randomseed(os.time())
request = function()
    return wrk.format("GET", "/p/" .. math.random(paths) .. "/item?id=" .. math.random(1000000))
end
response = function(status, headers, body)
    done = done + 1
    if done >= limit then wrk.thread:stop() end
end
LUA

VITALS_BIND="127.0.0.1:$PORT" DATABASE_URL="sqlite://$work/vitals.db?mode=rwc" \
    RUST_LOG=warn "target/$out/vitals" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
    sleep 0.05
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz"

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
series() { curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -vc '^#'; }
# Sends $1 requests in chunks of at most 2 s (wrk waits out its whole duration even after the
# script stops the thread) and prints how many completed.
load() {
    local total=0 n
    while [ "$total" -lt "$1" ]; do
        n=$(WRK_REQUESTS=$(($1 - total)) WRK_PATHS=$PATHS wrk -t1 -c32 -d2s \
            -s "$work/paths.lua" "http://127.0.0.1:$PORT" | awk '/requests in/ {print $1}')
        total=$((total + n))
    done
    echo "$total"
}

sleep 2
idle=$(rss_kib); idle_series=$(series)
warm_sent=$(load "$WARMUP")
warm=$(rss_kib); warm_series=$(series)
sent=$(load "$REQUESTS")
after=$(rss_kib); after_series=$(series)

awk -v idle="$idle" -v warm="$warm" -v after="$after" -v is="$idle_series" -v ws="$warm_series" \
    -v as="$after_series" -v wsent="$warm_sent" -v sent="$sent" -v paths="$PATHS" 'BEGIN {
    printf "| point | requests | RSS (MiB) | series |\n|---|---:|---:|---:|\n"
    printf "| idle | 0 | %.1f | %d |\n", idle / 1024, is
    printf "| after warm-up | %d | %.1f | %d |\n", wsent, warm / 1024, ws
    printf "| after load (%d distinct paths) | %d | %.1f | %d |\n", paths, sent, after / 1024, as
    printf "idle <= 20 MiB: %s; after / warm-up = %.3f (target <= 1.2); series %d -> %d (%s)\n",
        (idle <= 20480 ? "met" : "MISSED"), after / warm, ws, as, (as == ws ? "flat" : "GREW")
}'
