"""Frames in: open a video file or a camera with OpenCV (a file it cannot decode, such as AV1, with the system's
ffmpeg where installed), check it up front, iterate RGB frames.

Every problem with a file is raised as :class:`WorkoutError` naming the file, before any work is done
where possible: missing, empty, not a video, no decodable frame. A file that stops decoding part-way
(a truncated download) yields the frames that are there and records the shortfall in
:attr:`VideoReader.truncated`, so that callers can report it. A one-frame video is a valid video: it
yields its one frame; whether that is too short to analyse is for the analysis to say.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import WorkoutError
from .sequence import DEFAULT_FPS

# FFmpeg inside OpenCV prints its own complaints ("moov atom not found") to stderr; our one-line error
# says the same, so silence it. Must be set before cv2 is imported anywhere.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2  # noqa: E402

VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
# Containers sometimes report 0, 1000 or 90000 (a time base) as the frame rate; outside this range
# the reported value is not trusted and DEFAULT_FPS is used instead.
SANE_FPS = (1.0, 240.0)
# A file whose decoding stops more than this fraction short of the frame count in its header is
# reported as truncated (headers are often off by a frame or two).
TRUNCATION_TOLERANCE = 0.02
# Pixel aspect ratios this close to 1 (1216:1215 is common) are square for our purpose: not worth a resize.
SQUARE_PIXEL_TOLERANCE = 0.01


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index in the source, its time in seconds and its RGB pixels (H, W, 3) uint8."""

    index: int
    timestamp: float
    rgb: np.ndarray


class VideoReader:
    """A video file or camera, opened and checked; iterate it for :class:`Frame` objects.

    Args:
        source: a file path, or a camera index (int, or a string of digits).
        stride: keep every ``stride``-th frame (indices stay those of the source).

    Attributes:
        path: the file (None for a camera); width, height; fps (DEFAULT_FPS when the container's value is
        not sane, see ``fps_guessed``); frame_count (from the header, 0 for cameras or unknown);
        decoded (frames read so far); truncated (True once decoding stopped well short of frame_count).
    """

    def __init__(self, source: str | os.PathLike[str] | int, stride: int = 1) -> None:
        if stride < 1:
            raise WorkoutError(f"stride must be 1 or more, got {stride}")
        if isinstance(source, str) and not source.strip():  # Path("") would be the current folder
            raise WorkoutError("no video given: name a file, a camera number (0) or a stream URL")
        self.stride = stride
        self.camera = isinstance(source, int) or (isinstance(source, str) and source.isdigit())
        self.url = not self.camera and "://" in str(source)  # a network stream (rtsp://, http://): no file checks
        self.path = None if self.camera or self.url else Path(source)
        self.name = f"camera {int(source)}" if self.camera else str(source)
        if self.path is not None:
            _check_file(self.path)
        if self.camera:  # a missing camera is logged by OpenCV at ERROR level; our one line says it
            level = cv2.getLogLevel()
            cv2.setLogLevel(0)  # 0: silent
            try:
                self._cap = cv2.VideoCapture(int(source))
            finally:
                cv2.setLogLevel(level)
        else:
            self._cap = cv2.VideoCapture(str(source) if self.url else str(self.path))
            # A phone stores a portrait clip as landscape frames plus a "rotate 90" tag; this OpenCV build does
            # not apply the tag unless asked, and MediaPipe would then see the person lying on their side.
            self._cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        if not self._cap.isOpened():
            self._cap.release()
            problem = "is not a readable video (unknown format, truncated or corrupt)"
            raise WorkoutError(f"{self.name}: {'cannot be opened' if self.camera or self.url else problem}")
        ok, first = self._cap.read()
        if (not ok or first is None) and self.path is not None:
            # The container opened but OpenCV's FFmpeg decodes none of it: AV1 (newer phones, video sites) has no
            # decoder there. The system's ffmpeg, where installed, usually has one.
            codec = int(self._cap.get(cv2.CAP_PROP_FOURCC) or 0).to_bytes(4, "little").decode("latin-1").lower()
            self._cap.release()
            system = bool(shutil.which("ffmpeg") and shutil.which("ffprobe"))
            if system:
                self._cap = _FfmpegCapture(self.path)
                ok, first = self._cap.read()
            if codec == "av01" and not ok:
                self._cap.release()
                why = "the installed ffmpeg could not decode it either" if system else "install ffmpeg (it is then used)"
                raise WorkoutError(f"{self.name}: is AV1 video, which OpenCV cannot decode; {why}, or re-encode it to "
                                   "H.264 (ffmpeg -i IN -c:v libx264 OUT.mp4)")  # fmt: skip
        if not ok or first is None:
            self._cap.release()
            raise WorkoutError(f"{self.name}: has no decodable frame (empty, truncated or corrupt video)")
        self._first: np.ndarray | None = first
        # Non-square pixels (anamorphic video: a 960x640 frame shown as 360x640): frames are scaled to the shape a
        # player shows, or the person is stretched and MediaPipe finds them in fewer frames.
        sar = self._cap.get(cv2.CAP_PROP_SAR_NUM) / (self._cap.get(cv2.CAP_PROP_SAR_DEN) or 1.0)
        turned = self._cap.get(cv2.CAP_PROP_ORIENTATION_META)  # degrees; 0 or -1 where a backend does not say
        if sar > 0 and np.isfinite(turned) and int(turned) % 180 == 90:
            sar = 1.0 / sar  # the pixel shape is the stored frame's; this one was turned upright (a phone's tag)
        height, width = first.shape[:2]
        if np.isfinite(sar) and sar > 0 and abs(sar - 1.0) > SQUARE_PIXEL_TOLERANCE:
            width, height = (max(1, round(width * sar)), height) if sar < 1 else (width, max(1, round(height / sar)))
        self.height, self.width = height, width
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps_guessed = not (np.isfinite(fps) and SANE_FPS[0] <= fps <= SANE_FPS[1])
        self.fps = DEFAULT_FPS if self.fps_guessed else fps
        self.frame_count = 0 if self.camera or self.url else max(int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0), 1)
        self.decoded = 0
        self.truncated = False

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._cap.release()

    @property
    def expected_frames(self) -> int:
        """Frames that iterating with this stride should yield, from the header (0 when unknown)."""
        return strided_count(self.frame_count, self.stride)

    def __iter__(self) -> Iterator[Frame]:
        """Frames in order, RGB. Can be iterated once."""
        if self._first is None:
            raise RuntimeError(f"{self.name}: frames can be iterated only once")
        index, bgr, t = 0, self._first, 0.0
        self._first = None
        start = self._position()
        while True:
            if index % self.stride == 0:
                if bgr.shape[:2] != (self.height, self.width):
                    bgr = cv2.resize(bgr, (self.width, self.height), interpolation=cv2.INTER_AREA)
                yield Frame(index, t, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            index += 1
            self.decoded = index
            # grab() skips the conversion to a numpy array for frames the stride drops.
            if index % self.stride == 0:
                ok, bgr = self._cap.read()
            else:
                ok = self._cap.grab()
            if not ok:
                break
            t = self._time(index, t, start)
        self.truncated = self.frame_count > 0 and self.decoded < self.frame_count * (1 - TRUNCATION_TOLERANCE) - 1

    def _position(self) -> float:
        """The container's time stamp (s) of the frame just decoded; NaN for cameras and streams, and for a file
        whose frame rate is not sane (its stamps are not either)."""
        usable = self.path is not None and not self.fps_guessed
        return self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0 if usable else float("nan")

    def _time(self, index: int, previous: float, start: float) -> float:
        """Seconds from the first frame to frame ``index``, just decoded. A file's own time stamps, since phones
        record at a variable frame rate (index / fps, with the container's average rate, would stretch a
        fast stretch and squeeze a slow one); index / fps for cameras and streams, and where the stamps do not
        increase."""
        t = self._position() - start
        return t if t > previous else max(index / self.fps, previous + 1 / self.fps)

    def describe_truncation(self) -> str:
        """One line for reports: how far decoding got in a truncated file."""
        return f"{self.name}: truncated or corrupt: decoded {self.decoded} of {self.frame_count} frames"


class _FfmpegCapture:
    """The system's ffmpeg in place of ``cv2.VideoCapture`` (the calls :class:`VideoReader` makes), for files OpenCV's
    own FFmpeg cannot decode. Frames come through a pipe as raw BGR, upright (ffmpeg applies rotation tags); their
    times are the stream's packet time stamps in presentation order, which ``-fps_mode passthrough`` keeps one
    frame each."""

    def __init__(self, path: Path) -> None:
        def probe(entries: str, form: str) -> str:
            cmd = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", entries, "-of", form, str(path)]
            return subprocess.run(cmd, capture_output=True, text=True).stdout

        entries = "stream=width,height,avg_frame_rate,sample_aspect_ratio:stream_side_data=rotation"
        streams = json.loads(probe(entries, "json") or "{}")
        stream = (streams.get("streams") or [{}])[0]
        stamps = probe("packet=pts_time", "csv=p=0").split()
        self._count = len(stamps)
        self._times = [] if "N/A" in stamps else sorted(map(float, stamps))  # without them: index / fps, as OpenCV
        width, height = int(stream.get("width", 0)), int(stream.get("height", 0))
        # the display matrix need not be the first side data (HDR, stereo and spherical ones come too)
        rotation = int(float(next((d["rotation"] for d in stream.get("side_data_list", []) if "rotation" in d), 0)))
        self._shape = (width, height, 3) if rotation % 180 else (height, width, 3)
        sar_num, _, sar_den = str(stream.get("sample_aspect_ratio", "")).partition(":")  # "1:2"; "N/A", "0:1": unknown
        self._meta = {cv2.CAP_PROP_ORIENTATION_META: float(rotation % 360),
                      cv2.CAP_PROP_SAR_NUM: float(sar_num) if sar_num.isdigit() and sar_den.isdigit() else 1.0,
                      cv2.CAP_PROP_SAR_DEN: float(sar_den) if sar_num.isdigit() and sar_den.isdigit() else 1.0}  # fmt: skip
        num, _, den = str(stream.get("avg_frame_rate", "0/0")).partition("/")
        self._fps = float(num) / float(den) if den and float(den) else 0.0
        self._read = 0
        self._proc = None
        if width and height:
            cmd = ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", _passthrough_option(), "passthrough",
                   "-f", "rawvideo", "-pix_fmt", "bgr24", "-"]  # fmt: skip
            self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def isOpened(self) -> bool:  # cv2.VideoCapture's name
        return self._proc is not None

    def read(self) -> tuple[bool, np.ndarray | None]:
        size = int(np.prod(self._shape))
        data = self._proc.stdout.read(size) if self._proc is not None and self._proc.stdout else b""
        if len(data) < size:
            return False, None
        self._read += 1
        return True, np.frombuffer(data, np.uint8).reshape(self._shape)

    def grab(self) -> bool:
        return self.read()[0]

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FPS:
            return self._fps
        if prop == cv2.CAP_PROP_FRAME_COUNT:
            return float(self._count)
        if prop == cv2.CAP_PROP_POS_MSEC and 0 < self._read <= len(self._times):
            return 1000.0 * self._times[self._read - 1]
        return float("nan") if prop == cv2.CAP_PROP_POS_MSEC else self._meta.get(prop, 0.0)

    def release(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            if self._proc.stdout:
                self._proc.stdout.close()


class _StderrSilencer:
    """Send file descriptor 2 to /dev/null while any thread is inside: native code (MediaPipe's C++ logging, OpenCV's
    FFmpeg writer) prints there whatever Python and the environment say. Descriptor 2 is the process's, so threads
    share one redirection: the first one in saves the real stderr, the last one out puts it back (two threads each
    saving and restoring could leave /dev/null for good). Whatever any thread writes to stderr meanwhile is lost."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._saved = -1

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._inside == 0:
                try:
                    self._saved = os.dup(2)
                except OSError:  # no stderr at all (a daemon): nothing to silence
                    self._saved = -1
                else:
                    with open(os.devnull, "wb") as null:
                        os.dup2(null.fileno(), 2)
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
                if self._inside == 0 and self._saved >= 0:
                    os.dup2(self._saved, 2)
                    os.close(self._saved)


native_stderr_silenced = _StderrSilencer()


def _passthrough_option() -> str:
    """ffmpeg's option for "every frame once, as stamped": ``-fps_mode`` since 5.1, ``-vsync`` before (Ubuntu 22.04
    ships 4.4, which refuses ``-fps_mode``)."""
    first = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.partition("\n")[0]
    version = re.match(r"ffmpeg version n?(\d+)\.(\d+)", first)  # a git build ("N-11...") is new
    return "-vsync" if version and (int(version[1]), int(version[2])) < (5, 1) else "-fps_mode"


def _check_file(path: Path) -> None:
    if not path.exists():
        raise WorkoutError(f"{path}: no such file")
    if path.is_dir():
        raise WorkoutError(f"{path}: is a folder, not a video file")
    if path.stat().st_size == 0:
        raise WorkoutError(f"{path}: is empty (0 bytes)")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise WorkoutError(f"{path}: unsupported file type {path.suffix!r} (use {', '.join(VIDEO_SUFFIXES)})")


def header_frame_count(path: str | os.PathLike[str], stride: int = 1) -> int:
    """Frames the file's header claims, counting every ``stride``-th (0 when it cannot be opened); cheap,
    decodes nothing."""
    cap = cv2.VideoCapture(str(path))
    try:
        frames = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0), 0) if cap.isOpened() else 0
    finally:
        cap.release()
    return strided_count(frames, stride)


def strided_count(frames: int, stride: int) -> int:
    """How many of ``frames`` frames reading every ``stride``-th one yields (the first always)."""
    return -(-frames // stride)
