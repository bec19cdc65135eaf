"""The collector's app factory: ``gunicorn 'collector.app:create_app()'``."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from collector import health, routes
from collector.accounts import TokenCache
from collector.cors import add_cors_headers
from collector.enrich import warm_up
from collector.errors import register_error_handlers
from touchline.landing import LandingWriter
from touchline.settings import Settings, get_settings

# One hit is a few hundred bytes; 64 KiB leaves room for big `properties`
# while keeping a flood of huge bodies cheap to refuse.
MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or get_settings()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if settings.trusted_proxies > 0:
        # Only then is X-Forwarded-For believed, and only the entries our own
        # proxies appended; otherwise any client could pick its recorded IP.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]

    app.extensions[routes.EXTENSION] = routes.CollectorState(
        tokens=TokenCache(settings.resolved_control_db_url),
        writer=LandingWriter(settings.resolved_landing_root, settings.collector_instance),
    )
    register_error_handlers(app)
    app.after_request(add_cors_headers)
    app.register_blueprint(routes.bp)
    app.register_blueprint(health.bp)
    warm_up()
    return app
