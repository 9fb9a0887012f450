"""Quantities in the catalog's units: counted units are bought whole, the others by tenths."""

from __future__ import annotations

from typing import Any

import numpy as np

WHOLE_UNITS = frozenset(
    {"unidade", "caixa", "rolo", "pacote", "par", "chapa", "galão", "lata", "balde", "folha"}
)


def unit_steps(units: Any) -> np.ndarray:
    """1 for counted units (unidade, caixa, ...), 0.1 for measured ones (metro, kg, litro)."""
    whole = np.isin(np.asarray(units, dtype=object), list(WHOLE_UNITS))
    return np.where(whole, 1.0, 0.1)


def round_quantity(quantity: Any, units: Any) -> np.ndarray:
    """Round up to the unit's step: whole items for counted units, 0.1 otherwise."""
    q = np.clip(np.asarray(quantity, dtype=float), 0.0, None)
    step = unit_steps(units)
    # The small tolerance keeps 40.0000000001 from becoming 41.
    return np.round(np.ceil(q / step - 1e-9) * step, 1)


def round_quantity_down(quantity: Any, units: Any) -> np.ndarray:
    """Round down to the unit's step (for quantities that must stay within a limit)."""
    q = np.clip(np.asarray(quantity, dtype=float), 0.0, None)
    step = unit_steps(units)
    return np.round(np.floor(q / step + 1e-9) * step, 1)
