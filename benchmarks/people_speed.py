"""Cost of following several people (`workout analyze --people N`) against one.

Times pose extraction over the same frames with one person (`pose.extract_sequence`) and with up to N
(`pose.extract_people`), on shared clips of one person and on pairs of them joined side by side (two
people), and prints frames/s and the ratio to the one-person time. The load average is printed too:
on a machine shared with other jobs the figures move with it.

Usage: .venv/bin/python benchmarks/people_speed.py [--videos ../shared/data/videos] [--frames 150] [--people 2 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from workout_analysis.pose import extract_people, extract_sequence

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ("squat/prakhar__Bodyweight_Squats.mp4", "bicep_curl/prakhar__Heavy_Barbell_Curl.mp4",
         "lunge/prakhar__Lunges.mp4", "shoulder_press/recurfit__ShoulderPress.mp4")  # fmt: skip
SIZE = (360, 640)  # each clip's size (portrait clips, so two side by side make a landscape frame)


def write_clips(videos: Path, frames: int, folder: Path) -> dict[str, Path]:
    """Each clip alone and each pair joined, ``frames`` frames at SIZE."""
    images = {}
    for clip in CLIPS:
        reader = cv2.VideoCapture(str(videos / clip))
        images[clip] = [cv2.resize(reader.read()[1], SIZE) for _ in range(frames)]
    out = {}
    for name, frames_of in [(c, images[c]) for c in CLIPS] + [
        (f"{a} + {b}", [np.hstack(p) for p in zip(images[a], images[b])]) for a, b in zip(CLIPS[::2], CLIPS[1::2])
    ]:
        path = folder / f"{len(out)}.mp4"
        h, w = frames_of[0].shape[:2]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (w, h))
        for image in frames_of:
            writer.write(image)
        writer.release()
        out[name] = path
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=Path, default=ROOT.parent / "shared" / "data" / "videos")
    parser.add_argument("--frames", type=int, default=150, help="frames of each clip")
    parser.add_argument("--people", type=int, nargs="+", default=[2, 3])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        clips = write_clips(args.videos, args.frames, Path(folder))
        print(f"load average before: {os.getloadavg()[0]:.2f}; {args.frames} frames per clip\n")
        print("| clip | people in it | " + " | ".join(["1 (frames/s)"] + [f"up to {n}" for n in args.people]) + " |")
        print("|---|---:|" + "---:|" * (1 + len(args.people)))
        for name, path in clips.items():
            started = time.perf_counter()
            extract_sequence(path)
            one = time.perf_counter() - started
            cells = [f"{args.frames / one:.1f}"]
            for n in args.people:
                started = time.perf_counter()
                found = extract_people(path, n)
                took = time.perf_counter() - started
                cells.append(f"{args.frames / took:.1f} ({took / one:.2f}x, {len(found)} found)")
            print(f"| {name} | {1 + name.count(' + ')} | " + " | ".join(cells) + " |")
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
