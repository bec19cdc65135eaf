"""The report API's app factory: ``gunicorn 'api.app:create_app()'``."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from api import health, oauth, reports
from api.source import source_for
from touchline.settings import Settings, get_settings
from touchline.web_errors import register_error_handlers


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or get_settings()
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented key order
    if settings.trusted_proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.extensions[reports.EXTENSION] = reports.ApiState(
        control_db_url=settings.resolved_control_db_url,
        # Nothing is opened here: gunicorn forks its workers after this.
        source=source_for(settings.resolved_warehouse_url),
    )
    register_error_handlers(app)
    app.register_blueprint(reports.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(oauth.bp)
    return app
