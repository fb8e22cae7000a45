"""Workout analysis: recognise the exercise, count repetitions and score form from pose landmarks.

    from workout_analysis.batch import analyze_file
    result = analyze_file("squat.mp4")  # a video or a landmark file (.npz, .npy, .csv, .parquet)
    print(result.to_text())             # the coach's note; result.to_dict() is `workout analyze --json`

Where to start (the ``workout`` command runs the same functions):

- :func:`batch.analyze_file` / :func:`batch.analyze_input` (also returns the pose sequence) /
  :func:`batch.analyze_many` (many files, worker processes): what ``workout analyze`` runs on files.
- :func:`pose.extract_sequence`: a video's landmarks as a :class:`PoseSequence`; :func:`load_sequence`
  reads a landmark file.
- :func:`analysis.report.analyze`: a PoseSequence -> :class:`analysis.report.Analysis` (exercise, reps, form).
- :func:`analysis.reps.count_reps` (whole sequence) and :class:`analysis.reps.RepCounter` (frame by frame);
  :func:`analysis.form.assess_form`: the per-rep form checks.
- :class:`live.LiveSession`: a camera or stream, frame by frame, with events as they happen.
- :func:`synth.generate`: synthetic sequences with exact ground truth.
- :mod:`render`: skeleton and analysis videos; :mod:`web`: the local page of ``workout serve``.

Data flows one way: frames -> landmarks (:mod:`pose`) -> features (:mod:`features`)
-> models (:mod:`models`) -> analysis (:mod:`analysis`) -> reports and interfaces (:mod:`cli`).
"""

__version__ = "0.2.0.dev0"

from .errors import NoPersonError, WorkoutError
from .sequence import LANDMARK_NAMES, PoseSequence, load_sequence

__all__ = ["LANDMARK_NAMES", "NoPersonError", "PoseSequence", "WorkoutError", "__version__", "load_sequence"]
