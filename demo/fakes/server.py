"""All the fake platforms at once, on loopback: one HTTP server for the REST
platforms and their OAuth token endpoints, one gRPC server for Google Ads.

    with FakePlatforms() as fakes:
        secrets = fakes.add_account("meta", "1234", currency="EUR")
        settings = fakes.connection_settings("meta")   # base_url / token_url / endpoint
"""

from __future__ import annotations

import importlib
import logging
import threading
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from demo.fakes.common import token_blueprint
from demo.fakes.google_ads import FakeGoogleAds
from demo.fakes.state import FakeState
from touchline.platforms import PLATFORMS

# Google Ads is faked over gRPC (FakeGoogleAds); every other platform's fake is
# the Flask blueprint ``bp`` of ``demo.fakes.<platform>``, its connector's base
# URL at the module's BASE_PATH (default ``/<platform>``).
GRPC_PLATFORMS = ("google_ads",)
HTTP_FAKES = {
    p: importlib.import_module(f"demo.fakes.{p}") for p in PLATFORMS if p not in GRPC_PLATFORMS
}
BASE_PATHS = {p: getattr(module, "BASE_PATH", f"/{p}") for p, module in HTTP_FAKES.items()}


def create_fake_app(state: FakeState) -> Flask:
    app = Flask("touchline_fake_platforms")
    app.config["FAKE_STATE"] = state
    for module in HTTP_FAKES.values():
        app.register_blueprint(module.bp)
    for platform in PLATFORMS:
        app.register_blueprint(token_blueprint(platform))
    return app


class FakePlatforms:
    def __init__(self) -> None:
        self.state = FakeState()
        self._http = None
        self._thread: threading.Thread | None = None
        self.google = FakeGoogleAds(self.state)
        self.http_url = ""
        self.grpc_endpoint = ""

    def start(self) -> FakePlatforms:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._http = make_server("127.0.0.1", 0, create_fake_app(self.state), threaded=True)
        self.http_url = f"http://127.0.0.1:{self._http.server_port}"
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.grpc_endpoint = self.google.start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http = None
        self.google.stop()

    def __enter__(self) -> FakePlatforms:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- set-up -------------------------------------------------------------------

    def add_account(self, platform: str, account_id: str, **kwargs: Any) -> dict[str, Any]:
        return self.state.add_account(platform, account_id, **kwargs)

    def set_scenario(self, platform: str, account_id: str, scenario: str) -> None:
        self.state.set_scenario(platform, account_id, scenario)

    def connection_settings(self, platform: str) -> dict[str, str]:
        """Non-secret connection settings pointing a connector at this fake."""
        settings = {"token_url": f"{self.http_url}/{platform}/oauth/token"}
        if platform == "meta":  # Meta exchanges tokens under the Graph API itself
            return {"base_url": self.http_url + BASE_PATHS[platform]}
        if platform == "tiktok":  # TikTok refreshes through its own JSON endpoint
            base = self.http_url + BASE_PATHS[platform]
            return {"base_url": base, "token_url": f"{base}/oauth2/refresh_token/"}
        if platform == "google_ads":
            settings["endpoint"] = self.grpc_endpoint
        else:
            settings["base_url"] = self.http_url + BASE_PATHS[platform]
        return settings

    def served_totals(
        self, platform: str, account_id: str, start: date, end: date
    ) -> tuple[Decimal, Decimal]:
        return self.state.served_totals(platform, account_id, start, end)
