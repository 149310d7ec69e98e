#!/usr/bin/env python3
"""Compares a sweep run without early stopping and the same sweep run with it (docs/RESULTS.md).

usage: scripts/search_savings.py FULL.sqlite PRUNED.sqlite

Reads the two coordinators' SQLite stores (read-only) and prints, for each: jobs per state,
epochs trained (rows of the epochs table: one per job and epoch reported), the sum of the
epochs' training seconds, and the best configuration: the group (config without seed) with the
highest mean final validation accuracy over its succeeded seeds. Then the pruned run's best
configuration looked up in the full run (its mean over all seeds there), so that the choice is
judged on equal training. Tooling only: Python standard library.
"""
import json
import sqlite3
import statistics
import sys


def load(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    states = dict(db.execute("SELECT state, count(*) FROM jobs GROUP BY state"))
    epochs, seconds = db.execute("SELECT count(*), coalesce(sum(seconds), 0) FROM epochs").fetchone()
    groups = {}
    for group, config, acc in db.execute(
            "SELECT j.group_hash, j.config, r.val_accuracy FROM jobs j JOIN results r ON r.job_id = j.id WHERE j.state = 'succeeded'"):
        groups.setdefault(group, {"config": json.loads(config), "acc": []})["acc"].append(acc)
    return {"states": states, "epochs": epochs, "seconds": seconds, "groups": groups}


def describe(config):
    t = config["training"]
    return f"lr {t['learningRate']}, weight decay {t['weightDecay']}, momentum {t['momentum']}"


def best(run):
    return max(run["groups"].items(), key=lambda kv: statistics.mean(kv[1]["acc"]))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    full, pruned = load(sys.argv[1]), load(sys.argv[2])
    for name, run in (("full", full), ("pruned", pruned)):
        g, v = best(run)
        print(f"{name}: states {run['states']}; {run['epochs']} epochs trained, {run['seconds']:.0f} s of training; "
              f"best config {describe(v['config'])}: mean val acc {100 * statistics.mean(v['acc']):.2f}% over {len(v['acc'])} seed(s)")
    print(f"epochs: pruned/full = {pruned['epochs']}/{full['epochs']} = {pruned['epochs'] / full['epochs']:.1%}")
    fg, fv = best(full)
    pg, _ = best(pruned)
    if pg in full["groups"]:
        a = statistics.mean(full["groups"][pg]["acc"])
        b = statistics.mean(fv["acc"])
        print(f"the pruned run's choice, trained fully in the full run: mean val acc {100 * a:.2f}% "
              f"({len(full['groups'][pg]['acc'])} seeds); full run's best {100 * b:.2f}%; gap {100 * (b - a):.2f} pt"
              + ("; the same config" if pg == fg else ""))


if __name__ == "__main__":
    main()
