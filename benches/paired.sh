#!/usr/bin/env bash
# Two builds of `nn` compared on one preset, both running at once, one per core, the cores
# swapped every round: a neighbour's load on this shared 2-core machine then falls on both
# in the same seconds, and the ratio of each round says more than either median.
#
#   bash benches/paired.sh ROUNDS PRESET OLD_NN NEW_NN     # e.g. 8 adder5 /tmp/nn-old ./target/release/nn
#
# Prints each round's samples/s (old, new) and the median of the new/old ratios. Needs
# `taskset` (util-linux) and python3. One thread per run (`--threads 1`), 1 second each.
set -euo pipefail
if [ $# -ne 4 ]; then
    echo "usage: bash benches/paired.sh ROUNDS PRESET OLD_NN NEW_NN" >&2
    exit 2
fi
rounds=$1 preset=$2 old=$3 new=$4
for binary in "$old" "$new"; do
    [ -x "$binary" ] || { echo "paired.sh: $binary is not an executable" >&2; exit 2; }
done
samples() { # CORE BINARY: samples/s of one run
    taskset -c "$1" "$2" bench --preset "$preset" --threads 1 --seconds 1 | tail -1 | awk '{print $3}'
}
out=$(mktemp)
trap 'rm -f "$out" "$out.old" "$out.new"' EXIT
for round in $(seq "$rounds"); do
    if [ $((round % 2)) = 1 ]; then core_old=0 core_new=1; else core_old=1 core_new=0; fi
    samples "$core_old" "$old" > "$out.old" &
    samples "$core_new" "$new" > "$out.new"
    wait
    echo "$(cat "$out.old") $(cat "$out.new")" | tee -a "$out"
done
python3 - "$out" <<'PY'
import statistics, sys
rounds = [tuple(map(int, line.split())) for line in open(sys.argv[1])]
ratios = [new / old for old, new in rounds]
print(f"old median {statistics.median(r[0] for r in rounds) / 1e6:.2f}M, "
      f"new median {statistics.median(r[1] for r in rounds) / 1e6:.2f}M, "
      f"new/old median {statistics.median(ratios):.3f} "
      f"(rounds {min(ratios):.3f}-{max(ratios):.3f})")
PY
