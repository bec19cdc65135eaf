"""``touchline api serve``: the report API under gunicorn."""

from __future__ import annotations

import os
import sys

import click

from cli import context


def _gunicorn(app: str, host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--bind",
        f"{host}:{port}",
        "--access-logfile",
        "-" if os.environ.get("TOUCHLINE_ACCESS_LOG") else "/dev/null",
        app,
    ]


@click.group("api")
def api_group() -> None:
    """The report API."""


@api_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8082, show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option("--threads", default=4, show_default=True)
def api_serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve /api/v1 with gunicorn."""
    context.settings()
    os.execv(sys.executable, _gunicorn("api.app:create_app()", host, port, workers, threads))
