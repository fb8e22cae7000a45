"""Spoken feedback for a live session: a few words per event, through the system's espeak-ng.

Speaking a phrase takes longer than a fast rep, and the frame loop must never wait for it: a
background thread speaks one phrase at a time, and while it speaks only the newest phrase waits (the
count of two reps ago is worth nothing once the next rep is done). Phrases are short on purpose: the
count, then the one tip that matters ("7. Go lower.").
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import WorkoutError
from .exercises import display_name
from .fileio import atomic_path
from .live import Event

ENGINES = ("espeak-ng", "espeak")  # same command line: -s words per minute, -w WAV file


def find_engine() -> str:
    """The text-to-speech command found on PATH, or a one-line error that says how to get one."""
    for name in ENGINES:
        if path := shutil.which(name):
            return path
    raise WorkoutError("--voice needs espeak-ng (Debian/Ubuntu: sudo apt install espeak-ng; macOS: brew install "
                       "espeak-ng); none was found on PATH")  # fmt: skip


def phrase(event: Event) -> str | None:
    """What to say for a live event, or None for events not worth interrupting a set for."""
    d = event.data
    if event.kind == "exercise":
        return f"{display_name(d['exercise']).capitalize()}." if d["exercise"] else None
    if event.kind == "rep":
        # the tip's words before its measurement: "go lower: hips stopped 15° above parallel" -> "Go lower."
        tip = re.split(r"[:;(]", d["issues"][0]["message"])[0].strip() if d["issues"] else ""
        return f"{d['index']}." + (f" {tip.capitalize()}." if tip else "")
    if event.kind == "hold":
        return f"{d['hold_s']:.0f} seconds."
    if event.kind == "recount":
        return f"Recounted: {d['count']}."
    if event.kind == "person_lost":
        return "I can't see you."
    return None


class Voice:
    """Say phrases in the background, newest first; ``close()`` (or ``with``) waits for the last one.

    ``out_dir``: write each phrase as a WAV file there (named by stream time) instead of playing it, for
    a machine without speakers or to mix into a recording. ``on_error`` hears, once, why speaking failed
    (then the voice goes quiet; the session goes on).
    """

    def __init__(self, out_dir: str | Path | None = None, words_per_minute: int = 175,
                 on_error: Callable[[str], None] | None = None, engine: str | None = None) -> None:  # fmt: skip
        self.engine = engine or find_engine()
        self.out_dir = None if out_dir is None else Path(out_dir)
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        self.words_per_minute = words_per_minute
        self.on_error = on_error
        self.spoken: list[str] = []  # what was said, in order
        self.skipped = 0  # phrases overtaken by newer ones before they could be said
        self._pending: tuple[str, float] | None = None
        self._closing = False
        self._failed = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
        self._thread.start()

    def say(self, text: str, t: float = 0.0) -> None:
        """Queue ``text`` (said at stream time ``t``), replacing a phrase still waiting."""
        with self._wake:
            if self._pending is not None:
                self.skipped += 1
            self._pending = (text, t)
            self._wake.notify()

    def say_event(self, event: Event) -> None:
        if (text := phrase(event)) is not None:
            self.say(text, event.t)

    def close(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join()

    def __enter__(self) -> Voice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._closing:
                    self._wake.wait()
                if self._pending is None:
                    return
                (text, t), self._pending = self._pending, None
            if not self._failed:
                self._speak(text, t)

    def _speak(self, text: str, t: float) -> None:
        command: Sequence[str] = [self.engine, "-s", str(self.words_per_minute)]
        try:
            with contextlib.ExitStack() as stack:
                if self.out_dir is not None:  # written whole or not at all, as every artifact
                    wav = stack.enter_context(atomic_path(self.out_dir / f"{len(self.spoken):03d}_{t:07.1f}s.wav"))
                    command = [*command, "-w", str(wav)]
                result = subprocess.run([*command, "--", text], capture_output=True, text=True, timeout=60)
                # espeak-ng exits 0 even when no sound device can be opened; its stderr then says "error"
                if result.returncode != 0 or re.search(r"^error", result.stderr, re.MULTILINE | re.IGNORECASE):
                    raise _SpeechFailed((result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1])
        except (_SpeechFailed, OSError, subprocess.TimeoutExpired) as exc:  # gone, failing or hung engine
            self._fail(str(exc))
            return
        self.spoken.append(text)

    def _fail(self, why: str) -> None:
        self._failed = True
        if self.on_error is not None:
            self.on_error(f"{Path(self.engine).name} could not speak ({why}); the voice is off")


class _SpeechFailed(Exception):
    """The engine ran but said it could not speak (its last line of stderr)."""
