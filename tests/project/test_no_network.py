"""The suite's guard: a test that tried to reach a real ad platform (or any
host but this one) fails, instead of quietly depending on the network."""

from __future__ import annotations

import socket

import pytest
import requests


def test_a_connection_beyond_loopback_is_refused() -> None:
    with pytest.raises(ConnectionRefusedError, match="reach the network"):
        socket.create_connection(("192.0.2.10", 443), timeout=1)
    with pytest.raises(requests.ConnectionError, match="reach the network"):
        requests.get("http://203.0.113.5/", timeout=1)


def test_loopback_still_works(serve) -> None:
    from flask import Flask

    app = Flask("local")
    app.add_url_rule("/", "ok", lambda: "ok")
    assert requests.get(serve(app), timeout=5).text == "ok"
