"""Bad video input: each case gives one line naming the file (or a clean skip in batch), never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path, write_test_video

from workout_analysis.errors import WorkoutError
from workout_analysis.video import VideoReader, header_frame_count

REAL_CLIP = ("videos", "squat", "spotter__ezgif-82e53c7736a3c4fc.mp4")  # 26 frames, 25 fps


def test_text_file_renamed_mp4(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n")
    with pytest.raises(WorkoutError, match=r"notes\.mp4: is not a readable video"):
        VideoReader(bad)


def test_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(WorkoutError, match=r"empty\.mp4: is empty \(0 bytes\)"):
        VideoReader(empty)


def test_missing_folder_and_unsupported_files(tmp_path: Path) -> None:
    with pytest.raises(WorkoutError, match="no video given"):
        VideoReader("")  # not the current folder
    with pytest.raises(WorkoutError, match="no such file"):
        VideoReader(tmp_path / "nope.mp4")
    with pytest.raises(WorkoutError, match="is a folder"):
        VideoReader(tmp_path)
    (tmp_path / "clip.gif").write_bytes(b"GIF89a")
    with pytest.raises(WorkoutError, match="unsupported file type '.gif'"):
        VideoReader(tmp_path / "clip.gif")


def test_truncated_copy_of_a_real_clip(tmp_path: Path) -> None:
    # The shared clips keep their index (moov) at the end, so a cut copy has no decodable frame at all.
    data = shared_path(*REAL_CLIP).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(WorkoutError, match=r"cut\.mp4: is not a readable video \(unknown format, truncated"):
        VideoReader(cut)


def test_truncated_video_decodes_what_is_there_and_says_so(tmp_path: Path) -> None:
    # An AVI decodes without its index: a cut one yields its first frames and is flagged as truncated.
    full = write_test_video(tmp_path / "full.avi", 60, fourcc="MJPG")
    data = full.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    with VideoReader(cut) as reader:
        frames = list(reader)
    assert 10 < len(frames) < 50
    assert reader.truncated
    assert reader.describe_truncation() == f"{cut}: truncated or corrupt: decoded {len(frames)} of 60 frames"
    with VideoReader(full) as reader:
        assert len(list(reader)) == 60 and not reader.truncated


def test_one_frame_video_is_a_valid_video(tmp_path: Path) -> None:
    with VideoReader(write_test_video(tmp_path / "one.mp4", 1)) as reader:
        frames = list(reader)
    assert len(frames) == 1 and frames[0].index == 0 and frames[0].timestamp == 0.0
    assert frames[0].rgb.shape == (120, 160, 3) and frames[0].rgb.dtype == np.uint8
    assert not reader.truncated


def test_frames_are_rgb_with_index_timestamp_and_stride(tmp_path: Path) -> None:
    path = write_test_video(tmp_path / "box.mp4", 10, fps=20.0)
    with VideoReader(path, stride=3) as reader:
        frames = list(reader)
        assert (reader.width, reader.height, reader.fps, reader.frame_count) == (160, 120, 20.0, 10)
        assert reader.expected_frames == 4
    assert [f.index for f in frames] == [0, 3, 6, 9]
    assert [f.timestamp for f in frames] == pytest.approx([0.0, 0.15, 0.3, 0.45])
    # The box is drawn orange-blue in BGR (40, 140, 220): in RGB the red channel is the large one.
    assert frames[0].rgb[40, 30, 0] > 200 and frames[0].rgb[40, 30, 2] < 80
    with pytest.raises(RuntimeError, match="only once"):
        list(reader)
    with pytest.raises(WorkoutError, match="stride must be 1 or more"):
        VideoReader(path, stride=0)


def test_insane_container_fps_falls_back_to_30(tmp_path: Path) -> None:
    with VideoReader(write_test_video(tmp_path / "fast.mp4", 5, fps=1000.0)) as reader:
        assert reader.fps == 30.0 and reader.fps_guessed
        assert [f.timestamp for f in reader][-1] == pytest.approx(4 / 30)


def test_header_frame_count(tmp_path: Path) -> None:
    assert header_frame_count(write_test_video(tmp_path / "ten.mp4", 10)) == 10
    (tmp_path / "bad.mp4").write_text("x")
    assert header_frame_count(tmp_path / "bad.mp4") == 0


def _workout(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "workout_analysis.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_cli_batch_of_only_broken_videos_fails_in_one_line_per_file(tmp_path: Path) -> None:
    data = tmp_path / "data" / "squat"
    data.mkdir(parents=True)
    (data / "text.mp4").write_text("hello")
    (data / "zero.mov").touch()
    out = tmp_path / "out.parquet"
    result = _workout("extract", str(tmp_path / "data"), "-o", str(out), "--quiet", "--workers", "1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"skipped: {data / 'text.mp4'}: is not a readable video (unknown format, truncated or corrupt)",
        f"skipped: {data / 'zero.mov'}: is empty (0 bytes)",
        f"workout: error: {tmp_path / 'data'}: no video could be extracted (2 failed)",
    ]
    assert not out.exists() and not list(tmp_path.glob("*.tmp*"))


def test_cli_batch_skips_a_broken_video_and_writes_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "squat").mkdir(parents=True)
    shutil.copy(shared_path(*REAL_CLIP), data / "squat" / "real.mp4")
    (data / "squat" / "broken.mp4").write_text("hello")
    write_test_video(data / "squat" / "one_frame.mp4", 1)
    out = tmp_path / "out.parquet"
    result = _workout("extract", str(data), "-o", str(out), "--quiet", "--workers", "1", "--stride", "5")
    assert result.returncode == 1, result.stderr  # the table is written, but a video failed
    assert "Traceback" not in result.stderr + result.stdout
    problem = "is not a readable video (unknown format, truncated or corrupt)"
    assert result.stderr.strip() == f"skipped: {data / 'squat' / 'broken.mp4'}: {problem}"
    assert result.stdout.startswith(f"wrote {out}: 2 videos, 7 frames, ")  # 6 frames of 26 at stride 5, plus 1
    assert f"warning: {data / 'squat' / 'one_frame.mp4'}: no person found in any frame" in result.stdout
    assert "failed: 1 video, skipped:" in result.stdout
    assert out.is_file()


CONTAINERS = [(".mkv", "MJPG"), (".mov", "mp4v"), (".avi", "XVID"), (".webm", "VP80")]


@pytest.mark.parametrize(("suffix", "fourcc"), CONTAINERS)
def test_common_containers_are_read_whole(tmp_path: Path, suffix: str, fourcc: str) -> None:
    with VideoReader(write_test_video(tmp_path / f"clip{suffix}", 12, fourcc=fourcc)) as reader:
        assert len(list(reader)) == 12 and reader.fps == 25.0 and not reader.truncated


def _ffmpeg_with(encoder: str) -> bool:
    if shutil.which("ffmpeg") is None:
        return False
    listed = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    return f" {encoder} " in listed


# What phones and the web hand people: iPhone HEVC in .mov, VP9 .webm, AV1 (newer phones, video sites). OpenCV
# writes none of these, so the system's ffmpeg makes them (`make test` installs it where it can).
AV1 = ["-c:v", "libaom-av1", "-cpu-used", "8"]
PHONE_CODECS = [("iphone.mov", ["-c:v", "libx265", "-tag:v", "hvc1", "-x265-params", "log-level=error"], "libx265"),
                ("web.webm", ["-c:v", "libvpx-vp9"], "libvpx-vp9"),
                ("new_phone.mp4", AV1, "libaom-av1")]  # fmt: skip


@pytest.mark.parametrize(("name", "codec", "encoder"), PHONE_CODECS)
def test_phone_and_web_codecs_are_read(tmp_path: Path, name: str, codec: list[str], encoder: str) -> None:
    if not _ffmpeg_with(encoder):
        pytest.skip(f"ffmpeg with {encoder} is not installed (apt install ffmpeg)")
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(shared_path(*REAL_CLIP)), *codec, str(out)], check=True)
    with VideoReader(out) as reader:  # AV1: OpenCV's FFmpeg has no decoder; the system's ffmpeg decodes it
        frames = list(reader)
        assert len(frames) == 26 and (reader.width, reader.height) == (500, 500) and not reader.truncated
        assert frames[-1].rgb.shape == (500, 500, 3) and np.allclose(frames[-1].timestamp, 25 / 25.0)
    with VideoReader(shared_path(*REAL_CLIP)) as reader:  # the same picture, colours in the same order
        assert np.abs(next(iter(reader)).rgb.astype(int) - frames[0].rgb).mean() < 8


@pytest.mark.parametrize(("first_line", "option"), [("ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright", "-vsync"),
                                                    ("ffmpeg version n5.0.1 Copyright", "-vsync"),
                                                    ("ffmpeg version 5.1.9-0+deb12u1 Copyright", "-fps_mode"),
                                                    ("ffmpeg version N-115000-g1234 Copyright", "-fps_mode")])  # fmt: skip
def test_the_passthrough_option_fits_the_installed_ffmpeg(tmp_path, monkeypatch, first_line, option) -> None:
    """-fps_mode came with ffmpeg 5.1; older ones (Ubuntu 22.04: 4.4) refuse it and an AV1 file read nothing."""
    from workout_analysis.video import _passthrough_option

    fake = tmp_path / "ffmpeg"  # only its version line matters here
    fake.write_text(f"#!/bin/sh\necho '{first_line}'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert _passthrough_option() == option


def test_av1_without_ffmpeg_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not _ffmpeg_with("libaom-av1"):
        pytest.skip("ffmpeg with libaom-av1 is not installed (apt install ffmpeg)")
    out = tmp_path / "new_phone.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(shared_path(*REAL_CLIP)), *AV1, str(out)], check=True)
    monkeypatch.setenv("PATH", "")  # a machine without ffmpeg: only OpenCV's own decoders
    with pytest.raises(WorkoutError, match=r"new_phone\.mp4: is AV1 video, .* install ffmpeg .* re-encode it to H\.264"):
        VideoReader(out)


@pytest.mark.parametrize(("codec", "encoder"), [(["-c:v", "mpeg4"], "mpeg4"), (AV1, "libaom-av1")])
def test_non_square_pixels_of_a_clip_turned_upright_are_scaled_along_its_own_axis(
    tmp_path: Path, codec: list[str], encoder: str
) -> None:
    """The pixel shape is the stored frame's: a 640x180 frame of 1:2 pixels (320x180 on screen) stored with a
    "rotate 90" tag is 180x320 upright, not 90x640. AV1 goes through the system's ffmpeg, which must say it too."""
    if not _ffmpeg_with(encoder) or shutil.which("ffprobe") is None:
        pytest.skip(f"ffmpeg with {encoder} is not installed (apt install ffmpeg)")
    flat, turned = tmp_path / "flat.mp4", tmp_path / "turned.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(shared_path(*REAL_CLIP)), "-frames:v", "5",
                    "-vf", "scale=640:180,setsar=1/2", *codec, str(flat)], check=True)  # fmt: skip
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(flat), "-c", "copy", "-metadata:s:v:0", "rotate=90",
                    str(turned)], check=True)  # fmt: skip
    for path, size in ((flat, (320, 180)), (turned, (180, 320))):
        with VideoReader(path) as reader:
            frames = list(reader)
            assert (reader.width, reader.height) == size and frames[0].rgb.shape == (size[1], size[0], 3), path.name


def test_variable_frame_rate_keeps_each_frames_own_time(tmp_path: Path) -> None:
    """Phones record at a variable frame rate: frame times come from the file, not from index / average fps."""
    if not _ffmpeg_with("libx264"):
        pytest.skip("ffmpeg with libx264 is not installed (apt install ffmpeg)")
    out = tmp_path / "vfr.mp4"  # the real clip's first 13 frames at 25 fps, the rest at half that rate
    slower = "setpts='if(lt(N,13),PTS,13/TB/25+(PTS-13/TB/25)*2)'"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(shared_path(*REAL_CLIP)), "-vf", slower, "-fps_mode", "vfr",
                    "-c:v", "libx264", str(out)], check=True)  # fmt: skip
    with VideoReader(out) as reader:
        times = np.array([frame.timestamp for frame in reader])
    assert len(times) == 26 and reader.fps < 25.0  # the container's average rate
    assert np.allclose(np.diff(times), [0.04] * 13 + [0.08] * 12, atol=1e-3)
    with VideoReader(out, stride=5) as reader:
        assert np.allclose([frame.timestamp for frame in reader], times[::5])
