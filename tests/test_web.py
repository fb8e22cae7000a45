"""`workout serve`: the page and its JSON API over real HTTP, with the real model, a synthetic set and a
real shared clip; bad uploads answered with one line naming the file."""

import base64
import http.client
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import shared_path

from workout_analysis.synth import generate
from workout_analysis.web import make_server


@pytest.fixture(scope="module")
def server():
    srv = make_server(port=0, max_upload_mb=2)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def request(server, path: str, body: bytes | None = None) -> tuple[int, bytes, str]:
    req = urllib.request.Request(server.url.rstrip("/") + path, data=body, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            return resp.status, resp.read(), resp.headers["Content-Type"]
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers["Content-Type"]


def test_page_and_exercise_list(server):
    status, body, kind = request(server, "/")
    assert status == 200 and kind.startswith("text/html")
    page = body.decode()
    assert '<input type="file"' in page and "/api/analyze" in page and "http" not in page.split("<script>")[1]
    status, body, _ = request(server, "/api/exercises")
    assert status == 200 and "squat" in json.loads(body)["exercises"]
    assert request(server, "/nowhere")[0] == 404


def test_upload_a_synthetic_set(server, tmp_path):
    seq, truth = generate("squat", seed=5, reps=6)
    seq.save(tmp_path / "set.npz")
    status, body, kind = request(server, "/api/analyze?name=my%20set.npz", (tmp_path / "set.npz").read_bytes())
    assert status == 200 and kind == "application/json"
    out = json.loads(body)
    assert out["input"] == "my set.npz" and out["exercise"] == "squat"
    assert abs(out["reps"]["count"] - truth.reps) <= 1
    assert out["plot"].startswith("data:image/png;base64,")
    assert base64.b64decode(out["plot"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_upload_a_real_video_with_the_exercise_named(server):
    video = shared_path("videos", "squat", "spotter__squat-james-smith.mp4")
    status, body, _ = request(server, "/api/analyze?name=clip.mp4&exercise=squat", video.read_bytes())
    assert status == 200, body
    out = json.loads(body)
    assert out["given"] is True and out["exercise"] == "squat" and out["frames"] == 82


@pytest.mark.parametrize(("query", "body", "code", "words"), [
    ("name=broken.npz", b"not a landmark file", 400, "broken.npz: not a readable landmark file"),
    ("name=notes.txt", b"hello", 400, "notes.txt: not a video or landmark file"),
    ("name=set.npz&exercise=yoga", b"x", 400, "unknown exercise 'yoga'"),
])  # fmt: skip
def test_bad_uploads_get_one_line_naming_the_file(server, query, body, code, words):
    status, answer, kind = request(server, "/api/analyze?" + query, body)
    assert status == code and kind == "application/json"
    error = json.loads(answer)["error"]
    assert words in error and "\n" not in error and "workout-upload-" not in error


def test_a_too_large_upload_is_refused_before_it_is_read(server):
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=60)
    conn.putrequest("POST", "/api/analyze?name=big.mp4")
    conn.putheader("Content-Length", str(3 * 2**20))
    conn.endheaders()  # no body sent: the answer must come without it
    resp = conn.getresponse()
    assert resp.status == 413 and json.loads(resp.read())["error"] == "big.mp4: 3 MB is over the 2 MB limit (workout serve --max-upload-mb)"
    conn.close()


def test_serve_refuses_a_bad_port_in_one_line():
    proc = subprocess.run([sys.executable, "-m", "workout_analysis.cli", "serve", "--port", "70000"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.strip() == "workout: error: --port must be between 0 and 65535, got 70000"
