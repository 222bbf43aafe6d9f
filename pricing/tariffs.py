"""Tariff data files, loaded once into typed, validated structures.

Tariffs are data, not code: pricing/data/credit.toml and bi.toml carry a version and, for every
figure, its source. Figures are strings in the files so they become Decimals without a float in
between.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["BiTariff", "CreditTariff", "Product", "Step", "bi_tariff", "credit_tariff"]


def _d(entry: Any) -> Decimal:
    value = entry["value"] if isinstance(entry, dict) else entry
    if isinstance(entry, dict) and not entry.get("source"):
        raise ValueError(f"tariff figure {entry!r} has no source")
    if isinstance(value, float):
        raise ValueError(f"tariff figure {value!r} must be a string, not a float")
    return Decimal(str(value))


def _read(name: str) -> dict[str, Any]:
    text = resources.files("pricing").joinpath(f"data/{name}").read_text("utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a step function: applies up to and including `up_to` (None: no upper end)."""

    up_to: Decimal | None
    value: Decimal


def _steps(items: list[dict[str, Any]], bound: str, value: str = "value") -> tuple[Step, ...]:
    steps = []
    for item in items:
        if not item.get("source"):
            raise ValueError(f"tariff step {item!r} has no source")
        up_to = item.get(bound)
        steps.append(Step(None if up_to is None else Decimal(str(up_to)), _d(item[value])))
    if steps[-1].up_to is not None:
        raise ValueError(f"the last step of {bound} needs no upper bound")
    return tuple(steps)


@dataclass(frozen=True, slots=True)
class Product:
    insurer: str
    product: str
    minimum_premium_eur: Decimal
    price_factor: Decimal
    max_turnover_eur: Decimal | None
    min_turnover_eur: Decimal | None
    max_export_pct: Decimal | None
    min_export_pct: Decimal | None
    max_indemnity_pct: Decimal | None
    export_only: bool


@dataclass(frozen=True, slots=True)
class CreditTariff:
    version: str
    base_rate_pct: dict[int, Decimal]
    size_bands: tuple[Step, ...]
    debtor_steps: tuple[Step, ...]
    concentration_steps: tuple[Step, ...]
    payment_term_steps: tuple[Step, ...]
    export_steps: tuple[Step, ...]
    clean_history_factor: Decimal
    loss_loading: Decimal
    indemnity_points: tuple[tuple[Decimal, Decimal], ...]
    central_min_pct: Decimal
    central_max_pct: Decimal
    low_multiplier: Decimal
    high_multiplier: Decimal
    products: tuple[Product, ...]


@dataclass(frozen=True, slots=True)
class BiTariff:
    version: str
    rate_per_mille: dict[int, Decimal]
    indemnity_period_factor: dict[int, Decimal]
    waiting_period_factor: dict[int, Decimal]
    extra_costs_factor: Decimal
    multiple_locations_factor: Decimal
    minimum_premium_eur: Decimal
    low_multiplier: Decimal
    high_multiplier: Decimal
    low_gross_margin_pct: Decimal


def _opt(item: dict[str, Any], key: str) -> Decimal | None:
    return _d(item[key]) if key in item else None


@cache
def credit_tariff() -> CreditTariff:
    raw = _read("credit.toml")
    points = tuple(
        (Decimal(str(p["pct"])), _d(p))
        for p in sorted(raw["indemnity_factor"], key=lambda p: Decimal(str(p["pct"])))
    )
    products = tuple(
        Product(
            insurer=p["insurer"],
            product=p["product"],
            minimum_premium_eur=_d(p["minimum_premium_eur"]),
            price_factor=_d(p["price_factor"]),
            max_turnover_eur=_opt(p, "max_turnover_eur"),
            min_turnover_eur=_opt(p, "min_turnover_eur"),
            max_export_pct=_opt(p, "max_export_pct"),
            min_export_pct=_opt(p, "min_export_pct"),
            max_indemnity_pct=_opt(p, "max_indemnity_pct"),
            export_only=bool(p.get("export_only", False)),
        )
        for p in raw["product"]
    )
    bounds = raw["rate_bounds"]
    return CreditTariff(
        version=f"credit-{raw['version']}",
        base_rate_pct={int(k): _d(v) for k, v in raw["base_rate_pct"].items()},
        size_bands=_steps(raw["size_band"], "up_to_eur", "multiplier"),
        debtor_steps=_steps(raw["debtor_factor"], "up_to"),
        concentration_steps=_steps(raw["concentration_factor"], "up_to_pct"),
        payment_term_steps=_steps(raw["payment_term_factor"], "up_to_days"),
        export_steps=_steps(raw["export_factor"], "up_to_pct"),
        clean_history_factor=_d(raw["history"]["clean_factor"]),
        loss_loading=_d(raw["history"]["loss_loading"]),
        indemnity_points=points,
        central_min_pct=_d(bounds["central_min_pct"]),
        central_max_pct=_d(bounds["central_max_pct"]),
        low_multiplier=_d(bounds["low_multiplier"]),
        high_multiplier=_d(bounds["high_multiplier"]),
        products=products,
    )


@cache
def bi_tariff() -> BiTariff:
    raw = _read("bi.toml")
    return BiTariff(
        version=f"bi-{raw['version']}",
        rate_per_mille={int(k): _d(v) for k, v in raw["rate_per_mille"].items()},
        indemnity_period_factor={int(k): _d(v) for k, v in raw["indemnity_period_factor"].items()},
        waiting_period_factor={int(k): _d(v) for k, v in raw["waiting_period_factor"].items()},
        extra_costs_factor=_d(raw["extra_costs_factor"]),
        multiple_locations_factor=_d(raw["multiple_locations_factor"]),
        minimum_premium_eur=_d(raw["minimum_premium_eur"]),
        low_multiplier=_d(raw["range"]["low_multiplier"]),
        high_multiplier=_d(raw["range"]["high_multiplier"]),
        low_gross_margin_pct=_d(raw["warnings"]["low_gross_margin_pct"]),
    )
