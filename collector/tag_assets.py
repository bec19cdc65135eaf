"""The tag bundle: ``GET /tag.js`` for the snippet and ``GET /tag/<version>.js``, immutable.

The bundle is built by ``tag/build.mjs`` into ``tag/dist`` (``tag.js`` plus
``manifest.json`` naming its version, ``<package version>-<content hash>``).
``/tag.js`` is cached for a day and revalidated by ETag, so a new build reaches
sites within a day; the versioned URL never changes content and is cached for a
year. Both are served gzipped to browsers that accept it (the size budget is
the gzipped size).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, request

from collector.errors import error_response

bp = Blueprint("tag_assets", __name__)

DEFAULT_DIST = Path(__file__).resolve().parent.parent / "tag" / "dist"
CONFIG_KEY = "TOUCHLINE_TAG_DIST"  # app.config override, e.g. for a bundle built elsewhere
LATEST_CACHE = "public, max-age=86400, stale-while-revalidate=604800"
VERSIONED_CACHE = "public, max-age=31536000, immutable"
NOT_BUILT = (
    "the tag is not built: run `scripts/ensure_browser.sh` (or `npm ci && npm run build` in tag/)"
)


@dataclass(frozen=True)
class TagBundle:
    version: str
    code: bytes
    gzipped: bytes
    etag: str


class _BundleCache:
    """Reads the bundle once per build: a rebuilt file is picked up without a restart."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int, int] | None = None
        self._bundle: TagBundle | None = None

    def get(self, dist: Path) -> TagBundle | None:
        path = dist / "tag.js"
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if key != self._key:
                self._bundle = load_bundle(dist)
                self._key = key
            return self._bundle


def load_bundle(dist: Path) -> TagBundle | None:
    try:
        code = (dist / "tag.js").read_bytes()
        manifest = json.loads((dist / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    digest = hashlib.sha256(code).hexdigest()
    version = str(manifest.get("version") or digest[:10])
    return TagBundle(
        version=version, code=code, gzipped=gzip.compress(code, 9, mtime=0), etag=digest[:32]
    )


_cache = _BundleCache()


def _bundle() -> TagBundle | None:
    return _cache.get(Path(current_app.config.get(CONFIG_KEY) or os.fspath(DEFAULT_DIST)))


def _serve(bundle: TagBundle, cache_control: str) -> Response:
    gzip_ok = "gzip" in request.accept_encodings
    response = Response(bundle.gzipped if gzip_ok else bundle.code, mimetype="text/javascript")
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Touchline-Tag-Version"] = bundle.version
    # Any site may load it, also with crossorigin/integrity attributes.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.vary.add("Accept-Encoding")
    # Strong ETag per encoding: the bytes differ.
    response.set_etag(bundle.etag + ("-gz" if gzip_ok else ""))
    return response.make_conditional(request)


@bp.get("/tag.js")
def latest() -> Response:
    bundle = _bundle()
    if bundle is None:
        return error_response(404, NOT_BUILT)
    return _serve(bundle, LATEST_CACHE)


@bp.get("/tag/<version>.js")
def versioned(version: str) -> Response:
    bundle = _bundle()
    if bundle is None:
        return error_response(404, NOT_BUILT)
    if version != bundle.version:
        return error_response(
            404, f"tag version {version!r} is not served here; the current one is {bundle.version}"
        )
    return _serve(bundle, VERSIONED_CACHE)
