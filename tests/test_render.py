"""Renderer: draws skeletons and writes a readable video with one frame per landmark frame."""

from __future__ import annotations

import re

import cv2
import numpy as np

from workout_analysis.cli import main
from workout_analysis.render import draw_skeleton, render_frames, side_by_side, write_video
from workout_analysis.synth import generate


def _frame_count(path) -> int:
    cap = cv2.VideoCapture(str(path))
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count


def test_draw_skeleton_marks_pixels_only_where_the_pose_is():
    seq, _ = generate("squat", seed=1, reps=1, noise=0.0)
    frame = draw_skeleton(np.zeros((200, 200, 3), np.uint8), seq.landmarks[0])
    ys, xs = np.nonzero(frame.any(axis=2))
    lm = seq.landmarks[0]
    assert len(ys) > 200
    assert lm[:, 0].min() * 200 - 5 <= xs.min() and xs.max() <= lm[:, 0].max() * 200 + 5
    blank = draw_skeleton(np.zeros((50, 50, 3), np.uint8), np.full((33, 4), np.nan, np.float32))
    assert not blank.any()


def test_render_writes_readable_video_with_right_frame_count(tmp_path, capfd):
    seq, _ = generate("bicep_curl", seed=2, reps=2)
    seq = seq.slice(0, 40)
    count = write_video(render_frames(seq), tmp_path / "a.mp4", seq.fps)
    assert count == 40 == _frame_count(tmp_path / "a.mp4")
    write_video(render_frames(seq), tmp_path / "a.webm", seq.fps)  # for a web page: VP8, which browsers play
    cap = cv2.VideoCapture(str(tmp_path / "a.webm"))
    codec = int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode("latin-1")
    cap.release()
    assert codec.lower() == "vp80" and _frame_count(tmp_path / "a.webm") == 40
    assert "VP80" not in capfd.readouterr().err  # OpenCV's harmless "tag 'VP80' is not supported ..." is not shown
    other, _ = generate("squat", seed=2, reps=1)
    left, right = next(render_frames(seq)), next(render_frames(other))
    frames = list(side_by_side(render_frames(seq), render_frames(other.slice(0, 25))))
    assert len(frames) == 40  # the longer stream sets the length
    scaled_right = round(right.shape[1] * left.shape[0] / right.shape[0] / 2) * 2
    assert frames[0].shape == (left.shape[0], left.shape[1] + scaled_right, 3)


def test_cli_render(tmp_path, capsys):
    seq, _ = generate("lunge", seed=3, reps=1)
    seq.save(tmp_path / "l.npz")
    out = tmp_path / "l.mp4"
    assert main(["render", str(tmp_path / "l.npz"), "-o", str(out), "--size", "320"]) == 0
    assert _frame_count(out) == len(seq)
    assert main(["render", str(tmp_path / "missing.npz"), "-o", str(tmp_path / "m.mp4")]) == 2
    assert "missing.npz" in capsys.readouterr().err and not (tmp_path / "m.mp4").exists()
    assert main(["render", str(tmp_path / "l.npz"), "-o", str(tmp_path / "l.gif")]) == 2
    assert not (tmp_path / "l.gif").exists()
    capsys.readouterr()
    assert main(["render", str(tmp_path / "l.npz"), "-o", str(out), "--size", "0"]) == 2
    assert "--size must be between 64 and 4096 pixels, got 0" in capsys.readouterr().err


def test_cli_render_onto_the_source_video(tmp_path, capsys):
    seq, _ = generate("squat", seed=4, reps=1)
    seq = seq.slice(0, 30)
    seq.save(tmp_path / "s.npz")
    clip = tmp_path / "clip.mp4"
    white = np.full((seq.meta["height"], seq.meta["width"], 3), 255, np.uint8)
    write_video((white for _ in range(30)), clip, 30.0)
    out = tmp_path / "over.mp4"
    assert main(["render", str(tmp_path / "s.npz"), "--video", str(clip), "-o", str(out), "--size", "320"]) == 0
    cap = cv2.VideoCapture(str(out))
    ok, frame = cap.read()
    cap.release()
    assert ok and frame.mean() > 150  # drawn over the white clip, not a dark canvas
    assert _frame_count(out) == 30 and "warning" not in capsys.readouterr().err
    write_video((white for _ in range(20)), clip, 30.0)  # another clip, shorter than the landmarks
    assert main(["render", str(tmp_path / "s.npz"), "--video", str(clip), "-o", str(out), "--size", "320"]) == 0
    assert f"warning: {clip} has 20 frames for the 30 of" in capsys.readouterr().err


def test_text_wrapped_to_a_portrait_frame_fits_across_it():
    import textwrap

    from workout_analysis.render import _text_scale, text_columns

    tip = "exercise: squat (47% sure), was lunge; go lower: your thighs stopped 31 deg above parallel (aim for parallel)"
    for height, width in ((960, 540), (640, 360), (1080, 1920)):
        frame = np.zeros((height, width, 3), np.uint8)
        for line in textwrap.wrap(tip, text_columns(frame)):
            (line_width, _), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, _text_scale(frame), 1)
            assert 10 + line_width <= width, (width, line)


def test_analysis_text_tells_the_reps_as_they_happen():
    from workout_analysis.analysis.report import analyze
    from workout_analysis.render import REP_VERDICT_S, analysis_text

    seq, _ = generate("squat", seed=41, reps=4, view="side", faults=("shallow_depth",))
    result = analyze(seq, exercise="squat")
    reps, text = result.reps.reps, analysis_text(result, seq.timestamps)
    assert len(reps) == 4
    assert text(0)[0] == "squat | reps 0 of 4" and text(len(seq) - 1)[0] == "squat | reps 4 of 4"
    verdicts = {}
    for form in result.form.reps:  # each rep's score and first tip, shortly after it ends
        after = next(i for i, t in enumerate(seq.timestamps) if t >= form.end_s + REP_VERDICT_S / 2)
        tip = form.issues[0].message if form.issues else "good rep"
        assert f"rep {form.index}: {form.score}/100, {tip}" in text(after)
        verdicts[bool(form.issues)] = tip
    assert verdicts[True].startswith("go lower: your thighs stopped") and verdicts[False] == "good rep"
    during = next(i for i, t in enumerate(seq.timestamps) if reps[1].start_s < t < reps[1].end_s)
    assert "rep 2" in text(during)
    recognised = analyze(seq)  # named by the model: how sure it is stays in view, as the report says it
    head = analysis_text(recognised, seq.timestamps)(0)[0]
    assert head.startswith(f"{recognised.recognition.exercise.replace('_', ' ')} ({recognised.recognition.confidence:.0%} sure) | ")


def test_text_is_written_in_ascii_and_wrapped_to_the_frame():
    """OpenCV's fonts have no degree sign ("29°" came out "29??"); a long line wraps rather than running off."""
    from workout_analysis.render import _text_scale, put_text, text_columns

    blank = np.zeros((640, 360, 3), np.uint8)
    tip = "go lower: your thighs stopped 29° above parallel (aim for parallel, 18° above at most)"
    assert np.array_equal(put_text(blank.copy(), [tip]), put_text(blank.copy(), [tip.replace("°", " deg")]))
    drawn = put_text(blank.copy(), [tip])
    rows = np.flatnonzero(drawn.any(axis=(1, 2)))
    line_height = int(28 * _text_scale(blank)) + 4
    assert len(tip) > text_columns(blank) and rows.max() - rows.min() > 1.5 * line_height  # more than one line
    assert not drawn[:, -5:].any()  # nothing reaches the right edge


def test_analysis_text_of_a_hold_tells_its_time_and_verdict():
    from workout_analysis.analysis.report import analyze
    from workout_analysis.render import analysis_text

    seq, _ = generate("plank", seed=2, faults=("hips_sagging",))
    result = analyze(seq, exercise="plank")
    text = analysis_text(result, seq.timestamps)
    clock = [float(re.search(r"held ([\d.]+) of", text(i)[0]).group(1)) for i in range(len(seq))]
    assert clock[0] == 0.0 and clock[-1] == round(result.reps.hold_s, 1) > 5  # a running clock, to the total
    assert all(b >= a for a, b in zip(clock, clock[1:]))
    assert text(len(seq) - 1)[0] == f"plank | held {result.reps.hold_s:.1f} of {result.reps.hold_s:.1f} s"
    assert text(len(seq) // 2)[1].startswith(f"form {result.form.reps[0].score}/100, brace your core")
