#!/usr/bin/env python3
"""Ranges over layers of what a fatnn model's quantizers learned (tooling for docs/RESULTS.md).

Reads the output of `fatnn inspect MODEL` on standard input and prints one line: the smallest and
largest activation thresholds t1 and t2, the ratio t2/t1 (3.00 for uniform thresholds, where
both the fixed α initialization and the initialization from data start), weight thresholds (negative and positive side, on
standardized weights) and share of zero weights over the quantized convolutions.

    fatnn inspect job4.fatnn | scripts/threshold_ranges.py
"""
import re
import sys

LINE = re.compile(r"activation thresholds ([\d.]+), ([\d.]+)\s+weight thresholds (-[\d.]+) / \+([\d.]+)"
                  r"\s+weight codes -1: [\d.]+%\s+\+0: ([\d.]+)%")


def main():
    cols = [[], [], [], [], []]
    for line in sys.stdin:
        m = LINE.search(line)
        if m:
            for c, v in zip(cols, m.groups()):
                c.append(float(v))
    if not cols[0]:
        sys.exit("threshold_ranges: no fatnn layer lines on standard input (is it `fatnn inspect` of a fatnn model?)")
    t1, t2, neg, pos, zero = cols
    ratio = [b / a for a, b in zip(t1, t2)]
    print(f"{len(t1)} layers: activation t1 {min(t1):.3f}-{max(t1):.3f}, t2 {min(t2):.3f}-{max(t2):.3f}, "
          f"t2/t1 {min(ratio):.2f}-{max(ratio):.2f}; "
          f"weights {min(neg):.3f}..{max(neg):.3f} / +{min(pos):.3f}..+{max(pos):.3f}; zero weights {min(zero):.1f}-{max(zero):.1f}%")


if __name__ == "__main__":
    main()
