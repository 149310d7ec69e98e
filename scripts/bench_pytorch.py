#!/usr/bin/env python3
"""Reference PyTorch throughput for the engine's models (tooling only, not a runtime dependency).

Builds `cnn-s` and `resnet20` exactly as `fatnn` does (docs/ARCHITECTURE.md), trains on random
1x28x28 batches with SGD (momentum 0.9, weight decay 5e-4) and prints one JSON object per model
in the same shape as `fatnn bench train --json`, so both can be run side by side:

    python3 scripts/bench_pytorch.py --threads 2 --batch 128
    python3 scripts/bench_pytorch.py --quantizer fatnn     # simulated FATNN QAT (spec ../shared/FATNN.md)

`--quantizer fatnn` replaces every conv but the first with one that quantizes its input and
weights as the spec says (ternary codes, learned steps, straight-through and clamp gradients via
autograd), in plain PyTorch ops: the usual way QAT is simulated there.
"""
import argparse, json, time
import torch
import torch.nn as nn


def ste_round(x):
    """Round half to even with a straight-through gradient."""
    return x + (torch.round(x) - x).detach()


class FATNNConv(nn.Conv2d):
    """The spec's quantized conv: input → codes {0,1,2}, standardized weights → {-1,0,+1}."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.act = nn.Parameter(torch.tensor([2.0, 2.0]))
        self.wq = nn.Parameter(torch.tensor([1.0, 1.0]))

    def forward(self, x):
        a0, a1 = self.act.abs().clamp_min(1e-8)
        codes = ste_round(torch.clamp(x * a0, 0, 1)) + ste_round(torch.clamp((x - 1 / a0) * a1, 0, 1))
        w = self.weight
        h = (w - w.mean().detach()) / w.std().detach()
        b0, b1 = self.wq.abs().clamp_min(1e-8)
        wc = ste_round(torch.clamp(h * b0, -1, 0)) + ste_round(torch.clamp(h * b1, 0, 1))
        return nn.functional.conv2d(codes, wc, None, self.stride, self.padding)


CONV = {"fp": nn.Conv2d, "fatnn": FATNNConv}


def cnn_s(c, classes=10, quantizer="fp"):
    q = CONV[quantizer]

    def block(i, o, first=False):
        return [(nn.Conv2d if first else q)(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]
    return nn.Sequential(*block(c, 32, True), *block(32, 32), nn.MaxPool2d(2), *block(32, 64), *block(64, 64),
                         nn.MaxPool2d(2), *block(64, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, classes))


class BasicBlock(nn.Module):
    def __init__(self, i, o, stride, quantizer="fp"):
        super().__init__()
        q = CONV[quantizer]
        self.c1 = q(i, o, 3, stride, 1, bias=False); self.b1 = nn.BatchNorm2d(o)
        self.c2 = q(o, o, 3, 1, 1, bias=False); self.b2 = nn.BatchNorm2d(o)
        self.short = nn.Sequential()
        if stride != 1 or i != o:
            self.short = nn.Sequential(q(i, o, 1, stride, bias=False), nn.BatchNorm2d(o))

    def forward(self, x):
        y = torch.relu(self.b1(self.c1(x)))
        return torch.relu(self.b2(self.c2(y)) + self.short(x))


def resnet20(c, classes=10, quantizer="fp"):
    layers = [nn.Conv2d(c, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)]
    i = 16
    for o, s in [(16, 1), (32, 2), (64, 2)]:
        for b in range(3):
            layers.append(BasicBlock(i, o, s if b == 0 else 1, quantizer)); i = o
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes)]
    return nn.Sequential(*layers)


def bench(name, model, batch, steps, shape, channels_last, quantizer):
    x = torch.randn(batch, *shape); y = torch.randint(0, 10, (batch,))
    if channels_last:
        model = model.to(memory_format=torch.channels_last); x = x.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()
    model.train()
    for _ in range(3): step()
    t = time.perf_counter()
    for _ in range(steps): step()
    train = batch * steps / (time.perf_counter() - t)
    model.eval()
    with torch.no_grad():
        for _ in range(3): model(x)
        t = time.perf_counter()
        for _ in range(steps): model(x)
        ev = batch * steps / (time.perf_counter() - t)
    return {"engine": "pytorch " + torch.__version__, "model": name, "quantizer": quantizer, "batch": batch,
            "threads": torch.get_num_threads(), "channels_last": channels_last,
            "train_images_per_s": round(train, 1), "eval_images_per_s": round(ev, 1)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="cnn-s,resnet20")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--channels-last", action="store_true", help="NHWC memory format (oneDNN's fast path)")
    p.add_argument("--quantizer", default="fp", help="fp, fatnn, or both comma-separated")
    a = p.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(1)
    builders = {"cnn-s": cnn_s, "resnet20": resnet20}
    for name in a.model.split(","):
        for q in a.quantizer.split(","):
            model = builders[name](1, quantizer=q)
            print(json.dumps(bench(name, model, a.batch, a.steps, (1, 28, 28), a.channels_last, q)), flush=True)


if __name__ == "__main__":
    main()
