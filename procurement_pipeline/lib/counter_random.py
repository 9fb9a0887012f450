"""Counter-based random numbers: every draw is a hash of (seed, stream, counters), numpy uint64
with wrap-around arithmetic (splitmix64's finaliser), so any value can be computed on its own,
in any order and array shape, and is the same in every process. The demo market
(:mod:`procurement_pipeline.lib.scraping.demo_market`) and the demo consumption generator
(``tools/consumption_generator.py``) draw from here.

The number of counters is part of a draw's identity: ``hash64(seed, s, a)`` and
``hash64(seed, s, a, 0)`` differ, so each user keeps the arity it was built with (the demo
files committed under ``data/`` are compared byte for byte with their generators' output).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_STREAM = np.uint64(0xD6E8FEB86659FD93)
_U30, _U27, _U31, _U11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_MASK16 = np.uint64(0xFFFF)


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> _U30)) * _M1
    z = (z ^ (z >> _U27)) * _M2
    return z ^ (z >> _U31)


def _u64(a: Any) -> np.ndarray:
    # At least 1-d: numpy scalars (unlike arrays) warn on the intended wrap-around.
    return np.atleast_1d(np.asarray(a, dtype=np.int64)).astype(np.uint64)


def _stream_key(stream: int) -> np.uint64:
    return np.uint64((stream * int(_STREAM)) & 0xFFFFFFFFFFFFFFFF)


def hash64(seed: np.ndarray, stream: int, *counters: Any) -> np.ndarray:
    """64 random bits per element of ``seed`` broadcast with the integer ``counters``."""
    z = _mix(seed ^ _stream_key(stream))
    for counter in counters:
        z = _mix(z + _u64(counter) * _GOLDEN)
    return z


def uniform(seed: np.ndarray, stream: int, *counters: Any) -> np.ndarray:
    """Uniform in [0, 1): the top 53 bits of :func:`hash64`."""
    return (hash64(seed, stream, *counters) >> _U11).astype(np.float64) * (1.0 / 9007199254740992.0)


def normal(seed: np.ndarray, stream: int, *counters: Any) -> np.ndarray:
    """Approximately standard normal: the sum of four 16-bit uniforms (Irwin-Hall), scaled.
    Only integer and float additions: bit-for-bit the same whatever the array shape."""
    h = hash64(seed, stream, *counters)
    total = (
        (h & _MASK16)
        + ((h >> np.uint64(16)) & _MASK16)
        + ((h >> np.uint64(32)) & _MASK16)
        + (h >> np.uint64(48))
    )
    return (total.astype(np.float64) * (1.0 / 65536.0) - 2.0) * 1.7320508075688772
