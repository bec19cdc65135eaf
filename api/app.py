"""The report API's app factory: ``gunicorn 'api.app:create_app()'``."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from api import (
    access,
    api_keys,
    audit_log,
    auth_routes,
    connections,
    health,
    members,
    oauth,
    openapi,
    reports,
)
from api import settings as settings_api
from api.catalogue import CatalogueHolder
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
        catalogue=CatalogueHolder.for_settings(settings),  # this warehouse's manifest
    )
    register_error_handlers(app)
    # Before any view: who is calling (401 without credentials), CSRF for cookies.
    access.install(app, settings)
    app.register_blueprint(auth_routes.bp)
    app.register_blueprint(members.bp)
    app.register_blueprint(api_keys.bp)
    app.register_blueprint(audit_log.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(oauth.bp)
    settings_api.register(app, settings)  # account, blacklist, channel rules, attribution
    connections.register(app)
    return app
