"""Deterministic generator of the purchasing catalog seed (``data/products_seed.csv``).

The catalog is what a Brazilian upholstered-furniture (estofados) and light-industry
manufacturer really buys: fabrics, foams, boards and wood, hardware, adhesives, finishing
products, packaging, tools and shop-floor consumables (including PPE). Names are Portuguese and
carry the real-world spec that tells two items apart (dimensions, densities, gauges, colours,
pack sizes), so every name is unique and a buyer would recognise it.

The product tables are data, in ``tools/catalog_data/`` (UTF-8 CSV, one row each):
``categories.csv`` (SKU prefix, default count, lead-time range, price spread),
``families.csv`` (each category's families, in order, with their round-robin weight) and
``products.csv`` (every candidate product: name, unit, search term, base price in reais before
the category's spread, optional minimum-stock and lead-time ranges overriding the unit's and
the category's). The generator only chooses among them and draws stocks, lead times and prices.

Categories (slug, SKU prefix, default share of a 3,000-product catalog):

==================  ======  =====  ===================================================
slug                prefix  count  what it holds
==================  ======  =====  ===================================================
``tecidos``         TEC       540  upholstery fabrics, linings (TNT, algodão cru)
``espumas``         ESP       310  PU foam sheets, mantas, fibra siliconada, refis
``madeiras_chapas`` MAD       290  MDF, MDP, compensado, OSB, pinus, eucalipto, fita de borda
``ferragens``       FER       680  screws, nuts, hinges, slides, sofa feet, webbing, springs,
                                   staples, nails
``adesivos``        ADE       110  contact, PVA, spray, hot melt, instant, silicone, PU
``acabamento``      ACA       320  varnish, sealers, paints, stains, putty, solvents,
                                   sandpaper, brushes
``embalagens``      EMB       180  bubble wrap, stretch film, cardboard, corner guards,
                                   tapes, bags, pallets
``ferramentas``     FRT       250  staplers, saws and blades, drills and bits, spray/glue
                                   guns, hand tools, air line
``consumiveis``     CON       320  thread, zippers, buttons, velcro, elastics, needles,
                                   cleaning, PPE (luvas, máscaras, óculos, protetores)
==================  ======  =====  ===================================================

Units (``unit``) name what one ``reference_price`` buys and what the stock columns count:
``metro``, ``m³``, ``kg``, ``litro``, ``unidade``, ``caixa``, ``rolo``, ``pacote``,
``chapa``, ``par``, ``galão``, ``lata``, ``balde``, ``folha``. Quantities in ``metro``,
``kg``, ``litro`` and ``m³`` may have one decimal place; every other unit counts whole items.

Stocks: ``minimum_stock`` covers the lead time's use (the demo consumption's
:func:`~tools.consumption_generator.base_daily_use` is derived from it) and
``current_stock`` places each product in its order cycle: about 5 % due for an order today
(2 % already below the minimum), the others due evenly over the next 60 days (see
``DUE_NOW_SHARE``), as in a company that orders every product from time to time.

Determinism: every random draw comes from ``random.Random`` seeded with a string built from
the seed and the category slug, or for stocks the seed and the SKU (string seeds are hashed
with SHA-512, never with Python's ``hash()``), candidates keep the row order of the CSV
files, and nothing iterates a set or depends on dict ordering beyond insertion
order. The same ``n`` and ``seed`` always give the same rows and the same CSV bytes.

Run ``python -m tools.catalog_generator [--output PATH] [--count N] [--seed S]`` from the
repository root to regenerate the seed file (after editing the tables too: the committed seed
file must stay equal to the generator's output, a test checks it).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from procurement_pipeline.lib.artifacts import write_bytes_atomic
from procurement_pipeline.lib.catalog.validation import REQUIRED_COLUMNS
from tools.consumption_generator import base_daily_use

DEFAULT_COUNT = 3000
DEFAULT_SEED = 20261125
DEFAULT_OUTPUT = Path("data/products_seed.csv")

# The seed file's header: the columns the catalog reader requires, in its order.
CSV_COLUMNS = REQUIRED_COLUMNS

# Units whose stock may be fractional (one decimal place); the rest count whole items.
CONTINUOUS_UNITS = ("metro", "kg", "litro", "m³")

# Stocks look like a working company's on an ordinary day: each product stands somewhere in
# its order cycle, drawn as the days until its next order is due (the recommendation engine's
# latest safe order day, with the demo consumption's use). A few are due now, the rest over
# the coming weeks; the stock follows as minimum + safety stock + the use until the order
# arrives: ``minimum + use * (lead time + days until due + safety days)``.
# Due today or overdue ("Comprar agora"); part of them already below the minimum, and part of
# those out of stock.
DUE_NOW_SHARE = 0.05
BELOW_MINIMUM_SHARE = 0.02
OUT_OF_STOCK_SHARE = 0.3
# The others are due evenly over the next DUE_WITHIN_DAYS days (about half within the
# engine's 30-day horizon, the rest later).
DUE_WITHIN_DAYS = 60
# Safety stock above the minimum in days of use per sqrt(lead time): about what the engine's
# reorder level asks for (1.28 day-to-day deviations of the demo's use over the lead time).
SAFETY_DAYS_PER_SQRT_LEAD = 1.0

# Default stock ranges (minimum_stock low, high) by unit; families may override.
_MIN_STOCK_BY_UNIT: dict[str, tuple[int, int]] = {
    "metro": (50, 400),
    "m³": (1, 4),
    "kg": (10, 150),
    "litro": (5, 40),
    "unidade": (5, 80),
    "caixa": (2, 20),
    "rolo": (3, 30),
    "pacote": (3, 30),
    "chapa": (5, 40),
    "par": (10, 150),
    "galão": (2, 20),
    "lata": (2, 20),
    "balde": (1, 10),
    "folha": (50, 400),
}


@dataclass(frozen=True)
class _Candidate:
    name: str
    unit: str
    search_term: str
    base_price: float
    min_stock: tuple[int, int] | None = None
    lead: tuple[int, int] | None = None


@dataclass(frozen=True)
class _Family:
    label: str
    weight: int
    candidates: tuple[_Candidate, ...]


@dataclass(frozen=True)
class Category:
    slug: str
    prefix: str
    default_count: int
    lead: tuple[int, int]
    price_spread: float
    families: tuple[_Family, ...]


# --------------------------------------------------------------------------------------------
# The product tables (tools/catalog_data/): categories, their families in order with their
# round-robin weights, and every candidate product in its family's order. Row order is part of
# the data: the SKU numbering and the seeded draws follow it.

CATALOG_DATA = Path(__file__).resolve().parent / "catalog_data"


def _rows(data_dir: Path, name: str) -> list[dict[str, str]]:
    with (data_dir / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _optional_range(row: dict[str, str], field: str) -> tuple[int, int] | None:
    """``<field>_min``/``<field>_max``: both empty (the unit's or category's default) or both
    whole numbers."""
    low, high = row[f"{field}_min"], row[f"{field}_max"]
    if not low and not high:
        return None
    if not low or not high:
        raise ValueError(f"{row['name']!r}: {field}_min and {field}_max go together")
    return int(low), int(high)


def _candidate(row: dict[str, str]) -> _Candidate:
    term = row["search_term"]
    if term != " ".join(term.lower().split()):
        raise ValueError(f"{row['name']!r}: search term {term!r} is not lowercase single-spaced")
    if row["unit"] not in _MIN_STOCK_BY_UNIT:
        raise ValueError(f"{row['name']!r}: unknown unit {row['unit']!r}")
    return _Candidate(
        name=row["name"],
        unit=row["unit"],
        search_term=term,
        base_price=float(row["base_price"]),
        min_stock=_optional_range(row, "minimum_stock"),
        lead=_optional_range(row, "lead_days"),
    )


def load_categories(data_dir: Path = CATALOG_DATA) -> tuple[Category, ...]:
    """The categories in catalog order, each with its families and candidates from
    ``data_dir``; a product of an undeclared family or a family without products is an
    error."""
    candidates: dict[tuple[str, str], list[_Candidate]] = {}
    for row in _rows(data_dir, "products.csv"):
        candidates.setdefault((row["category"], row["family"]), []).append(_candidate(row))
    families: dict[str, list[_Family]] = {}
    for row in _rows(data_dir, "families.csv"):
        key = (row["category"], row["family"])
        if key not in candidates:
            raise ValueError(f"family {key} has no products in products.csv")
        families.setdefault(row["category"], []).append(
            _Family(row["family"], int(row["weight"]), tuple(candidates.pop(key)))
        )
    if candidates:
        raise ValueError(f"products of undeclared families: {sorted(candidates)}")
    categories = tuple(
        Category(
            slug=row["category"],
            prefix=row["sku_prefix"],
            default_count=int(row["default_count"]),
            lead=(int(row["lead_days_min"]), int(row["lead_days_max"])),
            price_spread=float(row["price_spread"]),
            families=tuple(families.pop(row["category"], ())),
        )
        for row in _rows(data_dir, "categories.csv")
    )
    if families:
        raise ValueError(f"families of undeclared categories: {sorted(families)}")
    return categories


CATEGORIES: tuple[Category, ...] = load_categories()


# The units each category may use (the generator checks itself against this; tests too).
UNITS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "tecidos": ("metro", "rolo"),
    "espumas": ("chapa", "metro", "rolo", "kg", "pacote", "unidade"),
    "madeiras_chapas": ("chapa", "unidade", "metro", "m³", "rolo"),
    "ferragens": ("caixa", "pacote", "unidade", "par", "kg", "metro", "rolo"),
    "adesivos": ("litro", "kg", "galão", "unidade", "lata", "balde"),
    "acabamento": ("litro", "galão", "lata", "balde", "unidade", "folha", "rolo", "pacote"),
    "embalagens": ("rolo", "unidade", "pacote", "chapa", "caixa", "kg"),
    "ferramentas": ("unidade", "pacote"),
    "consumiveis": ("unidade", "metro", "rolo", "pacote", "caixa", "par", "kg", "litro", "galão"),
}


# --------------------------------------------------------------------------------------------
# Generation


def candidate_pool_sizes() -> dict[str, int]:
    """How many distinct products each category could hold (the ceiling for ``n``)."""
    return {cat.slug: sum(len(f.candidates) for f in cat.families) for cat in CATEGORIES}


def _allocate(n: int) -> list[int]:
    """Split ``n`` over the categories in proportion to their default counts (largest
    remainder, ties broken by category order)."""
    total = sum(cat.default_count for cat in CATEGORIES)
    exact = [n * cat.default_count / total for cat in CATEGORIES]
    counts = [int(x) for x in exact]
    order = sorted(range(len(CATEGORIES)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _select(families: tuple[_Family, ...], quota: int, rng: random.Random, slug: str):
    """Weighted round-robin over shuffled families; returns (family index, candidate index)
    pairs in catalog order (family order, then the family's own order)."""
    shuffled = []
    for fam in families:
        order = list(range(len(fam.candidates)))
        rng.shuffle(order)
        shuffled.append(order)
    cursors = [0] * len(families)
    chosen: list[tuple[int, int]] = []
    while len(chosen) < quota:
        progressed = False
        for fi, fam in enumerate(families):
            for _ in range(fam.weight):
                if len(chosen) < quota and cursors[fi] < len(shuffled[fi]):
                    chosen.append((fi, shuffled[fi][cursors[fi]]))
                    cursors[fi] += 1
                    progressed = True
        if not progressed:
            raise ValueError(
                f"category {slug!r} has only {len(chosen)} distinct products; asked for {quota}"
            )
    return sorted(chosen)


def _nice_minimum(rng: random.Random, low: int, high: int) -> int:
    value = rng.randint(low, high)
    if value >= 100:
        return int(round(value / 10.0)) * 10
    if value >= 30:
        return int(round(value / 5.0)) * 5
    return value


def _current_stock(
    rng: random.Random, unit: str, minimum: float, lead: int, daily_use: float
) -> float:
    """Where the product stands in its order cycle (see ``DUE_NOW_SHARE``), as a stock."""
    step = 0.1 if unit in CONTINUOUS_UNITS else 1.0
    roll = rng.random()
    if roll < BELOW_MINIMUM_SHARE:
        share = 0.0 if rng.random() < OUT_OF_STOCK_SHARE else rng.uniform(0.1, 0.95)
        return min(_to_unit(minimum * share, unit), minimum - step)
    # Days until the next order is due; negative: overdue, eating into the lead time's use.
    due = rng.uniform(-lead, 0.5) if roll < DUE_NOW_SHARE else rng.uniform(1.0, DUE_WITHIN_DAYS)
    days = max(lead + due + SAFETY_DAYS_PER_SQRT_LEAD * lead**0.5, 0.0)
    return max(_to_unit(minimum + daily_use * days, unit), minimum)


def _to_unit(quantity: float, unit: str) -> float:
    """One decimal for metro/kg/litro/m³, whole items otherwise."""
    return round(quantity, 1) if unit in CONTINUOUS_UNITS else float(int(quantity))


def _stocks(rows: list[dict], seed: int) -> None:
    """Set ``current_stock`` from the order cycle (see ``DUE_NOW_SHARE``); one random stream
    per SKU, so a product's stock does not depend on the catalog's size."""
    frame = pd.DataFrame(rows, columns=["sku", "minimum_stock", "lead_time_days"])
    for row, daily_use in zip(rows, base_daily_use(frame), strict=True):
        rng = random.Random(f"{seed}:stock:{row['sku']}")
        row["current_stock"] = _current_stock(
            rng, row["unit"], row["minimum_stock"], row["lead_time_days"], float(daily_use)
        )


def _price(rng: random.Random, base: float, spread: float) -> float:
    value = base * rng.uniform(1 - spread, 1 + spread)
    return max(round(value, 2), 0.01)


def generate_catalog(n: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> list[dict]:
    """Return ``n`` catalog rows (dicts keyed by ``CSV_COLUMNS``), identical for equal
    arguments. Stocks are floats (whole for counted units), lead times ints, prices floats
    rounded to cents."""
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    rows: list[dict] = []
    seen_names: dict[str, str] = {}
    for cat, quota in zip(CATEGORIES, _allocate(n), strict=True):
        families = cat.families
        rng = random.Random(f"{seed}:{cat.slug}")
        allowed_units = UNITS_BY_CATEGORY[cat.slug]
        chosen = _select(families, quota, rng, cat.slug)
        for number, (fi, ci) in enumerate(chosen, start=1):
            cand = families[fi].candidates[ci]
            if cand.unit not in allowed_units:
                raise ValueError(f"{cand.name!r}: unit {cand.unit!r} not allowed in {cat.slug}")
            sku = f"{cat.prefix}-{number:05d}"
            if cand.name in seen_names:
                raise ValueError(f"duplicate product name {cand.name!r}")
            seen_names[cand.name] = sku
            min_range = cand.min_stock or _MIN_STOCK_BY_UNIT[cand.unit]
            minimum = float(_nice_minimum(rng, *min_range))
            lead_low, lead_high = cand.lead or cat.lead
            rows.append(
                {
                    "sku": sku,
                    "name": cand.name,
                    "category": cat.slug,
                    "unit": cand.unit,
                    "search_term": cand.search_term,
                    "current_stock": None,  # set by _stocks from the minimum and lead time
                    "minimum_stock": minimum,
                    "lead_time_days": rng.randint(lead_low, lead_high),
                    "reference_price": _price(rng, cand.base_price, cat.price_spread),
                }
            )
    _stocks(rows, seed)
    return rows


def _format_quantity(value: float, unit: str) -> str:
    if unit in CONTINUOUS_UNITS:
        return f"{value:.1f}"
    return str(int(value))


def catalog_csv_text(rows: list[dict]) -> str:
    """Render rows as the seed CSV (header, ``\\n`` line endings, minimal quoting)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row["sku"],
                row["name"],
                row["category"],
                row["unit"],
                row["search_term"],
                _format_quantity(row["current_stock"], row["unit"]),
                _format_quantity(row["minimum_stock"], row["unit"]),
                str(row["lead_time_days"]),
                f"{row['reference_price']:.2f}",
            ]
        )
    return buffer.getvalue()


def write_catalog_csv(
    path: str | os.PathLike[str] = DEFAULT_OUTPUT,
    n: int = DEFAULT_COUNT,
    seed: int = DEFAULT_SEED,
) -> Path:
    """Generate the catalog and write it atomically (temporary file, then rename)."""
    target = Path(path)
    write_bytes_atomic(target, catalog_csv_text(generate_catalog(n, seed)).encode("utf-8"))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.catalog_generator",
        description="Regenerate the purchasing catalog seed CSV deterministically.",
    )
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="CSV path to write")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="number of products")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    try:
        path = write_catalog_csv(args.output, n=args.count, seed=args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.count} products to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
