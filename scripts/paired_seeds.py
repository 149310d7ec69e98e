#!/usr/bin/env python3
"""Per-seed test accuracies of a sweep, and paired differences between quantizers (tooling for
docs/RESULTS.md).

Reads the CSV of `fatnn-coord results --no-group --format csv --columns quantizer,seed,state,test_acc`
on standard input and prints a Markdown table with one row per seed and one column per quantizer,
then, for each pair given with --pair A:B, the per-seed differences A − B in points with their
mean and sample standard deviation (seeds where both succeeded).

    fatnn-coord results --no-group --format csv --columns quantizer,seed,state,test_acc ... \\
        | scripts/paired_seeds.py --pair fatnn:tnn --pair fatnn:fp
"""
import argparse
import csv
import statistics
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", action="append", default=[], help="A:B: report A minus B per seed")
    args = parser.parse_args()
    acc = {}
    for row in csv.DictReader(sys.stdin):
        if row["state"] != "succeeded" or not row["test_acc"]:
            continue
        value = float(row["test_acc"].rstrip("%"))
        # The CSV carries fractions; accept percentages too.
        acc[(row["quantizer"], int(row["seed"]))] = value * 100 if value <= 1 else value
    kinds = sorted({k for k, _ in acc}, key=lambda k: (k != "fp", k))
    seeds = sorted({s for _, s in acc})
    print("| seed | " + " | ".join(kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    for s in seeds:
        cells = [f"{acc[(k, s)]:.2f}" if (k, s) in acc else "-" for k in kinds]
        print(f"| {s} | " + " | ".join(cells) + " |")
    for pair in args.pair:
        a, _, b = pair.partition(":")
        diffs = [(s, acc[(a, s)] - acc[(b, s)]) for s in seeds if (a, s) in acc and (b, s) in acc]
        if not diffs:
            print(f"\n{a} − {b}: no seed with both")
            continue
        values = [d for _, d in diffs]
        spread = f" ± {statistics.stdev(values):.2f}" if len(values) > 1 else ""
        per_seed = ", ".join(f"seed {s}: {d:+.2f}" for s, d in diffs)
        print(f"\n{a} − {b}: {statistics.mean(values):+.2f}{spread} points (n = {len(values)}; {per_seed})")


if __name__ == "__main__":
    main()
