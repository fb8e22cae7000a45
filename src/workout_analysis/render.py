"""Draw pose landmarks as a skeleton, on video frames or a blank canvas, with text, and write videos atomically.

Used by ``workout render`` (look at a synthetic or extracted sequence, optionally beside another) and
by the analysis for annotated output. Frames are BGR uint8 arrays as OpenCV uses them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import WorkoutError
from .features import frame_aspect
from .fileio import atomic_path
from .sequence import LANDMARK_NAMES, SKELETON_EDGES, PoseSequence

if TYPE_CHECKING:
    from .analysis.report import Analysis

LEFT_COLOUR = (60, 160, 255)  # BGR: orange for the person's left
RIGHT_COLOUR = (255, 180, 60)  # blue for the right
CENTRE_COLOUR = (200, 200, 200)
MIN_VISIBILITY = 0.5  # below this a landmark is drawn faint (MediaPipe's own drawing threshold)
REP_VERDICT_S = 2.5  # how long a rep's score and tip stay on an annotated video after the rep ends
_SIDE = np.array([1 if n.startswith("left") else -1 if n.startswith("right") else 0 for n in LANDMARK_NAMES])


def canvas_size(seq: PoseSequence, long_side: int = 640) -> tuple[int, int]:
    """(width, height) keeping the source frame's aspect (meta width/height; square if unknown), even numbers."""
    aspect = frame_aspect(seq.meta.get("width"), seq.meta.get("height"))
    w, h = (long_side, long_side / aspect) if aspect >= 1 else (long_side * aspect, long_side)
    return int(round(w / 2) * 2), int(round(h / 2) * 2)


def draw_skeleton(frame: np.ndarray, landmarks: np.ndarray, thickness: int = 2) -> np.ndarray:
    """Draw one frame's (33, 4) landmarks (image-normalised) onto ``frame`` in place; returns it.

    Left limbs orange, right limbs blue; landmarks below :data:`MIN_VISIBILITY` are drawn thin and grey.
    A frame without a pose draws nothing.
    """
    import cv2

    h, w = frame.shape[:2]
    if np.isnan(landmarks[:, :2]).all():
        return frame
    pts = np.nan_to_num(landmarks[:, :2] * [w, h], nan=-1e4).round().astype(np.int32)
    vis = np.nan_to_num(landmarks[:, 3], nan=0.0)
    for a, b in SKELETON_EDGES:
        side = _SIDE[a] if _SIDE[a] == _SIDE[b] else 0
        clear = min(vis[a], vis[b]) >= MIN_VISIBILITY
        colour = (LEFT_COLOUR if side > 0 else RIGHT_COLOUR if side < 0 else CENTRE_COLOUR) if clear else (110, 110, 110)
        cv2.line(frame, tuple(pts[a]), tuple(pts[b]), colour, thickness if clear else 1, cv2.LINE_AA)
    for i, (x, y) in enumerate(pts):
        clear = vis[i] >= MIN_VISIBILITY
        cv2.circle(frame, (int(x), int(y)), thickness + 1 if clear else 1, (255, 255, 255) if clear else (110, 110, 110), -1, cv2.LINE_AA)
    return frame


def _text_scale(frame: np.ndarray) -> float:
    """By the frame's short side: by its height, a portrait frame's text covered a third of it."""
    return max(0.4, min(frame.shape[:2]) / 900)


def text_columns(frame: np.ndarray, margin: int = 20) -> int:
    """How many characters of :func:`put_text`'s lines fit across ``frame`` (a portrait frame holds few)."""
    import cv2

    (width, _), _ = cv2.getTextSize("x" * 20, cv2.FONT_HERSHEY_SIMPLEX, _text_scale(frame), 1)  # a typical letter
    return max(10, int((frame.shape[1] - margin) / (width / 20)))


def put_text(frame: np.ndarray, lines: Sequence[str], origin: tuple[int, int] = (10, 10)) -> np.ndarray:
    """Write lines of text at the top left, white on a dark band so it reads on any background, each wrapped to the
    frame's width (:func:`text_columns`). OpenCV's fonts are ASCII: a degree sign is written "deg"."""
    import cv2

    scale = _text_scale(frame)
    step = int(28 * scale) + 4
    x, y = origin
    columns = text_columns(frame)
    wrapped = [part for line in lines for part in textwrap.wrap(line.replace("°", " deg"), columns) or [""]]
    for i, line in enumerate(wrapped):
        base = (x, y + (i + 1) * step)
        (tw, th), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        cv2.rectangle(frame, (base[0] - 3, base[1] - th - 4), (base[0] + tw + 3, base[1] + 5), (30, 30, 30), -1)
        cv2.putText(frame, line, base, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return frame


def truth_text(meta: dict) -> Callable[[int], list[str]] | None:
    """Per-frame lines describing a synthetic sequence's ground truth (exercise, rep, phase, faults), if any."""
    truth = meta.get("truth")
    if not isinstance(truth, dict):
        return None
    bounds, phase, names = truth["rep_bounds"], truth["phase"], truth["phase_names"]
    faulty = {}
    for fault, reps in truth["faults"]:
        for r in reps:
            faulty.setdefault(r, []).append(fault)

    def lines(i: int) -> list[str]:
        done = sum(1 for _, end in bounds if end < i)
        current = next((k for k, (a, b) in enumerate(bounds) if a <= i <= b), None)
        out = [f"{truth['exercise']}  view {truth['view']}", f"reps {done}/{truth['reps']}  phase {names[phase[i]]}"]
        if current is not None and current in faulty:
            out.append("fault: " + ", ".join(faulty[current]))
        return out

    return lines


def analysis_text(result: Analysis, timestamps: np.ndarray) -> Callable[[int], list[str]]:
    """Per-frame lines telling an analysis as the video unfolds: the exercise, the reps done so far out of all,
    the other exercise decoded at that time where no rep is counted, the rep in progress, and each rep's form
    score and first tip for :data:`REP_VERDICT_S` seconds after it ends."""
    from .exercises import HOLDS, NO_EXERCISE, display_name

    segments = result.recognition.segments
    reps = result.reps.reps if result.reps is not None else []
    scored = {r.index: r for r in result.form.reps} if result.form is not None else {}
    hold = result.reps is not None and result.reps.exercise in HOLDS and result.reps.method == "hold"
    counted = result.recognition.exercise  # with none recognised, the whole pose's repeated movements are counted
    what = "reps" if result.recognition.recognised else "repeated movements"

    def name(exercise: str) -> str:
        return "no exercise recognised" if exercise == NO_EXERCISE else display_name(exercise)

    rec = result.recognition
    sure = f" ({rec.confidence:.0%} sure)" if rec.recognised and rec.confidence is not None else ""  # not when given

    def lines(i: int) -> list[str]:
        t = float(timestamps[i])
        out = [name(counted) + sure]
        if hold:  # the report's signal of a hold is the time held so far
            k = int(np.searchsorted(result.reps.times, t, side="right")) - 1
            so_far = float(result.reps.signal[k]) if k >= 0 else 0.0
            out[0] += f" | held {so_far:.1f} of {result.reps.hold_s or 0.0:.1f} s"
            if (whole := scored.get(0)) is not None:  # a hold is judged as a whole
                out.append(f"form {whole.score}/100, {whole.issues[0].message if whole.issues else 'good'}")
        elif result.reps is not None:
            out[0] += f" | {what} {sum(r.end_s <= t for r in reps)} of {len(reps)}"
        now = next((s.exercise for s in segments if s.start_s <= t < s.end_s), counted)
        in_rep = any(rep.start_s <= t < rep.end_s for rep in reps)
        if now not in (counted, NO_EXERCISE) and not in_rep:  # where another exercise is done, nothing is counted
            out.append(f"this part looks like: {name(now)}")
        for rep in reps:
            if rep.start_s <= t < rep.end_s:
                out.append(f"rep {rep.index}")
            elif rep.end_s <= t < rep.end_s + REP_VERDICT_S and (form := scored.get(rep.index)) is not None:
                tip = form.issues[0].message if form.issues else "good rep"
                out.append(f"rep {rep.index}: {form.score}/100, {tip}")
        return out

    return lines


def render_frames(
    seq: PoseSequence,
    text: Sequence[str] | Callable[[int], Sequence[str]] | None = None,
    size: tuple[int, int] | None = None,
    background: Iterable[np.ndarray] | None = None,
) -> Iterator[np.ndarray]:
    """Yield one BGR frame per landmark frame: the skeleton on ``background`` frames or a dark canvas.

    text is fixed lines, or a function of the frame index giving lines; by default a synthetic
    sequence's ground truth, otherwise its file name.
    """
    import cv2

    width, height = size or canvas_size(seq)
    if text is None:
        text = truth_text(seq.meta) or [Path(str(seq.meta.get("path", "landmarks"))).name]
    frames = iter(background) if background is not None else None
    for i in range(len(seq)):
        frame = next(frames, None) if frames is not None else None
        if frame is None:
            frame = np.full((height, width, 3), 24, np.uint8)
        elif frame.shape[:2] != (height, width):
            frame = cv2.resize(frame, (width, height))
        draw_skeleton(frame, seq.landmarks[i], thickness=max(2, height // 240))
        lines = list(text(i) if callable(text) else text)
        if not seq.has_pose[i]:
            lines.append("no pose")
        yield put_text(frame, lines)


def side_by_side(left: Iterable[np.ndarray], right: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Pair up two frame streams into one, the right scaled to the left's height; ends with the longer,
    holding the shorter one's last frame."""
    import cv2

    left, right = iter(left), iter(right)
    last_l = last_r = None
    while True:
        a, b = next(left, None), next(right, None)
        if a is None and b is None:
            return
        last_l = a if a is not None else last_l
        last_r = b if b is not None else last_r
        if last_l is None or last_r is None:
            continue
        h = last_l.shape[0]
        rb = last_r if last_r.shape[0] == h else cv2.resize(last_r, (round(last_r.shape[1] * h / last_r.shape[0] / 2) * 2, h))
        yield np.concatenate([last_l, rb], axis=1)


# The codec per file type. OpenCV's pip build has no H.264 encoder, so .mp4 holds MPEG-4 Part 2, which video
# players play but web browsers do not; VP8 in .webm plays in every browser and takes about 5x as long to write.
VIDEO_CODECS = {".mp4": "mp4v", ".mov": "mp4v", ".webm": "VP80", ".avi": "MJPG"}
VIDEO_TYPES = ".webm (plays in web browsers), .mp4, .mov or .avi (video players)"


def write_video(frames: Iterable[np.ndarray], path: str | Path, fps: float) -> int:
    """Write BGR frames to a video file (:data:`VIDEO_CODECS`) atomically; returns the number of frames written."""
    import cv2

    path = Path(path)
    fourcc = VIDEO_CODECS.get(path.suffix.lower())
    if fourcc is None:
        raise WorkoutError(f"{path}: unsupported video type {path.suffix!r}: use {VIDEO_TYPES}")
    count = 0
    with atomic_path(path) as tmp:
        writer = None
        try:
            for frame in frames:
                if writer is None:
                    from .video import native_stderr_silenced

                    with native_stderr_silenced():  # a .webm's "tag 'VP80' is not supported ... fallback": harmless
                        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*fourcc), fps, (frame.shape[1], frame.shape[0]))
                    if not writer.isOpened():
                        raise WorkoutError(f"{path}: OpenCV cannot write this video file")
                writer.write(frame)
                count += 1
        finally:
            if writer is not None:
                writer.release()
        if count == 0:
            raise WorkoutError(f"{path}: nothing to write (no frames)")
    return count
