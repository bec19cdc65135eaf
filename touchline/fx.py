"""Exchange rates for converting ad spend: the warehouse's ``fx_rates`` table.

The CSV holds one rate per currency and day: ``date_day,currency_code,rate``,
where ``rate`` is what one unit of the currency is worth in the file's
reference currency (which appears with rate 1). An amount in A becomes
``amount * rate(A) / rate(B)`` in B, so one file serves every pair.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from touchline.tables import FX_RATES
from touchline.warehouse import Warehouse


class FxError(ValueError):
    """A bad rates file, worded for the person who wrote it."""


@dataclass(frozen=True)
class Rate:
    date_day: date
    currency_code: str
    rate: Decimal


def read_rates(path: Path) -> list[Rate]:
    """Every row of the file, or an FxError naming each bad line (nothing half-read)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FxError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    rates: dict[tuple[date, str], Rate] = {}
    problems: list[str] = []
    reader = csv.DictReader(io.StringIO(text))
    wanted = {"date_day", "currency_code", "rate"}
    if not reader.fieldnames or not wanted <= {f.strip() for f in reader.fieldnames}:
        raise FxError(f"{path}: the header must be date_day,currency_code,rate")
    for line, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        try:
            day = date.fromisoformat(row["date_day"])
            code = row["currency_code"].upper()
            if not re.fullmatch(r"[A-Z]{3}", code):
                raise ValueError(f"currency {row['currency_code']!r} is not a 3-letter code")
            rate = Decimal(row["rate"])
            if not rate.is_finite() or rate <= 0:
                raise ValueError(f"rate {row['rate']!r} must be a positive number")
        except (ValueError, InvalidOperation) as exc:
            problems.append(f"line {line}: {exc}")
            continue
        if (day, code) in rates and rates[(day, code)].rate != rate:
            problems.append(f"line {line}: a second, different rate for {code} on {day}")
        rates[(day, code)] = Rate(day, code, rate)
    if problems:
        shown = "; ".join(problems[:10]) + (" …" if len(problems) > 10 else "")
        raise FxError(f"{path}: {len(problems)} bad line(s), nothing loaded: {shown}")
    return list(rates.values())


def load_rates(warehouse: Warehouse, rates: list[Rate]) -> int:
    """Upsert: a (day, currency) already present takes the file's rate."""
    values = [(r.date_day, r.currency_code, r.rate) for r in rates]
    table, columns = FX_RATES.name, ", ".join(FX_RATES.column_names)
    with warehouse.connect() as conn:
        if warehouse.dialect == "duckdb":
            conn.execute(FX_RATES.ddl("duckdb"))
            conn.execute("BEGIN TRANSACTION")
            conn.execute(f"CREATE TEMP TABLE new_rates AS SELECT * FROM {table} WHERE false")
            conn.executemany("INSERT INTO new_rates VALUES (?, ?, ?)", values)
            conn.execute(
                f"DELETE FROM {table} WHERE (date_day, currency_code) IN "
                "(SELECT date_day, currency_code FROM new_rates)"
            )
            conn.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM new_rates")
            conn.execute("COMMIT")
        else:
            with conn.cursor() as cur:
                cur.execute(FX_RATES.ddl("mysql"))
                for i in range(0, len(values), 10_000):
                    cur.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s) "
                        "ON DUPLICATE KEY UPDATE rate = VALUES(rate)",
                        values[i : i + 10_000],
                    )
            conn.commit()
    return len(values)


def ensure_table(warehouse: Warehouse) -> None:
    warehouse.create_tables(FX_RATES)
