"""Train the learned, class-agnostic rep counter (analysis/rep_model.py) on synthetic sets only, and score it.

    .venv/bin/python scripts/train_rep_model.py                       # generate, train, score, save to --out
    .venv/bin/python scripts/train_rep_model.py --eval-only DIR       # score a saved counter

Training data: ``synth.generate`` sets of every exercise (seeds from 100000 up, disjoint from the tests'
and eval_reps', all below 100000), many reps (1-30), random form faults (partial reps), detector
noise, a second set by the same person, unrelated movement (``no_exercise``) before or after, holds and
no-exercise clips with no reps, the image aspect known or not, tempo stretched 0.6-2.5x; while training,
random crops of 8-40 s with body parts zeroed or jittered. RepCount-A is never trained on: all its 75
videos are a test (even and odd halves as in scripts/eval_reps.py). Reproducible from ``--seed`` (one
thread); the generated sets are cached in ``--cache``. The embedded counter is ``--seed 0`` (the defaults).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from workout_analysis.analysis.rep_model import FPS, RepModel, RepNet, RepNetConfig, load_rep_model, rep_features
from workout_analysis.analysis.reps import REFEREE_MIN_S, count_reps
from workout_analysis.exercises import HOLDS, NO_EXERCISE
from workout_analysis.features import frame_aspect, undo_aspect
from workout_analysis.fileio import atomic_path
from workout_analysis.synth import SYNTH_EXERCISES, generate
from workout_analysis.synth.motions import MOTIONS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_reps import load_repcount, scores  # noqa: E402

CACHE = Path("/work/cache/lr")
SEED_BASE = 100_000  # training sets; the tests and eval_reps use seeds below it
STRETCH = (0.6, 2.5)  # real tempos vary more than each synthetic exercise's own range
DATA_VERSION = 1  # bump when make_sample or synth changes: names the cache
REP_EXERCISES = [e for e in SYNTH_EXERCISES if e not in HOLDS and e != NO_EXERCISE]


def _points(seq, known_aspect: bool) -> np.ndarray:
    """(T, 33, 3) points in frame heights, or with the aspect taken as 1 (as for landmark files without a frame size)."""
    aspect = frame_aspect(seq.meta.get("width"), seq.meta.get("height")) if known_aspect else 1.0
    return undo_aspect(seq.xyz.astype(np.float64).copy(), aspect)


def make_sample(index: int) -> tuple[np.ndarray, np.ndarray]:
    """One training sequence at FPS: (features (T, F), targets (T, 4): density, cos, sin, in_rep)."""
    rng = np.random.default_rng([SEED_BASE, index])
    seed = SEED_BASE + index
    known_aspect = rng.random() < 0.5
    parts, bounds, rates = [], [], set()

    def add(seq, truth=None) -> None:
        offset = sum(len(p) for p in parts)
        rates.add(seq.fps)
        parts.append(_points(seq, known_aspect))
        if truth is not None:
            bounds.extend((a + offset, b + offset) for a, b in truth.rep_bounds)

    noise = float(rng.uniform(0.5, 2.0))
    if rng.random() < 0.3:
        add(generate(NO_EXERCISE, seed=seed, noise=noise)[0])
    if rng.random() < 0.06:  # a clip with no reps at all
        add(*generate(str(rng.choice(["plank", NO_EXERCISE])), seed=seed + 7_000_000, noise=noise))
    else:
        exercise = str(rng.choice(REP_EXERCISES))
        faults = MOTIONS[exercise].faults
        fault = (str(rng.choice(faults)),) if faults and rng.random() < 0.3 else ()
        reps = None if rng.random() < 0.5 else int(rng.integers(1, 31))
        add(*generate(exercise, seed=seed, reps=reps, faults=fault, noise=noise))
        if rng.random() < 0.25:  # another set by the same person, same camera
            add(*generate(exercise, seed=seed, reps=int(rng.integers(2, 16)), noise=noise))
    if rng.random() < 0.3:
        add(generate(NO_EXERCISE, seed=seed + 3_000_000, noise=noise)[0])
    points = np.concatenate(parts)
    (rate,) = rates  # the generator's one frame rate (30 fps), resampled to FPS below
    stretch = float(np.exp(rng.uniform(np.log(STRETCH[0]), np.log(STRETCH[1]))))  # > 1 looks faster
    index_ = np.round(np.arange(0, len(points) - 1, rate / FPS * stretch)).astype(int)
    feats = rep_features(points[index_])
    targets = np.zeros((len(index_), 4), np.float32)
    targets[:, 1] = 1.0  # phase 0 outside reps (masked out of the loss anyway)
    for a, b in bounds:
        inside = np.flatnonzero((index_ >= a) & (index_ <= b))
        if len(inside) == 0:
            continue
        targets[inside, 0] = 1.0 / len(inside)
        phase = 2 * np.pi * (index_[inside] - a + 0.5) / (b - a + 1)
        targets[inside, 1], targets[inside, 2], targets[inside, 3] = np.cos(phase), np.sin(phase), 1.0
    return feats, targets


def dataset(n: int, cache: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` training sequences, cached in ``cache`` (generated when missing)."""
    path = cache / f"train_{n}_v{DATA_VERSION}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            return [(data[f"x{i}"], data[f"y{i}"]) for i in range(n)]
    samples = [make_sample(i) for i in tqdm(range(n), desc="generate")]
    cache.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **{f"x{i}": x for i, (x, _) in enumerate(samples)}, **{f"y{i}": y for i, (_, y) in enumerate(samples)})
    return samples


def loss_fn(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Density per frame and summed over the crop, phase inside reps, in-rep everywhere."""
    density, true_density = pred[..., 0], target[..., 0]
    frame = (density - true_density).abs().mean() * 30
    total = ((density.sum(1) - true_density.sum(1)) ** 2 / (true_density.sum(1) + 1)).mean()
    inside = target[..., 3]
    phase = (((pred[..., 1:3] - target[..., 1:3]) ** 2).sum(-1) * inside).sum() / inside.sum().clamp(min=1)
    in_rep = torch.nn.functional.binary_cross_entropy_with_logits(pred[..., 3], inside)
    return frame + total + phase + in_rep


def augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Real landmarks are messier than synthetic ones: some body parts are lost or useless (a channel
    made constant) and others jitter far more than the synthetic detector noise (noise added)."""
    x = x.copy()
    if rng.random() < 0.5:
        x[:, rng.random(x.shape[1]) < rng.uniform(0, 0.4)] = 0.0
    if rng.random() < 0.5:
        noisy = rng.random(x.shape[1]) < 0.5
        x[:, noisy] += rng.normal(0, 1, (len(x), int(noisy.sum()))).astype(np.float32) * (
            rng.uniform(0, 0.5) * x[:, noisy].std(0))
    return x


def train(samples: list[tuple[np.ndarray, np.ndarray]], steps: int, seed: int, batch: int = 16,
          config: RepNetConfig = RepNetConfig()) -> RepNet:  # fmt: skip
    """A :class:`RepNet` trained on random crops of ``samples`` (:func:`make_sample`), reproducible from ``seed``."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = RepNet(config)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    lengths = np.array([len(x) for x, _ in samples])
    net.train()
    bar = tqdm(range(steps), desc="train")
    for step in bar:
        crop = int(rng.integers(REFEREE_MIN_S * FPS, 40 * FPS))
        crop = min(crop, int(np.quantile(lengths, 0.7)))
        pool = np.flatnonzero(lengths >= crop)
        xs, ys = [], []
        for i in rng.choice(pool, batch):
            start = int(rng.integers(0, lengths[i] - crop + 1))
            xs.append(augment(samples[i][0][start : start + crop], rng))
            ys.append(samples[i][1][start : start + crop])
        loss = loss_fn(net(torch.from_numpy(np.stack(xs))), torch.from_numpy(np.stack(ys)))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}")
    return net.eval()


def halves(rows: list[dict], key: str) -> str:
    """MAE / OBO on all, even and odd videos."""
    out = []
    for name, part in (("all", rows), ("even", rows[0::2]), ("odd", rows[1::2])):
        mae, obo = scores([(r[key], r["true"]) for r in part])
        out.append(f"{name} {mae:.3f}/{obo:.2f}")
    return "  ".join(out)


def evaluate(model: RepModel, synthetic: int = 3) -> None:
    """Print MAE / OBO on RepCount-A (all, even, odd) and synthetic sets: the hand counter with the exercise
    given, its class-agnostic fallback, the learned counter alone, the two refereed by it (count_reps's
    default) and the median of the three."""
    rows = []
    for it in tqdm(load_repcount(), desc="RepCount-A", leave=False):
        seq, exercise = it["seq"], it["exercise"]
        row = {"name": it["name"], "label": it["label"], "true": it["true"], "learned": model.count(seq).count,
               "given": count_reps(seq, exercise, referee=False).count, "agnostic": count_reps(seq, None).count,
               "referee": count_reps(seq, exercise, referee=model).count}  # fmt: skip
        row["median"] = int(np.median([row["given"], row["agnostic"], row["learned"]]))
        rows.append(row)
    print("RepCount-A (75 videos; MAE/OBO)")
    for key in ("given", "agnostic", "learned", "referee", "median"):
        print(f"  {key:9s} {halves(rows, key)}")
    syn = []
    for exercise in tqdm(REP_EXERCISES, desc="synthetic", leave=False):
        for seed in range(1000, 1000 + synthetic):  # the seeds of eval_reps, never trained on
            seq, truth = generate(exercise, seed=seed)
            syn.append([count_reps(seq, exercise, referee=False).count, count_reps(seq, None).count,
                        model.count(seq).count, count_reps(seq, exercise, referee=model).count, truth.reps])  # fmt: skip
    print(f"synthetic sets (seeds 1000-{999 + synthetic}, {len(syn)} sets; MAE/OBO)")
    for k, key in enumerate(("given", "agnostic", "learned", "referee")):
        print(f"  {key:9s} " + "%.3f/%.2f" % scores([(r[k], r[-1]) for r in syn]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, default=2000, help="synthetic training sequences (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=4000, help="optimiser steps of 16 crops (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="of the training crops and weights (default: %(default)s)")
    parser.add_argument("--channels", type=int, default=64, help="width of the net (default: %(default)s)")
    parser.add_argument("--levels", type=int, default=7, help="dilations 1, 2, 4, ... 2**(levels-1) (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where the generated training sets are kept; "
                        "delete them after changing synth (default: %(default)s)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=CACHE / "model", help="folder the trained counter is saved to "
                        "(weights.safetensors + config.json; default: %(default)s)")  # fmt: skip
    parser.add_argument("--eval-only", type=Path, help="score the counter saved in this folder")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.eval_only:
        evaluate(load_rep_model(args.eval_only))
        return
    samples = dataset(args.sets, args.cache)
    t0 = time.time()
    net = train(samples, args.steps, args.seed, config=RepNetConfig(args.channels, tuple(2**k for k in range(args.levels))))
    print(f"trained {args.steps} steps in {time.time() - t0:.0f} s; {sum(p.numel() for p in net.parameters())} parameters")
    model = RepModel(net)
    model.save(args.out)
    evaluate(model)


if __name__ == "__main__":
    main()
