"""The HTTP side of the web page: the standard library's threading server, no framework.

    GET  /                  the page (static/index.html: plain HTML and JavaScript, nothing fetched from outside)
    GET  /api/exercises     the exercises a user may name instead of recognition, and the upload limit
    POST /api/analyze?name=clip.mp4[&exercise=squat][&video_id=ID]   body: the file itself (video_id: which
         sequence of a file holding several, an extract table or an .npz of several arrays)
         -> 200 the JSON of ``workout analyze --json`` plus "plot" (a PNG data URL of the rep timeline),
            "check_labels" (each form check's name as the report prints it) and "form_verdict" (the report's
            sentence after the form summary, e.g. "Faults to fix.")
         -> 400 {"error": "..."} for a file or option at fault, 411 no Content-Length, 413 too large,
            422 no person found, 500 a fault of this program (its traceback goes to the server's stderr)

Uploads stream to disk (never whole into memory); analyses run one at a time (pose extraction keeps a
core busy; two at once would only both be slow). The upload lives in a temporary folder, under a name
of the server's choosing, that is removed when its analysis is done.
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
import threading
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlparse

from ..analysis.report import form_verdict
from ..batch import INPUT_SUFFIXES, AnalyzeOptions, Item, analyze_file
from ..errors import NoPersonError, WorkoutError
from ..exercises import ALL_EXERCISES

PAGE = Path(__file__).with_name("static") / "index.html"
DEFAULT_MAX_UPLOAD_MB = 500
CHUNK_BYTES = 2**20


class AnalyzeHandler(BaseHTTPRequestHandler):
    server: WorkoutServer
    timeout = 60  # seconds a socket may stay silent: a client that stops mid-upload does not hold a thread forever

    def do_GET(self) -> None:
        path = urlparse(self.path).path
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, PAGE.read_bytes(), "text/html; charset=utf-8")
        elif path == "/api/exercises":
            self._json(HTTPStatus.OK, {"exercises": list(ALL_EXERCISES), "max_upload_mb": self.server.max_upload_mb})
        elif path == "/api/analyze":
            self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": f"{path}: POST the file to it"}, {"Allow": "POST"})
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"{path}: no such page"})

    def do_POST(self) -> None:
        url = urlparse(self.path)
        if url.path != "/api/analyze":
            self._json(HTTPStatus.NOT_FOUND, {"error": f"{url.path}: no such endpoint"})
            return
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        # only for messages and the result: the file on disk gets the server's own name
        name = "".join(ch for ch in Path(query.get("name", "upload")).name if ch.isprintable()) or "upload"
        try:
            size = int(self.headers.get("Content-Length", ""))
        except ValueError:
            size = -1
        if size < 0:
            self.close_connection = True  # where the body ends is unknown
            self._json(HTTPStatus.LENGTH_REQUIRED, {"error": "send the file as the request body, with Content-Length"})
            return
        if size > self.server.max_upload_bytes:
            self.close_connection = True  # the body is not read
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"{name}: {size / 2**20:.0f} MB is over the "
                       f"{self.server.max_upload_mb:g} MB limit (workout serve --max-upload-mb)"})  # fmt: skip
            return
        try:
            result = self.server.analyze(name, self.rfile, size, query.get("exercise") or None, query.get("video_id") or None)
        except NoPersonError as exc:
            self._json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(exc)})
        except WorkoutError as exc:
            self.close_connection = True  # the body may be partly unread
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except (TimeoutError, ConnectionError):
            self.close_connection = True  # the client went silent or away mid-upload: nobody to answer
        except Exception as exc:  # a fault of ours: an answer rather than a dropped connection, the trace in the log
            traceback.print_exc(file=sys.stderr)
            why = (str(exc).splitlines() or [""])[0]
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{name}: cannot be analysed ({type(exc).__name__}: "
                                                                   f"{why})"})  # fmt: skip
        else:
            self._json(HTTPStatus.OK, result)

    def _json(self, status: HTTPStatus, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        try:
            self.end_headers()
            self.wfile.write(body)
        except ConnectionError:  # the client gave up waiting: nothing to tell it
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        if self.server.verbose:
            super().log_message(format, *args)


class WorkoutServer(ThreadingHTTPServer):
    """The server, holding the loaded model and the one-at-a-time lock."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], model: str | None = None,
                 max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB, verbose: bool = False) -> None:  # fmt: skip
        from ..bundle import load_bundle

        self.bundle = load_bundle(model)  # a bad model fails at start, not at the first upload
        self.max_upload_mb = max_upload_mb
        self.max_upload_bytes = int(max_upload_mb * 2**20)
        self.verbose = verbose
        self._busy = threading.Lock()
        super().__init__(address, AnalyzeHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def analyze(self, name: str, source: BinaryIO, size: int, exercise: str | None,
                video_id: str | None = None) -> dict[str, Any]:  # fmt: skip
        """The analysis of the ``size`` bytes read from ``source``, a file the user calls ``name`` (its sequence
        ``video_id`` when it holds several), as JSON with its rep timeline as a PNG data URL."""
        suffix = Path(name).suffix.lower()
        if suffix not in INPUT_SUFFIXES:
            raise WorkoutError(f"{name}: not a video or landmark file (use {' '.join(INPUT_SUFFIXES)})")
        if size == 0:
            raise WorkoutError(f"{name}: the upload is empty")
        if exercise is not None:
            from ..analysis.report import check_exercise

            exercise = check_exercise(exercise)  # before the upload is read: a typo costs no 500 MB transfer
        options = AnalyzeOptions(exercise=exercise, video_id=video_id)
        with tempfile.TemporaryDirectory(prefix="workout-upload-") as folder:
            path = Path(folder) / f"upload{suffix}"
            _receive(source, size, path, name)  # before taking the lock: uploads arrive while another is analysed
            with self._busy:  # also around the plot: pyplot is not thread-safe
                try:
                    result = analyze_file(path, options, None if exercise else self.bundle)
                except WorkoutError as exc:  # name the file as the user knows it, not its temporary copy
                    raise type(exc)(str(exc).replace(str(path), name)) from None
                result.input = str(Item(Path(name), video_id))
                result.warnings = [w.replace(str(path), name) for w in result.warnings]  # as errors, above
                out = result.to_dict()
                out["check_labels"] = _check_labels(result.form)
                out["form_verdict"] = form_verdict(result.form)
                out["plot"] = None
                if result.reps is not None and result.reps.reps:
                    from ..analysis.plot import plot_timeline

                    png = Path(folder) / "timeline.png"
                    plot_timeline(result.reps, png, result.form, title=f"{name}: {result.recognition.describe()}")
                    out["plot"] = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
        return out


def _check_labels(form: Any) -> dict[str, str]:
    """How the report names each check of ``form`` ("knee_valgus" -> "knees caving in"), for the page."""
    if form is None:
        return {}
    from ..analysis.form import check_label

    return {check: check_label(check) for check in [*form.checked, *form.skipped] if check != "all"}


def _receive(source: BinaryIO, size: int, path: Path, name: str) -> None:
    """Copy ``size`` bytes of an upload to ``path`` a chunk at a time; an upload cut short is the client's error."""
    left = size
    with open(path, "wb") as out:
        while left:
            chunk = source.read(min(left, CHUNK_BYTES))
            if not chunk:
                raise WorkoutError(f"{name}: the upload ended after {size - left} of {size} bytes")
            out.write(chunk)
            left -= len(chunk)


def make_server(host: str = "127.0.0.1", port: int = 8000, model: str | None = None,
                max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB, verbose: bool = False) -> WorkoutServer:  # fmt: skip
    """A ready server (port 0: any free port; see ``.url``); call ``serve_forever()`` and ``shutdown()``."""
    try:
        return WorkoutServer((host, port), model, max_upload_mb, verbose)
    except OSError as exc:
        raise WorkoutError(f"{host}:{port}: cannot listen there ({exc.strerror or exc})") from None


def serve(host: str = "127.0.0.1", port: int = 8000, model: str | None = None,
          max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB) -> None:  # fmt: skip
    """Serve until Ctrl-C."""
    with make_server(host, port, model, max_upload_mb, verbose=True) as server:
        print(f"workout: serving on {server.url} (Ctrl-C stops)", file=sys.stderr, flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
