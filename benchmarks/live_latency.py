"""Latency of `workout live`: per-frame processing time (pose vs the rest) and event delay, on shared clips.

Each clip is decoded first (decoding is not counted: a camera delivers decoded frames), then fed frame by
frame to one LiveSession as fast as it goes. Per frame it times MediaPipe (the session's PoseEstimator)
and the rest (model windows, streaming decoder, rep counter, form checks), and prints the median and the
95th percentile, the frames/s one core sustains, and for each event how long after its moment it came:
  exercise  stream time of the first "exercise" event (from the start of the stream)
  rep       event time minus the rep's end (the counter's look-ahead; before the counter's warm-up is
            over, reps wait for it)
On a machine shared with other jobs the figures move with the load: the load average is printed too.

Usage: .venv/bin/python benchmarks/live_latency.py [--videos ../shared/data/videos] [--clips FILE ...]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from workout_analysis.bundle import load_bundle
from workout_analysis.live import LiveSession
from workout_analysis.pose import PoseEstimator
from workout_analysis.video import VideoReader

ROOT = Path(__file__).resolve().parents[1]
CLIPS = (  # one person each, 5 to 23 s, three frame sizes
    "push_up/pushfit__correct_correct103.mp4",
    "bicep_curl/vengaza__curls3.mp4",
    "deadlift/aigymtrainer__deadlift.mp4",
    "barbell_row/prakhar__Pendlay_Row.mp4",
)


class TimedEstimator(PoseEstimator):
    """The session's estimator, timing each call."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def detect(self, rgb, timestamp_s):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        out = super().detect(rgb, timestamp_s)
        self.seconds.append(time.perf_counter() - start)
        return out


def run_clip(path: Path, bundle) -> dict:  # type: ignore[no-untyped-def]
    with VideoReader(path) as reader:
        frames = [(f.rgb, f.timestamp) for f in reader]
        fps, width, height = reader.fps, reader.width, reader.height
    session = LiveSession(bundle, fps=fps, width=width, height=height)
    session.estimator = estimator = TimedEstimator()
    total, events = [], []
    for rgb, t in frames:
        start = time.perf_counter()
        events += session.push_frame(rgb, t)
        total.append(time.perf_counter() - start)
    summary = session.finish()
    session.close()
    pose = np.array(estimator.seconds)
    rest = np.array(total) - pose
    first = next((e.t for e in events if e.kind == "exercise"), None)
    delays = [e.t - e.data["end_s"] for e in events if e.kind == "rep"]
    return {"clip": path.name, "size": f"{width}x{height}", "frames": len(frames), "seconds": len(frames) / fps,
            "pose": pose, "rest": rest, "total": np.array(total), "first": first, "delays": delays,
            "reps_live": len([e for e in events if e.kind == "rep"]), "reps": len(summary.reps),
            "exercise": summary.recognition.exercise}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=Path, default=ROOT.parent / "shared" / "data" / "videos")
    parser.add_argument("--clips", nargs="+", default=list(CLIPS), help="paths under --videos")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as `workout live` does
    bundle = load_bundle()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rows = [run_clip(args.videos / c, bundle) for c in args.clips]
    ms = lambda x, q: f"{1000 * np.percentile(x, q):6.1f}"  # noqa: E731
    print(f"{'clip':38s} {'size':>9s} {'frames':>6s}  pose ms p50/p95  rest ms p50/p95   fps  "
          f"exercise at  rep delay s (live/all)  exercise")  # fmt: skip
    for r in rows:
        delay = f"{np.median(r['delays']):.1f} med, {max(r['delays']):.1f} max" if r["delays"] else "-"
        first = "-" if r["first"] is None else f"{r['first']:.1f} s"
        print(f"{r['clip'][:38]:38s} {r['size']:>9s} {r['frames']:6d}  {ms(r['pose'], 50)}/{ms(r['pose'], 95)}"
              f"  {ms(r['rest'], 50)}/{ms(r['rest'], 95)}  {1 / np.mean(r['total']):5.1f}  {first:>11s}  "
              f"{delay:>14s} ({r['reps_live']}/{r['reps']})  {r['exercise']}")  # fmt: skip
    pose, rest, total = (np.concatenate([r[k] for r in rows]) for k in ("pose", "rest", "total"))
    print(f"all {len(total)} frames: pose {1000 * pose.mean():.1f} ms, rest {1000 * rest.mean():.1f} ms per frame "
          f"(rest p99 {1000 * np.percentile(rest, 99):.1f} ms); {1 / total.mean():.1f} frames/s")  # fmt: skip


if __name__ == "__main__":
    main()
