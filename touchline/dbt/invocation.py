"""The environment of one dbt call, owned by one object.

dbt reads its target (``profiles.yml``), the partitions to build (the
``partition_vars()`` macro in ``dbt_project/macros/touchline/partitions.sql``)
and its indirect test selection from environment variables, not ``--vars``:
a new ``--vars`` value forces dbt to re-parse the whole project, ``env_var()``
keeps partial parsing. :class:`DbtInvocation` says what one call gets; every
caller applies it through :meth:`DbtInvocation.applied` (in-process dbt),
:meth:`DbtInvocation.subprocess_env` (a dbt subprocess) or
:meth:`DbtInvocation.export` (a command that prepares its process for dbt).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from touchline.dbt.project import target_path
from touchline.warehouse import WarehouseTarget, dbt_env

PARTITION_ACCOUNTS = "TOUCHLINE_PARTITION_ACCOUNTS"
PARTITION_START = "TOUCHLINE_PARTITION_START"
PARTITION_END = "TOUCHLINE_PARTITION_END"
PARTITION_ENV = (PARTITION_ACCOUNTS, PARTITION_START, PARTITION_END)
INDIRECT_SELECTION = "DBT_INDIRECT_SELECTION"
TARGET_PATH = "DBT_TARGET_PATH"


def range_env(accounts: Sequence[str], start: date, end: date) -> dict[str, str]:
    """The variables that make one dbt call build exactly these accounts' days."""
    return {
        PARTITION_ACCOUNTS: ",".join(accounts),
        PARTITION_START: start.isoformat(),
        PARTITION_END: end.isoformat(),
    }


@dataclass(frozen=True)
class DbtInvocation:
    """One dbt call: the warehouse target, optionally the accounts × day range
    its partitioned models build (else they build everything), and optionally
    dbt's indirect selection of tests."""

    target: WarehouseTarget
    accounts: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    indirect_selection: str | None = None

    @classmethod
    def for_range(
        cls,
        target: WarehouseTarget,
        accounts: Sequence[str],
        start: date,
        end: date,
        indirect_selection: str | None = None,
    ) -> DbtInvocation:
        return cls(target, tuple(accounts), start, end, indirect_selection)

    def partition_env(self) -> dict[str, str]:
        """The variables that limit the partitioned models to the range (none
        without a range)."""
        if self.start is None or self.end is None:
            return {}
        return range_env(self.accounts, self.start, self.end)

    def env(self) -> dict[str, str]:
        """Every variable this call sets: the profile's, the artefacts' folder,
        the partition range and the indirect selection."""
        env = dbt_env(self.target)
        # dbt's artefacts (partial_parse.msgpack) per adapter; without it every run
        # parses the whole project again.
        env[TARGET_PATH] = str(target_path(self.target))
        env.update(self.partition_env())
        if self.indirect_selection:
            env[INDIRECT_SELECTION] = self.indirect_selection
        return env

    def unset(self) -> tuple[str, ...]:
        """Variables a call without a range must not inherit."""
        return () if self.partition_env() else PARTITION_ENV

    def subprocess_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a dbt subprocess: ``base`` (this process's) with this call's."""
        env = {k: v for k, v in (os.environ if base is None else base).items()}
        for name in self.unset():
            env.pop(name, None)
        env.update(self.env())
        return env

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """This process's environment set for the call, and restored afterwards
        (dbt run in-process reads ``os.environ``)."""
        overrides = self.env()
        names = {*overrides, *self.unset()}
        saved = {name: os.environ.get(name) for name in names}
        for name in self.unset():
            os.environ.pop(name, None)
        os.environ.update(overrides)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def export(self) -> None:
        """Set the target's variables in this process for good, so that every dbt
        call and every later load of the Dagster definitions (which read
        TOUCHLINE_DBT_TARGET) sees the same target. Only the target: a range or
        a selection is always :meth:`applied` for one call."""
        os.environ.update(DbtInvocation(self.target).env())
