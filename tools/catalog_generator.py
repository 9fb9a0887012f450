"""Deterministic generator of the purchasing catalog seed (``data/products_seed.csv``).

The catalog is what a Brazilian upholstered-furniture (estofados) and light-industry
manufacturer really buys: fabrics, foams, boards and wood, hardware, adhesives, finishing
products, packaging, tools and shop-floor consumables (including PPE). Names are Portuguese and
carry the real-world spec that tells two items apart (dimensions, densities, gauges, colours,
pack sizes), so every name is unique and a buyer would recognise it.

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
with SHA-512, never with Python's ``hash()``), candidate lists are built from ordered lists
in a fixed order, and nothing iterates a set or depends on dict ordering beyond insertion
order. The same ``n`` and ``seed`` always give the same rows and the same CSV bytes.

Run ``python -m tools.catalog_generator [--output PATH] [--count N]
[--seed S]`` to regenerate the seed file.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tools.consumption_generator import base_daily_use

DEFAULT_COUNT = 3000
DEFAULT_SEED = 20261125
DEFAULT_OUTPUT = Path("data/products_seed.csv")

CSV_COLUMNS = (
    "sku",
    "name",
    "category",
    "unit",
    "search_term",
    "current_stock",
    "minimum_stock",
    "lead_time_days",
    "reference_price",
)

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
    build: Callable[[], list[_Family]]


# --------------------------------------------------------------------------------------------
# Small helpers


def _br(value: float, decimals: int = 1) -> str:
    """Brazilian decimal comma: 2.5 -> '2,5'; whole numbers lose the decimals (3.0 -> '3')."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.{decimals}f}".replace(".", ",")


def _mm(value: float) -> str:
    """Compact millimetres for search terms: 2.5 -> '2.5', 3.0 -> '3'."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _c(
    name: str,
    unit: str,
    search: str,
    price: float,
    min_stock: tuple[int, int] | None = None,
    lead: tuple[int, int] | None = None,
) -> _Candidate:
    return _Candidate(name, unit, " ".join(search.lower().split()), float(price), min_stock, lead)


def _fam(label: str, candidates: list[_Candidate], weight: int = 1) -> _Family:
    return _Family(label, weight, tuple(candidates))


# --------------------------------------------------------------------------------------------
# tecidos

_COLOURS = [
    "bege",
    "areia",
    "cinza claro",
    "cinza",
    "grafite",
    "chumbo",
    "preto",
    "branco",
    "off-white",
    "cru",
    "marrom",
    "café",
    "caramelo",
    "chocolate",
    "terracota",
    "telha",
    "mostarda",
    "verde musgo",
    "verde oliva",
    "azul marinho",
    "azul petróleo",
    "vinho",
    "rosé",
    "fendi",
    "nude",
    "marfim",
]
_LEATHER_COLOURS = [
    "preto",
    "branco",
    "off-white",
    "marfim",
    "bege",
    "caramelo",
    "tabaco",
    "marrom",
    "café",
    "chocolate",
    "cinza",
    "grafite",
    "vinho",
    "terracota",
    "azul marinho",
    "verde musgo",
]
_NEUTRAL_COLOURS = [
    "off-white",
    "cru",
    "areia",
    "bege",
    "cinza claro",
    "cinza",
    "grafite",
    "caramelo",
    "terracota",
    "verde oliva",
    "mostarda",
    "rosé",
]


def _tecidos() -> list[_Family]:
    fams: list[_Family] = []

    def by_colour(prefix: str, search: str, width: str, price: float, colours: list[str]):
        return [
            _c(f"{prefix} {cor}, largura {width} m", "metro", f"{search} {cor}", price)
            for cor in colours
        ]

    suede = []
    for variant, price in [("liso", 31), ("amassado", 35), ("pena", 38), ("aveludado", 40)]:
        suede += by_colour(
            f"Tecido suede {variant}", f"tecido suede {variant}", "1,40", price, _COLOURS
        )
    fams.append(_fam("suede", suede, 2))

    linho = []
    for variant, price in [
        ("rústico", 52),
        ("misto", 42),
        ("impermeável", 60),
        ("linen look", 38),
    ]:
        linho += by_colour(
            f"Tecido linho {variant}", f"tecido linho {variant}", "1,40", price, _COLOURS
        )
    fams.append(_fam("linho", linho, 2))

    veludo = []
    for variant, price in [("liso", 45), ("cotelê", 55), ("italiano", 72), ("molhado", 48)]:
        veludo += by_colour(
            f"Tecido veludo {variant}", f"tecido veludo {variant}", "1,40", price, _COLOURS
        )
    fams.append(_fam("veludo", veludo, 2))

    chenille = []
    for variant, price in [("lisa", 50), ("mesclada", 56), ("jacquard", 66)]:
        chenille += by_colour(
            f"Tecido chenille {variant}", f"tecido chenille {variant}", "1,40", price, _COLOURS
        )
    fams.append(_fam("chenille", chenille, 2))

    corino = []
    for label, search, price in [
        ("Corino liso", "corino liso", 28),
        ("Corino texturizado", "corino texturizado", 32),
        ("Corino matelassê", "corino matelassê", 40),
        ("Courino ecológico (PU)", "courino ecológico pu", 46),
    ]:
        corino += by_colour(label, search, "1,40", price, _LEATHER_COLOURS)
    fams.append(_fam("corino", corino, 2))

    fams.append(
        _fam("boucle", by_colour("Tecido bouclê", "tecido bouclê", "1,40", 88, _NEUTRAL_COLOURS))
    )
    fams.append(
        _fam(
            "tricoline",
            by_colour("Tecido tricoline 100% algodão", "tricoline lisa", "1,50", 22, _COLOURS),
        )
    )
    fams.append(
        _fam("sarja", by_colour("Tecido sarja peletizada", "tecido sarja", "1,60", 30, _COLOURS))
    )

    jacquard = []
    for pattern in ["geométrico", "arabesco", "listrado", "floral", "xadrez"]:
        for cor in [
            "bege",
            "cinza",
            "grafite",
            "azul marinho",
            "terracota",
            "verde musgo",
            "mostarda",
            "off-white",
        ]:
            jacquard.append(
                _c(
                    f"Tecido jacquard {pattern} {cor}, largura 1,40 m",
                    "metro",
                    f"tecido jacquard {pattern}",
                    62,
                )
            )
    fams.append(_fam("jacquard", jacquard))

    fams.append(
        _fam(
            "impermeavel",
            by_colour(
                "Tecido impermeável anti-manchas", "tecido impermeável sofá", "1,40", 55, _COLOURS
            ),
        )
    )

    tnt = []
    for grams in [30, 40, 50, 60, 80, 100]:
        for cor in ["preto", "branco", "cinza", "marrom", "bege"]:
            per_metre = grams * 0.045
            tnt.append(
                _c(
                    f"TNT {grams} g/m² {cor}, largura 1,40 m",
                    "metro",
                    f"tnt {grams}g {cor}",
                    per_metre,
                    (200, 1500),
                )
            )
            tnt.append(
                _c(
                    f"TNT {grams} g/m² {cor}, rolo 1,40 x 50 m",
                    "rolo",
                    f"tnt {grams}g {cor} rolo 50m",
                    per_metre * 50 * 0.85,
                    (2, 20),
                )
            )
    fams.append(_fam("tnt", tnt))

    forros = []
    for label, search, width, price in [
        ("Tecido algodão cru (lona leve)", "algodão cru", "1,60", 16),
        ("Tela de algodão para forro de estofado", "tela algodão forro", "1,50", 12),
        ("Tecido ráfia para fundo de estofado", "tecido ráfia estofado", "2,00", 7),
        ("Tecido percal 180 fios branco", "percal 180 fios", "2,50", 26),
        ("Tecido morim branco", "tecido morim", "1,50", 9),
    ]:
        forros.append(_c(f"{label}, largura {width} m", "metro", search, price, (100, 800)))
        forros.append(
            _c(
                f"{label}, rolo {width} x 50 m",
                "rolo",
                f"{search} rolo",
                price * 50 * 0.85,
                (2, 12),
            )
        )
    for cor in _COLOURS[:14]:
        forros.append(
            _c(f"Tecido oxford {cor}, largura 1,50 m", "metro", f"tecido oxford {cor}", 14)
        )
    fams.append(_fam("forros", forros))
    return fams


# --------------------------------------------------------------------------------------------
# espumas


def _foam_sheet(label: str, search: str, price_m3: float, w: int, h: int, t: float):
    volume = w / 100 * h / 100 * t / 100
    return _c(
        f"{label} em lâmina {w} x {h} cm, espessura {_br(t)} cm",
        "chapa",
        f"{search} {_mm(t * 10)}mm",
        volume * price_m3,
        (5, 40),
    )


def _espumas() -> list[_Family]:
    fams: list[_Family] = []
    densities = [
        ("D20", 950),
        ("D23", 1100),
        ("D26", 1300),
        ("D28", 1450),
        ("D33", 1900),
        ("D40", 2400),
        ("D45", 2800),
    ]
    thicknesses = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15]
    for w, h in [(190, 130), (200, 100), (188, 138)]:
        sheets = [
            _foam_sheet(f"Espuma {d}", f"espuma {d}", p, w, h, t)
            for d, p in densities
            for t in thicknesses
        ]
        fams.append(_fam(f"lamina_{w}x{h}", sheets, 2 if (w, h) == (190, 130) else 1))

    soft = [
        _foam_sheet(f"Espuma soft {d}", f"espuma soft {d}", p, 190, 130, t)
        for d, p in [("D18", 1250), ("D23", 1450), ("D28", 1750)]
        for t in [2, 3, 4, 5, 6, 8, 10]
    ]
    fams.append(_fam("soft", soft))
    hr = [
        _foam_sheet(f"Espuma HR {d}", f"espuma hr {d}", p, 190, 130, t)
        for d, p in [("D35", 3000), ("D45", 3600), ("D50", 4000)]
        for t in [3, 5, 8, 10, 12]
    ]
    fams.append(_fam("hr", hr))
    aglomerada = [
        _foam_sheet(f"Espuma aglomerada {d}", f"espuma aglomerada {d}", p, 190, 130, t)
        for d, p in [("D60", 1500), ("D80", 1900), ("D100", 2300)]
        for t in [2, 3, 4, 5, 8, 10]
    ]
    fams.append(_fam("aglomerada", aglomerada))
    caixa_ovo = [
        _c(
            f"Espuma caixa de ovo (perfilada) {d}, 190 x 130 cm, espessura {t} cm",
            "chapa",
            f"espuma caixa de ovo {d} {t}cm",
            1.9 * 1.3 * t / 100 * p * 0.75,
            (3, 20),
        )
        for d, p in [("D23", 1100), ("D28", 1450), ("D33", 1900)]
        for t in [3, 4, 5, 7]
    ]
    fams.append(_fam("caixa_ovo", caixa_ovo))

    laminada = []
    for t in [3, 5, 8, 10, 15, 20]:
        per_metre = 1.4 * t / 1000 * 950 * 1.4
        laminada.append(
            _c(
                f"Espuma laminada D20 {t} mm, largura 1,40 m",
                "metro",
                f"espuma laminada {t}mm",
                per_metre,
                (30, 300),
            )
        )
        laminada.append(
            _c(
                f"Espuma laminada D20 {t} mm, rolo 1,40 x 50 m",
                "rolo",
                f"espuma laminada {t}mm rolo",
                per_metre * 50 * 0.85,
                (1, 8),
            )
        )
    fams.append(_fam("laminada", laminada))

    mantas = []
    for label, search, grams_list, per_gram in [
        ("Manta acrílica", "manta acrílica", [100, 150, 200, 250, 300, 400, 500, 600], 0.028),
        ("Manta de fibra siliconada", "manta siliconada", [100, 150, 200, 300, 400], 0.036),
    ]:
        for g in grams_list:
            per_metre = g * per_gram
            mantas.append(
                _c(
                    f"{label} {g} g/m², largura 1,50 m",
                    "metro",
                    f"{search} {g}g",
                    per_metre,
                    (50, 500),
                )
            )
            mantas.append(
                _c(
                    f"{label} {g} g/m², rolo 1,50 x 50 m",
                    "rolo",
                    f"{search} {g}g rolo",
                    per_metre * 50 * 0.88,
                    (2, 15),
                )
            )
    fams.append(_fam("mantas", mantas, 2))

    fibra = []
    for kind, search, per_kg in [
        ("em flocos", "fibra siliconada", 24),
        ("cluster (bolinha)", "fibra siliconada bolinha", 32),
        ("conjugada", "fibra siliconada conjugada", 28),
    ]:
        for denier, factor in [("6D", 1.0), ("7D", 1.05), ("15D", 1.12)]:
            kg_price = per_kg * factor
            fibra.append(
                _c(
                    f"Fibra siliconada {kind} {denier}, pacote 1 kg",
                    "pacote",
                    f"{search} 1kg",
                    kg_price * 1.15,
                    (10, 80),
                )
            )
            fibra.append(
                _c(
                    f"Fibra siliconada {kind} {denier}, pacote 500 g",
                    "pacote",
                    f"{search} 500g",
                    kg_price * 0.5 * 1.25,
                    (10, 80),
                )
            )
            fibra.append(
                _c(
                    f"Fibra siliconada {kind} {denier}, a granel (fardo de 20 kg)",
                    "kg",
                    f"{search} fardo 20kg",
                    kg_price,
                    (40, 300),
                )
            )
    fams.append(_fam("fibra", fibra))

    refis = []
    for size, fill_g in [("40 x 40", 350), ("45 x 45", 450), ("50 x 50", 550), ("60 x 60", 800)]:
        refis.append(
            _c(
                f"Refil de almofada {size} cm em fibra siliconada ({fill_g} g)",
                "unidade",
                f"refil almofada {size.replace(' ', '')}",
                6 + fill_g * 0.035,
                (20, 150),
            )
        )
        refis.append(
            _c(
                f"Refil de almofada {size} cm em flocos de espuma",
                "unidade",
                f"refil almofada flocos {size.replace(' ', '')}",
                5 + fill_g * 0.028,
                (20, 150),
            )
        )
    refis.append(
        _c("Flocos de espuma picada, venda por kg", "kg", "flocos de espuma", 14, (30, 200))
    )
    fams.append(_fam("refis", refis))
    return fams


# --------------------------------------------------------------------------------------------
# madeiras_chapas

_BOARD_COLOURS = [
    "branco TX",
    "preto TX",
    "cinza cristal",
    "grafite",
    "carvalho",
    "nogal",
    "freijó",
    "louro freijó",
    "teca",
    "amêndoa",
    "areia",
    "titânio",
    "cumaru",
    "ébano",
]


def _madeiras() -> list[_Family]:
    fams: list[_Family] = []
    mdf_cru = {3: 72, 6: 112, 9: 152, 12: 192, 15: 245, 18: 292, 20: 330, 25: 410, 30: 495}
    cru = []
    for t, price in mdf_cru.items():
        cru.append(_c(f"Chapa de MDF cru {t} mm, 2,75 x 1,85 m", "chapa", f"mdf cru {t}mm", price))
        cru.append(
            _c(
                f"Chapa de MDF cru {t} mm, meia chapa 1,85 x 1,37 m",
                "chapa",
                f"mdf cru {t}mm meia chapa",
                price * 0.56,
            )
        )
    for t, price in [(15, 310), (18, 365), (25, 505)]:
        cru.append(
            _c(
                f"Chapa de MDF RU (resistente à umidade) {t} mm, 2,75 x 1,85 m",
                "chapa",
                f"mdf ru {t}mm",
                price,
            )
        )
        cru.append(
            _c(
                f"Chapa de MDF laqueável (ultra) {t} mm, 2,75 x 1,85 m",
                "chapa",
                f"mdf laqueável {t}mm",
                price * 1.05,
            )
        )
    fams.append(_fam("mdf_cru", cru, 2))

    bp = []
    for cor in _BOARD_COLOURS:
        for t, price in [(6, 155), (9, 205), (15, 320), (18, 372), (25, 525)]:
            factor = 1.0 if cor == "branco TX" else 1.12
            search_cor = cor.replace(" TX", "")
            bp.append(
                _c(
                    f"Chapa de MDF BP {cor} 2 faces {t} mm, 2,75 x 1,85 m",
                    "chapa",
                    f"mdf {search_cor} {t}mm",
                    price * factor,
                )
            )
    for t, price in [(6, 135), (15, 285), (18, 335)]:
        bp.append(
            _c(
                f"Chapa de MDF BP branco TX 1 face {t} mm, 2,75 x 1,85 m",
                "chapa",
                f"mdf branco 1 face {t}mm",
                price,
            )
        )
    fams.append(_fam("mdf_bp", bp, 2))

    mdp = []
    for t, price in [(12, 150), (15, 182), (18, 215), (25, 290)]:
        mdp.append(_c(f"Chapa de MDP cru {t} mm, 2,75 x 1,85 m", "chapa", f"mdp cru {t}mm", price))
    for cor in _BOARD_COLOURS[:10]:
        for t, price in [(15, 245), (18, 285), (25, 380)]:
            search_cor = cor.replace(" TX", "")
            mdp.append(
                _c(
                    f"Chapa de MDP BP {cor} 2 faces {t} mm, 2,75 x 1,85 m",
                    "chapa",
                    f"mdp {search_cor} {t}mm",
                    price,
                )
            )
    fams.append(_fam("mdp", mdp))

    fibra = [
        _c("Chapa de fibra (HDF) crua 2,5 mm, 2,75 x 1,22 m", "chapa", "chapa de fibra 2,5mm", 42),
        _c("Chapa de fibra (HDF) crua 3 mm, 2,75 x 1,22 m", "chapa", "chapa de fibra 3mm", 48),
        _c("Chapa de HDF branco 3 mm, 2,75 x 1,85 m", "chapa", "hdf branco 3mm", 88),
        _c("Chapa de fibra perfurada 3 mm, 2,75 x 1,22 m", "chapa", "chapa perfurada 3mm", 75),
        _c("Chapa de HDF cru 6 mm, 2,75 x 1,85 m", "chapa", "hdf 6mm", 120),
    ]
    fams.append(_fam("hdf", fibra))

    comp = []
    thickness_price = {4: 60, 6: 80, 8: 100, 10: 120, 12: 142, 15: 172, 18: 202, 20: 228, 25: 290}
    for label, search, factor in [
        ("compensado de virola", "compensado virola", 1.0),
        ("compensado de pinus", "compensado pinus", 0.85),
        ("compensado naval", "compensado naval", 1.6),
        ("compensado resinado (plastificado)", "compensado plastificado", 1.3),
        ("compensado de eucalipto", "compensado eucalipto", 0.92),
    ]:
        for t, price in thickness_price.items():
            comp.append(
                _c(
                    f"Chapa de {label} {t} mm, 2,20 x 1,60 m",
                    "chapa",
                    f"{search} {t}mm",
                    price * factor,
                )
            )
    for t, price in [(3, 118), (5, 152), (8, 215)]:
        comp.append(
            _c(
                f"Chapa de compensado flexível (curvo) {t} mm, 2,44 x 1,22 m",
                "chapa",
                f"compensado flexível {t}mm",
                price,
            )
        )
    for t, price in [(9.5, 80), (11.1, 95), (12, 102), (15, 132), (18, 162)]:
        comp.append(
            _c(
                f"Chapa de OSB {_br(t)} mm, 2,44 x 1,22 m",
                "chapa",
                f"osb {_mm(t)}mm",
                price,
            )
        )
    fams.append(_fam("compensado_osb", comp, 2))

    def piece(label: str, search: str, e: float, w: float, length: float, price_m3: float):
        volume = e / 100 * w / 100 * length
        return _c(
            f"{label} {_br(e)} x {_br(w)} cm, peça {_br(length, 2)} m",
            "unidade",
            f"{search} {_br(e)}x{_br(w)}",
            volume * price_m3 * 1.5,
            (10, 120),
        )

    pecas = []
    for acab, price_m3 in [("bruta", 2000), ("aparelhada", 2800), ("tratada autoclave", 3000)]:
        for e, w in [(2.5, 10), (2.5, 15), (2.5, 20), (2.5, 25), (2.5, 30)]:
            for length in [3.0, 4.0]:
                pecas.append(
                    piece(f"Tábua de pinus {acab}", f"tábua pinus {acab}", e, w, length, price_m3)
                )
    for acab, price_m3 in [("bruto", 2000), ("aparelhado", 2800)]:
        for e, w in [(2.0, 4.0), (2.5, 5.0), (2.5, 7.0), (2.5, 10.0), (3.0, 5.0)]:
            for length in [3.0, 4.0]:
                pecas.append(
                    piece(
                        f"Sarrafo de pinus {acab}", f"sarrafo pinus {acab}", e, w, length, price_m3
                    )
                )
    for e, w in [(2.5, 5.0), (2.5, 7.0), (2.5, 10.0), (3.0, 7.0)]:
        for length in [3.0, 4.0]:
            pecas.append(piece("Sarrafo de eucalipto", "sarrafo eucalipto", e, w, length, 1800))
    for label, search, e, w, price_m3 in [
        ("Ripa de pinus", "ripa pinus", 1.5, 5.0, 2000),
        ("Ripa de eucalipto", "ripa eucalipto", 1.5, 5.0, 1800),
        ("Caibro de eucalipto", "caibro eucalipto", 5.0, 6.0, 1800),
        ("Caibro de pinus", "caibro pinus", 5.0, 7.0, 2000),
        ("Viga de eucalipto", "viga eucalipto", 6.0, 12.0, 1800),
        ("Pontalete de pinus", "pontalete pinus", 7.0, 7.0, 2000),
        ("Tábua de eucalipto seco em estufa", "tábua eucalipto", 2.5, 15.0, 2200),
        ("Tábua de eucalipto seco em estufa", "tábua eucalipto", 2.5, 20.0, 2200),
        ("Tábua de eucalipto seco em estufa", "tábua eucalipto", 2.5, 30.0, 2200),
    ]:
        for length in [3.0, 4.0]:
            pecas.append(piece(label, search, e, w, length, price_m3))
    for e, w in [(2.0, 4.0), (2.5, 5.0), (2.5, 7.0), (2.5, 10.0), (3.0, 5.0)]:
        pecas.append(
            _c(
                f"Sarrafo de pinus aparelhado {_br(e)} x {_br(w)} cm, venda por metro linear",
                "metro",
                f"sarrafo pinus {_br(e)}x{_br(w)}",
                e / 100 * w / 100 * 2800 * 1.7,
                (50, 600),
            )
        )
    for label, search, price in [
        ("Pinus serrado bruto seco em estufa, venda por m³", "pinus serrado m3", 2100),
        ("Eucalipto serrado bruto seco em estufa, venda por m³", "eucalipto serrado m3", 1850),
        ("Tauari serrado seco em estufa, venda por m³", "tauari serrado", 4600),
        ("Cedrinho serrado seco em estufa, venda por m³", "cedrinho serrado", 4200),
    ]:
        pecas.append(_c(label, "m³", search, price, (1, 4)))
    fams.append(_fam("pecas", pecas, 2))

    fita = []
    for width, price20 in [(22, 19), (35, 28), (45, 36), (64, 52)]:
        for cor in [
            "branco TX",
            "preto",
            "cinza cristal",
            "carvalho",
            "nogal",
            "freijó",
            "teca",
            "amêndoa",
        ]:
            search_cor = cor.replace(" TX", "")
            fita.append(
                _c(
                    f"Fita de borda PVC {cor} {width} mm x 0,45 mm, rolo 20 m",
                    "rolo",
                    f"fita de borda {search_cor} {width}mm",
                    price20,
                    (5, 40),
                )
            )
            fita.append(
                _c(
                    f"Fita de borda PVC {cor} {width} mm x 0,45 mm, rolo 50 m",
                    "rolo",
                    f"fita de borda {search_cor} {width}mm 50m",
                    price20 * 2.5 * 0.85,
                    (3, 20),
                )
            )
    fams.append(_fam("fita_borda", fita))
    return fams


# --------------------------------------------------------------------------------------------
# ferragens


def _screw_pack(price_each: float) -> int:
    if price_each < 0.1:
        return 500
    if price_each < 0.3:
        return 200
    if price_each < 1.0:
        return 100
    if price_each < 2.0:
        return 50
    return 25


def _ferragens() -> list[_Family]:
    fams: list[_Family] = []

    chipboard = []
    sizes = {
        3.0: [12, 16, 20, 25, 30],
        3.5: [12, 16, 20, 25, 30, 35, 40, 45, 50],
        4.0: [16, 20, 25, 30, 35, 40, 45, 50, 60],
        4.5: [25, 30, 35, 40, 45, 50, 60, 70],
        5.0: [30, 40, 50, 60, 70, 80],
        6.0: [40, 50, 60, 70, 80, 90, 100, 120, 150],
    }
    for finish, factor in [
        ("zincado branco", 1.0),
        ("bicromatizado", 1.1),
        ("preto fosfatizado", 1.15),
    ]:
        for d, lengths in sizes.items():
            for length in lengths:
                each = (0.012 + 0.00009 * d * d * length) * factor
                pack = _screw_pack(each)
                chipboard.append(
                    _c(
                        f"Parafuso chipboard cabeça chata Phillips {_br(d)} x {length} mm "
                        f"{finish}, caixa {pack} peças",
                        "caixa",
                        f"parafuso chipboard {_mm(d)}x{length}",
                        each * pack,
                        (3, 30),
                    )
                )
    for d in [3.5, 4.0]:
        for length in [12, 16, 20, 25, 30, 35, 40]:
            each = 0.014 + 0.00009 * d * d * length
            pack = _screw_pack(each)
            chipboard.append(
                _c(
                    f"Parafuso chipboard cabeça panela Phillips {_br(d)} x {length} mm zincado, "
                    f"caixa {pack} peças",
                    "caixa",
                    f"parafuso cabeça panela {_mm(d)}x{length}",
                    each * pack,
                    (3, 30),
                )
            )
    for d, length in [(7, 40), (7, 50), (7, 60), (7, 70)]:
        each = 0.12 + 0.00009 * d * d * length
        pack = _screw_pack(each)
        chipboard.append(
            _c(
                f"Parafuso confirmat (para MDF) {d} x {length} mm zincado, caixa {pack} peças",
                "caixa",
                f"parafuso confirmat {d}x{length}",
                each * pack,
                (2, 20),
            )
        )
    for head in ["cabeça lentilha", "cabeça sextavada"]:
        for spec, each in [
            ("4,2 x 13", 0.05),
            ("4,2 x 19", 0.06),
            ("4,2 x 25", 0.07),
            ("4,8 x 19", 0.08),
            ("4,8 x 32", 0.1),
            ("4,8 x 45", 0.13),
        ]:
            pack = _screw_pack(each)
            chipboard.append(
                _c(
                    f"Parafuso autobrocante {head} {spec} mm zincado, caixa {pack} peças",
                    "caixa",
                    f"parafuso autobrocante {spec.replace(' ', '').replace(',', '.')}",
                    each * pack,
                    (2, 20),
                )
            )
    fams.append(_fam("chipboard", chipboard, 4))

    bolts = []
    for inch, base in [('1/4"', 0.30), ('5/16"', 0.50), ('3/8"', 0.78)]:
        for length in [40, 50, 60, 70, 80, 100, 120]:
            each = base * (0.6 + length / 100)
            pack = _screw_pack(each)
            bolts.append(
                _c(
                    f"Parafuso sextavado rosca soberba {inch} x {length} mm zincado, "
                    f"caixa {pack} peças",
                    "caixa",
                    f"parafuso sextavado soberba {inch.replace(chr(34), '')} {length}mm",
                    each * pack,
                    (2, 20),
                )
            )
    for d in [6, 8, 10]:
        for length in [40, 50, 60, 70, 80, 100, 120, 150]:
            each = 0.25 * (d / 6) ** 2 * (length / 50) + 0.1
            pack = _screw_pack(each)
            bolts.append(
                _c(
                    f"Parafuso francês (cabeça abaulada) M{d} x {length} mm zincado, "
                    f"caixa {pack} peças",
                    "caixa",
                    f"parafuso francês m{d}x{length}",
                    each * pack,
                    (2, 20),
                )
            )
    for d in [6, 8, 10, 12]:
        for length in [20, 25, 30, 40, 50, 60, 80, 100]:
            each = 0.18 * (d / 6) ** 2 * (length / 40) + 0.06
            pack = _screw_pack(each)
            bolts.append(
                _c(
                    f"Parafuso máquina sextavado rosca total M{d} x {length} mm zincado, "
                    f"caixa {pack} peças",
                    "caixa",
                    f"parafuso sextavado m{d}x{length}",
                    each * pack,
                    (2, 20),
                )
            )
    fams.append(_fam("parafusos_maquina", bolts, 2))

    allen = []
    for finish, factor in [("zincado", 1.0), ("preto oxidado", 1.15)]:
        for d, lengths in [
            (4, [10, 12, 16, 20, 25, 30]),
            (5, [10, 16, 20, 25, 30, 40]),
            (6, [12, 16, 20, 25, 30, 40, 50, 60]),
            (8, [16, 20, 25, 30, 40, 50, 60, 80]),
        ]:
            for length in lengths:
                each = (0.08 + 0.0045 * d * d * length / 10) * factor
                pack = _screw_pack(each)
                allen.append(
                    _c(
                        f"Parafuso Allen cabeça cilíndrica M{d} x {length} mm {finish}, "
                        f"caixa {pack} peças",
                        "caixa",
                        f"parafuso allen m{d}x{length}",
                        each * pack,
                        (2, 20),
                    )
                )
    for d in [6, 8]:
        for length in [20, 25, 30, 35, 40, 50, 60, 70]:
            each = 0.12 + 0.0045 * d * d * length / 10
            pack = _screw_pack(each)
            allen.append(
                _c(
                    f"Parafuso Allen cabeça chata M{d} x {length} mm zincado (fixação de pés), "
                    f"caixa {pack} peças",
                    "caixa",
                    f"parafuso allen cabeça chata m{d}x{length}",
                    each * pack,
                    (2, 20),
                )
            )
    fams.append(_fam("allen", allen, 2))

    porcas = []
    for d, each in [(4, 0.04), (5, 0.05), (6, 0.07), (8, 0.12), (10, 0.2), (12, 0.32)]:
        porcas.append(
            _c(
                f"Porca sextavada M{d} zincada, pacote 100 peças",
                "pacote",
                f"porca sextavada m{d}",
                each * 100,
            )
        )
        porcas.append(
            _c(
                f"Porca sextavada M{d} inox 304, pacote 100 peças",
                "pacote",
                f"porca sextavada inox m{d}",
                each * 100 * 3.2,
            )
        )
        porcas.append(
            _c(
                f"Porca parlock (autotravante com nylon) M{d} zincada, pacote 100 peças",
                "pacote",
                f"porca parlock m{d}",
                each * 100 * 1.8,
            )
        )
    for d, each in [(6, 0.22), (8, 0.3), (10, 0.45)]:
        for pack in [100, 500]:
            porcas.append(
                _c(
                    f"Porca garra (de cravar) M{d} 4 garras zincada, pacote {pack} peças",
                    "pacote",
                    f"porca garra m{d}",
                    each * pack * (1.0 if pack == 100 else 0.9),
                )
            )
    for d, each in [(4, 0.3), (5, 0.35), (6, 0.45), (8, 0.7)]:
        for mat, factor in [("aço zincado", 1.0), ("alumínio", 0.9)]:
            porcas.append(
                _c(
                    f"Porca rebite M{d} {mat}, pacote 100 peças",
                    "pacote",
                    f"porca rebite m{d}",
                    each * 100 * factor,
                )
            )
    for d, each in [(6, 0.55), (8, 0.75), (10, 1.1)]:
        for mat, factor in [("zamak", 1.0), ("latão", 1.6)]:
            porcas.append(
                _c(
                    f"Bucha roscada (insert) para madeira M{d} {mat}, pacote 100 peças",
                    "pacote",
                    f"bucha roscada m{d}",
                    each * 100 * factor,
                )
            )
    for d in [6, 8]:
        for finish, each in [("zincada", 0.25), ("cromada", 0.45)]:
            porcas.append(
                _c(
                    f"Porca cega (acabamento) M{d} {finish}, pacote 50 peças",
                    "pacote",
                    f"porca cega m{d}",
                    each * 50 * (d / 6),
                )
            )
    for d, inch in [(4, "5/32"), (5, "3/16"), (6, "1/4"), (8, "5/16"), (10, "3/8"), (12, "1/2")]:
        porcas.append(
            _c(
                f'Arruela lisa zincada M{d} ({inch}"), venda por kg',
                "kg",
                f"arruela lisa m{d}",
                36,
                (2, 20),
            )
        )
        porcas.append(
            _c(
                f'Arruela de pressão zincada M{d} ({inch}"), venda por kg',
                "kg",
                f"arruela de pressão m{d}",
                42,
                (2, 20),
            )
        )
    for d, each in [(6, 0.35), (8, 0.55), (10, 0.85)]:
        porcas.append(
            _c(
                f"Porca borboleta M{d} zincada, pacote 50 peças",
                "pacote",
                f"porca borboleta m{d}",
                each * 50,
            )
        )
    for d, price in [(6, 5.5), (8, 8.5), (10, 12.5), (12, 17.5)]:
        porcas.append(
            _c(
                f"Barra roscada M{d} zincada, 1 m",
                "unidade",
                f"barra roscada m{d}",
                price,
                (10, 80),
            )
        )
    fams.append(_fam("porcas_arruelas", porcas, 2))

    dobradicas = []
    for tipo in ["reta", "curva", "supercurva"]:
        for amort, each in [("sem amortecedor", 4.5), ("com amortecedor", 12.5)]:
            dobradicas.append(
                _c(
                    f"Dobradiça caneco 35 mm {tipo} {amort}",
                    "unidade",
                    f"dobradiça caneco 35mm {tipo} {amort}",
                    each,
                    (20, 200),
                )
            )
            dobradicas.append(
                _c(
                    f"Dobradiça caneco 35 mm {tipo} {amort}, pacote 10 peças",
                    "pacote",
                    f"dobradiça caneco 35mm {tipo} kit 10",
                    each * 10 * 0.9,
                    (3, 30),
                )
            )
    for size, each in [('2"', 3.5), ('2 1/2"', 4.5), ('3"', 6.0), ('3 1/2"', 8.0)]:
        for finish, factor in [("zincada", 1.0), ("latonada", 1.3), ("cromada", 1.5)]:
            dobradicas.append(
                _c(
                    f"Dobradiça de pino {size} {finish}",
                    "unidade",
                    f"dobradiça {size.replace(chr(34), '')} {finish}",
                    each * factor,
                )
            )
    for mat, price in [("alumínio", 28), ("aço zincado", 24), ("aço cromado", 36)]:
        dobradicas.append(
            _c(
                f"Dobradiça contínua (piano) {mat}, barra 1 m",
                "unidade",
                f"dobradiça piano {mat}",
                price,
            )
        )
    for pos in [5, 7]:
        for finish, price in [("zincado", 26), ("preto epóxi", 29), ("cromado", 34)]:
            dobradicas.append(
                _c(
                    f"Articulador catraca {pos} posições para encosto de sofá {finish}",
                    "par",
                    "articulador catraca sofá",
                    price * 2,
                    (10, 80),
                )
            )
    for force in [60, 80, 100, 120, 150, 180, 200]:
        for length, add in [(250, 0), (350, 4)]:
            dobradicas.append(
                _c(
                    f"Pistão a gás para baú {force} N, comprimento {length} mm",
                    "unidade",
                    f"pistão a gás {force}n",
                    17 + force * 0.06 + add,
                    (10, 120),
                )
            )
    for label, search, price in [
        ("Trilho retrátil para sofá 50 cm", "trilho retrátil sofá", 58),
        ("Trilho retrátil para sofá 60 cm", "trilho retrátil sofá", 66),
        ("Trilho retrátil para sofá 70 cm", "trilho retrátil sofá", 74),
        ("Mecanismo reclinável manual para poltrona", "mecanismo reclinável poltrona", 390),
        ("Mecanismo reclinável para sofá 3 posições", "mecanismo reclinável sofá", 460),
        ("Mecanismo de sofá-cama (articulação)", "mecanismo sofá cama", 420),
    ]:
        dobradicas.append(_c(f"{label}, par", "par", search, price, (4, 40)))
    fams.append(_fam("dobradicas_mecanismos", dobradicas, 2))

    corr = []
    for length in [250, 300, 350, 400, 450, 500, 550, 600]:
        base = 13 + (length - 250) / 50 * 2.2
        for label, factor, finishes in [
            ("telescópica light 35 kg", 1.0, ["zincada", "preta"]),
            ("telescópica 45 kg com amortecedor", 2.2, ["zincada", "preta"]),
            ("oculta com amortecedor (tandem)", 4.0, ["zincada"]),
        ]:
            for finish in finishes:
                corr.append(
                    _c(
                        f"Corrediça {label} {length} mm {finish}",
                        "par",
                        f"corrediça {label.split(' ')[0]} {length}mm",
                        base * factor,
                        (10, 100),
                    )
                )
    for length in [250, 300, 350, 400, 450, 500]:
        for cor in ["branca", "preta"]:
            corr.append(
                _c(
                    f"Corrediça de roldana (light) {length} mm {cor}",
                    "par",
                    f"corrediça roldana {length}mm",
                    5.5 + (length - 250) / 50 * 0.8,
                    (10, 100),
                )
            )
    fams.append(_fam("corredicas", corr, 2))

    pes = []
    for cor in ["preto", "tabaco", "marrom", "cinza"]:
        for h in [3, 5, 6, 8, 10, 12]:
            pes.append(
                _c(
                    f"Pé de plástico para sofá {h} cm {cor}",
                    "unidade",
                    f"pé de sofá plástico {h}cm",
                    1.6 + h * 0.45,
                    (40, 400),
                )
            )
    for finish, factor in [
        ("cromado", 1.0),
        ("preto fosco", 0.95),
        ("dourado", 1.25),
        ("bronze", 1.2),
        ("cobre", 1.25),
    ]:
        for h in [10, 12, 15, 18, 20]:
            pes.append(
                _c(
                    f"Pé palito de metal para sofá {h} cm {finish}",
                    "unidade",
                    f"pé palito metal {finish} {h}cm",
                    (20 + h * 1.2) * factor,
                    (20, 200),
                )
            )
    for wood in ["eucalipto natural", "tabaco", "nogueira", "preto"]:
        for shape in ["palito cônico", "torneado", "quadrado"]:
            for h in [10, 12, 15, 18]:
                pes.append(
                    _c(
                        f"Pé de madeira {shape} {h} cm {wood}",
                        "unidade",
                        f"pé de madeira {shape} {h}cm",
                        8 + h * 0.9,
                        (20, 200),
                    )
                )
    for h in [3, 5, 8, 10]:
        pes.append(
            _c(
                f"Pé de alumínio escovado quadrado {h} cm",
                "unidade",
                f"pé alumínio sofá {h}cm",
                9 + h * 1.6,
                (20, 200),
            )
        )
    for label, search, unit, price in [
        ("Sapata niveladora M8 com base de nylon", "sapata niveladora m8", "unidade", 2.4),
        ("Sapata niveladora M10 com base de nylon", "sapata niveladora m10", "unidade", 2.9),
        ("Feltro adesivo redondo 25 mm, pacote 50", "feltro adesivo 25mm", "pacote", 12),
        ("Feltro adesivo redondo 40 mm, pacote 50", "feltro adesivo 40mm", "pacote", 18),
        ("Deslizador de nylon com prego 20 mm, pacote 100", "deslizador nylon prego", "pacote", 16),
        ("Deslizador de nylon com prego 30 mm, pacote 100", "deslizador nylon prego", "pacote", 22),
    ]:
        pes.append(_c(label, unit, search, price))
    fams.append(_fam("pes", pes, 3))

    percintas = []
    for width, per_metre in [(50, 2.6), (60, 3.0), (70, 3.5), (80, 4.0)]:
        percintas.append(
            _c(
                f"Percinta elástica {width} mm preta, venda por metro",
                "metro",
                f"percinta elástica {width // 10}cm",
                per_metre,
                (100, 1000),
            )
        )
        percintas.append(
            _c(
                f"Percinta elástica {width} mm preta, rolo 50 m",
                "rolo",
                f"percinta elástica {width // 10}cm rolo 50m",
                per_metre * 50 * 0.85,
                (3, 30),
            )
        )
    for width, price in [(50, 42), (70, 55)]:
        percintas.append(
            _c(
                f"Percinta tramada de polipropileno {width} mm, rolo 50 m",
                "rolo",
                f"percinta polipropileno {width // 10}cm",
                price,
                (3, 30),
            )
        )
    percintas.append(_c("Percinta de juta 80 mm, rolo 25 m", "rolo", "percinta juta", 68, (2, 15)))
    fams.append(_fam("percintas", percintas))

    molas = []
    for wire, factor in [(3.2, 0.85), (3.5, 1.0), (3.8, 1.18), (4.0, 1.3)]:
        for length in [40, 45, 50, 55, 60, 65, 70]:
            molas.append(
                _c(
                    f"Mola zig-zag (sinuosa) arame {_br(wire)} mm, {length} cm",
                    "unidade",
                    f"mola zig zag {length}cm",
                    0.08 * length * factor,
                    (50, 600),
                )
            )
    for wire in [3.2, 3.5, 3.8]:
        molas.append(
            _c(
                f"Mola zig-zag arame {_br(wire)} mm em rolo (aprox. 25 kg), venda por kg",
                "kg",
                "mola zig zag rolo",
                15.5,
                (25, 250),
            )
        )
    molas += [
        _c("Clipe para mola zig-zag com prego, pacote 100", "pacote", "clipe mola zig zag", 22),
        _c("Clipe para mola zig-zag sem prego, pacote 100", "pacote", "clipe mola zig zag", 18),
        _c("Mola de tração espiral 10 cm, pacote 100", "pacote", "mola tração estofado", 45),
        _c("Mola de tração espiral 15 cm, pacote 100", "pacote", "mola tração estofado", 58),
        _c(
            "Painel de molas ensacadas 1,88 x 1,38 m (casal)",
            "unidade",
            "mola ensacada casal",
            420,
            (2, 15),
        ),
        _c(
            "Painel de molas ensacadas para assento 60 x 60 cm",
            "unidade",
            "mola ensacada assento",
            85,
            (5, 40),
        ),
    ]
    fams.append(_fam("molas", molas))

    grampos = []
    for length in [4, 6, 8, 10, 12, 14, 16]:
        grampos.append(
            _c(
                f"Grampo para grampeador pneumático 80/{length:02d} galvanizado, caixa 10.000",
                "caixa",
                f"grampo 80/{length:02d}",
                17 + length * 0.8,
                (5, 60),
            )
        )
        grampos.append(
            _c(
                f"Grampo para grampeador pneumático 80/{length:02d} inox, caixa 10.000",
                "caixa",
                f"grampo 80/{length:02d} inox",
                (17 + length * 0.8) * 2.8,
                (2, 20),
            )
        )
    for length in [6, 8, 10, 12, 14, 16]:
        grampos.append(
            _c(
                f"Grampo para grampeador pneumático 71/{length:02d} galvanizado, caixa 10.000",
                "caixa",
                f"grampo 71/{length:02d}",
                20 + length * 0.9,
                (5, 60),
            )
        )
    for length in [6, 8, 10, 12, 14]:
        grampos.append(
            _c(
                f"Grampo 106/{length:02d} galvanizado, caixa 5.000",
                "caixa",
                f"grampo 106/{length:02d}",
                16 + length * 0.7,
                (3, 30),
            )
        )
    for length in [15, 20, 25, 30, 32, 35, 38, 40]:
        grampos.append(
            _c(
                f"Grampo para grampeador pneumático 92/{length} galvanizado, caixa 5.000",
                "caixa",
                f"grampo 92/{length}",
                24 + length * 0.75,
                (3, 30),
            )
        )
    for length in [6, 8, 10]:
        grampos.append(
            _c(
                f"Grampo para grampeador manual 13/{length:02d}, caixa 5.000",
                "caixa",
                f"grampo 13/{length}",
                12 + length * 0.6,
                (3, 30),
            )
        )
    fams.append(_fam("grampos", grampos, 2))

    pregos = []
    for spec in [
        "12 x 12",
        "13 x 15",
        "15 x 15",
        "16 x 24",
        "17 x 21",
        "17 x 27",
        "18 x 27",
        "18 x 30",
        "19 x 36",
        "20 x 42",
    ]:
        pregos.append(
            _c(
                f"Prego com cabeça {spec}, venda por kg",
                "kg",
                f"prego {spec.replace(' ', '')}",
                17.5,
                (5, 60),
            )
        )
    for spec in ["12 x 12", "15 x 15", "17 x 27"]:
        pregos.append(
            _c(
                f"Prego sem cabeça {spec}, venda por kg",
                "kg",
                f"prego sem cabeça {spec.replace(' ', '')}",
                19.5,
                (5, 40),
            )
        )
    for finish in ["dourada", "prata", "bronze", "níquel envelhecido", "cobre"]:
        for diam, price in [(9, 9), (11, 12), (16, 22)]:
            pregos.append(
                _c(
                    f"Tacha decorativa para estofado {diam} mm {finish}, pacote 100",
                    "pacote",
                    f"tacha decorativa {finish}",
                    price,
                )
            )
    for label, search, price in [
        ("Fita de tachas decorativas bronze, rolo 10 m", "fita de tachas", 38),
        ("Fita de tachas decorativas níquel, rolo 10 m", "fita de tachas", 38),
        ("Tacha de tapeceiro azulada nº 10, caixa 1.000", "tacha tapeceiro", 14),
        ("Tacha de tapeceiro azulada nº 14, caixa 1.000", "tacha tapeceiro", 17),
    ]:
        pregos.append(_c(label, "rolo" if "rolo" in label else "caixa", search, price))
    fams.append(_fam("pregos_tachas", pregos))

    uniao = []
    for spec, price in [
        ("6 x 30", 4.5),
        ("8 x 30", 5.5),
        ("8 x 40", 6.5),
        ("10 x 40", 8),
        ("10 x 50", 9.5),
        ("12 x 60", 14),
    ]:
        search = f"cavilha {spec.replace(' ', '')}"
        uniao.append(_c(f"Cavilha de madeira {spec} mm, pacote 100", "pacote", search, price))
        uniao.append(
            _c(
                f"Cavilha de madeira {spec} mm, pacote 1.000",
                "pacote",
                f"{search} 1000",
                price * 8.5,
            )
        )
    uniao += [
        _c("Conjunto minifix 15 mm (tambor + haste), pacote 100", "pacote", "minifix 15mm", 68),
        _c("Tambor minifix 15 mm zamak, pacote 100", "pacote", "tambor minifix", 42),
        _c("Haste minifix 34 mm, pacote 100", "pacote", "haste minifix", 30),
        _c("Conector de módulos para sofá (engate), par", "par", "engate módulos sofá", 14),
        _c("Conector de módulos para sofá em aço reforçado, par", "par", "engate sofá", 24),
    ]
    for size, price in [(30, 12), (40, 16), (50, 22), (75, 34)]:
        uniao.append(
            _c(
                f"Cantoneira L zincada {size} x {size} mm com furos, pacote 10",
                "pacote",
                f"cantoneira l {size}mm",
                price,
            )
        )
    for size, price in [(100, 28), (150, 38)]:
        uniao.append(
            _c(
                f"Chapa de união plana zincada {size} mm, pacote 10",
                "pacote",
                f"chapa de união {size}mm",
                price,
            )
        )
    for diam in [35, 40, 50, 65]:
        for kind, add in [("giratório sem freio", 0), ("giratório com freio", 3)]:
            for wheel, factor in [("nylon", 1.0), ("silicone", 1.45)]:
                uniao.append(
                    _c(
                        f"Rodízio {kind} {diam} mm roda de {wheel}",
                        "unidade",
                        f"rodízio {diam}mm {wheel}",
                        (3 + diam * 0.12 + add) * factor,
                        (10, 120),
                    )
                )
    for diam, price in [(5, 6), (6, 7), (8, 11), (10, 16), (12, 24)]:
        uniao.append(
            _c(f"Bucha de nylon {diam} mm, pacote 100", "pacote", f"bucha {diam}mm", price)
        )
    for spec, price in [
        ("3,2 x 8", 22),
        ("3,2 x 10", 24),
        ("4,0 x 10", 30),
        ("4,0 x 12", 33),
        ("4,8 x 12", 42),
        ("4,8 x 16", 48),
    ]:
        uniao.append(
            _c(
                f"Rebite pop de alumínio {spec} mm, caixa 500",
                "caixa",
                f"rebite pop {spec.replace(' ', '').replace(',', '.')}",
                price,
            )
        )
    for length, price in [(100, 6), (150, 9), (200, 14), (300, 24)]:
        for cor in ["preta", "branca"]:
            uniao.append(
                _c(
                    f"Abraçadeira de nylon {length} mm {cor}, pacote 100",
                    "pacote",
                    f"abraçadeira nylon {length}mm",
                    price,
                )
            )
    fams.append(_fam("uniao_rodizios", uniao, 2))
    return fams


# --------------------------------------------------------------------------------------------
# adesivos


def _adesivos() -> list[_Family]:
    fams: list[_Family] = []
    contato = []
    sizes = [
        ("tubo 75 g", 0.075, "unidade", 2.4),
        ("lata 200 g", 0.2, "lata", 1.6),
        ("lata 750 g", 0.75, "lata", 1.2),
        ("galão 2,8 kg", 2.8, "galão", 1.0),
        ("balde 14 kg", 14, "balde", 0.9),
    ]
    for kind, search, per_kg in [
        ("uso geral sem toluol", "cola de contato", 42),
        ("base água", "cola de contato base água", 36),
        ("alto desempenho para laminados", "cola de contato fórmica", 55),
        ("para espuma e tecidos", "cola de contato espuma", 48),
        ("em gel", "cola de contato gel", 50),
    ]:
        for size, kg, unit, factor in sizes:
            contato.append(
                _c(
                    f"Cola de contato {kind}, {size}",
                    unit,
                    f"{search} {size.split(' ', 1)[1].replace(' ', '')}",
                    per_kg * kg * factor,
                )
            )
    for size, kg, unit, factor in sizes[2:4]:
        contato.append(
            _c(
                f"Cola de sapateiro (contato para couro e corino), {size}",
                unit,
                f"cola de sapateiro {size.split(' ', 1)[1].replace(' ', '')}",
                40 * kg * factor,
            )
        )
    fams.append(_fam("contato", contato, 2))

    pva = []
    for kind, search, per_kg in [
        ("extra (branca)", "cola branca pva", 14),
        ("para madeira", "cola pva madeira", 18),
        ("para madeira D3 (resistente à umidade)", "cola pva d3", 28),
        ("para papel e embalagens", "cola pva papel", 12),
    ]:
        for size, kg, unit, factor in [
            ("frasco 500 g", 0.5, "unidade", 1.6),
            ("frasco 1 kg", 1, "unidade", 1.3),
            ("balde 5 kg", 5, "balde", 1.0),
            ("balde 20 kg", 20, "balde", 0.9),
        ]:
            pva.append(
                _c(
                    f"Cola PVA {kind}, {size}",
                    unit,
                    f"{search} {size.split(' ', 1)[1].replace(' ', '')}",
                    per_kg * kg * factor,
                )
            )
    for size, kg in [("frasco 500 g", 0.5), ("frasco 1 kg", 1)]:
        pva.append(
            _c(
                f"Cola PU (poliuretano) para madeira D4, {size}",
                "unidade",
                "cola pu madeira d4",
                kg * 78,
            )
        )
    fams.append(_fam("pva", pva, 2))

    spray = []
    for kind, search in [
        ("uso geral", "cola spray"),
        ("para espuma", "cola spray espuma"),
        ("reposicionável para tecidos", "cola spray tecido"),
        ("alta temperatura para forração", "cola spray alta temperatura"),
        ("sem ataque a isopor", "cola spray isopor"),
        ("para manta acrílica", "cola spray manta"),
    ]:
        for ml, price in [(300, 32), (500, 46)]:
            spray.append(
                _c(f"Cola spray {kind}, aerossol {ml} ml", "unidade", f"{search} {ml}ml", price)
            )
    for base, per_l in [("base água", 29), ("base solvente", 37)]:
        for size, litres, unit in [("galão 3,6 L", 3.6, "galão"), ("balde 18 L", 18, "balde")]:
            spray.append(
                _c(
                    f"Cola para espuma {base} para pistola, {size}",
                    unit,
                    f"cola para espuma {base} {size.split(' ', 1)[1].replace(' ', '').lower()}",
                    per_l * litres,
                )
            )
    spray.append(
        _c(
            "Cola para espuma base água para pistola, tambor 200 L",
            "unidade",
            "cola para espuma tambor 200l",
            29 * 200 * 0.88,
            (1, 3),
        )
    )
    fams.append(_fam("spray", spray))

    hot = []
    for diam in ["7,5", "11,2"]:
        for cor in ["transparente", "branco", "amarelo", "preto"]:
            for length in [20, 30]:
                hot.append(
                    _c(
                        f"Cola quente (hot melt) em bastão {diam} mm x {length} cm {cor}, "
                        "venda por kg",
                        "kg",
                        f"cola quente bastão {diam.replace(',', '.')}mm",
                        48 if cor == "transparente" else 54,
                        (5, 40),
                    )
                )
    for kind, per_kg in [("EVA", 38), ("PUR reativo", 118)]:
        for cor in (
            ["natural", "branco", "preto", "transparente"]
            if kind == "EVA"
            else ["natural", "branco"]
        ):
            hot.append(
                _c(
                    f"Hot melt granulado {kind} para coladeira de bordas {cor}, venda por kg",
                    "kg",
                    f"hot melt coladeira de borda {kind.split(' ')[0].lower()}",
                    per_kg,
                    (10, 80),
                )
            )
            if kind == "EVA":
                hot.append(
                    _c(
                        f"Hot melt granulado EVA para coladeira de bordas {cor}, saco 25 kg",
                        "unidade",
                        "hot melt coladeira de borda 25kg",
                        per_kg * 25 * 0.9,
                        (1, 6),
                    )
                )
    fams.append(_fam("hot_melt", hot))

    outros = []
    for visc in ["baixa viscosidade", "média viscosidade", "alta viscosidade", "gel"]:
        for grams, price in [(20, 13), (100, 46)]:
            outros.append(
                _c(
                    f"Cola instantânea (cianoacrilato) {visc}, frasco {grams} g",
                    "unidade",
                    f"cola instantânea {grams}g",
                    price,
                )
            )
    outros.append(
        _c("Ativador para cianoacrilato, spray 200 ml", "unidade", "ativador cianoacrilato", 42)
    )
    for kind, price in [("5 minutos", 24), ("24 horas (alta resistência)", 28)]:
        outros.append(
            _c(
                f"Adesivo epóxi bicomponente {kind}, bisnagas 2 x 23 g",
                "unidade",
                "adesivo epóxi bisnaga",
                price,
            )
        )
        outros.append(
            _c(
                f"Adesivo epóxi bicomponente {kind}, kit 500 g",
                "unidade",
                "adesivo epóxi 500g",
                price * 5.5,
            )
        )
    for kind in ["acético", "neutro"]:
        for cor in ["incolor", "branco", "preto", "cinza"]:
            for size, price in [("cartucho 280 g", 19), ("bisnaga 50 g", 8.5)]:
                outros.append(
                    _c(
                        f"Silicone {kind} {cor}, {size}",
                        "unidade",
                        f"silicone {kind} {cor}",
                        price * (1.25 if kind == "neutro" else 1.0),
                    )
                )
    outros.append(
        _c(
            "Silicone de alta temperatura vermelho, bisnaga 50 g",
            "unidade",
            "silicone alta temperatura",
            16,
        )
    )
    for cor in ["branco", "cinza", "preto"]:
        outros.append(
            _c(f"Selante PU 40 {cor}, cartucho 400 g", "unidade", f"selante pu {cor}", 32)
        )
        outros.append(
            _c(f"Selante PU 40 {cor}, sachê 600 ml", "unidade", f"selante pu sachê {cor}", 44)
        )
    for kind, search, price in [
        ("base solvente", "adesivo de montagem", 26),
        ("híbrido (MS polímero)", "adesivo ms polímero", 42),
    ]:
        outros.append(_c(f"Adesivo de montagem {kind}, cartucho 290 ml", "unidade", search, price))
        outros.append(
            _c(
                f"Adesivo de montagem {kind}, bisnaga 100 g",
                "unidade",
                f"{search} bisnaga",
                price * 0.55,
            )
        )
    fams.append(_fam("outros", outros, 2))
    return fams


# --------------------------------------------------------------------------------------------
# acabamento

_PAINT_COLOURS = [
    "branco",
    "preto",
    "cinza platina",
    "cinza grafite",
    "marrom",
    "tabaco",
    "azul França",
    "vermelho",
    "verde",
    "amarelo",
    "gelo",
    "marfim",
    "areia",
    "alumínio",
    "laranja",
]
_WOOD_TONES = [
    "imbuia",
    "mogno",
    "cerejeira",
    "nogueira",
    "tabaco",
    "castanho",
    "ipê",
    "cedro",
    "freijó",
    "ébano",
    "natural",
]
_CAN_SIZES = [
    ("lata 900 ml", 0.9, "lata", 1.15),
    ("galão 3,6 L", 3.6, "galão", 1.0),
    ("lata 18 L", 18, "lata", 0.9),
]


def _acabamento() -> list[_Family]:
    fams: list[_Family] = []

    def cans(label: str, search: str, per_litre: float, sizes=_CAN_SIZES):
        return [
            _c(
                f"{label}, {size}",
                unit,
                f"{search} {size.split(' ', 1)[1].replace(' ', '').lower()}",
                per_litre * litres * factor,
            )
            for size, litres, unit, factor in sizes
        ]

    vernizes = []
    for label, search, per_l in [
        ("Verniz PU (poliuretano) brilhante", "verniz pu brilhante", 74),
        ("Verniz PU (poliuretano) acetinado", "verniz pu acetinado", 78),
        ("Verniz PU (poliuretano) fosco", "verniz pu fosco", 78),
        ("Verniz nitrocelulose brilhante", "verniz nitrocelulose brilhante", 54),
        ("Verniz nitrocelulose fosco", "verniz nitrocelulose fosco", 58),
        ("Verniz marítimo brilhante", "verniz marítimo brilhante", 68),
        ("Verniz marítimo fosco", "verniz marítimo fosco", 70),
        ("Verniz à base d'água acetinado", "verniz base água acetinado", 86),
        ("Verniz à base d'água fosco", "verniz base água fosco", 86),
        ("Seladora nitrocelulose", "seladora nitrocelulose", 46),
        ("Seladora PU (poliuretano)", "seladora pu", 64),
        ("Seladora concentrada", "seladora concentrada", 52),
        ("Seladora à base d'água", "seladora base água", 70),
    ]:
        vernizes += cans(label, search, per_l)
    vernizes += cans(
        "Catalisador para verniz PU",
        "catalisador verniz pu",
        95,
        [("frasco 450 ml", 0.45, "unidade", 1.1), ("lata 900 ml", 0.9, "lata", 1.0)],
    )
    fams.append(_fam("vernizes", vernizes, 2))

    tintas = []
    for finish in ["brilhante", "acetinado", "fosco"]:
        for cor in _PAINT_COLOURS:
            tintas += cans(
                f"Esmalte sintético {finish} {cor}",
                f"esmalte sintético {cor}",
                46,
                _CAN_SIZES[:2],
            )
    for cor in ["branca", "preta", "cinza", "gelo", "marfim", "grafite", "azul", "vermelha"]:
        tintas += cans(f"Laca nitrocelulose {cor}", f"laca nitrocelulose {cor}", 62, _CAN_SIZES[:2])
    for cor in ["branca", "preta"]:
        tintas += cans(
            f"Tinta PU (poliuretano) {cor} para madeira", f"tinta pu {cor}", 92, _CAN_SIZES[:2]
        )
    for label, search, per_l in [
        ("Fundo preparador para madeira branco", "fundo preparador madeira", 48),
        ("Primer PU branco", "primer pu branco", 70),
        ("Fundo nivelador nitrocelulose", "fundo nivelador", 50),
        ("Fundo para madeira à base d'água", "fundo madeira base água", 58),
    ]:
        tintas += cans(label, search, per_l, _CAN_SIZES[:2])
    fams.append(_fam("tintas", tintas, 3))

    spray = []
    for cor in [
        "preto fosco",
        "preto brilhante",
        "branco fosco",
        "branco brilhante",
        "alumínio",
        "dourado",
        "cobre",
        "grafite",
        "cinza primer",
        "verniz incolor",
        "vermelho",
        "azul",
        "bronze",
        "marrom",
        "prata cromado",
        "ouro velho",
    ]:
        spray.append(
            _c(f"Tinta spray {cor}, 400 ml", "unidade", f"tinta spray {cor}", 23, (10, 80))
        )
    fams.append(_fam("spray", spray))

    tingidores = []
    for tone in _WOOD_TONES:
        tingidores.append(
            _c(
                f"Tingidor para madeira à base de álcool {tone}, frasco 1 L",
                "litro",
                f"tingidor madeira {tone}",
                44,
            )
        )
        tingidores.append(
            _c(
                f"Tingidor para madeira à base d'água {tone}, frasco 1 L",
                "litro",
                f"tingidor base água {tone}",
                49,
            )
        )
    for tone in ["natural", "imbuia", "mogno", "cedro", "ipê", "castanho", "nogueira"]:
        tingidores += cans(
            f"Stain impregnante para madeira {tone}",
            f"stain madeira {tone}",
            58,
            _CAN_SIZES[:2],
        )
    fams.append(_fam("tingidores", tingidores))

    massas = []
    for tone in [
        "branca",
        "marfim",
        "cedro",
        "imbuia",
        "mogno",
        "ipê",
        "cerejeira",
        "tabaco",
        "freijó",
    ]:
        massas.append(
            _c(
                f"Massa para madeira {tone}, pote 400 g",
                "unidade",
                f"massa para madeira {tone}",
                15,
            )
        )
        massas.append(
            _c(
                f"Massa para madeira {tone}, lata 1,6 kg",
                "lata",
                f"massa para madeira {tone} 1,6kg",
                46,
            )
        )
    massas += [
        _c("Massa plástica branca, lata 400 g", "lata", "massa plástica", 16),
        _c("Massa plástica branca, lata 800 g", "lata", "massa plástica 800g", 27),
        _c("Massa plástica cinza, lata 400 g", "lata", "massa plástica cinza", 15),
        _c("Massa plástica cinza, lata 800 g", "lata", "massa plástica cinza 800g", 25),
        _c("Massa rápida para madeira, lata 900 ml", "lata", "massa rápida madeira", 38),
        _c("Massa acrílica, galão 3,6 L", "galão", "massa acrílica galão", 58),
        _c("Massa acrílica, balde 18 L", "balde", "massa acrílica 18l", 210),
    ]
    fams.append(_fam("massas", massas))

    solventes = []
    for label, search, per_l in [
        ("Thinner para limpeza", "thinner limpeza", 15),
        ("Thinner para laca e nitrocelulose", "thinner nitrocelulose", 22),
        ("Thinner para PU", "thinner pu", 29),
        ("Aguarrás mineral", "aguarrás", 24),
        ("Álcool isopropílico 99%", "álcool isopropílico", 34),
    ]:
        solventes.append(_c(f"{label}, frasco 1 L", "litro", f"{search} 1l", per_l * 1.2))
        solventes.append(_c(f"{label}, galão 5 L", "galão", f"{search} 5l", per_l * 5))
        solventes.append(_c(f"{label}, lata 18 L", "lata", f"{search} 18l", per_l * 18 * 0.9))
    solventes += [
        _c("Removedor de tinta pastoso, lata 1 kg", "lata", "removedor de tinta", 42),
        _c("Removedor de tinta gel, frasco 500 ml", "unidade", "removedor de tinta gel", 29),
        _c("Cera em pasta incolor para madeira, lata 400 g", "lata", "cera para madeira", 27),
        _c("Cera líquida para móveis, frasco 500 ml", "unidade", "cera líquida móveis", 19),
    ]
    fams.append(_fam("solventes", solventes))

    lixas = []
    for grit in [
        80,
        100,
        120,
        150,
        180,
        220,
        240,
        280,
        320,
        360,
        400,
        500,
        600,
        800,
        1000,
        1200,
        1500,
        2000,
    ]:
        lixas.append(
            _c(
                f"Lixa d'água grão {grit}, folha 225 x 275 mm",
                "folha",
                f"lixa d'água {grit}",
                2.4 + (0.6 if grit >= 1000 else 0),
            )
        )
    for grit in [36, 40, 50, 60, 80, 100, 120, 150, 180, 220]:
        lixas.append(
            _c(
                f"Lixa para madeira grão {grit}, folha 225 x 275 mm",
                "folha",
                f"lixa madeira {grit}",
                1.9,
            )
        )
        lixas.append(
            _c(
                f"Lixa ferro (pano) grão {grit}, folha 225 x 275 mm",
                "folha",
                f"lixa ferro {grit}",
                3.6,
            )
        )
    for grit in [80, 100, 120, 150, 180, 220]:
        lixas.append(
            _c(
                f"Lixa para massa grão {grit}, folha 225 x 275 mm",
                "folha",
                f"lixa para massa {grit}",
                1.7,
            )
        )
    for grit in [40, 60, 80, 100, 120, 150, 180, 220, 240, 320]:
        lixas.append(
            _c(
                f"Lixa em rolo (pano) grão {grit}, 115 mm x 50 m",
                "rolo",
                f"lixa em rolo {grit}",
                165,
                (1, 8),
            )
        )
    for diam, price in [(125, 58), (150, 72)]:
        for grit in [40, 60, 80, 100, 120, 150, 180, 220, 240, 320, 400]:
            lixas.append(
                _c(
                    f"Disco de lixa com velcro {diam} mm grão {grit} (8 furos), pacote 50",
                    "pacote",
                    f"disco de lixa velcro {diam}mm {grit}",
                    price,
                    (2, 15),
                )
            )
    for grit in [80, 120, 150, 180, 220]:
        lixas.append(
            _c(
                f"Disco de lixa para lixadeira girafa 225 mm grão {grit}, pacote 10",
                "pacote",
                f"lixa girafa 225mm {grit}",
                48,
                (2, 15),
            )
        )
    for size, price in [("75 x 533 mm", 9), ("100 x 610 mm", 12)]:
        for grit in [40, 60, 80, 100, 120]:
            lixas.append(
                _c(
                    f"Cinta de lixa {size} grão {grit}",
                    "unidade",
                    f"cinta de lixa {size.split(' x ')[0]}x{size.split(' x ')[1].split(' ')[0]}",
                    price,
                    (5, 40),
                )
            )
    for grade in ["fina", "média", "grossa", "superfina"]:
        lixas.append(_c(f"Esponja abrasiva dupla face {grade}", "unidade", "esponja abrasiva", 6.5))
    for grade, price in [("nº 0", 26), ("nº 1", 24), ("nº 2", 23)]:
        lixas.append(
            _c(f"Palha de aço {grade}, pacote 1 kg", "pacote", f"palha de aço {grade}", price)
        )
    fams.append(_fam("lixas", lixas, 3))

    pinceis = []
    for size, price in [
        ('1"', 6),
        ('1 1/2"', 8),
        ('2"', 10),
        ('2 1/2"', 12),
        ('3"', 15),
        ('4"', 20),
    ]:
        for bristle, factor in [("cerdas gris", 1.0), ("cerdas brancas", 1.15)]:
            pinceis.append(
                _c(
                    f"Trincha {size} {bristle}",
                    "unidade",
                    f"trincha {size.replace(chr(34), '')} pol",
                    price * factor,
                    (5, 40),
                )
            )
    for size, price in [(5, 6), (9, 9), (15, 14), (23, 19)]:
        pinceis.append(
            _c(
                f"Rolo de espuma {size} cm com cabo",
                "unidade",
                f"rolo de espuma {size}cm",
                price,
                (5, 40),
            )
        )
    fams.append(_fam("pinceis", pinceis))
    return fams


# --------------------------------------------------------------------------------------------
# embalagens


def _embalagens() -> list[_Family]:
    fams: list[_Family] = []
    bolha = []
    for bubble, factor in [("bolha pequena (10 mm)", 1.0), ("bolha grande (25 mm)", 1.35)]:
        for w, length, price in [
            ("0,50", 100, 58),
            ("1,00", 100, 105),
            ("1,20", 100, 125),
            ("1,30", 100, 135),
            ("1,60", 50, 88),
        ]:
            bolha.append(
                _c(
                    f"Plástico bolha {bubble}, rolo {w} x {length} m",
                    "rolo",
                    f"plástico bolha {w.replace(',', '.')}x{length}",
                    price * factor,
                )
            )
    for size, price in [
        ("10 x 15", 14),
        ("15 x 20", 19),
        ("20 x 30", 28),
        ("30 x 40", 45),
        ("40 x 50", 66),
        ("50 x 60", 88),
    ]:
        bolha.append(
            _c(
                f"Saco de plástico bolha {size} cm, pacote 100",
                "pacote",
                f"saco plástico bolha {size.replace(' ', '')}",
                price,
            )
        )
    for thickness in [1, 2, 3, 5, 10]:
        for width, factor in [("1,00", 1.0), ("1,20", 1.2)]:
            bolha.append(
                _c(
                    f"Manta de polietileno expandido {thickness} mm, rolo {width} x 50 m",
                    "rolo",
                    f"manta polietileno {thickness}mm",
                    (32 + thickness * 26) * factor,
                )
            )
    fams.append(_fam("bolha_manta", bolha, 2))

    stretch = []
    for micras, factor in [(20, 0.9), (23, 1.0), (25, 1.06), (30, 1.22)]:
        for cor in ["transparente", "preto"]:
            for kg in [3, 4]:
                stretch.append(
                    _c(
                        f"Filme stretch {cor} 500 mm x {micras} micras, rolo {kg} kg",
                        "rolo",
                        f"filme stretch {micras} micras",
                        kg * 17 * factor * (1.08 if cor == "preto" else 1.0),
                        (5, 60),
                    )
                )
    for micras in [20, 25]:
        stretch.append(
            _c(
                f"Filme stretch para máquina 500 mm x {micras} micras, bobina 15 kg",
                "rolo",
                "filme stretch automático",
                15 * 15.5,
                (2, 15),
            )
        )
    for width, price in [(100, 14), (125, 17)]:
        stretch.append(
            _c(
                f"Mini filme stretch {width} mm x 250 m com tubete",
                "rolo",
                f"mini stretch {width}mm",
                price,
                (10, 60),
            )
        )
    fams.append(_fam("stretch", stretch, 2))

    papelao = []
    for width, f_w in [("0,80", 0.8), ("1,00", 1.0), ("1,20", 1.2), ("1,50", 1.5)]:
        for length in [25, 50]:
            papelao.append(
                _c(
                    f"Papelão ondulado onda simples, rolo {width} x {length} m",
                    "rolo",
                    f"papelão ondulado rolo {width.replace(',', '.')}m",
                    f_w * length * 3.6,
                    (2, 20),
                )
            )
    for onda, factor in [("onda B", 1.0), ("onda C", 1.1), ("onda dupla BC", 1.7)]:
        for size, area in [("1,00 x 1,00 m", 1.0), ("1,20 x 2,00 m", 2.4), ("1,50 x 2,00 m", 3.0)]:
            papelao.append(
                _c(
                    f"Chapa de papelão ondulado {onda} {size}",
                    "chapa",
                    f"chapa papelão {onda.lower()}",
                    area * 5.2 * factor,
                    (20, 200),
                )
            )
    for dims in [
        "20 x 15 x 10",
        "30 x 20 x 20",
        "35 x 25 x 15",
        "45 x 35 x 25",
        "90 x 90 x 90",
        "120 x 100 x 80",
        "180 x 90 x 90",
        "240 x 100 x 100",
        "40 x 30 x 30",
        "50 x 40 x 40",
        "60 x 40 x 40",
        "60 x 50 x 50",
        "70 x 50 x 50",
        "80 x 60 x 60",
        "100 x 50 x 50",
        "100 x 80 x 60",
        "120 x 80 x 60",
        "150 x 80 x 40",
        "200 x 90 x 40",
        "220 x 100 x 50",
    ]:
        a, b, c = (int(x) for x in dims.split(" x "))
        area = 2 * (a * b + b * c + a * c) / 10000
        for onda, factor in [("onda simples", 1.0), ("onda dupla", 1.7)]:
            papelao.append(
                _c(
                    f"Caixa de papelão {onda} {dims} cm",
                    "unidade",
                    f"caixa de papelão {dims.replace(' ', '')}",
                    0.8 + area * 2.4 * factor,
                    (20, 300),
                )
            )
    fams.append(_fam("papelao", papelao, 3))

    cantos = []
    for profile, factor in [
        ("35 x 35 x 3 mm", 1.0),
        ("40 x 40 x 4 mm", 1.25),
        ("50 x 50 x 5 mm", 1.6),
    ]:
        for length in ["0,50", "1,00", "1,50", "2,00"]:
            metres = float(length.replace(",", "."))
            cantos.append(
                _c(
                    f"Cantoneira de papelão {profile}, comprimento {length} m",
                    "unidade",
                    f"cantoneira de papelão {profile.split(' x ')[0]}mm",
                    0.9 + metres * 1.5 * factor,
                    (50, 600),
                )
            )
    cantos += [
        _c("Protetor de quina plástico para móveis, pacote 100", "pacote", "protetor de quina", 45),
        _c(
            "Protetor de canto em EPS (isopor) 60 mm, pacote 100", "pacote", "cantoneira isopor", 38
        ),
        _c(
            "Protetor de canto em EPS (isopor) 100 mm, pacote 100",
            "pacote",
            "cantoneira isopor",
            55,
        ),
    ]
    for thickness in [10, 20, 30, 50]:
        cantos.append(
            _c(
                f"Placa de isopor (EPS) 1000 x 500 x {thickness} mm",
                "unidade",
                f"placa isopor {thickness}mm",
                3 + thickness * 0.22,
                (10, 100),
            )
        )
    cantos += [
        _c("Pallet de madeira PBR 1,00 x 1,20 m", "unidade", "pallet pbr", 68, (5, 40)),
        _c(
            "Pallet de madeira descartável 1,00 x 1,20 m",
            "unidade",
            "pallet descartável",
            38,
            (5, 40),
        ),
    ]
    fams.append(_fam("cantoneiras", cantos))

    fitas = []
    for kind, search, price_per_100m in [
        ("transparente", "fita adesiva transparente", 6.2),
        ("marrom", "fita adesiva marrom", 6.4),
    ]:
        for width in [12, 18, 24, 48]:
            for length in [50, 100]:
                fitas.append(
                    _c(
                        f"Fita adesiva {kind} {width} mm x {length} m",
                        "rolo",
                        f"{search} {width}mm",
                        price_per_100m * length / 100 * width / 48 + 0.6,
                        (20, 300),
                    )
                )
    for width in [18, 24, 48]:
        for length in [25, 50]:
            fitas.append(
                _c(
                    f"Fita crepe {width} mm x {length} m",
                    "rolo",
                    f"fita crepe {width}mm",
                    1.2 + width * length * 0.0032,
                    (20, 200),
                )
            )
    for label, search, price in [
        ("Fita dupla face fina 19 mm x 30 m", "fita dupla face 19mm", 11),
        ("Fita dupla face fina 12 mm x 30 m", "fita dupla face 12mm", 8),
        ("Fita dupla face espuma 19 mm x 20 m", "fita dupla face espuma", 18),
        ("Fita dupla face espuma 24 mm x 20 m", "fita dupla face espuma 24mm", 22),
        ("Fita adesiva transparente 45 mm x 45 m", "fita adesiva 45mm", 3.9),
        ("Fita adesiva transparente 45 mm x 100 m", "fita adesiva 45mm 100m", 6.9),
        ("Fita adesiva marrom 45 mm x 45 m", "fita adesiva marrom 45mm", 4.1),
        ("Fita adesiva marrom 45 mm x 100 m", "fita adesiva marrom 45mm 100m", 7.2),
        ("Fita silver tape 48 mm x 5 m", "silver tape 5m", 12),
        ("Fita silver tape 48 mm x 25 m", "silver tape 25m", 34),
        ("Fita silver tape 48 mm x 50 m", "silver tape 50m", 58),
        ("Fita adesiva impressa 'frágil' 48 mm x 100 m", "fita frágil", 11),
        ("Fita adesiva impressa 'frágil' 48 mm x 50 m", "fita frágil 50m", 7),
    ]:
        fitas.append(_c(label, "rolo", search, price, (10, 100)))
    for width, price in [(12, 64), (13, 72), (16, 95)]:
        fitas.append(
            _c(
                f"Fita de arquear PP {width} mm, rolo 1.500 m",
                "rolo",
                f"fita de arquear {width}mm",
                price,
                (2, 15),
            )
        )
        fitas.append(
            _c(
                f"Selo metálico para fita de arquear {width} mm, caixa 1.000",
                "caixa",
                f"selo fita arquear {width}mm",
                price * 0.65,
                (2, 10),
            )
        )
    fitas.append(
        _c("Fita de arquear PET 16 mm, rolo 1.000 m", "rolo", "fita arquear pet", 145, (1, 8))
    )
    for cor in ["vermelha", "azul", "verde", "amarela", "preta", "branca"]:
        fitas.append(
            _c(
                f"Fita adesiva colorida {cor} 48 mm x 50 m",
                "rolo",
                f"fita adesiva {cor} 48mm",
                8.5,
                (5, 40),
            )
        )
    fams.append(_fam("fitas", fitas, 2))

    sacos = []
    for size in ["40 x 60", "60 x 80", "80 x 100", "100 x 140"]:
        for thick in ["0,10", "0,15"]:
            sacos.append(
                _c(
                    f"Saco plástico PEBD transparente {size} cm x {thick} mm, venda por kg",
                    "kg",
                    f"saco plástico pebd {size.replace(' ', '')}",
                    19.5 if thick == "0,10" else 18.5,
                    (10, 100),
                )
            )
    for item, price in [
        ("poltrona", 9),
        ("sofá 2 lugares", 13),
        ("sofá 3 lugares", 16),
        ("sofá de canto", 24),
        ("cadeira", 4.5),
        ("colchão casal", 11),
    ]:
        sacos.append(
            _c(
                f"Capa plástica protetora para {item}",
                "unidade",
                f"capa plástica {item}",
                price,
                (20, 200),
            )
        )
    for width, price in [(60, 120), (80, 155), (120, 225)]:
        sacos.append(
            _c(
                f"Papel kraft 80 g/m², bobina {width} cm x 200 m",
                "rolo",
                f"papel kraft bobina {width}cm",
                price,
                (1, 10),
            )
        )
    for size, price in [("50 x 80", 1.1), ("60 x 90", 1.4), ("70 x 110", 1.9)]:
        sacos.append(
            _c(
                f"Saco de ráfia {size} cm",
                "unidade",
                f"saco de ráfia {size.replace(' ', '')}",
                price,
                (50, 500),
            )
        )
    for size, price in [("60 L", 18), ("100 L", 26), ("200 L", 45)]:
        sacos.append(
            _c(
                f"Saco de lixo reforçado preto {size}, pacote 100",
                "pacote",
                f"saco de lixo {size.replace(' ', '').lower()}",
                price,
            )
        )
    for size, price in [("19 x 25", 32), ("26 x 36", 44), ("32 x 40", 58)]:
        sacos.append(
            _c(
                f"Envelope de segurança com lacre adesivo {size} cm, pacote 100",
                "pacote",
                f"envelope de segurança {size.replace(' ', '')}",
                price,
            )
        )
    for cor, micras, price in [
        ("preta", 100, 195),
        ("preta", 150, 285),
        ("transparente", 100, 205),
        ("transparente", 150, 298),
    ]:
        sacos.append(
            _c(
                f"Lona plástica {cor} {micras} micras, rolo 4 x 100 m",
                "rolo",
                f"lona plástica {cor} 4x100",
                price,
                (1, 6),
            )
        )
    for width, price in [(300, 180), (500, 290), (700, 395)]:
        sacos.append(
            _c(
                f"Filme termoencolhível (shrink) PE 100 micras, bobina {width} mm x 250 m",
                "rolo",
                f"filme shrink {width}mm",
                price,
                (1, 6),
            )
        )
    fams.append(_fam("sacos", sacos))
    return fams


# --------------------------------------------------------------------------------------------
# ferramentas

_VOLTAGES = ["127 V", "220 V"]


def _ferramentas() -> list[_Family]:
    fams: list[_Family] = []
    lead_import = (15, 45)

    gramp = []
    for series, price in [("80", 320), ("71", 300), ("92 (pinador-grampeador)", 420), ("106", 360)]:
        for barrel, add in [("cano curto", 0), ("cano longo", 90)]:
            gramp.append(
                _c(
                    f"Grampeador pneumático para estofados série {series} {barrel}",
                    "unidade",
                    f"grampeador pneumático {series.split(' ')[0]} {barrel}",
                    price + add,
                    (1, 6),
                    lead_import,
                )
            )
    for series, price in [("80", 42), ("71", 42), ("92", 55), ("106", 48)]:
        gramp.append(
            _c(
                f"Kit de reparo (anéis de vedação) para grampeador pneumático série {series}",
                "unidade",
                f"kit reparo grampeador {series}",
                price,
                (2, 10),
            )
        )
        gramp.append(
            _c(
                f"Lâmina (driver) de reposição para grampeador pneumático série {series}",
                "unidade",
                f"lâmina grampeador {series}",
                price * 0.9,
                (2, 10),
            )
        )
    gramp += [
        _c(
            "Pinador pneumático para pinos 10 a 50 mm",
            "unidade",
            "pinador pneumático",
            390,
            (1, 4),
            lead_import,
        ),
        _c(
            "Grampeador manual para grampos 106 (6 a 14 mm)",
            "unidade",
            "grampeador manual tapeceiro",
            85,
            (2, 10),
        ),
        _c(
            "Grampeador manual para grampos 13 (6 a 10 mm)",
            "unidade",
            "grampeador manual",
            58,
            (2, 10),
        ),
    ]
    for v in _VOLTAGES:
        gramp.append(
            _c(
                f"Grampeador elétrico para grampos 13 e pregos, {v}",
                "unidade",
                "grampeador elétrico",
                245,
                (1, 4),
            )
        )
    fams.append(_fam("grampeadores", gramp, 2))

    serras = []
    for label, search, price in [
        ('Serra circular 7 1/4" 1.400 W', "serra circular 7 1/4", 520),
        ('Serra circular 7 1/4" 1.800 W', "serra circular 1800w", 780),
        ("Serra tico-tico 500 W", "serra tico tico 500w", 340),
        ("Serra tico-tico 800 W pendular", "serra tico tico 800w", 620),
        ("Faca elétrica para corte de espuma, lâmina 30 cm", "faca elétrica espuma", 1150),
        ('Serra esquadria 10" 1.800 W', "serra esquadria 10", 1450),
        ("Lixadeira orbital 1/4 de folha 240 W", "lixadeira orbital", 330),
        ('Lixadeira roto-orbital 5" 300 W', "lixadeira roto orbital", 480),
        ('Furadeira de impacto 1/2" 750 W', "furadeira de impacto", 340),
        ('Tupia 1/4" 530 W', "tupia 530w", 560),
        ("Soprador térmico 2.000 W", "soprador térmico", 280),
        ('Esmerilhadeira angular 4 1/2" 850 W', "esmerilhadeira 4 1/2", 320),
        ('Máquina de corte de tecido faca vertical 8" 750 W', "máquina corte tecido 8", 1850),
        ('Máquina de corte de tecido faca vertical 10" 850 W', "máquina corte tecido 10", 2150),
        ("Tesoura elétrica para tecido com disco 110 mm", "tesoura elétrica tecido", 420),
        ("Pistola de cola quente 100 W", "pistola cola quente 100w", 85),
    ]:
        for v in _VOLTAGES:
            serras.append(_c(f"{label}, {v}", "unidade", search, price, (1, 4), (7, 30)))
    for volts, price in [("12 V", 420), ("18 V", 690), ("20 V", 760)]:
        serras.append(
            _c(
                f"Parafusadeira/furadeira a bateria {volts} com 2 baterias",
                "unidade",
                f"parafusadeira {volts.replace(' ', '').lower()}",
                price,
                (1, 4),
                (7, 30),
            )
        )
    fams.append(_fam("eletricas", serras, 2))

    laminas = []
    for diam, teeth_prices in [
        (185, [(24, 62), (40, 88), (60, 118)]),
        (250, [(40, 145), (60, 175), (80, 210), (100, 255)]),
        (300, [(60, 235), (72, 265), (96, 320)]),
        (350, [(72, 345), (96, 410), (108, 455)]),
    ]:
        for teeth, price in teeth_prices:
            laminas.append(
                _c(
                    f"Disco de serra circular com pastilhas de widea {diam} mm, {teeth} dentes",
                    "unidade",
                    f"disco de serra {diam}mm {teeth} dentes",
                    price,
                    (2, 12),
                )
            )
    for label, search in [
        ("para madeira corte reto (T101B)", "lâmina tico tico t101b"),
        ("para madeira corte rápido (T144D)", "lâmina tico tico t144d"),
        ("para madeira corte curvo (T119BO)", "lâmina tico tico t119bo"),
        ("para metal (T118A)", "lâmina tico tico t118a"),
        ("para MDF e laminados (T101BR)", "lâmina tico tico t101br"),
        ("para espuma e materiais macios (T313AW)", "lâmina tico tico espuma"),
    ]:
        laminas.append(
            _c(f"Lâmina de serra tico-tico {label}, pacote 5", "pacote", search, 32, (3, 20))
        )
    for diam in [22, 25, 32, 35, 40, 51, 60, 68, 76, 89, 102, 127]:
        laminas.append(
            _c(
                f"Serra copo bimetálica {diam} mm",
                "unidade",
                f"serra copo {diam}mm",
                24 + diam * 0.55,
                (2, 10),
            )
        )
    for size, price in [('16"', 38), ('18"', 42), ('20"', 48), ('22"', 54)]:
        laminas.append(
            _c(
                f"Serrote para madeira {size}",
                "unidade",
                f"serrote {size.replace(chr(34), '')} pol",
                price,
                (2, 10),
            )
        )
    for width, price in [('1/2"', 68), ('3/4"', 82)]:
        for length in ["2.360", "3.350"]:
            laminas.append(
                _c(
                    f"Lâmina de serra fita para madeira {width} x {length} mm",
                    "unidade",
                    f"lâmina serra fita {width.replace(chr(34), '')}",
                    price * (1.3 if length == "3.350" else 1.0),
                    (2, 10),
                )
            )
    for label, price in [("lisa 10 x 0,6 mm", 290), ("serrilhada 10 x 0,6 mm", 340)]:
        laminas.append(
            _c(
                f"Lâmina contínua para máquina de corte de espuma, {label}, 7,8 m",
                "unidade",
                "lâmina corte espuma",
                price,
                (1, 6),
                lead_import,
            )
        )
    for size, price in [('8"', 38), ('10"', 46)]:
        laminas.append(
            _c(
                f"Lâmina para máquina de corte de tecido faca vertical {size}, pacote 12",
                "pacote",
                f"lâmina máquina corte tecido {size.replace(chr(34), '')}",
                price * 2.2,
                (1, 8),
            )
        )
    for grit in [40, 60, 80, 120]:
        laminas.append(
            _c(f'Disco flap 4 1/2" grão {grit}', "unidade", f"disco flap {grit}", 9.5, (5, 40))
        )
    laminas.append(
        _c(
            'Disco de corte 4 1/2" para metal, pacote 10',
            "pacote",
            "disco de corte 4 1/2",
            38,
            (2, 15),
        )
    )
    fams.append(_fam("laminas", laminas, 2))

    brocas = []
    for d in [3, 4, 5, 6, 7, 8, 10, 12]:
        brocas.append(
            _c(
                f"Broca para madeira 3 pontas {d} mm",
                "unidade",
                f"broca madeira {d}mm",
                4 + d * 0.9,
                (5, 40),
            )
        )
    for d in [2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 8, 9, 10, 11, 12, 13]:
        brocas.append(
            _c(
                f"Broca de aço rápido (HSS) {_br(d)} mm",
                "unidade",
                f"broca aço rápido {_mm(d)}mm",
                3 + d * d * 0.22,
                (5, 40),
            )
        )
    for d in [4, 5, 6, 8, 10, 12]:
        brocas.append(
            _c(
                f"Broca de widea para concreto {d} mm",
                "unidade",
                f"broca widea {d}mm",
                5 + d * 0.9,
                (3, 20),
            )
        )
    for d in [10, 12, 14, 16, 18, 20, 22, 25, 32, 38]:
        brocas.append(
            _c(
                f"Broca chata para madeira {d} mm",
                "unidade",
                f"broca chata {d}mm",
                6 + d * 0.25,
                (3, 20),
            )
        )
    for d in [15, 20, 25, 30, 35, 40, 50]:
        brocas.append(
            _c(f"Broca forstner {d} mm", "unidade", f"broca forstner {d}mm", 22 + d * 0.9, (2, 12))
        )
    for d in [6, 8, 10]:
        brocas.append(
            _c(
                f"Broca escareadora para madeira {d} mm com limitador",
                "unidade",
                f"broca escareadora {d}mm",
                24 + d,
                (2, 12),
            )
        )
    brocas += [
        _c(
            "Jogo de brocas de aço rápido 1 a 13 mm, 25 peças",
            "unidade",
            "jogo brocas aço rápido",
            115,
            (1, 6),
        ),
        _c(
            "Jogo de brocas para madeira 4 a 10 mm, 5 peças",
            "unidade",
            "jogo brocas madeira",
            38,
            (1, 6),
        ),
        _c(
            "Jogo de brocas forstner 15 a 35 mm, 5 peças",
            "unidade",
            "jogo brocas forstner",
            120,
            (1, 6),
        ),
    ]
    for tip in ["PH1", "PH2", "PH3", "PZ2", "T20", "T25"]:
        for length, price in [(25, 2.6), (50, 4.8), (65, 6.2)]:
            brocas.append(
                _c(
                    f"Ponta (bit) {tip} {length} mm, pacote 10",
                    "pacote",
                    f"bits {tip.lower()} {length}mm",
                    price * 10 * 0.85,
                    (2, 20),
                )
            )
    fams.append(_fam("brocas_bits", brocas, 3))

    pistolas = []
    for kind, price in [("gravidade", 165), ("sucção", 145)]:
        for nozzle in ["1,3", "1,4", "1,5", "1,7", "1,8", "2,0"]:
            pistolas.append(
                _c(
                    f"Pistola de pintura HVLP {kind}, bico {nozzle} mm",
                    "unidade",
                    f"pistola de pintura hvlp {kind}",
                    price,
                    (1, 6),
                    (7, 30),
                )
            )
    for watts, price in [(20, 28), (40, 42), (60, 58)]:
        pistolas.append(
            _c(
                f"Pistola de cola quente {watts} W bivolt",
                "unidade",
                f"pistola cola quente {watts}w",
                price,
                (2, 10),
            )
        )
    pistolas += [
        _c(
            "Pistola aplicadora de silicone simples",
            "unidade",
            "aplicador de silicone",
            18,
            (2, 10),
        ),
        _c(
            "Pistola aplicadora de silicone reforçada",
            "unidade",
            "aplicador de silicone reforçado",
            42,
            (2, 10),
        ),
        _c("Pistola aplicadora de sachê 600 ml", "unidade", "aplicador sachê pu", 115, (1, 6)),
        _c(
            "Pistola de ar para limpeza (sopro) bico curto", "unidade", "pistola de ar", 24, (2, 10)
        ),
        _c(
            "Pistola de ar para limpeza (sopro) bico longo",
            "unidade",
            "pistola de ar bico longo",
            32,
            (2, 10),
        ),
        _c(
            "Pistola para cola de contato com tanque 1 L",
            "unidade",
            "pistola cola de contato",
            210,
            (1, 6),
        ),
        _c(
            "Pistola para cola de espuma com caneca inferior",
            "unidade",
            "pistola cola espuma",
            240,
            (1, 6),
        ),
        _c(
            "Pistola pulverizadora de cola com mangueira (sistema de pressão)",
            "unidade",
            "pistola cola tanque pressão",
            390,
            (1, 4),
            lead_import,
        ),
        _c(
            "Tanque de pressão para cola 10 L",
            "unidade",
            "tanque pressão cola",
            1350,
            (1, 2),
            lead_import,
        ),
    ]
    fams.append(_fam("pistolas", pistolas))

    manuais = []
    for size, price in [('8"', 42), ('9"', 52), ('10"', 64), ('11"', 78), ('12"', 92)]:
        manuais.append(
            _c(
                f"Tesoura de alfaiate {size} em aço",
                "unidade",
                f"tesoura alfaiate {size.replace(chr(34), '')} pol",
                price,
                (2, 12),
            )
        )
    manuais.append(_c('Tesoura de picotar 9"', "unidade", "tesoura picotar", 78, (1, 6)))
    for width, price in [(9, 8), (18, 14), (25, 22)]:
        manuais.append(
            _c(
                f"Estilete profissional {width} mm com trava",
                "unidade",
                f"estilete {width}mm",
                price * 1.8,
                (5, 30),
            )
        )
        manuais.append(
            _c(
                f"Estilete simples {width} mm",
                "unidade",
                f"estilete simples {width}mm",
                price,
                (5, 30),
            )
        )
        manuais.append(
            _c(
                f"Lâmina de estilete {width} mm, tubo 10",
                "pacote",
                f"lâmina estilete {width}mm",
                price * 0.9,
                (5, 40),
            )
        )
    for length, price in [(3, 14), (5, 22), (8, 34), (10, 45)]:
        manuais.append(
            _c(f"Trena de aço {length} m", "unidade", f"trena {length}m", price, (2, 12))
        )
    for length, price in [(20, 38), (30, 48), (50, 72)]:
        manuais.append(
            _c(
                f"Trena de fibra de vidro {length} m",
                "unidade",
                f"trena fibra {length}m",
                price,
                (1, 6),
            )
        )
    for length, price in [(100, 45), (150, 68), (200, 95)]:
        manuais.append(
            _c(
                f"Régua de alumínio {length} cm",
                "unidade",
                f"régua alumínio {length}cm",
                price,
                (1, 6),
            )
        )
    for size, price in [(20, 24), (30, 32), (50, 55)]:
        manuais.append(
            _c(f"Esquadro de aço {size} cm", "unidade", f"esquadro {size}cm", price, (1, 6))
        )
    manuais += [
        _c("Martelo de tapeceiro magnético", "unidade", "martelo tapeceiro", 48, (2, 10)),
        _c("Martelo de unha 27 mm cabo de fibra", "unidade", "martelo unha", 52, (2, 10)),
        _c(
            "Alicate esticador de tecido (tapeceiro)",
            "unidade",
            "alicate esticador tecido",
            95,
            (1, 6),
        ),
        _c("Alicate para molas zig-zag", "unidade", "alicate mola zig zag", 120, (1, 4)),
        _c(
            "Desgrampeador (tira-grampos) de tapeceiro",
            "unidade",
            "tira grampo tapeceiro",
            32,
            (2, 12),
        ),
        _c("Esticador de percinta de madeira", "unidade", "esticador de percinta", 55, (1, 6)),
        _c("Jogo de chaves Allen 1,5 a 10 mm, 9 peças", "unidade", "jogo chave allen", 38, (1, 6)),
        _c(
            "Jogo de chaves de fenda e Phillips, 6 peças",
            "unidade",
            "jogo chave de fenda",
            45,
            (1, 6),
        ),
        _c("Nível de alumínio 40 cm", "unidade", "nível alumínio", 36, (1, 6)),
        _c("Espátula de aço 8 cm", "unidade", "espátula 8cm", 12, (2, 12)),
    ]
    for length, price in [(30, 48), (50, 62), (80, 84), (100, 98)]:
        manuais.append(
            _c(
                f"Grampo sargento {length} cm",
                "unidade",
                f"grampo sargento {length}cm",
                price,
                (2, 12),
            )
        )
    for size, price in [('2"', 18), ('4"', 28), ('6"', 42), ('8"', 58)]:
        manuais.append(
            _c(
                f"Grampo C {size}",
                "unidade",
                f"grampo c {size.replace(chr(34), '')} pol",
                price,
                (2, 12),
            )
        )
    for width in [6, 8, 10, 12, 16, 20, 25]:
        manuais.append(
            _c(
                f"Formão para madeira {width} mm cabo de polipropileno",
                "unidade",
                f"formão {width}mm",
                22 + width * 0.7,
                (1, 6),
            )
        )
    for label, search, price in [
        ('Grosa meia-cana para madeira 8"', "grosa meia cana 8", 42),
        ('Grosa meia-cana para madeira 10"', "grosa meia cana 10", 52),
        ('Alicate universal 8"', "alicate universal 8", 48),
        ('Alicate de corte diagonal 6"', "alicate de corte 6", 42),
        ('Alicate de bico meia-cana 6"', "alicate de bico", 40),
        ("Rebitadeira manual para rebites 2,4 a 4,8 mm", "rebitadeira manual", 65),
        ("Cortador rotativo para tecido 45 mm", "cortador rotativo 45mm", 58),
        ("Lâmina de reposição para cortador rotativo 45 mm, pacote 5", "lâmina cortador 45mm", 48),
        ("Base de corte para tecido A1 (90 x 60 cm)", "base de corte a1", 120),
        ("Base de corte para tecido A2 (60 x 45 cm)", "base de corte a2", 75),
        ('Arco de serra manual 12"', "arco de serra", 38),
        ('Lâmina de serra manual 12" 24 dentes, pacote 10', "lâmina serra manual 24 dentes", 62),
    ]:
        manuais.append(
            _c(label, "pacote" if "pacote" in label else "unidade", search, price, (1, 8))
        )
    fams.append(_fam("manuais", manuais, 2))

    ar = []
    for diam, length, price in [
        (8, 5, 38),
        (8, 10, 58),
        (8, 15, 78),
        (10, 10, 72),
        (10, 15, 95),
        (10, 20, 118),
    ]:
        ar.append(
            _c(
                f"Mangueira de ar comprimido PU espiral {diam} mm x {length} m com engates",
                "unidade",
                f"mangueira espiral {length}m",
                price,
                (1, 6),
            )
        )
    for label, search, price in [
        ('Engate rápido macho 1/4" NPT', "engate rápido macho 1/4", 7),
        ('Engate rápido fêmea 1/4" NPT', "engate rápido fêmea 1/4", 14),
        ("Engate rápido macho para mangueira 8 mm", "engate rápido macho 8mm", 8),
        ("Engate rápido fêmea para mangueira 8 mm", "engate rápido fêmea 8mm", 15),
        ("Regulador de pressão com manômetro e filtro de ar", "filtro regulador de ar", 145),
        ('Lubrificador de linha de ar 1/4"', "lubrificador de linha ar", 95),
        ("Óleo para ferramentas pneumáticas, frasco 100 ml", "óleo ferramenta pneumática", 18),
    ]:
        ar.append(_c(label, "unidade", search, price, (2, 20)))
    for litres, price in [(50, 1450), (100, 2600), (200, 4900)]:
        ar.append(
            _c(
                f"Compressor de ar {litres} L com motor, 220 V",
                "unidade",
                f"compressor de ar {litres} litros",
                price,
                (1, 2),
                lead_import,
            )
        )
    fams.append(_fam("ar_comprimido", ar))
    return fams


# --------------------------------------------------------------------------------------------
# consumiveis

_THREAD_COLOURS = [
    "branca",
    "preta",
    "bege",
    "cinza",
    "grafite",
    "marrom",
    "café",
    "caramelo",
    "marfim",
    "azul marinho",
    "vinho",
    "verde musgo",
    "terracota",
    "cru",
    "rosé",
    "mostarda",
    "verde oliva",
    "azul petróleo",
    "chumbo",
    "areia",
]


def _consumiveis() -> list[_Family]:
    fams: list[_Family] = []
    linhas = []
    for label, search, price in [
        ("Linha de nylon 40 para estofados, cone 1.500 m", "linha nylon 40", 24),
        ("Linha de nylon 60, cone 2.500 m", "linha nylon 60", 21),
        ("Linha de poliéster 120, cone 5.000 m", "linha poliéster 120", 18),
    ]:
        for cor in _THREAD_COLOURS:
            cone = label.split(", ")
            linhas.append(
                _c(f"{cone[0]} {cor}, {cone[1]}", "unidade", f"{search} {cor}", price, (10, 80))
            )
    fams.append(_fam("linhas", linhas, 2))

    ziper = []
    for cor in _THREAD_COLOURS:
        ziper.append(
            _c(
                f"Zíper de nylon nº 5 contínuo {cor}, venda por metro",
                "metro",
                f"zíper nylon 5 metro {cor}",
                1.6,
                (50, 500),
            )
        )
        ziper.append(
            _c(
                f"Zíper de nylon nº 5 contínuo {cor}, rolo 100 m",
                "rolo",
                f"zíper nylon 5 rolo {cor}",
                118,
                (1, 8),
            )
        )
        ziper.append(
            _c(
                f"Cursor para zíper nº 5 {cor}, pacote 100",
                "pacote",
                f"cursor zíper 5 {cor}",
                32,
                (2, 15),
            )
        )
    for length, price in [(40, 2.2), (60, 2.8)]:
        for cor in _THREAD_COLOURS[:8]:
            ziper.append(
                _c(
                    f"Zíper invisível {length} cm {cor}",
                    "unidade",
                    f"zíper invisível {length}cm",
                    price,
                    (50, 400),
                )
            )
    fams.append(_fam("ziperes", ziper, 2))

    botoes = []
    for size, price in [(24, 14), (30, 17), (36, 21), (40, 24)]:
        botoes.append(
            _c(
                f"Botão para forrar (capitonê) nº {size} com garra, pacote 100",
                "pacote",
                f"botão para forrar {size}",
                price,
            )
        )
        botoes.append(
            _c(
                f"Botão para forrar (capitonê) nº {size} com pino, pacote 100",
                "pacote",
                f"botão capitonê {size}",
                price * 1.1,
            )
        )
    for size, price in [(20, 48), (25, 62)]:
        for finish in ["cristal", "strass prata"]:
            botoes.append(
                _c(
                    f"Botão {finish} para capitonê {size} mm, pacote 50",
                    "pacote",
                    f"botão {finish} capitonê",
                    price,
                )
            )
    for size, price in [(14, 9), (18, 12), (22, 16)]:
        for cor in ["preto", "branco", "bege", "marrom"]:
            botoes.append(
                _c(
                    f"Botão de poliéster 4 furos {size} mm {cor}, pacote 100",
                    "pacote",
                    f"botão 4 furos {size}mm",
                    price,
                )
            )
    fams.append(_fam("botoes", botoes))

    velcro = []
    for width, price in [(16, 28), (20, 34), (25, 40), (30, 46), (50, 74), (100, 140)]:
        for side in ["macho", "fêmea"]:
            for cor in ["preto", "branco", "bege"]:
                velcro.append(
                    _c(
                        f"Fita de velcro (fecho de contato) {width} mm {side} {cor}, rolo 25 m",
                        "rolo",
                        f"velcro {width}mm {side}",
                        price,
                        (2, 15),
                    )
                )
    for width, price in [(20, 22), (25, 26)]:
        for cor in ["preto", "branco"]:
            velcro.append(
                _c(
                    f"Fita de velcro adesiva {width} mm {cor} (macho + fêmea), rolo 5 m",
                    "rolo",
                    f"velcro adesivo {width}mm",
                    price,
                    (2, 15),
                )
            )
    fams.append(_fam("velcro", velcro))

    elasticos = []
    for width, price in [(10, 22), (15, 28), (20, 34), (30, 48), (40, 62), (50, 78)]:
        for cor in ["preto", "branco"]:
            elasticos.append(
                _c(
                    f"Elástico chato {width} mm {cor}, rolo 25 m",
                    "rolo",
                    f"elástico chato {width}mm",
                    price,
                    (2, 20),
                )
            )
    for diam, price in [(2.5, 14), (3, 17), (4, 22)]:
        for cor in ["preto", "branco"]:
            elasticos.append(
                _c(
                    f"Elástico roliço {_br(diam)} mm {cor}, rolo 50 m",
                    "rolo",
                    f"elástico roliço {_mm(diam)}mm",
                    price,
                    (2, 20),
                )
            )
    for diam in [3, 4, 5, 6]:
        elasticos.append(
            _c(
                f"Cordão para vivo (cordonê) de algodão {diam} mm, rolo 100 m",
                "rolo",
                f"cordão para vivo {diam}mm",
                18 + diam * 4,
                (2, 20),
            )
        )
        elasticos.append(
            _c(
                f"Cordão para vivo (cordonê) de PVC {diam} mm, venda por metro",
                "metro",
                f"cordonê pvc {diam}mm",
                0.25 + diam * 0.06,
                (100, 1000),
            )
        )
    for width in [10, 15, 20]:
        for cor in ["cru", "preto", "branco"]:
            elasticos.append(
                _c(
                    f"Cadarço de algodão {width} mm {cor}, rolo 50 m",
                    "rolo",
                    f"cadarço algodão {width}mm",
                    16 + width * 0.9,
                    (2, 20),
                )
            )
    for diam, price in [("0,60", 12), ("0,80", 15), ("1,00", 19)]:
        elasticos.append(
            _c(
                f"Fio de nylon monofilamento {diam} mm para capitonê, rolo 100 m",
                "rolo",
                f"fio de nylon {diam.replace(',', '.')}mm",
                price,
                (2, 20),
            )
        )
    for ply, price in [(4, 14), (6, 18), (8, 23)]:
        elasticos.append(
            _c(
                f"Barbante de algodão cru {ply} fios, rolo 700 g",
                "rolo",
                f"barbante {ply} fios",
                price,
                (2, 20),
            )
        )
    fams.append(_fam("elasticos_cordoes", elasticos))

    costura = []
    for system in [
        "DBx1 (máquina reta industrial)",
        "DPx17 (máquina pesada)",
        "134 LR (couro e corino)",
    ]:
        for size in [14, 16, 18, 20, 22]:
            code = system.split(" ")[0]
            costura.append(
                _c(
                    f"Agulha {system} nº {size}, pacote 10",
                    "pacote",
                    f"agulha {code.lower()} {size}",
                    16 if code == "DBx1" else 24,
                    (3, 30),
                )
            )
    for length, price in [(7.5, 9), (10, 11), (20, 16), (25, 19), (30, 22)]:
        costura.append(
            _c(
                f"Agulha curva/longa para estofado {_br(length)} cm",
                "unidade",
                f"agulha estofado {_mm(length)}cm",
                price,
                (5, 40),
            )
        )
    for cor in ["branco", "azul", "amarelo", "vermelho"]:
        costura.append(
            _c(f"Giz de alfaiate {cor}, caixa 10", "caixa", f"giz alfaiate {cor}", 19, (2, 20))
        )
    costura += [
        _c("Alfinete de aço nº 29, caixa 50 g", "caixa", "alfinete 29", 9, (2, 20)),
        _c("Fita métrica de fibra 1,50 m", "unidade", "fita métrica", 5, (5, 40)),
        _c(
            "Caneta marcadora para tecido (apaga com água)",
            "unidade",
            "caneta marcar tecido",
            8,
            (5, 40),
        ),
        _c(
            "Óleo para máquina de costura, frasco 100 ml",
            "unidade",
            "óleo máquina costura",
            9,
            (5, 40),
        ),
        _c(
            "Óleo para máquina de costura, frasco 1 L",
            "litro",
            "óleo máquina costura 1l",
            42,
            (2, 15),
        ),
        _c("Óleo desengripante spray 300 ml", "unidade", "desengripante spray", 24, (5, 40)),
        _c("Graxa branca de lítio, bisnaga 100 g", "unidade", "graxa branca", 12, (5, 40)),
        _c("Silicone spray lubrificante 300 ml", "unidade", "silicone spray", 22, (5, 40)),
        _c(
            "Etiqueta adesiva térmica 100 x 150 mm, rolo 500",
            "rolo",
            "etiqueta térmica 100x150",
            38,
            (3, 30),
        ),
        _c(
            "Etiqueta de composição de tecido em cetim, rolo 200 m",
            "rolo",
            "etiqueta composição cetim",
            56,
            (1, 10),
        ),
    ]
    fams.append(_fam("costura", costura))

    limpeza = [
        _c("Estopa branca, venda por kg", "kg", "estopa branca", 17, (10, 80)),
        _c("Estopa colorida, venda por kg", "kg", "estopa colorida", 12, (10, 80)),
        _c("Pano de limpeza (flanela) 40 x 60 cm", "unidade", "flanela 40x60", 3.2, (20, 200)),
        _c("Pano multiuso, rolo 300 panos", "rolo", "pano multiuso rolo", 58, (2, 20)),
        _c(
            "Papel toalha interfolhado 2 dobras, caixa 1.000 folhas",
            "caixa",
            "papel toalha interfolhado",
            22,
            (5, 40),
        ),
        _c(
            "Papel higiênico rolão 300 m, fardo 8 rolos",
            "pacote",
            "papel higiênico rolão",
            65,
            (3, 20),
        ),
        _c("Sabonete líquido, galão 5 L", "galão", "sabonete líquido 5l", 38, (2, 15)),
        _c("Álcool em gel 70%, galão 5 L", "galão", "álcool gel 5l", 52, (2, 15)),
        _c("Detergente neutro, galão 5 L", "galão", "detergente neutro 5l", 24, (2, 15)),
        _c("Desengraxante concentrado, galão 5 L", "galão", "desengraxante 5l", 68, (2, 15)),
        _c("Vassoura de pelo 40 cm", "unidade", "vassoura pelo", 24, (2, 12)),
        _c("Pá de lixo com cabo longo", "unidade", "pá de lixo", 16, (2, 12)),
    ]
    for cor in ["amarela", "amarela e preta (zebrada)", "vermelha", "verde"]:
        limpeza.append(
            _c(
                f"Fita de demarcação de piso {cor} 48 mm x 30 m",
                "rolo",
                f"fita demarcação piso {cor.split(' ')[0]}",
                32,
                (2, 15),
            )
        )
    for length, price in [(5, 3.5), (10, 5.5), (20, 9)]:
        limpeza.append(
            _c(
                f"Fita isolante preta 19 mm x {length} m",
                "rolo",
                f"fita isolante {length}m",
                price,
                (5, 40),
            )
        )
    fams.append(_fam("limpeza", limpeza))

    epi = []
    for size in ["P", "M", "G", "XG"]:
        epi.append(
            _c(
                f"Luva nitrílica descartável sem pó tamanho {size}, caixa 100",
                "caixa",
                f"luva nitrílica {size.lower()}",
                42,
                (3, 30),
                (2, 10),
            )
        )
        epi.append(
            _c(
                f"Luva de látex descartável tamanho {size}, caixa 100",
                "caixa",
                f"luva látex descartável {size.lower()}",
                34,
                (3, 30),
                (2, 10),
            )
        )
        epi.append(
            _c(
                f"Luva tricotada com pigmento PVC tamanho {size}",
                "par",
                "luva pigmentada",
                3.4,
                (24, 240),
                (2, 10),
            )
        )
        epi.append(
            _c(
                f"Luva nitrílica de proteção forrada verde tamanho {size}",
                "par",
                "luva nitrílica verde",
                9.5,
                (12, 120),
                (2, 10),
            )
        )
        epi.append(
            _c(
                f"Luva de malha com banho de poliuretano tamanho {size}",
                "par",
                "luva pu",
                4.8,
                (24, 240),
                (2, 10),
            )
        )
    for size in ["8", "9", "10"]:
        epi.append(
            _c(
                f"Luva anticorte nível 5 tamanho {size}",
                "par",
                "luva anticorte",
                24,
                (6, 60),
                (2, 10),
            )
        )
    epi.append(_c("Luva de vaqueta cano curto", "par", "luva vaqueta", 14, (12, 120), (2, 10)))
    for label, search, unit, price in [
        ("Respirador PFF2 sem válvula, caixa 20", "máscara pff2", "caixa", 48),
        ("Respirador PFF2 com válvula, caixa 10", "máscara pff2 com válvula", "caixa", 52),
        ("Respirador PFF1 sem válvula, caixa 20", "máscara pff1", "caixa", 36),
        (
            "Respirador PFF2 com carvão ativado (odores), caixa 10",
            "máscara pff2 carvão",
            "caixa",
            68,
        ),
        ("Máscara descartável tripla com elástico, caixa 50", "máscara descartável", "caixa", 15),
        ("Filtro químico para vapores orgânicos (VO), par", "filtro vo respirador", "par", 54),
        ("Filtro mecânico P2 para respirador, par", "filtro p2 respirador", "par", 24),
        ("Óculos de proteção incolor antiembaçante", "óculos de proteção", "unidade", 9.5),
        ("Óculos de proteção fumê", "óculos de proteção fumê", "unidade", 10.5),
        ("Óculos de proteção amarelo", "óculos de proteção amarelo", "unidade", 10.5),
        ("Óculos ampla visão (sobrepor)", "óculos ampla visão", "unidade", 16),
        ("Protetor auricular plug de silicone", "protetor auricular plug", "par", 2.4),
        (
            "Protetor auricular de espuma descartável, caixa 100 pares",
            "protetor auricular espuma",
            "caixa",
            58,
        ),
        ("Protetor auricular tipo concha", "protetor auricular concha", "unidade", 38),
        ("Avental de PVC branco", "avental pvc", "unidade", 18),
        ("Avental de raspa de couro", "avental raspa", "unidade", 42),
        ("Creme protetor para as mãos, pote 200 g", "creme protetor mãos", "unidade", 21),
        ("Protetor facial incolor", "protetor facial", "unidade", 28),
        ("Capacete de segurança branco com carneira", "capacete segurança", "unidade", 24),
    ]:
        epi.append(_c(label, unit, search, price, (5, 60), (2, 10)))
    for size in ["P", "M", "G"]:
        epi.append(
            _c(
                f"Máscara semifacial de silicone (respirador) tamanho {size}",
                "unidade",
                "máscara semifacial",
                88,
                (2, 15),
                (2, 10),
            )
        )
    for size in range(36, 46):
        epi.append(
            _c(
                f"Botina de segurança com bico composite nº {size}",
                "par",
                f"botina segurança {size}",
                118,
                (1, 8),
                (5, 20),
            )
        )
    fams.append(_fam("epi", epi, 3))
    return fams


CATEGORIES: tuple[Category, ...] = (
    Category("tecidos", "TEC", 540, (7, 30), 0.15, _tecidos),
    Category("espumas", "ESP", 310, (3, 15), 0.08, _espumas),
    Category("madeiras_chapas", "MAD", 290, (5, 20), 0.08, _madeiras),
    Category("ferragens", "FER", 680, (2, 15), 0.1, _ferragens),
    Category("adesivos", "ADE", 110, (2, 10), 0.1, _adesivos),
    Category("acabamento", "ACA", 320, (2, 12), 0.1, _acabamento),
    Category("embalagens", "EMB", 180, (1, 7), 0.1, _embalagens),
    Category("ferramentas", "FRT", 250, (3, 21), 0.12, _ferramentas),
    Category("consumiveis", "CON", 320, (1, 10), 0.1, _consumiveis),
)

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
    return {cat.slug: sum(len(f.candidates) for f in cat.build()) for cat in CATEGORIES}


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


def _select(families: list[_Family], quota: int, rng: random.Random, slug: str):
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
        families = cat.build()
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
    data = catalog_csv_text(generate_catalog(n, seed)).encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
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
