"""CORS for ``/collect``: the tag posts from the customer's origin to ours.

The origin is echoed rather than ``*`` so that a tag may send credentials
(third-party cookie mode). That is safe here: the endpoint only accepts
writes, and which sites may write is decided by the account's domains, not
by CORS.
"""

from __future__ import annotations

from flask import Response, request

COLLECT_PREFIX = "/collect"


def add_cors_headers(response: Response) -> Response:
    if not request.path.startswith(COLLECT_PREFIX):
        return response
    origin = request.headers.get("Origin")
    response.vary.add("Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    else:
        response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "86400"  # one preflight a day per browser
    return response
