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
import resource
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


def bare_loop(paths: list[Path]) -> tuple[int, float, float]:
    """Frames, wall seconds and CPU seconds of decode + detect with nothing else around it."""
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from workout_analysis.pose import pose_model_path

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(pose_model_path())), running_mode=vision.RunningMode.VIDEO
    )
    frames, start, cpu = 0, time.perf_counter(), time.process_time()
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
    return frames, time.perf_counter() - start, time.process_time() - cpu


def run_extract(data: Path, work: Path, workers: int) -> tuple[int, float, float]:
    """Frames, wall and CPU seconds (its workers included) of `workout extract` with its own cache."""
    out = work / f"w{workers}.parquet"
    command = [sys.executable, "-m", "workout_analysis.cli", "extract", str(data), "-o", str(out),
               "--cache", str(work / f"cache{workers}"), "--workers", str(workers), "--quiet"]  # fmt: skip
    before, start = _children_cpu(), time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds, cpu = time.perf_counter() - start, _children_cpu() - before
    return len(pd.read_parquet(out, columns=["frame"])), seconds, cpu


def _children_cpu() -> float:
    """CPU seconds of finished child processes and theirs: robust to other jobs sharing the cores."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
        bare_frames, bare_s, bare_cpu = bare_loop([data / name for name, _ in clips])
        results = {"bare loop (decode + detect)": (bare_frames, bare_s, bare_cpu)}
        for workers in (1, 2):
            results[f"workout extract --workers {workers}"] = run_extract(data, work, workers)
        # A re-run finds everything in the cache: what is left is the fixed cost (start-up, hashing, table).
        _, fixed_s, fixed_cpu = run_extract(data, work, 1)

    print(f"{'':32s} {'frames':>7s} {'wall s':>7s} {'frames/s':>9s} {'CPU s':>7s} {'CPU ms/frame':>13s}")
    for name, (frames, seconds, cpu) in results.items():
        print(f"{name:32s} {frames:7d} {seconds:7.1f} {frames / seconds:9.1f} {cpu:7.1f} {1000 * cpu / frames:13.1f}")
    print(f"fixed cost of a run (re-run, all cached): {fixed_s:.1f} s wall, {fixed_cpu:.1f} s CPU")
    frames, one_s, one_cpu = results["workout extract --workers 1"]
    two_s = results["workout extract --workers 2"][1]
    print("overhead of the pipeline over the bare loop, 1 worker:")
    print(f"  CPU time, end to end:           {100 * (one_cpu / bare_cpu - 1):+6.1f} %")
    print(f"  CPU time, without the fixed cost: {100 * ((one_cpu - fixed_cpu) / bare_cpu - 1):+6.1f} %")
    print(f"  wall time, end to end:          {100 * (one_s / bare_s - 1):+6.1f} %")
    print(f"speed-up with 2 workers (wall): {one_s / two_s:.2f}x   (load average now {os.getloadavg()})")


if __name__ == "__main__":
    main()
