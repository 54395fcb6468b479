#!/usr/bin/env bash
# Every row of the speed table in docs/performance.md, ours and the references, measured
# side by side in one session, in turns (ours, reference, ours, ...) so that a neighbour's
# load on this shared machine falls on both.
#
#   bash benches/speed_table.sh [ROUNDS]      # default 3 rounds; prints JSON lines
#
# Needs: gcc (the C reference loop), python3 with numpy and threadpoolctl for the numpy
# reference (../shared/bench/mlp_numpy.py), which pip installs here when they are missing;
# that reference is skipped with a note when they cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}

cargo build --release --bins --examples --quiet
gcc -O3 -march=native -o target/release/nand_reference benches/reference/nand.c -lm
nn=./target/release/nn
numpy=../shared/bench/mlp_numpy.py
python3 -c 'import numpy, threadpoolctl' 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check numpy threadpoolctl \
    || echo "# could not install numpy and threadpoolctl"

for round in $(seq "$rounds"); do
    echo "# round $round"
    # The notes' experiment: the C loop, then ours.
    ./target/release/nand_reference
    ./target/release/examples/fd_vs_gd --json
    # The adders, one thread; then the MLPs on 1 and 2 threads, f32 and f64.
    for dtype in f32 f64; do
        for preset in adder adder5; do
            $nn bench --preset "$preset" --threads 1 --seconds 1 --dtype "$dtype" --json
        done
        for preset in mnist64 mnist wide; do
            $nn bench --preset "$preset" --threads 1,2 --seconds 2 --dtype "$dtype" --json
        done
    done
    if [ -f "$numpy" ] && python3 -c 'import numpy, threadpoolctl' 2>/dev/null; then
        env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 "$numpy" --threads 1 2 --runs 3 \
            --configs mnist-b64 mnist-b1000 wide-b256
    else
        echo "# numpy reference skipped: $numpy or numpy/threadpoolctl missing"
    fi
done
