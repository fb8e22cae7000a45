"""Workout analysis: recognise the exercise, count repetitions and score form from pose landmarks.

Data flows one way: frames -> landmarks (:mod:`pose`) -> features (:mod:`features`)
-> models (:mod:`models`) -> analysis (:mod:`analysis`) -> reports and interfaces (:mod:`cli`).
"""

__version__ = "0.2.0.dev0"

from .errors import NoPersonError, WorkoutError
from .sequence import LANDMARK_NAMES, PoseSequence, load_sequence

__all__ = ["LANDMARK_NAMES", "NoPersonError", "PoseSequence", "WorkoutError", "__version__", "load_sequence"]
