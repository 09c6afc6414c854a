#!/usr/bin/env bash
# The long versions of the reliability suite (docs/reliability.md), in release builds, printing
# the figures: 60 s of mixed load with SIGTERM at the end, 10,000 probe calls over 200 hostile
# checkers, PostgreSQL hung and stopped, Redis stopped under publishing, the RSS scenario over
# 1,000,000 requests, and FUZZ_SECONDS (default 600) of fuzzing. About 20 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh
ensure_packages
trap stop_services EXIT
start_postgres
show=(-- --nocapture --test-threads=1)
echo "== sustained load (60 s) and SIGTERM under load"
LOAD_SECONDS=${LOAD_SECONDS:-60} cargo test -q --release -p vitals-kernel --test load "${show[@]}"
echo "== 200 checkers, 10,000 probe calls"
STORM_PROBES=${STORM_PROBES:-10000} STORM_CONNECTIONS=32 \
    cargo test -q --release -p vitals-kernel --test checker_storm "${show[@]}"
echo "== PostgreSQL hung, PostgreSQL stopped, Redis stopped"
cargo test -q --release -p vitals-service --test db_hang --test db_outage "${show[@]}"
cargo test -q --release -p vitals-module-signals --test redis "${show[@]}"
echo "== hostile input and label safety"
cargo test -q --release -p vitals-kernel --test hostile_input "${show[@]}"
cargo test -q --release -p vitals-service --test bad_config --test label_safety "${show[@]}"
echo "== memory over 1,000,000 requests"
bash scripts/rss.sh
echo "== fuzzing"
FUZZ_SECONDS=${FUZZ_SECONDS:-600} bash scripts/fuzz.sh
