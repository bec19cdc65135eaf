"""The baseline of bench/collector.py: a bare Flask app that parses the JSON body
and answers 204, served by the same server as the collector."""

from __future__ import annotations

import json

from flask import Flask, Response, request

app = Flask(__name__)


@app.post("/collect")
def collect() -> Response:
    json.loads(request.get_data(cache=False))
    return Response(status=204)
