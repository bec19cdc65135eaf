"""``POST /collect``: one hit or a batch, in the wire format the tag speaks.

A body is one hit object, or ``{"token", "sent_at", "hits": [...]}`` with at
most :data:`MAX_BATCH_HITS` hits (each inherits the batch's token and
sent_at). The answer is 200 ``{"accepted": n, "refused": [...], "dropped": d}``
once every accepted hit is written under the fsync policy; 400 (or the one
status all refusals share, such as 401 for an unknown token) when no hit was
accepted; 503 with Retry-After when the landing zone cannot be written, and
then nothing of the request was kept.

This endpoint is a plain WSGI app placed in front of the Flask app, which
serves every other path. It is the one that takes nearly all the traffic, and
profiling it under load showed Flask's per-request machinery (request and
app contexts, URL matching, the Response object and its header handling,
after-request hooks, the streamed answer) costing as much CPU as the
collector's own work on a single hit; none of it is needed to read one body
and write a few headers. Its answers are those the Flask view gave: the same
JSON errors, the same CORS and cookie headers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from collector import metrics
from collector.cors import cors_headers
from collector.errors import MESSAGES
from collector.intake import CollectorState, commit, outcome_answer, process
from collector.parse import parse_body
from collector.processor import Outcome
from touchline.control.registry import CollectionConfig
from touchline.web_errors import JsonError

log = logging.getLogger(__name__)

PATH = "/collect"
MAX_BATCH_HITS = 100
# A batch of up to MAX_BATCH_HITS hits of a few hundred bytes each fits
# easily; a flood of huge bodies stays cheap to refuse.
MAX_BODY_BYTES = 256 * 1024
UNEXPECTED = "internal error: the hits were not stored; please retry later"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}
_JSON = ("Content-Type", "application/json")


def read_body(environ: dict[str, Any]) -> bytes:
    """The body, at most MAX_BODY_BYTES; JsonError 413 (before reading) when larger."""
    stream = environ.get("wsgi.input")
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            size = int(length)
        except ValueError:
            raise JsonError(400, "Content-Length is not a number") from None
        if size < 0:
            raise JsonError(400, "Content-Length is not a number")
        if size > MAX_BODY_BYTES:
            raise JsonError(413, MESSAGES[413])
        if size == 0 or stream is None:
            return b""
        data = _read(stream, size)
        if len(data) < size:
            raise JsonError(400, "the body ended before its Content-Length")
        return data
    if stream is not None and environ.get("wsgi.input_terminated"):
        # chunked: the server marks where the body ends
        data = _read(stream, MAX_BODY_BYTES + 1)
        if len(data) > MAX_BODY_BYTES:
            raise JsonError(413, MESSAGES[413])
        return data
    return b""


def _read(stream: Any, size: int) -> bytes:
    try:
        return stream.read(size)
    except (OSError, ValueError):  # the client went away, or sent a broken chunk
        raise JsonError(400, "the body could not be read to its end") from None


def query_token(environ: dict[str, Any]) -> str | None:
    query = environ.get("QUERY_STRING")
    if not query or "token" not in query:
        return None
    # WSGI hands the raw query as latin-1 text; werkzeug decodes it as UTF-8 too.
    text = query.encode("latin-1", "replace").decode("utf-8", "replace")
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name == "token":
            return value
    return None


class CollectEndpoint:
    """``/collect`` answered here; every other path goes to ``app`` (Flask)."""

    def __init__(self, app: WsgiApp, tools: CollectorState) -> None:
        self.app = app
        self.tools = tools
        self._latency = metrics.LATENCY.labels("collect")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return self.app(environ, start_response)
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD")
        configs: Iterable[CollectionConfig] = ()
        token: str | None = None
        extra: list[tuple[str, str]] = []
        try:
            token = query_token(environ)
            if method == "OPTIONS":  # CORS preflight
                status, body = 204, b""
            elif method != "POST":
                raise JsonError(
                    405,
                    "/collect takes POST (and OPTIONS for CORS preflights)",
                    {"Allow": "OPTIONS, POST"},
                )
            else:
                outcome, single = self._process(environ, token)
                configs = outcome.configs.values()
                commit(self.tools.writer, outcome)
                status, body, extra = outcome_answer(outcome, single)
        except JsonError as exc:
            status = exc.status
            body = json.dumps({"error": exc.message, "status": status, **exc.details}).encode()
            extra = list(exc.headers.items())
        except Exception:  # noqa: BLE001 - answered as JSON; the details go to the log only
            log.exception("unexpected error while handling a request")
            status = 500
            body = json.dumps({"error": UNEXPECTED, "status": 500}).encode()
        headers = [_JSON, ("Content-Length", str(len(body)))] if body else []
        headers += extra
        headers += cors_headers(
            environ.get("HTTP_ORIGIN"), method == "OPTIONS", configs, token, self.tools.accounts
        )
        start_response(_STATUS_LINES.get(status) or str(status), headers)
        if method == "POST":
            self._latency.observe(time.perf_counter() - started)
        # A list, not an iterator: servers send it in one piece (granian takes a
        # faster path for it).
        return [body]

    def _process(self, environ: dict[str, Any], token: str | None) -> tuple[Outcome, bool]:
        payload = parse_body(read_body(environ), token)
        hits = payload.get("hits")
        if not isinstance(hits, list):
            return process(self.tools, environ, [payload]), True
        if len(hits) > MAX_BATCH_HITS:
            raise JsonError(
                413, f"a batch holds at most {MAX_BATCH_HITS} hits; this one has {len(hits)}"
            )
        extra = sorted(set(payload) - {"token", "sent_at", "hits"})
        if extra:
            raise JsonError(400, f"a batch has only token, sent_at and hits, not {extra[0]!r}")
        inherit = {k: payload[k] for k in ("token", "sent_at") if k in payload}
        return process(self.tools, environ, hits, inherit=inherit), False
