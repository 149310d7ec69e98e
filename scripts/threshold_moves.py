#!/usr/bin/env python3
"""How far a FATNN model's learned thresholds moved during training (tooling for docs/RESULTS.md).

Takes two `fatnn inspect` outputs of the same architecture: the model at the start of quantized
training (for example a one-step `--lr 1e-9` run from the same FP model) and the trained model.
Prints a Markdown table, one row per quantized convolution: activation thresholds start → end,
their relative change, the ratio of the two outermost activation thresholds (3.00 or 5.00 at a
uniform start), and the weight thresholds start → end. A summary line follows.

    fatnn inspect start.fatnn > start.txt; fatnn inspect job19.fatnn > end.txt
    scripts/threshold_moves.py start.txt end.txt
"""
import re
import statistics
import sys

LINE = re.compile(r"^\s*(\S+): activation thresholds ([-\d., ]+?)\s+weight thresholds (-?[\d.]+) / \+?(-?[\d.]+)")


def parse(path):
    layers = {}
    with open(path) as f:
        for line in f:
            m = LINE.search(line)
            if not m and "activation thresholds" in line:
                print(f"threshold_moves: {path}: cannot read this line, skipped: {line.strip()}", file=sys.stderr)
            if m:
                acts = [float(v) for v in m.group(2).split(",")]
                layers[m.group(1)] = (acts, float(m.group(3)), float(m.group(4)))
    if not layers:
        sys.exit(f"threshold_moves: {path}: no fatnn layer lines (is it `fatnn inspect` of a fatnn model?)")
    return layers


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: threshold_moves.py START_INSPECT END_INSPECT")
    start, end = parse(sys.argv[1]), parse(sys.argv[2])
    missing = sorted(set(start) ^ set(end))
    if missing:
        sys.exit(f"threshold_moves: layers present in only one file: {', '.join(missing)}")
    print("| layer | activation thresholds, start → end | change | outer/inner ratio | weight thresholds, start → end |")
    print("|---|---|---|---|---|")
    act_changes, weight_changes, ratios = [], [], []
    for name, (a0, wn0, wp0) in start.items():
        a1, wn1, wp1 = end[name]
        changes = [(e - s) / s * 100 if s else float("nan") for s, e in zip(a0, a1)]
        act_changes += changes
        weight_changes += [(wn1 - wn0) / wn0 * 100 if wn0 else float("nan"), (wp1 - wp0) / wp0 * 100 if wp0 else float("nan")]
        ratio0 = a0[-1] / a0[0] if a0[0] else float("nan")
        ratio1 = a1[-1] / a1[0] if a1[0] else float("nan")
        ratios.append(ratio1)
        fmt = lambda xs: ", ".join(f"{x:.3f}" for x in xs)
        print(f"| {name} | {fmt(a0)} → {fmt(a1)} | {', '.join(f'{c:+.1f}%' for c in changes)} "
              f"| {ratio0:.2f} → {ratio1:.2f} | {wn0:.3f} / +{wp0:.3f} → {wn1:.3f} / +{wp1:.3f} |")
    absolute = [abs(c) for c in act_changes]
    print()
    print(f"{len(start)} layers: activation thresholds moved by a median of {statistics.median(absolute):.1f}% "
          f"(largest {max(act_changes, key=abs):+.1f}%); outer/inner ratio after training "
          f"{min(ratios):.2f}-{max(ratios):.2f}; weight thresholds moved by a median of "
          f"{statistics.median(abs(c) for c in weight_changes):.1f}% (largest {max(weight_changes, key=abs):+.1f}%)")


if __name__ == "__main__":
    main()
