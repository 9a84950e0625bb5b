#!/usr/bin/env bash
# Runs cargo-fuzz targets for a while each, seeded from fuzz/seeds.
#   fuzz/run.sh SECONDS [TARGET...]      (default: every target)
# Needs the nightly toolchain; installs cargo-fuzz when it is missing.
# New corpus entries go to fuzz/corpus (ignored by git); crashes to fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
shift || true
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: no nightly toolchain, skipping"
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
cargo +nightly fuzz build
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "fuzz: $t for ${seconds}s"
  cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 \
    | grep -E "^(stat::number_of_executed_units|stat::new_units_added|==[0-9]+== ERROR|SUMMARY|Done)" || true
  if [ -n "$(ls -A "artifacts/$t" 2>/dev/null)" ]; then
    echo "fuzz: $t found a crash: see fuzz/artifacts/$t"
    exit 1
  fi
done
echo "fuzz: all targets ran without a crash"
