"""The collaboration effect's statistics (gsm_platform/outlook_stats.py): the medians are DuckDB's,
the exact bootstrap of the median has the distribution of the classic resampling bootstrap, and
the same inputs give the same bytes (seeded by names, never by Python's hash or input order)."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from gsm_platform.outlook_stats import bootstrap_medians, group_rng, median, median_difference


@pytest.mark.parametrize("values", [[3.0], [1.0, 2.0], [5.0, 1.0, 4.0], [2.0, 2.0, 9.0, 1.0, 7.0, 3.5]])
def test_the_median_is_duckdbs(values):
    with duckdb.connect() as conn:
        expected = conn.execute("SELECT median(x) FROM (SELECT unnest(?::DOUBLE[]) AS x)", [values]).fetchone()[0]
    assert median(np.sort(np.array(values))) == expected


def test_no_values_have_no_median_and_no_difference():
    assert np.isnan(median(np.array([])))
    result = median_difference(np.array([1.0, 2.0]), np.array([]), 100, 0.95, group_rng(1, "a"))
    assert (result.n_a, result.n_b, result.median_a, result.median_b) == (2, 0, 1.5, None)
    assert result.difference is None and result.low is None and result.high is None


@pytest.mark.parametrize("n", [7, 8, 31])
def test_the_exact_bootstrap_matches_resampling(n):
    """The law of the replicates' medians equals the classic bootstrap's (resampling n of n with
    replacement), compared on the quantiles of 20,000 replicates of each."""
    values = np.sort(np.random.default_rng(5).lognormal(0.0, 1.0, size=n))
    exact = bootstrap_medians(values, 20_000, np.random.default_rng(1))
    picks = np.random.default_rng(2).integers(0, n, size=(20_000, n))
    classic = np.median(values[picks], axis=1)
    qs = [0.05, 0.25, 0.5, 0.75, 0.95]
    spread = values[-1] - values[0]
    assert np.allclose(np.quantile(exact, qs), np.quantile(classic, qs), atol=0.06 * spread)
    assert exact.mean() == pytest.approx(classic.mean(), abs=0.03 * spread)


def test_the_interval_is_reproducible_and_independent_of_order():
    rng = np.random.default_rng(9)
    a, b = rng.normal(5.0, 1.0, 400), rng.normal(4.0, 1.0, 900)
    first = median_difference(a, b, 4000, 0.95, group_rng(20250101, "2025", "kementerian", "instagram"))
    again = median_difference(a[::-1], b[::-1], 4000, 0.95, group_rng(20250101, "2025", "kementerian", "instagram"))
    assert first == again
    other = median_difference(a, b, 4000, 0.95, group_rng(20250101, "2025", "kementerian", "x"))
    assert other.low != first.low  # each group has its own stream
    assert first.low < first.difference < first.high
    assert first.low > 0.5 and first.high < 1.5  # a real difference of about 1 is found, zero is outside


def test_no_difference_gives_an_interval_around_zero():
    rng = np.random.default_rng(3)
    values = rng.normal(2.0, 1.0, 2000)
    result = median_difference(values[:1000], values[1000:], 4000, 0.95, group_rng(1, "same"))
    assert result.low < 0 < result.high


def test_a_large_group_costs_two_draws_per_replicate():
    """300,000 posts and 4,000 replicates: sorting plus 8,000 Beta draws, well under a second."""
    import time

    values = np.random.default_rng(0).random(300_000)
    started = time.perf_counter()
    median_difference(values, values[:1000], 4000, 0.95, group_rng(1, "big"))
    assert time.perf_counter() - started < 2.0  # generous: the machine is shared
