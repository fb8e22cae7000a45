"""The whole analysis of one sequence, and the two ways of telling it: a JSON dict and a coach's note.

:func:`analyze` is the Python face of ``workout analyze``: recognition (or the exercise the user
names), then repetitions and form for the recognised exercise. The JSON layout is documented in
docs/analyze.md; keys are only ever added, never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import NoPersonError, WorkoutError
from ..exercises import ALL_EXERCISES, HOLDS, NO_EXERCISE, canonical_name, display_name
from ..sequence import PoseSequence, check_whole_frames
from .classify import DecoderConfig, Recognition, recognise

SCHEMA_VERSION = 1
# Recognition reads motion: with less than this much time with a pose there is none to read.
MIN_RECOGNISE_S = 1.0
# With a person in fewer of the frames than this, the report warns that it rests on part of the video only.
MIN_POSE_SHARE = 0.5
# Below this confidence the report warns that the exercise may be another: held out by source, the default recipe
# names 61 % of such videos right against 80 % above it (docs/results.md), and reps and form follow the exercise.
UNSURE = 0.4
MAX_LISTED = 6  # a model without a "no exercise" class: the warning names this many of its exercises
# Other exercises decoded for at least this long in all, in segments at least this sure, make a video "several
# exercises": reps and form are then measured over the main exercise's span only (see counted_part).
MIN_OTHER_EXERCISE_S = 7.5
MIN_OTHER_CONFIDENCE = 0.3


@dataclass
class Analysis:
    """Everything ``workout analyze`` reports about one input."""

    input: str
    frames: int
    frames_with_pose: int
    fps: float
    duration_s: float
    recognition: Recognition
    model: dict[str, Any] | None = None
    reps: Any = None  # analysis.reps.RepReport
    form: Any = None  # analysis.form.FormReport
    warnings: list[str] = field(default_factory=list)  # e.g. a video that ended before its header said

    def to_dict(self) -> dict[str, Any]:
        rec = self.recognition.to_dict()
        return {
            "schema_version": SCHEMA_VERSION,
            "input": self.input,
            "frames": self.frames,
            "frames_with_pose": self.frames_with_pose,
            "fps": round(self.fps, 3),
            "duration_s": round(self.duration_s, 2),
            **rec,
            "model": self.model,
            "reps": self._reps_dict(),
            "form": None if self.form is None else self.form.to_dict(),
            "warnings": list(self.warnings),
        }

    def _reps_dict(self) -> dict[str, Any] | None:
        """The rep report, each rep with its form score and issues (null when no form check ran)."""
        if self.reps is None:
            return None
        out = self.reps.to_dict()
        form = {r.index: r for r in self.form.reps} if self.form is not None else {}
        for rep in out["reps"]:
            checked = form.get(rep["index"])
            rep["score"] = None if checked is None else checked.score
            rep["issues"] = [] if checked is None else [i.to_dict() for i in checked.issues]
        return out

    def to_text(self) -> str:
        """A short report a person reads, like a coach's note."""
        rec = self.recognition
        lines = [
            f"{self.input}: {self.frames} frames at {self.fps:g} fps ({self.duration_s:.1f} s), "
            f"a person found in {self.frames_with_pose}",
            f"Exercise: {rec.describe()}",
        ]
        if len(rec.segments) > 1:
            lines.append("Segments:")
            for s in rec.segments:
                rest = s.exercise == NO_EXERCISE  # its confidence is of "no exercise", which reads as nonsense
                sure = "" if s.confidence is None or rest else f"  ({s.confidence:.0%})"
                name = "no exercise recognised" if rest else display_name(s.exercise)
                lines.append(f"  {s.start_s:6.1f} - {s.end_s:6.1f} s  {name}{sure}")
        lines.extend(_reps_lines(self.reps, self.form))
        lines.extend(_form_lines(self.form))
        return "\n".join(lines)


def _reps_lines(reps: Any, form: Any) -> list[str]:
    if reps is None:
        return []
    if reps.exercise in HOLDS and reps.method == "hold":  # a "hold" that kept moving is counted (reps.py)
        return [f"Held for {reps.hold_s or 0.0:.1f} s."]
    if reps.count == 0:
        return ["No repetitions counted" + (f" ({'; '.join(reps.notes)})." if reps.notes else ".")]
    tempo = np.mean([r.duration_s for r in reps.reps])
    what = "Repetitions" if reps.method == "exercise" else "Repeated movements (counted from the whole pose)"
    lines = [f"{what}: {reps.count}, {tempo:.1f} s each on average."]
    lines += [f"  note: {note}" for note in reps.notes]
    checked = {r.index: r for r in form.reps} if form is not None else {}
    unit = {"deg": "°", "torso": " torso lengths"}
    for r in reps.reps:
        line = f"  rep {r.index}: {r.start_s:5.1f} - {r.end_s:5.1f} s"
        if r.rom_unit in unit:  # a principal component's range has no unit a person could read
            line += f", range {r.rom:.{0 if r.rom_unit == 'deg' else 2}f}{unit[r.rom_unit]}"
        if (f := checked.get(r.index)) is not None:
            line += f", form {f.score}/100" + "".join(f"; {i.message}" for i in f.issues)
        lines.append(line)
    return lines


def form_verdict(form: Any) -> str:
    """The set's verdict, the sentence after the form summary: "Faults to fix.", or that the tips are advice
    only (and whether posture was checked at all); "" when there is nothing to say."""
    from .form import ADVICE

    if form is None:
        return ""
    if form.faulty:
        return "Faults to fix."
    if form.faulty is False and any(r.issues for r in form.reps):
        if any(check not in ADVICE for check in form.checked):
            return "No faults in how you hold yourself; the tips are about range or tempo."
        return "The tips are about range or tempo; how you hold yourself was not checked here."
    return ""


def _form_lines(form: Any) -> list[str]:
    if form is None:
        return []
    from .form import check_label

    score = "" if form.score is None else f" {form.score}/100"
    verdict = form_verdict(form)
    lines = [f"Form{score} ({form.view} view): {form.summary}." + (f" {verdict}" if verdict else "")]
    lines += [f"  not checked, {check_label(check)}: {why}" for check, why in form.skipped.items()
              if check != "all"]  # "all": no checks for this exercise, which the summary says  # fmt: skip
    return lines


def check_exercise(name: str) -> str:
    """A user-given exercise name, validated: 'Bicep-Curl', 'barbell biceps curl' and 'curls' all become
    'bicep_curl' (see :func:`exercises.canonical_name`)."""
    key = canonical_name(name)
    if key is None or key == NO_EXERCISE:
        raise WorkoutError(f"unknown exercise {name!r}; known: {', '.join(ALL_EXERCISES)}")
    return key


def every_nth(seq: PoseSequence, stride: int) -> PoseSequence:
    """Every ``stride``-th frame (``--stride`` for a landmark file); timestamps keep their values."""
    if stride == 1:
        return seq
    world = None if seq.world is None else seq.world[::stride]
    return PoseSequence(seq.landmarks[::stride], seq.fps / stride, seq.timestamps[::stride], world, dict(seq.meta))


def analyze(
    seq: PoseSequence,
    model: Any = None,
    exercise: str | None = None,
    config: DecoderConfig = DecoderConfig(),
    reps: bool = True,
    name: str | None = None,
) -> Analysis:
    """Recognise the exercise of ``seq`` with ``model`` (a ModelBundle, a bundle directory, or None for
    the embedded default) unless ``exercise`` names it, then count its repetitions and check its form.

    ``name`` is how reports and errors call the input (default: the sequence's file path, video id or source
    video). Raises NoPersonError when no frame holds a pose, WorkoutError when less than
    :data:`MIN_RECOGNISE_S` holds one and the exercise is not given (both before any model is loaded).
    """
    meta = seq.meta  # a file read, a table's video, a video extracted in Python
    source = name or str(meta.get("path") or meta.get("video_id") or meta.get("source") or "sequence")
    try:
        check_whole_frames(seq.landmarks)  # a sequence built in Python; files are checked as they are read
    except ValueError as exc:
        raise WorkoutError(f"{source}: {exc}") from None
    with_pose = int(seq.has_pose.sum())
    if with_pose == 0:
        raise NoPersonError(f"{source}: no person found in any of its {len(seq)} frames")
    step = float(np.median(np.diff(seq.timestamps))) if len(seq) > 1 else 1.0 / seq.fps
    start_s, end_s = float(seq.timestamps[0]), float(seq.timestamps[-1]) + step
    used = None
    if exercise is not None:
        recognition = Recognition.from_given(check_exercise(exercise), start_s, end_s)
    else:
        if with_pose / seq.fps < MIN_RECOGNISE_S:
            frames = f"{with_pose} frame{'s' if with_pose != 1 else ''}"
            raise WorkoutError(f"{source}: too short to recognise an exercise: {frames} with a pose "
                               f"({with_pose / seq.fps:.2f} s), needs {MIN_RECOGNISE_S:g} s "
                               "(or name it with --exercise)")  # fmt: skip
        from ..bundle import ModelBundle, load_bundle

        bundle = model if isinstance(model, ModelBundle) else load_bundle(model)
        recognition = recognise(bundle.predict_windows(seq), config, start_s, end_s, bundle.hop / bundle.fps)
        used = {"kind": bundle.kind, "classes": len(bundle.labels)}
    result = Analysis(source, len(seq), with_pose, seq.fps, end_s - start_s, recognition, used)
    if used is not None and NO_EXERCISE not in bundle.labels:
        # a model trained on a few class folders has never seen what is none of them: it rejects only when unsure
        known = ", ".join(display_name(c) for c in bundle.labels[:MAX_LISTED])
        known += ", ..." if len(bundle.labels) > MAX_LISTED else ""
        result.warnings.append(f"{source}: the model knows only {len(bundle.labels)} exercises ({known}) and has no "
                               "'no exercise' class: another exercise, or none, is named as the nearest of them "
                               "unless it is unsure")  # fmt: skip
    if with_pose < MIN_POSE_SHARE * len(seq):
        result.warnings.append(f"{source}: a person was found in only {with_pose} of its {len(seq)} frames "
                               f"({with_pose / len(seq):.0%}): what happens in the others is not seen")  # fmt: skip
    if recognition.recognised and recognition.confidence is not None and recognition.confidence < UNSURE:
        # the right one is usually the runner-up (12 of the 13 wrong verdicts warned of on the shared clips)
        perhaps = "".join(f"; perhaps {display_name(c)}, {p:.0%}" for c, p in recognition.runner_ups[:1])
        result.warnings.append(f"{source}: the exercise is uncertain ({display_name(recognition.exercise)}, "
                               f"{recognition.confidence:.0%} sure{perhaps}); if it is another, name it with "
                               "--exercise to have it counted and checked as what it is")  # fmt: skip
    if reps:
        result.reps, result.form = _reps_and_form(seq, recognition)
    return result


def _reps_and_form(seq: PoseSequence, recognition: Recognition) -> tuple[Any, Any]:
    """Reps and form of the main exercise (over :func:`counted_part`); without one, repeated movement of
    the whole pose, no form."""
    from .form import assess_form
    from .reps import count_reps

    if not recognition.recognised:
        return count_reps(seq, None), None
    part = counted_part(seq, recognition)
    reps = count_reps(part, recognition.exercise)
    return reps, assess_form(part, recognition.exercise, reps)


def counted_part(
    seq: PoseSequence,
    recognition: Recognition,
    min_other_s: float = MIN_OTHER_EXERCISE_S,
    min_other_confidence: float = MIN_OTHER_CONFIDENCE,
) -> PoseSequence:
    """The frames whose reps and form are measured: the span of the main exercise's segments when other
    exercises are decoded for at least ``min_other_s`` in all, in segments at least ``min_other_confidence``
    sure; else the whole sequence.

    A video of one exercise is counted whole: its stretches decoded as "no exercise" are mostly rest, which
    the counter skips anyway, and a model unsure of a person it never saw names parts of one set as other
    exercises, at low confidence (on single RepCount-A videos mostly 0.2-0.3), whose reps must count too.
    The other exercise of a mixed video is often named as several similar classes (a front raise as lateral
    raise and upright row), so their time is summed. Measured in docs/reps.md ("counting in mixed videos"):
    single RepCount-A videos and RepCount-A clips of two exercises joined. Without a main exercise, or
    without a segment of it, there is no span: the whole sequence.
    """
    if not recognition.recognised:
        return seq
    other_s = sum(s.end_s - s.start_s for s in recognition.segments
                  if s.exercise not in (NO_EXERCISE, recognition.exercise)
                  and (s.confidence or 0.0) >= min_other_confidence)  # fmt: skip
    return _span(seq, recognition) if other_s >= min_other_s else seq


def _span(seq: PoseSequence, recognition: Recognition) -> PoseSequence:
    """The frames from the first to the last segment of the main exercise."""
    mine = [s for s in recognition.segments if s.exercise == recognition.exercise]
    if not mine:
        return seq
    part = seq.between(mine[0].start_s, mine[-1].end_s)
    return seq if len(part) in (0, len(seq)) else part
