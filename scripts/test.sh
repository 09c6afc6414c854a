#!/usr/bin/env bash
# Runs the whole test suite: installs and starts on loopback what the tests need, runs every
# test (unit, integration, doc), and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh
ensure_packages
trap stop_services EXIT
start_postgres
log=$(mktemp)
set +e
# A hung test fails the run after 25 minutes instead of holding CI.
timeout --kill-after=30 1500 cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The ready-made checks with every checker's feature on (each is off by default).
timeout --kill-after=30 600 cargo test -p vitals-module-checks --all-features --no-fail-fast 2>&1 | tee -a "$log"
checks_status=${PIPESTATUS[0]}
[ "$status" -ne 0 ] || status=$checks_status
# Tests whose timing bounds mean something only in an optimised build (ignored in debug).
timeout --kill-after=30 600 cargo test --release -p vitals-kernel --test checker_storm 2>&1 | tee -a "$log"
release_status=${PIPESTATUS[0]}
[ "$status" -ne 0 ] || status=$release_status
set -e
# One closing line for the whole run, summed over every test binary and doc-test run.
awk '/^test result:/ { p += $4; f += $6 } END { printf "total: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$status"
