"""The report API's app factory: ``gunicorn 'api.app:create_app()'``."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from api import health, reports
from api.errors import register_error_handlers
from touchline.settings import Settings, get_settings
from touchline.warehouse import Warehouse

# How long a request waits for a DuckDB build to release the file before it
# answers 503 + Retry-After. Short: a dashboard should not hang for a build.
WAREHOUSE_BUSY_TIMEOUT = 5.0


def create_app(
    settings: Settings | None = None, warehouse_busy_timeout: float = WAREHOUSE_BUSY_TIMEOUT
) -> Flask:
    settings = settings or get_settings()
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented key order
    if settings.trusted_proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.extensions[reports.EXTENSION] = reports.ApiState(
        control_db_url=settings.resolved_control_db_url,
        warehouse=Warehouse(settings.resolved_warehouse_url, busy_timeout=warehouse_busy_timeout),
    )
    register_error_handlers(app)
    app.register_blueprint(reports.bp)
    app.register_blueprint(health.bp)
    return app
