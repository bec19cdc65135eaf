"""``touchline collector serve``: the collector under granian (Rust HTTP, WSGI workers).

Measured on the 2-core development machines, a bare Flask app serves about
3x more requests per second under granian than under gunicorn's sync or
gthread workers (docs/benchmarks.md), so granian is the production server.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from cli import context
from touchline.settings import Settings

APP_FACTORY = "collector.app:create_app"


def metrics_dir(settings: Settings, port: int) -> Path:
    """prometheus-client's multiprocess directory: one per server, emptied at start,
    so every worker's counters add up at /metrics and a restart begins at zero."""
    return settings.data_dir / "metrics" / f"collector-{port}"


def default_threads(settings: Settings) -> int:
    """One thread per worker is fastest when a request never waits for the disk.
    With fsync=always each request waits for an fsync; more threads let concurrent
    requests share one (group commit): measured here, 8 threads doubled the
    requests per second of fsync=always (docs/benchmarks.md)."""
    return 8 if settings.landing_fsync == "always" else 1


def granian_command(
    app: str, host: str, port: int, workers: int, threads: int, factory: bool = True
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--log-level",
        "warning",
        "--respawn-failed-workers",
    ]
    if os.environ.get("TOUCHLINE_ACCESS_LOG"):
        command.append("--access-log")
    if factory:
        command.append("--factory")
    return [*command, app]


def exec_collector(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    directory = metrics_dir(settings, port)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    os.execv(sys.executable, granian_command(APP_FACTORY, host, port, workers, threads))


@click.group("collector")
def collector() -> None:
    """The hit collector."""


@collector.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    help="Blocking threads per worker [default: 1; 8 with TOUCHLINE_LANDING_FSYNC=always, "
    "so that concurrent requests share an fsync].",
)
def collector_serve(host: str, port: int, workers: int, threads: int | None) -> None:
    """Serve the collector (/collect, /v1/*, /i.gif, /r, /metrics) with granian."""
    settings = context.settings()
    exec_collector(settings, host, port, workers, threads or default_threads(settings))
