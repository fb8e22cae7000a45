"""`workout serve`: the page and its JSON API over real HTTP, with the real model, a synthetic set and a
real shared clip; bad uploads answered with one line naming the file."""

import base64
import http.client
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
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
    assert status == 200 and "squat" in json.loads(body)["exercises"] and json.loads(body)["max_upload_mb"] == 2
    assert request(server, "/nowhere")[0] == 404
    status, body, _ = request(server, "/api/analyze")
    assert status == 405 and "POST" in json.loads(body)["error"]


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
    # for the page: the checks' names as the text report prints them, and its verdict (none: nothing to fix)
    assert out["check_labels"]["knee_valgus"] == "knees caving in" and out["form_verdict"] == ""


def test_warnings_name_the_upload_and_the_verdict_is_the_reports(server, tmp_path):
    seq, _ = generate("squat", seed=5, reps=6)
    seq.landmarks[: len(seq) * 2 // 3] = np.nan  # a person in a third of the frames: a warning naming the file
    seq.save(tmp_path / "set.npz")
    status, body, _ = request(server, "/api/analyze?name=gap.npz&exercise=plank", (tmp_path / "set.npz").read_bytes())
    out = json.loads(body)
    assert status == 200 and out["warnings"], out
    assert all(w.startswith("gap.npz: ") for w in out["warnings"]), out["warnings"]  # not the temporary copy's path
    assert out["form"]["faulty"] is True and out["form_verdict"] == "Faults to fix."


def test_a_file_of_several_sequences_is_analysed_one_at_a_time(server, tmp_path):
    sets = {f"seed{k}": generate("jumping_jack", seed=k, reps=5)[0].landmarks for k in (1, 2)}
    np.savez(tmp_path / "two.npz", **sets)
    body = (tmp_path / "two.npz").read_bytes()
    status, answer, _ = request(server, "/api/analyze?name=two.npz&exercise=jumping_jack", body)
    assert status == 400 and "video_id=" in json.loads(answer)["error"]
    status, answer, _ = request(server, "/api/analyze?name=two.npz&exercise=jumping_jack&video_id=seed2", body)
    out = json.loads(answer)
    assert status == 200 and out["input"] == "two.npz (video seed2)" and out["reps"]["count"] >= 4


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


def raw_post(server, query: str, length: str, body: bytes) -> tuple[int, dict]:
    """POST with a Content-Length of our choosing, the body sent and the sending side then closed."""
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=60) as sock:
        sock.sendall(f"POST /api/analyze?{query} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode()
                     + body)  # fmt: skip
        sock.shutdown(socket.SHUT_WR)
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    head, _, payload = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(payload)


def test_uploads_cut_short_or_oddly_named_get_an_answer(server):
    status, out = raw_post(server, "name=cut.npz", "1000", b"only 17 bytes....")
    assert status == 400 and out["error"] == "cut.npz: the upload ended after 17 of 1000 bytes"
    assert raw_post(server, "name=a.npz", "-5", b"x")[0] == 411  # never "read to the end of the stream"
    status, out = raw_post(server, "name=a.npz&exercise=yoga", "1000", b"x")  # refused before the body is read
    assert status == 400 and out["error"].startswith("unknown exercise 'yoga'")
    # the name is only a label: a NUL, a newline, a path or a name too long for the disk change nothing
    for query, shown in (("name=a%00b%0A.npz", "ab.npz"), ("name=..%2F..%2Fx.npz", "x.npz"),
                         ("name=" + "a" * 300 + ".npz", "a" * 300 + ".npz")):  # fmt: skip
        status, out = raw_post(server, query, "5", b"junk!")
        assert status == 400 and out["error"].startswith(f"{shown}: not a readable landmark file"), out


def test_serve_refuses_a_bad_port_in_one_line():
    proc = subprocess.run([sys.executable, "-m", "workout_analysis.cli", "serve", "--port", "70000"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.strip() == "workout: error: --port must be between 0 and 65535, got 70000"


def test_the_page_in_a_real_browser(server, tmp_path):
    """Headless Chromium, driven over the DevTools protocol: pick a file, press Analyse, read the result; the
    page says what the command line says, in the page's own terms, and its status region is never left empty."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        pytest.skip("Chromium is not installed (make setup installs it where apt-get runs as root)")
    websocket = pytest.importorskip("websocket", reason="websocket-client is in requirements-dev.txt")
    seq, truth = generate("squat", seed=5, reps=6)
    seq.save(tmp_path / "set.npz")
    np.save(tmp_path / "short.npy", seq.landmarks[:20])  # 0.5 s with a pose: too short to recognise
    np.savez(tmp_path / "two.npz", seed1=generate("jumping_jack", seed=1, reps=5)[0].landmarks,
             seed2=generate("jumping_jack", seed=2, reps=5)[0].landmarks)  # fmt: skip
    generate("no_exercise", seed=3)[0].save(tmp_path / "idle.npz")  # the model calls it "no exercise" (74% sure)
    profile = tmp_path / "profile"
    browser = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if browser.poll() is not None:  # e.g. Ubuntu's apt "chromium", a stub that needs snapd
                pytest.skip(f"{chromium} exits at once (code {browser.returncode}): not a working Chromium")
            assert time.monotonic() < deadline, "Chromium did not start"
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as resp:
            page = next(t for t in json.loads(resp.read()) if t["type"] == "page")
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        calls = iter(range(1, 10**6))

        def cdp(method: str, **params):
            call = next(calls)
            ws.send(json.dumps({"id": call, "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == call:
                    assert "error" not in message, message
                    return message["result"]

        def js(expression: str):
            return cdp("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

        def wait_for(expression: str, seconds: float = 120):
            deadline = time.monotonic() + seconds
            while not (value := js(expression)):
                assert time.monotonic() < deadline, f"timed out waiting for {expression}"
                time.sleep(0.3)
            return value

        def analyse(path: Path, exercise: str = "", video_id: str = "") -> tuple[list[str], str]:
            """Pick the file, fill the form, press Analyse: every status shown on the way, and the result's text."""
            cdp("DOM.setFileInputFiles", files=[str(path)], nodeId=node)
            js(f"document.getElementById('exercise').value = {json.dumps(exercise)};"
               f"document.getElementById('video_id').value = {json.dumps(video_id)}")  # fmt: skip
            js("window.said = []; new MutationObserver(() => said.push(document.getElementById('status').innerText))"
               ".observe(document.getElementById('status'), {childList: true, subtree: true, characterData: true})")
            js("document.getElementById('go').click()")
            wait_for("!document.getElementById('go').disabled")
            return js("said"), js("document.getElementById('result').innerText")

        cdp("Page.navigate", url=server.url)
        assert wait_for("document.querySelectorAll('#exercise option').length > 40")  # the list came from the API
        node = cdp("DOM.querySelector", nodeId=cdp("DOM.getDocument")["root"]["nodeId"], selector="#file")["nodeId"]
        said, text = analyse(tmp_path / "set.npz", "squat")  # named, as a user who knows it would
        assert said[0] == "Uploading set.npz..." and "Analysing set.npz..." in said  # uploading first, then analysing
        assert said[-1] == f"Done: squat, {truth.reps} reps."  # left for a screen reader, not emptied
        assert js("document.querySelector('#result h2').innerText") == "squat"  # the answer is a heading
        assert f"Repetitions: {truth.reps}" in text and "set.npz" in text and "Held for" not in text
        assert "not checked, knees caving in: needs a front view" in text  # the report's label, not "knee valgus"
        assert js("document.querySelector('#result img').src.startsWith('data:image/png;base64,')")
        assert js("document.querySelector('#result img').alt") == f"Rep timeline of squat: {truth.reps} reps " \
            "marked over time, none flagged for form"
        shown, natural = js("[...['width', 'naturalWidth'].map((k) => document.querySelector('#chart img')[k])]")
        assert shown < natural  # shrunk to the page; a click shows it at full size
        js("document.getElementById('chart').click()")
        assert js("document.querySelector('#chart img').width") == natural
        assert js("document.getElementById('chart').getAttribute('aria-expanded')") == "true"

        said, text = analyse(tmp_path / "set.npz", "plank")  # a "hold" that kept moving: its moves are counted
        assert "Repeated movements (counted from the whole pose): " in text and "Held for" not in text
        assert "note: held still for only" in text and "Faults to fix." in text  # the CLI's note and verdict
        assert said[-1].startswith("Done: plank, ") and said[-1].endswith(" reps.")
        assert "flagged" not in js("document.querySelector('#result img').alt")  # the hold is judged as a whole

        said, text = analyse(tmp_path / "idle.npz")
        assert text.splitlines()[0] == "No exercise recognised" and "choose it in the Exercise list" in text
        assert "No repetitions counted" in text and not js("document.querySelector('#result table')")
        assert said[-1] == "Done: no exercise recognised, 0 reps."

        # command-line advice turned into the page's: the exercise list, the video id field
        said, text = analyse(tmp_path / "short.npy")
        assert text == "" and said[-1].startswith("short.npy: too short to recognise an exercise") \
            and said[-1].endswith("(or choose the exercise in the Exercise list and press Analyse again)")
        said, _ = analyse(tmp_path / "two.npz", "jumping_jack")
        assert said[-1] == "two.npz: holds 2 sequences (seed1, seed2); type one of these ids in the Video id field " \
            "and press Analyse again"
        assert js("document.activeElement.id") == "video_id"
        said, text = analyse(tmp_path / "two.npz", "jumping_jack", "seed2")
        assert "two.npz (video seed2)" in text and said[-1] == "Done: jumping jack, 5 reps."

        big = tmp_path / "big.npz"
        big.write_bytes(b"\0" * 3 * 2**20)  # over the 2 MB limit: refused by the page itself, with the reason
        cdp("DOM.setFileInputFiles", files=[str(big)], nodeId=node)
        js("document.getElementById('go').click()")
        assert wait_for("document.getElementById('status').innerText") == "big.npz: 3 MB is over the 2 MB limit " \
            "(workout serve --max-upload-mb)"
        ws.close()
    finally:
        browser.kill()
        browser.wait()
