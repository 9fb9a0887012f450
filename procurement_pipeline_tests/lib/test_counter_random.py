"""lib/counter_random.py: counter-based draws, the same whatever the shape or order asked."""

from __future__ import annotations

import numpy as np

from procurement_pipeline.lib.counter_random import hash64, normal, uniform

SEEDS = np.array([1, 2**63 + 5, 0xDEADBEEF], dtype=np.uint64)


def test_a_draw_depends_on_seed_stream_and_every_counter_only():
    days = np.arange(50)
    whole = uniform(SEEDS.reshape(-1, 1), 7, days)
    assert whole.shape == (3, 50)
    assert np.array_equal(whole[:, 10:20], uniform(SEEDS.reshape(-1, 1), 7, days[10:20]))
    assert np.array_equal(whole[1], uniform(SEEDS[1:2], 7, days))
    assert not np.array_equal(whole, uniform(SEEDS.reshape(-1, 1), 8, days))
    assert ((whole >= 0.0) & (whole < 1.0)).all()


def test_the_number_of_counters_is_part_of_the_draw():
    # The demo market draws with two counters, the consumption generator with one.
    one = hash64(SEEDS, 3, 4)
    assert not np.array_equal(one, hash64(SEEDS, 3, 4, 0))
    assert not np.array_equal(one, hash64(SEEDS, 3))


def test_normal_is_standardised_and_shape_independent():
    draws = normal(SEEDS.reshape(-1, 1), 11, np.arange(20_000))
    assert abs(draws.mean()) < 0.02 and abs(draws.std() - 1.0) < 0.02
    assert np.abs(draws).max() <= 2.0 * 1.7320508075688772
    assert np.array_equal(draws[2, 5:9], normal(SEEDS[2:3], 11, np.arange(5, 9)))


_MASK64 = (1 << 64) - 1


def _reference_mix(z: int) -> int:
    # splitmix64's finaliser on Python integers, written from its definition.
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def test_hash64_is_splitmix64_over_the_counters():
    seed, stream, counters = 2**63 + 5, 501, (3, 2**40)
    z = _reference_mix(seed ^ ((stream * 0xD6E8FEB86659FD93) & _MASK64))
    for counter in counters:
        z = _reference_mix((z + counter * 0x9E3779B97F4A7C15) & _MASK64)
    assert hash64(np.array([seed], dtype=np.uint64), stream, *counters).tolist() == [z]
    assert uniform(np.array([seed], dtype=np.uint64), stream, *counters)[0] == (z >> 11) / 2.0**53
