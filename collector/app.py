"""The collector's app factory: ``granian --interface wsgi --factory collector.app:create_app``
(what ``touchline collector serve`` runs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from collector import collect, health, intake, metrics, pixel, segment, tag_assets
from collector.account_cache import AccountSettings
from collector.enrich import warm_up
from collector.errors import register_error_handlers
from collector.processor import HitProcessor, now_utc
from touchline.landing import LandingWriter
from touchline.settings import Settings, get_settings

MAX_BODY_BYTES = collect.MAX_BODY_BYTES
# The Segment API takes up to 500 KB per batch (checked after decompression).
MAX_REQUEST_BYTES = segment.MAX_BATCH_BYTES + 64 * 1024


def create_app(
    settings: Settings | None = None, now: Callable[[], datetime] | None = None
) -> Flask:
    """``now`` is the server clock (tests move it across midnight)."""
    settings = settings or get_settings()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    accounts = AccountSettings(settings.resolved_control_db_url, ttl=settings.collector_config_ttl)
    root = settings.resolved_landing_root
    tools = intake.CollectorState(
        accounts=accounts,
        writer=LandingWriter(root, settings.collector_instance, fsync=settings.landing_fsync),
        processor=HitProcessor(accounts, root),
        now=now or now_utc,
    )
    app.extensions[intake.EXTENSION] = tools
    # POST /collect is answered in front of Flask (see collector/collect.py).
    app.wsgi_app = collect.CollectEndpoint(app.wsgi_app, tools)  # type: ignore[method-assign]
    if settings.trusted_proxies > 0:
        # Only then is X-Forwarded-For believed, and only the entries our own
        # proxies appended; otherwise any client could pick its recorded IP.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    register_error_handlers(app)
    app.register_blueprint(pixel.bp)
    app.register_blueprint(segment.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(tag_assets.bp)  # /tag.js, the JavaScript tag
    warm_up()
    return app
