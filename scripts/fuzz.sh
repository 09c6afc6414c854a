#!/usr/bin/env bash
# Runs every fuzz target (fuzz, one per parser we own) with cargo fuzz on the nightly
# toolchain for FUZZ_SECONDS in total (default 60, split evenly), from the committed seed corpus
# (inputs found in a run go to a scratch copy, so the checkout stays clean). Installs cargo-fuzz
# from crates.io when missing. A crash fails the run and leaves its input under
# fuzz/artifacts/<target>/. Prints each target's executions.
set -euo pipefail
cd "$(dirname "$0")/.."
total=${FUZZ_SECONDS:-60}
# FUZZ_DEV=1 builds unoptimised: half the build time, fewer executions (a quick local run; CI
# only checks that the targets compile).
build_flags=(--sanitizer none)
[ "${FUZZ_DEV:-0}" = 1 ] && build_flags+=(--dev)
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
command -v cargo-fuzz >/dev/null || cargo install -q --locked cargo-fuzz
fuzz=(cargo +nightly fuzz)
dir=(--fuzz-dir fuzz)
# All code of ours is safe Rust (unsafe_code = forbid): no sanitizer, which builds and runs faster.
"${fuzz[@]}" build "${dir[@]}" "${build_flags[@]}"
mapfile -t targets < <("${fuzz[@]}" list "${dir[@]}")
per=$(( total / ${#targets[@]} ))
[ "$per" -ge 1 ] || per=1
printf '%-18s %12s %8s\n' target executions seconds
for t in "${targets[@]}"; do
    work=$(mktemp -d)
    cp -r "fuzz/corpus/$t/." "$work/"
    log=$(mktemp)
    if ! "${fuzz[@]}" run "${dir[@]}" "${build_flags[@]}" "$t" "$work" -- \
        -max_total_time="$per" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz target $t failed"
        exit 1
    fi
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    printf '%-18s %12s %8s\n' "$t" "${runs:-?}" "$per"
    rm -rf "$work" "$log"
done
