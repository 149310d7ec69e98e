#!/usr/bin/env python3
"""Groups a leaderboard over seeds as a Markdown table (tooling for docs/RESULTS.md).

Reads the JSON of `fatnn-coord results --json` on standard input and prints one row per sweep,
model, quantizer, dataset, split and learning rate: test accuracy as mean ± sample standard
deviation over the succeeded seeds, n, mean training images/s, and for ternary jobs the mean packed
inference images/s at batch 64 and how many of the packed networks were bit-exact. Jobs that did not succeed are
counted apart.

    .build/release/fatnn-coord results --json --coordinator URL --token-file F | scripts/group_results.py
"""
import json
import statistics
import sys


def main():
    doc = json.load(sys.stdin)
    rows = doc["rows"] if isinstance(doc, dict) else doc
    groups = {}
    for r in rows:
        key = (r["sweep"], r["model"], r["quantizer"], r["dataset"], r["split"], r["learningRate"])
        g = groups.setdefault(key, {"acc": [], "ips": [], "packed": [], "exact": [], "other": 0})
        if r["state"] == "succeeded" and r.get("testAccuracy") is not None:
            g["acc"].append(r["testAccuracy"] * 100)
            if r.get("imagesPerSecond") is not None:
                g["ips"].append(r["imagesPerSecond"])
            if r.get("packedImagesPerSecond") is not None:
                g["packed"].append(r["packedImagesPerSecond"])
            if r.get("packedExact") is not None:
                g["exact"].append(bool(r["packedExact"]))
        else:
            g["other"] += 1
    print("| sweep | model | quantizer | dataset | split | lr | test accuracy (%) | n | train img/s | packed img/s | bit-exact | not succeeded |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    ordered = sorted(groups.items(), key=lambda kv: -(statistics.mean(kv[1]["acc"]) if kv[1]["acc"] else -1))
    for (sweep, model, quantizer, dataset, split, lr), g in ordered:
        acc = g["acc"]
        if len(acc) >= 2:
            cell = f"{statistics.mean(acc):.2f} ± {statistics.stdev(acc):.2f}"
        elif acc:
            cell = f"{acc[0]:.2f}"
        else:
            cell = "-"
        ips = f"{statistics.mean(g['ips']):.0f}" if g["ips"] else "-"
        packed = f"{statistics.mean(g['packed']):.0f}" if g["packed"] else "-"
        exact = f"{sum(g['exact'])}/{len(g['exact'])}" if g["exact"] else "-"
        print(f"| {sweep} | {model} | {quantizer} | {dataset} | {split} | {lr} | {cell} | {len(acc)} | {ips} | {packed} | {exact} | {g['other']} |")


if __name__ == "__main__":
    main()
