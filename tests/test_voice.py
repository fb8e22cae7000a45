"""Spoken feedback: what is said for each live event, that speaking never blocks and never falls behind
(newer phrases overtake waiting ones), and real speech from espeak-ng written as WAV files."""

import json
import shutil
import subprocess
import sys
import time
import wave

import pytest
from conftest import shared_path

from workout_analysis.errors import WorkoutError
from workout_analysis.live import Event
from workout_analysis.voice import Voice, find_engine, phrase

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None and shutil.which("espeak") is None,
                                  reason="espeak-ng is not installed (make setup installs it where apt-get runs as root)")  # fmt: skip


def rep(index: int, tips: list[str]) -> Event:
    issues = [{"check": "depth", "severity": "major", "message": tip, "value": None} for tip in tips]
    return Event("rep", 3.0, {"index": index, "duration_s": 2.0, "score": 80, "issues": issues})


def test_phrases_are_short_and_actionable():
    assert phrase(rep(3, ["go lower: hips stopped 15° above parallel", "knees in"])) == "3. Go lower."
    assert phrase(rep(4, [])) == "4."
    assert phrase(Event("exercise", 1.0, {"exercise": "bicep_curl", "confidence": 0.8, "previous": None})) == "Bicep curl."
    assert phrase(Event("hold", 10.0, {"exercise": "plank", "hold_s": 10.2})) == "10 seconds."
    assert phrase(Event("recount", 12.0, {"exercise": "squat", "count": 4, "taken_back": 2})) == "Recounted: 4."
    assert phrase(Event("person_lost", 5.0)) == "I can't see you."
    assert phrase(Event("person_found", 6.0)) is None


def test_missing_engine_is_a_one_line_error_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(WorkoutError, match="apt install espeak-ng"):
        find_engine()


@pytest.mark.parametrize("runnable", [True, False])
def test_a_failing_engine_is_reported_once_and_the_voice_goes_quiet(tmp_path, runnable):
    engine = shutil.which("false")
    if not runnable:  # an engine that cannot even be started: no traceback from the voice thread either
        engine = tmp_path / "espeak-ng"
        engine.write_text("not a program")
    reasons = []
    with Voice(tmp_path / "wavs", engine=str(engine), on_error=reasons.append) as voice:
        voice.say("1.")
        time.sleep(0.3)
        voice.say("2.")
    assert voice.spoken == [] and len(reasons) == 1 and "could not speak" in reasons[0]
    assert list((tmp_path / "wavs").iterdir()) == []  # no WAV, not even an empty or temporary one


@needs_espeak
def test_speech_is_written_and_newer_phrases_overtake_waiting_ones(tmp_path):
    with Voice(tmp_path) as voice:
        started = time.perf_counter()
        for i in range(1, 21):
            voice.say(f"{i}.", t=float(i))
        queued_in = time.perf_counter() - started
    assert queued_in < 0.5  # the frame loop never waits for speech (20 phrases would take seconds; loaded CI is slow)
    assert voice.spoken[-1] == "20." and 1 <= len(voice.spoken) < 20
    assert len(voice.spoken) + voice.skipped == 20
    wavs = sorted(tmp_path.glob("*.wav"))
    assert len(wavs) == len(voice.spoken) and wavs[-1].name.endswith("_00020.0s.wav")
    with wave.open(str(wavs[-1])) as wav:
        assert 0.2 < wav.getnframes() / wav.getframerate() < 3.0  # real speech of a short word


def test_voice_dir_needs_voice():
    proc = subprocess.run([sys.executable, "-m", "workout_analysis.cli", "live", "x.mp4", "--voice-dir", "v"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.strip() == "workout: error: --voice-dir goes with --voice"


@needs_espeak
def test_live_session_speaks_its_reps(tmp_path):
    video = shared_path("videos", "squat", "amila__squats_-_Copy.mp4")  # 18.7 s, three squats
    proc = subprocess.run([sys.executable, "-m", "workout_analysis.cli", "live", str(video), "--exercise", "squat",
                           "--voice", "--voice-dir", str(tmp_path), "--json"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    reps = [e for e in events if e.get("event") == "rep"]
    assert len(reps) >= 2
    wavs = sorted(tmp_path.glob("*.wav"))
    # one phrase per rep or recount (the count said again), fewer when they came faster than speech
    assert 1 <= len(wavs) <= len(reps) + sum(e.get("event") == "recount" for e in events)
    assert wavs[-1].name.endswith(f"_{reps[-1]['t']:07.1f}s.wav")  # the last rep is always said
