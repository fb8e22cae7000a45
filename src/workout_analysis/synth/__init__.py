"""Synthetic exercise landmark sequences with exact ground truth (exercise, reps, phases, form faults).

    from workout_analysis.synth import generate
    seq, truth = generate("squat", seed=7, reps=8, view="side", faults=("shallow_depth",))
"""

from .camera import VIEWS
from .generate import FAULTS, SYNTH_EXERCISES, GroundTruth, generate

__all__ = ["FAULTS", "SYNTH_EXERCISES", "VIEWS", "GroundTruth", "generate"]
