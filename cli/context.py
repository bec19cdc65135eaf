"""What every command needs: the settings with the control database migrated,
and errors turned into one clear line instead of a traceback."""

from __future__ import annotations

import getpass
import os
from datetime import date

import click

from touchline.control.db import migrate
from touchline.settings import Settings, get_settings


def settings() -> Settings:
    """This deployment's settings, its data directory made and its control
    database migrated (commands may be the first thing run on a machine)."""
    found = get_settings()
    found.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(found.resolved_control_db_url)
    return found


def control_url() -> str:
    return settings().resolved_control_db_url


def actor() -> str:
    """Who the audit log names for a change made at the command line."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        name = f"uid {os.getuid()}"
    return f"cli:{name}"


def fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2026-11-21", param_hint=name
        ) from None
