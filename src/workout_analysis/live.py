"""Live use: frames (or landmarks) in one at a time, events out as they happen.

:class:`LiveSession` composes the streaming pieces that already exist: one :class:`pose.PoseEstimator`
for the session, the model's ``stream()`` feeding a :class:`classify.StreamingRecognizer`, and, once an
exercise is recognised (or given), a :class:`reps.RepCounter` with :class:`form.LiveForm` for it. It
decodes, counts and checks nothing itself.

Memory is bounded: besides what those components bound, the session keeps the last ``window_s``
seconds of landmarks, which it replays into a new counter when the exercise is recognised or changes
(so the reps done while the model was still making up its mind are counted too).

    with LiveSession(fps=30) as session:  # each frame gives its size (push_landmarks: width=, height=)
        for t, rgb in camera:
            for event in session.push_frame(rgb, t):
                print(event.to_text())
        summary = session.finish()
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .analysis.classify import DecoderConfig, Recognition, Segment, StreamingRecognizer
from .analysis.form import LiveForm
from .analysis.reps import Rep, RepCounter
from .analysis.report import MIN_RECOGNISE_S, SCHEMA_VERSION, check_exercise
from .exercises import HOLDS, NO_EXERCISE, display_name
from .features import frame_aspect
from .sequence import NUM_LANDMARKS, check_whole_frames
from .video import Frame

# Pose missing for this long: the person is reported lost (shorter gaps are MediaPipe blinking).
LOST_AFTER_S = 1.0
# Holds: a "hold" event each time the time under tension passes another this many seconds.
HOLD_EVERY_S = 5.0
WINDOW_S = 30.0  # landmarks kept for replay, and the counter's own buffer
_NO_POSE = np.full((NUM_LANDMARKS, 4), np.nan, np.float32)


@dataclass
class Event:
    """Something a person doing the exercise would want to hear now. ``t``: stream time in seconds.

    kinds: ``exercise`` (recognised or changed), ``rep`` (a rep completed), ``recount`` (the counter chose
    another signal and counted its last seconds again: the last ``taken_back`` reps are withdrawn, ``count``
    stand, and the recount's reps follow as ``rep`` events), ``hold`` (time held so far), ``person_lost``,
    ``person_found``.
    """

    kind: str
    t: float
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, "t": round(self.t, 2), **self.data}

    def to_text(self) -> str:
        """One line, like a coach speaking: 'rep 3: 1.8 s, score 85 - go lower: ...'."""
        d = self.data
        if self.kind == "exercise":
            name = display_name(d["exercise"])
            sure = "" if d["confidence"] is None else f" ({d['confidence']:.0%} sure)"
            was = f", was {display_name(d['previous'])}" if d["previous"] else ""
            return f"[{self.t:6.1f} s] exercise: {name}{sure}{was}"
        if self.kind == "rep":
            score = "" if d["score"] is None else f", score {d['score']}"
            tips = f" - {'; '.join(i['message'] for i in d['issues'])}" if d["issues"] else ""
            return f"[{self.t:6.1f} s] rep {d['index']}: {d['duration_s']:.1f} s{score}{tips}"
        if self.kind == "hold":
            return f"[{self.t:6.1f} s] held {d['hold_s']:.0f} s"
        if self.kind == "recount":
            return f"[{self.t:6.1f} s] recount: {d['count']} reps so far ({d['taken_back']} taken back)"
        return f"[{self.t:6.1f} s] {self.kind.replace('_', ' ')}"


@dataclass
class LiveSummary:
    """The end of a session: the recognition of the whole stream and what was counted."""

    recognition: Recognition
    frames: int
    frames_with_pose: int
    duration_s: float
    exercise: str | None  # what the reps were counted as (None: repeated movement of the whole pose)
    reps: list[dict[str, Any]]  # of the exercise counted last, as analyze reports the main exercise's
    hold_s: float | None
    events: list[Event] = field(default_factory=list)  # the last ones, found only at the end of the stream

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": "summary", "schema_version": SCHEMA_VERSION, "frames": self.frames, "frames_with_pose": self.frames_with_pose,
            "duration_s": round(self.duration_s, 2), **self.recognition.to_dict(), "counted_as": self.exercise,
            "rep_count": len(self.reps), "reps": self.reps,
            "hold_s": None if self.hold_s is None else round(self.hold_s, 1),
        }  # fmt: skip

    def to_text(self) -> str:
        lines = [f"Summary: {self.duration_s:.1f} s, {self.frames} frames, a person in {self.frames_with_pose}",
                 f"Exercise: {self.recognition.describe()}"]  # fmt: skip
        if self.hold_s is not None:
            lines.append(f"Held for {self.hold_s:.1f} s.")
        elif self.reps:
            scores = [r["score"] for r in self.reps if r["score"] is not None]
            form = f", form {np.mean(scores):.0f}/100 on average" if scores else ""
            what = "Repetitions" if self.exercise else "Repeated movements (counted from the whole pose)"
            lines.append(f"{what}: {len(self.reps)}{form}.")
        else:
            lines.append("No repetitions counted.")
        return "\n".join(lines)


OVERLAY_COLUMNS = 48  # the tips' width on a landscape frame: wider lines would cover the person


class LiveSession:
    """One live stream of one person: push frames (:meth:`push_frame`) or landmarks (:meth:`push_landmarks`)
    in time order, get :class:`Event` lists back, call :meth:`finish` for the :class:`LiveSummary`.

    Args:
        model: a ModelBundle, a bundle directory, or None for the embedded model (unused when ``exercise`` is given).
        exercise: the exercise, if known: no recognition, counting from the first frame.
        fps: the stream's frame rate (the rep counter works in frames).
        width, height: frame size, for the aspect correction of landmarks pushed with :meth:`push_landmarks`
            (frames pushed with :meth:`push_frame` give their own).
        config: the recogniser's decoder settings.
    """

    def __init__(
        self,
        model: Any = None,
        exercise: str | None = None,
        fps: float = 30.0,
        width: float | None = None,
        height: float | None = None,
        config: DecoderConfig = DecoderConfig(),
        window_s: float = WINDOW_S,
    ) -> None:
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be a positive number, got {fps}")
        if exercise is not None:
            exercise = check_exercise(exercise)  # 'Squats' as analyze takes it; an unknown name is an error
        self.fps, self.width, self.height, self.config = float(fps), width, height, config
        self.given = exercise
        self.bundle = None
        if exercise is None:
            from .bundle import ModelBundle, load_bundle

            self.bundle = model if isinstance(model, ModelBundle) else load_bundle(model)
        self.recognizer: StreamingRecognizer | None = None
        self.estimator: Any = None
        self.exercise: str | None = None  # what is being counted now
        self.counter: RepCounter | None = None
        self.form: LiveForm | None = None
        self.history: deque[tuple[np.ndarray, float]] = deque(maxlen=int(window_s * self.fps))
        self.frames = self.frames_with_pose = 0
        self.start_s: float | None = None
        self.last_t = 0.0
        self.landmarks: np.ndarray = _NO_POSE  # the last frame's pose, for drawing
        self.last_message = ""
        self._last_pose_t: float | None = None
        self._lost = False
        self._next_hold = HOLD_EVERY_S
        self._reps: list[dict[str, Any]] = []  # of the current counter

    def __enter__(self) -> LiveSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.estimator is not None:
            self.estimator.close()
            self.estimator = None

    @property
    def rep_count(self) -> int:
        return len(self._reps)

    @property
    def hold_s(self) -> float | None:
        return None if self.counter is None else self.counter.hold_s

    def overlay(self, width: int = OVERLAY_COLUMNS) -> list[str]:
        """Lines to draw on the current frame: exercise, count (or time held), then the last message,
        one tip a line, wrapped at ``width`` characters, in ASCII (OpenCV's fonts have no degree sign)."""
        import textwrap

        name = "recognising..." if self.exercise is None else display_name(self.exercise)
        count = f"held {self.hold_s:.0f} s" if self.exercise in HOLDS and self.hold_s is not None else f"reps {self.rep_count}"
        words = self.last_message.replace("°", " deg").replace(" - ", "; ").split("; ")  # for cv2.putText: ASCII
        return [f"{name} | {count}"] + [line for part in words if part for line in textwrap.wrap(part, width)]

    def push_frame(self, rgb: np.ndarray, t: float) -> list[Event]:
        """One RGB frame (H, W, 3) uint8 at ``t`` seconds: pose, then :meth:`push_landmarks`."""
        from .pose import PoseEstimator

        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"a frame must be RGB (H, W, 3) uint8, got shape {rgb.shape} {rgb.dtype}")
        if self.estimator is None:
            self.height, self.width = rgb.shape[:2]  # the frame's own size, whatever was declared
            self.estimator = PoseEstimator()
        poses = self.estimator.detect(rgb, t)
        return self.push_landmarks(poses[0].image if poses else _NO_POSE, t)

    def push_landmarks(self, landmarks: np.ndarray, t: float) -> list[Event]:
        """One frame's (33, 4) image landmarks (all NaN: nobody seen) at ``t`` seconds; returns new events."""
        landmarks = np.asarray(landmarks, np.float32)
        if landmarks.shape != (NUM_LANDMARKS, 4):
            raise ValueError(f"landmarks must be one frame's ({NUM_LANDMARKS}, 4) array, got shape {landmarks.shape}")
        check_whole_frames(landmarks[None])
        t = float(t)
        if self.start_s is None:
            self.start_s = t
            self._start()
        self.frames += 1
        self.last_t, self.landmarks = t, landmarks
        events = self._presence(landmarks, t)
        self.history.append((landmarks, t))
        if self.counter is not None:
            events += self._count(self.counter.update(landmarks, t), t)
            events += self._hold(t)
        if self.recognizer is not None:
            seen = self.recognizer.seen
            self.recognizer.push(landmarks, t)
            if self.recognizer.seen != seen:  # new windows: the verdict may have moved (a switch replays this frame too)
                events += self._follow(self.recognizer.result(t + 1 / self.fps), t)
        return events

    def finish(self) -> LiveSummary:
        """End of the stream: the last windows and frames are judged; returns the summary.

        Reps found only now (a stream shorter than the counter's warm-up) are added to the summary.
        """
        end_s = self.last_t + 1 / self.fps
        if self.start_s is None:
            recognition = Recognition(NO_EXERCISE, None)
        elif self.recognizer is None:
            recognition = Recognition.from_given(self.given, self.start_s, end_s)
        elif self.frames_with_pose / self.fps < MIN_RECOGNISE_S:  # as analyze: too little motion to name it
            recognition = Recognition(NO_EXERCISE, None, segments=[Segment(self.start_s, end_s, NO_EXERCISE, None)])
        else:
            recognition = self.recognizer.finish(end_s)
        events = []
        if self.recognizer is not None:
            # The final verdict may differ from the live one; without one, count movement as analyze does.
            target = recognition.exercise if recognition.recognised else None
            if target != self.exercise or self.counter is None:
                events += self._switch(target, end_s)
        if self.counter is not None:
            events += self._count(self.counter.finish(), end_s)
        duration = 0.0 if self.start_s is None else end_s - self.start_s
        return LiveSummary(recognition, self.frames, self.frames_with_pose, duration, self.exercise,
                           list(self._reps), self.hold_s, events)  # fmt: skip

    # --- the pieces ---------------------------------------------------------------------------------

    def _start(self) -> None:
        if self.given is not None:
            self._switch(self.given, self.start_s)
        else:
            self.recognizer = StreamingRecognizer.for_bundle(self.bundle, self.config, self.width, self.height,
                                                             start_s=self.start_s)  # fmt: skip

    def _presence(self, landmarks: np.ndarray, t: float) -> list[Event]:
        if np.isfinite(landmarks[:, :2]).any():
            self.frames_with_pose += 1
            self._last_pose_t = t
            if self._lost:
                self._lost = False
                return [Event("person_found", t)]
        elif not self._lost and t - (self._last_pose_t if self._last_pose_t is not None else self.start_s) >= LOST_AFTER_S:
            self._lost = True
            return [Event("person_lost", t)]
        return []

    def _follow(self, recognition: Recognition, t: float) -> list[Event]:
        """Switch counting to the exercise the verdict so far names (nothing while none is recognised)."""
        if not recognition.recognised or recognition.exercise == self.exercise:
            return []
        previous = self.exercise
        mine = [s for s in recognition.segments if s.exercise == recognition.exercise]
        event = Event("exercise", t, {"exercise": recognition.exercise, "previous": previous,
                                      "confidence": None if recognition.confidence is None else round(recognition.confidence, 4)})  # fmt: skip
        self._said(event)
        # A change replays only the new exercise's stretch; the first verdict replays everything kept.
        since = mine[-1].start_s if previous is not None and mine else None
        return [event] + self._switch(recognition.exercise, t, since)

    def _switch(self, exercise: str | None, t: float, since: float | None = None) -> list[Event]:
        """Count ``exercise`` from now on, replaying the kept landmarks from ``since`` (default: all)."""
        self.exercise = exercise
        self.counter = RepCounter(exercise, self.fps, frame_aspect(self.width, self.height), window_s=WINDOW_S)
        self.form = LiveForm(exercise) if exercise is not None else None
        self._reps = []
        self._next_hold = HOLD_EVERY_S
        events: list[Event] = []
        for landmarks, when in list(self.history):
            if since is None or when >= since - 1e-6:
                events += self._count(self.counter.update(landmarks, when), t)
        return events

    def _count(self, reps: list[Rep], t: float) -> list[Event]:
        """Events for the reps the counter's last call reported, after a ``recount`` when it took some back."""
        events = []
        if self.counter.retracted:
            del self._reps[self.counter.count - len(reps) :]
            if self.form is not None:  # the set-relative checks must not compare with withdrawn reps
                self.form = LiveForm(self.exercise)
            event = Event("recount", t, {"exercise": self.exercise, "count": len(self._reps),
                                         "taken_back": len(self.counter.retracted)})  # fmt: skip
            self._said(event)
            events.append(event)
        for rep in reps:
            checked = self.form.check(self.counter, rep) if self.form is not None else None
            issues = [] if checked is None else [i.to_dict() for i in checked.issues]  # as analyze's JSON has them
            score = None if checked is None else checked.score
            self._reps.append({**rep.to_dict(), "exercise": self.exercise, "score": score, "issues": issues})
            event = Event("rep", t, {"exercise": self.exercise, "index": rep.index, "start_s": round(rep.start_s, 2),
                                     "end_s": round(rep.end_s, 2), "duration_s": round(rep.duration_s, 2),
                                     "score": score, "issues": issues})  # fmt: skip
            self._said(event)
            events.append(event)
        return events

    def _hold(self, t: float) -> list[Event]:
        held = self.counter.hold_s
        if held is None or held < self._next_hold:
            return []
        self._next_hold = (held // HOLD_EVERY_S + 1) * HOLD_EVERY_S
        event = Event("hold", t, {"exercise": self.exercise, "hold_s": round(held, 1)})
        self._said(event)
        return [event]

    def _said(self, event: Event) -> None:
        """Keep the event's words (without its time) for the overlay."""
        self.last_message = event.to_text().split("] ", 1)[1]


def live_frames(reader: Any, realtime: bool = False, max_seconds: float | None = None) -> Iterator[Frame]:
    """Frames of an opened :class:`video.VideoReader` as a live source gives them.

    A camera's (or stream URL's) frames are stamped with the wall clock. A file is paced at its own frame rate with
    ``realtime``: a frame whose time has already passed when it is decoded is dropped, as a camera
    drops the frames a slow reader misses. Stops after ``max_seconds`` of stream time.
    """
    import time

    clock: float | None = None  # started once the first frame is done: setting up the pose model is not lag
    for frame in reader:
        now = 0.0 if clock is None else time.monotonic() - clock
        if reader.camera or reader.url:  # live already: its own pace, stamped by the wall clock
            frame = Frame(frame.index, now, frame.rgb)
        elif realtime and clock is not None:
            if now > frame.timestamp + 1 / reader.fps:  # behind: this frame is gone
                continue
            time.sleep(max(0.0, frame.timestamp - now))
        if max_seconds is not None and frame.timestamp >= max_seconds:
            return
        yield frame
        if clock is None:
            clock = time.monotonic() - frame.timestamp
