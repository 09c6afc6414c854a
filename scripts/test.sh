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
cargo test --workspace "$@"
