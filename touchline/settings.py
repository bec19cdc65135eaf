"""One settings object for every component, read from ``TOUCHLINE_*`` variables.

An optional env-style file (``TOUCHLINE_SETTINGS_FILE``, default ``./touchline.env``)
supplies values the environment does not; the environment always wins.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _settings_file() -> str:
    return os.environ.get("TOUCHLINE_SETTINGS_FILE", "touchline.env")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TOUCHLINE_",
        env_file=None,  # set per instance in load_settings so the path is read at call time
        extra="ignore",
    )

    data_dir: Path = Field(default=Path(".touchline"), description="Where local state lives.")
    warehouse_url: str | None = Field(
        default=None,
        description="duckdb:///path or mysql+pymysql://user:pw@host:port/db "
        "(mariadb+pymysql:// forces the MariaDB adapter). Default: DuckDB in data_dir.",
    )
    control_db_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the control database. Default: SQLite."
    )
    landing_root: str | None = Field(
        default=None, description="Local path or fsspec URL of the landing zone."
    )
    secret_key: SecretStr = Field(
        default=SecretStr("dev-insecure-change-me"),
        description="Signs sessions and encrypts stored credentials.",
    )
    trusted_proxies: int = Field(
        default=0, description="How many reverse proxies set X-Forwarded-For in front of us."
    )
    daily_partitions_start: str = Field(
        default="2025-01-01", description="First day of the daily partitions."
    )
    late_data_days: int = Field(
        default=7,
        ge=0,
        description="The nightly run re-loads days up to this many days back that received "
        "hits since they were last loaded; older ones are reported, with the backfill command.",
    )
    landing_sensor_seconds: int = Field(
        default=180,
        ge=30,
        description="How often the landing sensor looks for today's newly landed hits.",
    )
    serving_keep_seconds: int = Field(
        default=600,
        ge=0,
        description="DuckDB: how long a serving copy of the marts stays on disk after a newer "
        "one was published (readers that resolved the old one keep reading it).",
    )
    collector_instance: str | None = Field(
        default=None, description="Name of this collector instance in landed file names."
    )
    collector_config_ttl: float = Field(
        default=30.0, ge=0, description="Seconds an account's collection settings are cached."
    )
    landing_fsync: Literal["always", "interval", "never"] = Field(
        default="interval",
        description="interval: fsync within a second (a 2xx survives a process crash); "
        "always: fsync before answering (survives power loss; slower); never: the OS decides.",
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def resolved_warehouse_url(self) -> str:
        return self.warehouse_url or f"duckdb:///{self.data_dir / 'warehouse.duckdb'}"

    @property
    def resolved_control_db_url(self) -> str:
        return self.control_db_url or f"sqlite:///{self.data_dir / 'control.sqlite'}"

    @property
    def resolved_landing_root(self) -> str:
        return self.landing_root or str(self.data_dir / "landing")

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"


def load_settings(**overrides: object) -> Settings:
    """Fresh settings from the environment (and the settings file, if present)."""
    env_file = _settings_file()
    return Settings(_env_file=env_file if Path(env_file).exists() else None, **overrides)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
