#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds each (default 60): `fuzz/run.sh [SECONDS]`.
#
# Needs the nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz
# if it is missing. New inputs go to fuzz/generated/<target>/ (not kept in git; the seeds
# in fuzz/corpus/<target>/ are only read), crashes to fuzz/artifacts/<target>/. Exits
# non-zero if any target found a crash, after running the others.
set -euo pipefail

seconds="${1:-60}"
cd "$(dirname "$0")"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

failed=()
for target in csv idx model_file architecture; do
    mkdir -p "generated/$target"
    echo "== $target: ${seconds} s"
    # -max_len: inputs of up to 4 KiB, plenty for headers and a few rows, small against
    # the targets' 1 MiB memory limit. -rss_limit_mb: a loader that allocates more than
    # that for such an input has not refused a header or row claiming huge sizes.
    if ! cargo +nightly fuzz run "$target" "generated/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=1024; then
        failed+=("$target")
    fi
done

if ((${#failed[@]})); then
    echo "crashes found by: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "no crashes in ${seconds} s per target"
