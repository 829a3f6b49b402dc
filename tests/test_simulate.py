"""The running example: shapes, planted effects, reproducibility, validation."""

import numpy as np
import pytest

from labsupport import simulate


def test_feed_experiment_columns_and_reproducibility():
    df = simulate.feed_experiment(1000, 42)
    assert list(df.columns) == ["user_id", "variant", "day", "platform", "clicked", "added_to_cart",
                                "revenue", "latency_ms", "pre_clicks", "pre_revenue"]
    assert df.equals(simulate.feed_experiment(1000, np.random.default_rng(42)))
    assert not df.equals(simulate.feed_experiment(1000, 43))
    assert (df.added_to_cart <= df.clicked).all() and (df.revenue[~df.added_to_cart] == 0).all()
    assert df.day.between(0, 13).all() and set(df.platform) <= set(simulate.PLATFORMS)


def test_feed_experiment_plants_the_requested_effects():
    df = simulate.feed_experiment(400_000, 1, ctr_lift=0.10, latency_shift_ms=30, weights=(0.3, 0.7))
    share_b = (df.variant == "B").mean()
    assert abs(share_b - 0.7) < 5 * np.sqrt(0.21 / 400_000)
    means = df.groupby("variant")[["clicked", "latency_ms"]].mean()
    assert means.loc["B", "clicked"] / means.loc["A", "clicked"] - 1 == pytest.approx(0.10, abs=0.02)
    assert means.loc["B", "latency_ms"] - means.loc["A", "latency_ms"] == pytest.approx(30, abs=2)
    assert means.loc["A", "clicked"] == pytest.approx(0.10, abs=0.002)
    revenue = df.revenue[df.revenue > 0]
    assert revenue.mean() > 1.5 * revenue.median()  # right-skewed order values
    assert (df.revenue == 0).mean() > 0.9  # most users spend nothing


def test_binomial_experiments_shape_and_mean():
    sa, sb = simulate.binomial_experiments(5000, 1000, 0.1, 0.2, 0)
    assert sa.shape == sb.shape == (5000,)
    assert sa.mean() == pytest.approx(100, abs=1) and sb.mean() == pytest.approx(200, abs=1.5)


@pytest.mark.parametrize("call, name", [
    (lambda: simulate.feed_experiment(0, 1), "n_users"),
    (lambda: simulate.feed_experiment(10, 1, ctr=1.5), "ctr"),
    (lambda: simulate.feed_experiment(10, 1, weights=(0.6, 0.6)), "weights"),
    (lambda: simulate.feed_experiment(10, 1, ctr=0.6, ctr_lift=1.0), "ctr_lift"),
    (lambda: simulate.feed_experiment(10, "seed"), "rng"),
    (lambda: simulate.binomial_experiments(10, 100, 0.1, -0.2, 1), "p_b"),
    (lambda: simulate.binomial_experiments(0, 100, 0.1, 0.2, 1), "n_sims"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
