#!/usr/bin/env python3
"""Checks Schemas/*.schema.json against the Swift validation rules they document.

- both schemas are valid draft 2020-12 schemas;
- (their closed sets and quantizer parameters agree with Sources/FATNNVocabulary: that check is
  the Swift suite SchemaVocabularyTests, which reads the types themselves);
- every Jobs/*.json validates against sweep.schema.json;
- built-in sweeps that the Swift code accepts pass, and ones it rejects fail;
- a sample result passes result.schema.json, and broken ones fail.

Tooling only: needs the Python standard library and `jsonschema` (pip install jsonschema);
without `jsonschema` it prints a note and exits 0. Exits 1 on any problem.
"""
import copy
import glob
import json
import os
import sys

try:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
except ImportError:
    print("schemas: skipped (the Python package 'jsonschema' is not installed; pip install jsonschema)")
    sys.exit(0)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
problems = []


def load(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return json.load(f)


def errors(validator, doc):
    return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


def where(e):
    return "/".join(str(p) for p in e.absolute_path) or "(root)"


# --- the schemas themselves -------------------------------------------------------------------
schemas = {}
for name in ("sweep", "result"):
    rel = f"Schemas/{name}.schema.json"
    try:
        schema = load(rel)
        Draft202012Validator.check_schema(schema)
        schemas[name] = schema
    except (OSError, ValueError, SchemaError) as e:
        problems.append(f"{rel}: not a valid schema: {getattr(e, 'message', e)}")
if len(schemas) < 2:
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1)
sweep_v = Draft202012Validator(schemas["sweep"])
result_v = Draft202012Validator(schemas["result"])

# --- repository sweep files -------------------------------------------------------------------
sweep_files = sorted(glob.glob(os.path.join(ROOT, "Jobs", "*.json")))
for path in sweep_files:
    rel = os.path.relpath(path, ROOT)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        problems.append(f"{rel}: cannot read: {e}")
        continue
    for e in errors(sweep_v, doc):
        problems.append(f"{rel}: {where(e)}: {e.message}")

# --- built-in sweeps: accepted and rejected by the Swift code ---------------------------------
REMOVE = object()  # as a value in sweep()/base(): drop the field (None sets it to null)
BASE = {"model": "mlp", "dataset": {"name": "fashion-mnist"}, "training": {"epochs": 2, "learningRate": 0.1}}


def sweep(**changes):
    """A valid sweep with top-level fields replaced."""
    doc = {"name": "x", "base": copy.deepcopy(BASE), "seeds": [1]}
    for k, v in changes.items():
        if v is REMOVE:
            doc.pop(k, None)
        else:
            doc[k] = v
    return doc


def base(**changes):
    """BASE with fields set; `a__b` is the path a.b."""
    b = copy.deepcopy(BASE)
    for path, v in changes.items():
        *parents, leaf = path.split("__")
        node = b
        for p in parents:
            node = node.setdefault(p, {})
        if v is REMOVE:
            node.pop(leaf, None)
        else:
            node[leaf] = v
    return b


ALL_KEYS = {
    "model": ["mlp"], "dataset.name": ["mnist", "fashion-mnist"], "dataset.validationFraction": [0, 0.5, None],
    "dataset.splitSeed": [0, 7], "dataset.trainLimit": [None, 2, 10000000], "quantizer.kind": ["fp", None],
    "training.epochs": [1, 1000], "training.batchSize": [2, 65536, None], "training.learningRate": [1e-4, 10],
    "training.optimizer": ["sgd"], "training.momentum": [0, 0.99], "training.nesterov": [True, False],
    "training.weightDecay": [0, 1], "training.schedule": ["constant", "cosine"],
}

accepted = [
    ("minimal sweep", sweep()),
    ("grid times seeds", sweep(grid={"training.learningRate": [0.05, 0.1, 0.2], "training.batchSize": [64, 128]},
                               seeds=[1, 2, 3])),
    ("every grid key", sweep(grid=ALL_KEYS)),
    ("fatnn with every parameter", sweep(base=base(model="resnet20", quantizer={"kind": "fatnn", "params": {
        "activationInit": 2, "activationInitFromData": 1, "weightInit": 0.7, "perChannelActivations": 1, "perChannelWeights": 0}}))),
    ("fine-tuning stages", sweep(base=base(model="resnet20"), stages=[
        {"name": "fp"}, {"name": "q", "from": "fp", "base": {"training": {"learningRate": 0.01}},
                         "grid": {"quantizer.kind": ["fatnn", "tnn"]}}])),
    ("explicit defaults", sweep(base={
        "model": "mlp", "seed": 5,
        "dataset": {"name": "mnist", "validationFraction": 0, "splitSeed": 2147483647, "trainLimit": 1000},
        "quantizer": {"kind": "fp", "params": {}},
        "training": {"epochs": 1, "batchSize": 128, "learningRate": 0.1, "optimizer": "sgd", "momentum": 0.9,
                     "nesterov": True, "weightDecay": 0.0005, "schedule": "constant"}})),
    ("null counts as missing", sweep(description=None, grid=None, base=base(
        quantizer=None, seed=None, dataset__validationFraction=None, dataset__trainLimit=None,
        training__momentum=None))),
    ("required fields from the grid", sweep(base={"dataset": None}, grid={
        "model": ["mlp"], "dataset.name": ["mnist"], "training.epochs": [3], "training.learningRate": [0.1]})),
    ("integral float seeds", sweep(seeds=[0, 2.0, 2147483647])),
    ("name of 100 characters", sweep(name="a._-Z9" + "b" * 94)),
    ("sampled and pruned", sweep(sample={"method": "sobol", "count": 8, "seed": 3, "space": {"training.learningRate": {"logUniform": [0.001, 0.3]}, "training.momentum": {"uniform": [0.8, 0.99]}, "training.batchSize": {"intUniform": [64, 256]}, "training.optimizer": {"choice": ["sgd", "adam"]}}}, pruning={"method": "asha", "metric": "val_acc", "minEpochs": 1, "reductionFactor": 3})),
    ("learning rate only sampled", sweep(base=base(training__learningRate=REMOVE),
                                          sample={"method": "random", "count": 2, "space": {"training.learningRate": {"uniform": [0.01, 0.1]}}})),
    ("stage sample and pruning off", sweep(base=base(model="cnn-s"), pruning={"method": "median", "minJobs": 2}, stages=[
        {"name": "fp", "sample": {"method": "random", "count": 3, "space": {"training.weightDecay": {"logUniform": [1e-5, 1e-3]}}}},
        {"name": "q", "from": "fp", "pruning": None, "base": {"quantizer": {"kind": "tnn"}}}])),
]

rejected = [
    # Required by the brief.
    ("unknown field in base.training", sweep(base=base(training__lerningRate=2))),
    ("seeds empty", sweep(seeds=[])),
    ("grid key not allowed", sweep(grid={"training.lr": [0.1]})),
    ("name with a space", sweep(name="bad name")),
    # From Tests/FATNNJobsTests/SweepTests.swift.
    ("model not allowed", sweep(base=base(model="vgg"))),
    ("grid value out of range", sweep(grid={"training.epochs": [1, -3]})),
    ("seeds missing", sweep(seeds=REMOVE)),
    ("seed repeated", sweep(seeds=[1, 1])),
    ("seed a fraction", sweep(seeds=[1.5])),
    ("base missing", sweep(base=REMOVE)),
    ("dataset missing", sweep(base=base(dataset=REMOVE))),
    ("learningRate 0", sweep(base=base(training__learningRate=0))),
    ("validationFraction 0.9", sweep(base=base(dataset__validationFraction=0.9))),
    ("fp quantizer with params", sweep(base=base(quantizer={"kind": "fp", "params": {"a": 1}}))),
    ("tnn quantizer with params", sweep(base=base(model="cnn-s", quantizer={"kind": "tnn", "params": {"weightInit": 1}}))),
    ("fatnn unknown param", sweep(base=base(model="cnn-s", quantizer={"kind": "fatnn", "params": {"a": 1}}))),
    ("fatnn switch not 0/1", sweep(base=base(model="cnn-s", quantizer={"kind": "fatnn", "params": {"perChannelWeights": 0.5}}))),
    ("fatnn init 0", sweep(base=base(model="cnn-s", quantizer={"kind": "fatnn", "params": {"activationInit": 0}}))),
    ("mlp quantized", sweep(base=base(quantizer={"kind": "fatnn"}))),
    ("stages and a sweep grid", sweep(grid={"model": ["cnn-s"]}, stages=[{"name": "a"}])),
    ("stage without a name", sweep(stages=[{"from": "a"}])),
    ("stage unknown field", sweep(stages=[{"name": "a", "epochs": 3}])),
    ("stages empty", sweep(stages=[])),
    ("initFrom not a hash", sweep(base=base(initFrom="abc"))),
    ("base an array", sweep(base=[])),
    ("grid axis empty", sweep(grid={"model": []})),
    ("unknown top-level field", sweep(extra=1)),
    # More of the Swift rules.
    ("name empty", sweep(name="")),
    ("name of 101 characters", sweep(name="a" * 101)),
    ("name null", sweep(name=None)),
    ("seed negative", sweep(seeds=[-1])),
    ("seed above Int32.max", sweep(seeds=[2147483648])),
    ("seed a string", sweep(seeds=["1"])),
    ("seeds null", sweep(seeds=None)),
    ("grid value repeated", sweep(grid={"training.batchSize": [64, 64]})),
    ("grid value not an array", sweep(grid={"training.batchSize": 64})),
    ("grid an array", sweep(grid=[])),
    ("grid null for a field without default", sweep(grid={"training.epochs": [None]})),
    ("grid quantizer.params key with fp", sweep(grid={"quantizer.params.bits": [2, 4]})),
    ("grid quantizer.params key without name", sweep(grid={"quantizer.params.": [2]})),
    ("model nowhere", sweep(base=base(model=REMOVE))),
    ("training.epochs nowhere", sweep(base=base(training__epochs=None))),
    ("unknown field in base", sweep(base=base(optimizer="sgd"))),
    ("unknown field in base.dataset", sweep(base=base(dataset__limit=5))),
    ("unknown field in base.quantizer", sweep(base=base(quantizer={"bits": 2}))),
    ("params value not a number", sweep(base=base(quantizer={"kind": "fp", "params": {"a": "1"}}))),
    ("quantizer kind unknown", sweep(base=base(quantizer={"kind": "lsq"}))),
    ("trainLimit 1", sweep(base=base(dataset__trainLimit=1))),
    ("epochs 1001", sweep(base=base(training__epochs=1001))),
    ("epochs a fraction", sweep(base=base(training__epochs=1.5))),
    ("batchSize 1", sweep(base=base(training__batchSize=1))),
    ("momentum 1", sweep(base=base(training__momentum=1))),
    ("nesterov a number", sweep(base=base(training__nesterov=1))),
    ("schedule unknown", sweep(base=base(training__schedule="step"))),
    ("description a number", sweep(description=3)),
    ("sample method unknown", sweep(sample={"method": "grid", "count": 2, "space": {"training.momentum": {"uniform": [0, 0.5]}}})),
    ("sample count 0", sweep(sample={"method": "random", "count": 0, "space": {"training.momentum": {"uniform": [0, 0.5]}}})),
    ("sample space empty", sweep(sample={"method": "random", "count": 2, "space": {}})),
    ("sample key unknown", sweep(sample={"method": "random", "count": 2, "space": {"training.colour": {"uniform": [0, 1]}}})),
    ("sample distribution unknown", sweep(sample={"method": "random", "count": 2, "space": {"training.momentum": {"normal": [0, 1]}}})),
    ("logUniform from 0", sweep(sample={"method": "random", "count": 2, "space": {"training.learningRate": {"logUniform": [0, 0.1]}}})),
    ("intUniform fractions", sweep(sample={"method": "random", "count": 2, "space": {"training.batchSize": {"intUniform": [1.5, 8]}}})),
    ("sample with stages", sweep(sample={"method": "random", "count": 2, "space": {"training.momentum": {"uniform": [0, 0.5]}}},
                                 stages=[{"name": "a"}])),
    ("pruning method unknown", sweep(pruning={"method": "hyperband"})),
    ("pruning metric unknown", sweep(pruning={"method": "asha", "metric": "test_acc"})),
    ("median with a reduction factor", sweep(pruning={"method": "median", "reductionFactor": 3})),
    ("reduction factor 1", sweep(pruning={"method": "asha", "reductionFactor": 1})),
]

for label, doc in accepted:
    for e in errors(sweep_v, doc)[:1]:
        problems.append(f"accepted case '{label}' fails: {where(e)}: {e.message}")
negatives = 0
for label, doc in rejected:
    if sweep_v.is_valid(doc):
        problems.append(f"negative case '{label}' passes the sweep schema")
    else:
        negatives += 1

# --- result documents -------------------------------------------------------------------------
RESULT = {
    "testAccuracy": 0.8861, "testLoss": 0.3312, "validationAccuracy": 0.89, "trainLoss": 0.29,
    "trainSeconds": 12.34, "imagesPerSecond": 13000.5, "host": "worker-1", "threads": 4,
    "epochs": [
        {"epoch": 1, "trainLoss": 0.52, "trainAccuracy": 0.81, "validationAccuracy": 0.85, "learningRate": 0.1,
         "seconds": 4.1},
        {"epoch": 2, "trainLoss": 0.29, "trainAccuracy": 0.89, "validationAccuracy": None, "learningRate": 0.05,
         "seconds": 4.2},
    ],
}
for e in errors(result_v, RESULT)[:1]:
    problems.append(f"sample result fails: {where(e)}: {e.message}")
for label, changes in [
    ("testAccuracy above 1", {"testAccuracy": 1.5}),
    ("validationAccuracy below 0", {"validationAccuracy": -0.1}),
    ("trainSeconds negative", {"trainSeconds": -1}),
    ("imagesPerSecond negative", {"imagesPerSecond": -1}),
    ("host longer than 255", {"host": "h" * 256}),
    ("threads a string", {"threads": "4"}),
    ("epoch report without epoch", {"epochs": [{"trainLoss": 1, "trainAccuracy": 0, "learningRate": 0.1,
                                                 "seconds": 1}]}),
]:
    if result_v.is_valid(dict(RESULT, **changes)):
        problems.append(f"negative result '{label}' passes the result schema")
    else:
        negatives += 1
missing = dict(RESULT)
del missing["threads"]
if result_v.is_valid(missing):
    problems.append("negative result 'threads missing' passes the result schema")
else:
    negatives += 1

# --- summary ----------------------------------------------------------------------------------
for p in problems:
    print(p, file=sys.stderr)
summary = (f"schemas: {len(schemas)} valid, {len(sweep_files)} sweep files ok, {negatives} negative cases rejected, "
           f"{len(accepted) + 1} positive cases accepted")
if problems:
    print(f"schemas: FAILED with {len(problems)} problem(s)", file=sys.stderr)
    sys.exit(1)
print(summary)
