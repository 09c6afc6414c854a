#!/usr/bin/env bash
# Over-the-wire throughput of an actix-web app with and without Vitals, side by side in one run:
# each round starts a fresh server per variant (one actix worker pinned to core 0), loads it
# with wrk (one thread, 32 connections, pinned to core 1), and records requests/s and p99
# latency; variants alternate within each round. Prints per-round ratios to `bare` and medians.
#
#   bash scripts/bench.sh                      # 4 rounds × 10 s per variant
#   ROUNDS=1 DURATION=1 bash scripts/bench.sh  # smoke (CI)
#   VARIANTS="bare vitals prom" bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
VARIANTS=${VARIANTS:-"bare vitals middleware routes prom"}
PORT=${PORT:-18090}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cores=$(nproc)
pin_server=(); pin_load=()
if [ "$cores" -ge 2 ] && command -v taskset >/dev/null; then
    pin_server=(taskset -c 0); pin_load=(taskset -c 1)
fi

# PROFILE=dev builds the debug profile instead (CI's smoke: figures meaningless, nothing rots).
profile=${PROFILE:-release}
out=$([ "$profile" = dev ] && echo debug || echo "$profile")
cargo build -q --profile "$profile" -p vitals-kernel --example bench_server
server_bin=target/$out/examples/bench_server
results=$(mktemp)
trap 'rm -f "$results"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT

wait_up() {
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/hello"; then return 0; fi
        sleep 0.05
    done
    echo "server did not come up" >&2
    return 1
}

for round in $(seq 1 "$ROUNDS"); do
    for variant in $VARIANTS; do
        "${pin_server[@]}" "$server_bin" "$variant" "127.0.0.1:$PORT" 2>/dev/null &
        pid=$!
        wait_up
        # Warm-up: first connections, caches, label resolution.
        "${pin_load[@]}" wrk -t1 -c"$CONNECTIONS" -d1s "http://127.0.0.1:$PORT/hello" >/dev/null
        out=$("${pin_load[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
            "http://127.0.0.1:$PORT/hello")
        rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")
        if [ -n "$errors" ]; then
            echo "round $round $variant: $errors" >&2
            exit 1
        fi
        echo "$round $variant $rps $p99" >>"$results"
        printf 'round %d  %-10s %10.0f req/s  p99 %s\n' "$round" "$variant" "$rps" "$p99"
        kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    done
done

python3 - "$results" "$VARIANTS" <<'PY'
import statistics, sys
path, variants = sys.argv[1], sys.argv[2].split()
rows = [line.split() for line in open(path)]
def ms(v):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float(v)
by = {}
for rnd, var, rps, p99 in rows:
    by.setdefault(int(rnd), {})[var] = (float(rps), ms(p99))
print()
print(f"{'variant':<11} {'median req/s':>13} {'median ratio':>13} {'per-round ratios':<32} {'median p99 ms':>13} {'p99 ratio':>10}")
for var in variants:
    rps = [r[var][0] for r in by.values() if var in r]
    ratios = [r[var][0] / r["bare"][0] for r in by.values() if var in r and "bare" in r]
    p99 = [r[var][1] for r in by.values() if var in r]
    p99r = [r[var][1] / r["bare"][1] for r in by.values() if var in r and "bare" in r]
    print(f"{var:<11} {statistics.median(rps):>13.0f} {statistics.median(ratios):>13.3f} "
          f"{' '.join(f'{x:.3f}' for x in ratios):<32} {statistics.median(p99):>13.2f} "
          f"{statistics.median(p99r):>10.3f}")
PY
