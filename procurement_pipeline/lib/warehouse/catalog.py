"""Catalog queries: the upsert behind `product_catalog` and the reads everyone else uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine, bindparam, select, update

from procurement_pipeline.lib.catalog.validation import (
    REQUIRED_COLUMNS,
    SKU_COLUMN,
    CatalogProblem,
    CatalogProduct,
    CatalogValidationError,
)
from procurement_pipeline.lib.clock import utcnow
from procurement_pipeline.lib.validation import SAME_SKU_NOTE, SAME_SKU_NOTE_PT, sku_key
from procurement_pipeline.lib.warehouse.schema import products

# Every catalog column but the key: a change in any of them updates the product.
_COMPARED = tuple(name for name in REQUIRED_COLUMNS if name != SKU_COLUMN.key)
_SCALE = {
    "current_stock": Decimal("0.001"),
    "minimum_stock": Decimal("0.001"),
    "reference_price": Decimal("0.01"),
}


@dataclass
class CatalogUpsertResult:
    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)

    @property
    def active_skus(self) -> list[str]:
        return sorted(self.inserted + self.updated + self.unchanged)


def _normalized(name: str, value):
    if name in _SCALE and value is not None:
        return Decimal(value).quantize(_SCALE[name])
    return value


def upsert_catalog(engine: Engine, catalog: list[CatalogProduct]) -> CatalogUpsertResult:
    """Insert new products, update changed ones, deactivate the ones gone from the CSV.

    One transaction: on any error the warehouse is left exactly as it was. History of a
    deactivated product is kept; it comes back to life if it reappears in the CSV.

    SKUs are compared as MySQL's utf8mb4_unicode_ci compares them, on every backend: a file SKU
    that is an existing SKU spelled differently (``tec-00001`` for ``TEC-00001``) raises
    :class:`CatalogValidationError` naming its line, before anything is written (on MySQL it
    would be a duplicate key, on SQLite a second product).
    """
    now = utcnow()
    result = CatalogUpsertResult()
    incoming = {p.sku: p for p in catalog}
    with engine.begin() as conn:
        existing = {row.sku: row for row in conn.execute(select(products))}
        _refuse_respelled_skus(catalog, existing)
        to_insert, to_update = [], []
        for sku, product in incoming.items():
            row = product.as_row()
            current = existing.get(sku)
            if current is None:
                to_insert.append(
                    {**row, "currency": "BRL", "active": True, "created_at": now, "updated_at": now}
                )
                result.inserted.append(sku)
                continue
            changed = any(
                _normalized(name, getattr(current, name)) != _normalized(name, row[name])
                for name in _COMPARED
            )
            if changed or not current.active:
                to_update.append(
                    {**row, "b_sku": sku, "active": True, "updated_at": now, "deactivated_at": None}
                )
                (result.updated if changed else result.unchanged).append(sku)
                if not current.active:
                    result.reactivated.append(sku)
            else:
                result.unchanged.append(sku)
        result.deactivated = sorted(
            sku for sku, row in existing.items() if row.active and sku not in incoming
        )
        if to_insert:
            conn.execute(products.insert(), to_insert)
        if to_update:
            # executemany: the SET clause comes from each dict's column keys.
            conn.execute(update(products).where(products.c.sku == bindparam("b_sku")), to_update)
        if result.deactivated:
            conn.execute(
                update(products)
                .where(products.c.sku.in_(result.deactivated))
                .values(active=False, deactivated_at=now, updated_at=now)
            )
    return result


def _refuse_respelled_skus(catalog: list[CatalogProduct], existing: dict) -> None:
    spelled: dict[str, str] = {}
    for sku in sorted(existing):
        spelled.setdefault(sku_key(sku), sku)
    problems = []
    for product in catalog:
        if product.sku in existing:
            continue
        other = spelled.get(sku_key(product.sku))
        if other is not None:
            problems.append(
                CatalogProblem(
                    product.line,
                    "sku",
                    f"SKU '{product.sku}' is the SKU '{other}' already in the warehouse "
                    f"({SAME_SKU_NOTE}); use '{other}'",
                    f"o SKU '{product.sku}' é o SKU '{other}' que já está no armazém de dados "
                    f"({SAME_SKU_NOTE_PT}); use '{other}'",
                )
            )
    if problems:
        source = next((p.source for p in catalog if p.source), None) or "<catalog>"
        raise CatalogValidationError(source, problems)


def load_products(engine: Engine, *, active_only: bool = True) -> pd.DataFrame:
    query = select(products).order_by(products.c.sku)
    if active_only:
        query = query.where(products.c.active.is_(True))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(products.c.keys()))


def active_skus(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(products.c.sku).where(products.c.active.is_(True)).order_by(products.c.sku)
            ).scalars()
        )
