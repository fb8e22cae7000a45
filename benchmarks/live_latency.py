"""Latency of `workout live`: per-frame processing time (pose vs the rest) and event delay, on shared clips.

Each clip is decoded first (decoding is not counted: a camera delivers decoded frames), then fed frame by
frame to one LiveSession as fast as it goes. Per frame it times MediaPipe (the session's PoseEstimator)
and the rest (model windows, streaming decoder, rep counter, form checks), and prints the median and the
95th percentile, the frames/s one core sustains, and for each event how long after its moment it came:
  exercise  stream time of the first "exercise" event (from the start of the stream)
  rep       event time minus the rep's end (the counter's look-ahead; before the counter's warm-up is
            over, reps wait for it)
On a machine shared with other jobs the figures move with the load: the load average is printed too.

With ``--agreement TABLE`` (a landmark table from `workout extract`), it instead feeds every video's
landmarks to a LiveSession and to analyze() and prints how often they agree on the exercise and the
rep count (no MediaPipe: both see the same landmarks).

Usage: .venv/bin/python benchmarks/live_latency.py [--videos ../shared/data/videos] [--clips FILE ...]
       .venv/bin/python benchmarks/live_latency.py --agreement /work/cache/shared_videos.parquet
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


def agreement(table: Path, bundle) -> None:  # type: ignore[no-untyped-def]
    """Live vs offline on every sequence of a landmark table."""
    import pandas as pd
    from tqdm import tqdm

    from workout_analysis.analysis.report import analyze
    from workout_analysis.sequence import sequences_from_table

    same_exercise = same_count = off_by_one = n = 0
    diffs = []
    for seq in tqdm(sequences_from_table(pd.read_parquet(table)), unit="video"):
        if not seq.has_pose.any():
            continue
        session = LiveSession(bundle, fps=seq.fps, width=seq.meta.get("width"), height=seq.meta.get("height"))
        for landmarks, t in zip(seq.landmarks, seq.timestamps):
            session.push_landmarks(landmarks, t)
        live = session.finish()
        try:
            offline = analyze(seq, bundle)
        except Exception:  # too short to recognise: analyze refuses, live says no exercise
            continue
        n += 1
        live_count = round(live.hold_s, 1) if live.hold_s is not None else len(live.reps)
        off_count = round(offline.reps.hold_s, 1) if offline.reps.hold_s is not None else offline.reps.count
        same_exercise += live.recognition.exercise == offline.recognition.exercise
        same_count += live_count == off_count
        off_by_one += abs(live_count - off_count) <= 1
        if live_count != off_count:
            diffs.append(f"{seq.meta.get('video_id')}: live {live_count} vs analyze {off_count} "
                         f"({len(offline.recognition.segments)} segments, {len(seq) / seq.fps:.0f} s)")  # fmt: skip
    print(f"{n} videos: same exercise {same_exercise}/{n}, same rep count (or time held) {same_count}/{n}, "
          f"within one {off_by_one}/{n}")  # fmt: skip
    print("\n".join(diffs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=Path, default=ROOT.parent / "shared" / "data" / "videos",
                        help="folder the clips are under (default: ../shared/data/videos)")  # fmt: skip
    parser.add_argument("--clips", nargs="+", metavar="CLIP", default=list(CLIPS),
                        help=f"paths under --videos (default: {len(CLIPS)} shared clips)")  # fmt: skip
    parser.add_argument("--agreement", type=Path, metavar="TABLE", help="live vs analyze on a landmark table")
    args = parser.parse_args()
    missing = [c for c in args.clips if not (args.videos / c).is_file()]
    if not args.agreement and missing:
        parser.error(f"no such clip under {args.videos}: {', '.join(missing)}")
    torch.set_num_threads(1)  # as `workout live` does
    bundle = load_bundle()
    if args.agreement:
        agreement(args.agreement, bundle)
        return
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
