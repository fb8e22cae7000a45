"""Speed of `workout extract` beside a bare MediaPipe loop over the same frames.

Picks shared clips (spread over the classes) up to a frame budget, then times:
  bare     decode with OpenCV + PoseLandmarker.detect_for_video, one landmarker per video, in this process
  1 worker `workout extract --workers 1` end to end (a fresh cache; start-up, hashing, table and Parquet included)
  2 workers the same with --workers 2
  fixed    a re-run of the 1-worker command, everything cached: start-up, hashing, table writing
and prints frames/s, the pipeline's overhead over the bare loop (end to end, and per frame without the
fixed cost) and the 2-worker speed-up.
On a machine shared with other jobs the figures move with the load: the load average is printed too.

Usage: .venv/bin/python benchmarks/extract_speed.py [--videos ../shared/data/videos] [--frames 3000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def pick_clips(videos: Path, budget: int) -> list[tuple[str, int]]:
    """Clips taken round-robin over the classes (by file name) while they fit in ``budget`` frames."""
    index = pd.read_csv(videos / "INDEX.tsv", sep="\t").sort_values("file")
    queues = [list(zip(rows["file"], rows["frames"].astype(int))) for _, rows in index.groupby("class")]
    picked, total = [], 0
    while any(queues):
        for clips in queues:
            if clips:
                name, frames = clips.pop(0)
                if total + frames <= budget:
                    picked.append((name, frames))
                    total += frames
    return picked


def bare_loop(paths: list[Path]) -> tuple[int, float]:
    """Frames and seconds of decode + detect with nothing else around it."""
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from workout_analysis.pose import pose_model_path

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(pose_model_path())), running_mode=vision.RunningMode.VIDEO
    )
    frames, start = 0, time.perf_counter()
    for path in paths:
        capture = cv2.VideoCapture(str(path))
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        with vision.PoseLandmarker.create_from_options(options) as landmarker:
            i = 0
            while True:
                ok, bgr = capture.read()
                if not ok:
                    break
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                landmarker.detect_for_video(image, int(i * 1000 / fps))
                i += 1
        capture.release()
        frames += i
    return frames, time.perf_counter() - start


def run_extract(data: Path, work: Path, workers: int) -> tuple[int, float]:
    """Frames and wall seconds of the `workout extract` command with its own cache (fresh the first time)."""
    out = work / f"w{workers}.parquet"
    command = [sys.executable, "-m", "workout_analysis.cli", "extract", str(data), "-o", str(out),
               "--cache", str(work / f"cache{workers}"), "--workers", str(workers), "--quiet"]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return len(pd.read_parquet(out, columns=["frame"])), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=Path, default=ROOT.parent / "shared" / "data" / "videos")
    parser.add_argument("--frames", type=int, default=3000, help="frame budget of the clip subset")
    args = parser.parse_args()
    if not (args.videos / "INDEX.tsv").is_file():
        sys.exit(f"no shared videos at {args.videos} (pass --videos)")

    clips = pick_clips(args.videos, args.frames)
    print(f"{len(clips)} clips, {sum(f for _, f in clips)} frames (header counts); load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "data"
        for name, _ in clips:
            (data / name).parent.mkdir(parents=True, exist_ok=True)
            (data / name).symlink_to(args.videos / name)
        bare_frames, bare_s = bare_loop([data / name for name, _ in clips])
        results = {"bare loop (decode + detect)": (bare_frames, bare_s)}
        for workers in (1, 2):
            results[f"workout extract --workers {workers}"] = run_extract(data, work, workers)
        # A re-run finds everything in the cache: what is left is the fixed cost (start-up, hashing, table).
        fixed_s = run_extract(data, work, 1)[1]

    print(f"{'':32s} {'frames':>7s} {'seconds':>8s} {'frames/s':>9s}")
    for name, (frames, seconds) in results.items():
        print(f"{name:32s} {frames:7d} {seconds:8.1f} {frames / seconds:9.1f}")
    one = results["workout extract --workers 1"]
    two = results["workout extract --workers 2"]
    bare_per_frame = bare_s / bare_frames
    print(f"fixed cost of a run (re-run, all cached): {fixed_s:.1f} s")
    print(f"overhead over the bare loop, 1 worker, end to end:     {100 * (one[1] / one[0] / bare_per_frame - 1):+.1f} %")
    per_frame = (one[1] - fixed_s) / one[0] / bare_per_frame - 1
    print(f"overhead over the bare loop, 1 worker, per frame only: {100 * per_frame:+.1f} %")
    print(f"speed-up with 2 workers: {one[1] / two[1]:.2f}x   (load average now {os.getloadavg()})")


if __name__ == "__main__":
    main()
