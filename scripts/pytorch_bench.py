#!/usr/bin/env python3
"""Side-by-side reference: PyTorch's CPU training and eval throughput for FATNN's models.

Tooling only (never a runtime dependency of FATNN). Defines `cnn-s` and `resnet20` exactly as
issue 3 and the engine do (28x28x1 input, no conv bias, BN eps 1e-5), runs full training steps
(forward, cross-entropy, backward, SGD Nesterov 0.9 with weight decay 5e-4) on random images at
batch B, and prints one JSON object per line with the same fields as `fatnn bench train --json`.

    python3 scripts/pytorch_bench.py --model cnn-s,resnet20 --batch 128 --threads 2 [--qat] [--profile]
    ... | python3 scripts/pytorch_bench.py --summarize    # medians of JSON lines (any framework)

`--qat` wraps every conv but the first (and not the classifier) with simulated ternary
quantization of weights and activations (straight-through estimators), the usual way QAT runs
in PyTorch, for issue 4's QAT comparison.

`--memory-format channels_last` (the default) runs model and batch in PyTorch's NHWC layout,
which oneDNN's CPU convolutions prefer: on a Zen 4 it trained resnet20 about 25% faster than the
default `contiguous` (NCHW) layout (docs/BENCHMARKS.md, 2026-12-06). A comparison against
PyTorch should use its faster layout; the records name the one used. (`torch.compile` was
slower than eager mode here and is not offered.)
"""
import argparse, contextlib, json, sys, time
import torch, torch.nn as nn, torch.nn.functional as F


class TernarySTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        return (x > lo).float() + (x > hi).float()

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        inside = ((x >= 0) & (x <= hi * 1.5)).float()
        return g * inside, None, None


class QConv(nn.Conv2d):
    """Conv with simulated FATNN-style quantization: activations to {0,1,2}·s with two learnable
    steps, weights to {-1,0,1}·α with learnable thresholds (STE)."""
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.a1 = nn.Parameter(torch.tensor(0.5)); self.a2 = nn.Parameter(torch.tensor(1.5))
        self.t = nn.Parameter(torch.tensor(0.5))

    def forward(self, x):
        codes = TernarySTE.apply(x, self.a1, self.a2)
        xa = codes * (self.a2 - self.a1) + (x - x.detach()) * 0  # keep a graph to x through STE
        w = self.weight
        ws = (w - w.mean()) / (w.std() + 1e-5)
        q = (ws > self.t).float() - (ws < -self.t).float()
        wq = ws + (q - ws).detach()
        return F.conv2d(xa, wq * w.abs().mean(), None, self.stride, self.padding)


def conv(cin, cout, k=3, s=1, p=1, q=False):
    return (QConv if q else nn.Conv2d)(cin, cout, k, s, p, bias=False)


def cnn_s(c=1, q=False):
    return nn.Sequential(
        conv(c, 32), nn.BatchNorm2d(32), nn.ReLU(),
        conv(32, 32, q=q), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        conv(32, 64, q=q), nn.BatchNorm2d(64), nn.ReLU(),
        conv(64, 64, q=q), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        conv(64, 128, q=q), nn.BatchNorm2d(128), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


class Block(nn.Module):
    def __init__(self, cin, cout, stride, q):
        super().__init__()
        self.c1, self.b1 = conv(cin, cout, 3, stride, 1, q), nn.BatchNorm2d(cout)
        self.c2, self.b2 = conv(cout, cout, 3, 1, 1, q), nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(conv(cin, cout, 1, stride, 0, q), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


def resnet20(c=1, q=False):
    layers = [conv(c, 16), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in [(16, 1), (32, 2), (64, 2)]:
        for i in range(3):
            layers.append(Block(cin, cout, stride if i == 0 else 1, q)); cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def summarize(stream):
    """Median train and eval images/s per model, quantizer and framework of JSON lines."""
    import collections, statistics
    runs = collections.defaultdict(list)
    for line in stream:
        r = json.loads(line)
        fw = r["framework"].split()[0]
        if "memory_format" in r: fw += {"channels_last": " nhwc", "contiguous": " nchw"}[r["memory_format"]]
        runs[(r["model"], r["quantizer"], fw)].append(r)
    print(f"{'model':10} {'quantizer':18} {'framework':12} {'threads':>7} {'train img/s':>12} {'eval img/s':>11}  rounds")
    for (model, q, fw), rs in sorted(runs.items()):
        t = statistics.median(r["train_images_per_s"] for r in rs)
        e = statistics.median(r["eval_images_per_s"] for r in rs)
        print(f"{model:10} {q:18} {fw:12} {rs[0]['threads']:>7} {t:>12.0f} {e:>11.0f}  {len(rs)}")


def main():
    if sys.argv[1:] == ["--summarize"]:
        return summarize(sys.stdin)
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="cnn-s,resnet20")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--qat", action="store_true")
    ap.add_argument("--memory-format", choices=["channels_last", "contiguous"], default="channels_last")
    ap.add_argument("--profile", action="store_true",
                    help="also print PyTorch's own time per operator over the timed training steps (stderr)")
    a = ap.parse_args()
    layout = torch.channels_last if a.memory_format == "channels_last" else torch.contiguous_format
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    for name in a.model.split(","):
        m = {"cnn-s": cnn_s, "resnet20": resnet20}[name](q=a.qat)
        opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
        x = torch.randn(a.batch, 1, 28, 28).contiguous(memory_format=layout); y = torch.randint(0, 10, (a.batch,))
        m = m.to(memory_format=layout)
        times = []
        m.train()
        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(m(x), y).backward()
            opt.step()
        for i in range(3): step()
        profiling = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) if a.profile else contextlib.nullcontext()
        with profiling as prof:
            for i in range(a.steps):
                t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
        if a.profile:
            print(f"{name} ({a.memory_format}), {a.steps} training steps:", file=sys.stderr)
            print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12), file=sys.stderr)
        m.eval(); ev = []
        with torch.no_grad():
            for i in range(a.steps + 3):
                t = time.perf_counter(); m(x)
                if i >= 3: ev.append(time.perf_counter() - t)
        med = lambda v: sorted(v)[len(v) // 2]
        print(json.dumps({"framework": f"pytorch {torch.__version__}", "memory_format": a.memory_format, "model": name,
                          "quantizer": "ternary-simulated" if a.qat else "fp", "batch": a.batch,
                          "threads": a.threads, "train_images_per_s": round(a.batch / med(times), 1),
                          "eval_images_per_s": round(a.batch / med(ev), 1)}), flush=True)


if __name__ == "__main__":
    main()
