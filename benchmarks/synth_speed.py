"""Synthetic generation speed on one core: frames per second of `synth.generate`, per exercise and overall.

    .venv/bin/python benchmarks/synth_speed.py [--sets 3]

The goal is well over 10,000 frames/s on one core; saving to .npz is not counted. Rates use
this process's CPU time (single-threaded), so other load on a shared machine does not distort them;
the wall-clock rate is printed beside.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: no BLAS threads
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from workout_analysis.synth import SYNTH_EXERCISES, generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, default=3, help="sets generated per exercise (default 3)")
    args = parser.parse_args()
    generate("squat", seed=0)  # warm up imports and caches
    total_frames, total_time, rows = 0, 0.0, []
    wall = time.perf_counter()
    for exercise in SYNTH_EXERCISES:
        frames, start = 0, time.process_time()  # CPU time of this process: fair on a shared machine
        for seed in range(args.sets):
            frames += len(generate(exercise, seed=seed)[0])
        elapsed = time.process_time() - start
        rows.append((exercise, frames, frames / elapsed))
        total_frames, total_time = total_frames + frames, total_time + elapsed
    for exercise, frames, rate in sorted(rows, key=lambda r: r[2]):
        print(f"{exercise:22s} {frames:7d} frames {rate:10,.0f} frames/s")
    wall = time.perf_counter() - wall
    print(f"\noverall: {total_frames:,} frames in {total_time:.2f} CPU s = {total_frames / total_time:,.0f} frames/s "
          f"on one core ({len(SYNTH_EXERCISES)} exercises x {args.sets} sets; wall clock {total_frames / wall:,.0f} frames/s)")


if __name__ == "__main__":
    main()
