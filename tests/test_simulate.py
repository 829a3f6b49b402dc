"""The running example: shapes, planted effects, reproducibility, validation."""

import numpy as np
import pytest
from scipy import stats as sps

from labsupport import simulate

N = 400_000


def _within(estimate, expected, se, k=5.0):
    """A Monte Carlo mean within k standard errors of its exact value."""
    return abs(estimate - expected) < k * se


@pytest.fixture(scope="module")
def big():
    """One large experiment with every lift switched on (the seed is arbitrary)."""
    return simulate.feed_experiment(N, 2, ctr=0.12, cart_rate=0.25, purchase_rate=0.6, order_log_mean=3.0,
                                    order_log_sd=0.6, latency_median_ms=200.0, ctr_lift=0.2, cart_lift=0.4,
                                    latency_shift_ms=25.0, weights=(0.4, 0.6), days=10)


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


def test_click_probability_is_ctr_times_a_mean_one_gamma_engagement(big):
    # Exact reference: P(click) = E[min(ctr e, 1)] for e ~ Gamma(2, scale 1/2), by quadrature.
    a = big[big.variant == "A"]
    e = sps.gamma(2.0, scale=0.5)
    cap = 1 / 0.12
    exact = 0.12 * e.expect(lambda x: x, lb=0, ub=cap) + e.sf(cap)
    p = a.clicked.mean()
    assert _within(p, exact, np.sqrt(exact * (1 - exact) / len(a)))
    # the pre-period clicks share the engagement: Poisson(3 ctr e), so mean 3 ctr and positive correlation
    assert _within(a.pre_clicks.mean(), 3 * 0.12, np.sqrt(3 * 0.12 * (1 + 3 * 0.12 * 0.5) / len(a)))
    assert np.corrcoef(big.pre_clicks, big.clicked)[0, 1] > 0.05


def test_ctr_lift_multiplies_b_click_probability(big):
    rates = big.groupby("variant").clicked.agg(["mean", "size"])
    ratio = rates.loc["B", "mean"] / rates.loc["A", "mean"]
    se = ratio * np.sqrt(sum((1 - rates.loc[v, "mean"]) / (rates.loc[v, "mean"] * rates.loc[v, "size"])
                             for v in "AB"))
    assert _within(ratio, 1.2, se)


def test_cart_lift_multiplies_b_add_to_cart_among_clickers(big):
    clicked = big[big.clicked]
    for variant, expected in (("A", 0.25), ("B", 0.25 * 1.4)):
        share = clicked.added_to_cart[clicked.variant == variant]
        assert _within(share.mean(), expected, np.sqrt(expected * (1 - expected) / len(share))), variant
    assert not (big.added_to_cart & ~big.clicked).any()


def test_purchases_and_order_values(big):
    added = big[big.added_to_cart]
    bought = added.revenue > 0
    assert _within(bought.mean(), 0.6, np.sqrt(0.24 / len(added)))
    orders = np.log(added.revenue[bought])
    # log order values are N(order_log_mean, order_log_sd^2), in both arms
    assert _within(orders.mean(), 3.0, 0.6 / np.sqrt(len(orders)))
    assert _within(orders.std(), 0.6, 0.6 / np.sqrt(2 * len(orders)))
    assert sps.kstest(orders, sps.norm(3.0, 0.6).cdf).pvalue > 1e-4


def test_latency_median_and_shift(big):
    for variant, shift in (("A", 0.0), ("B", 25.0)):
        lat = big.latency_ms[big.variant == variant].to_numpy() - shift
        # log latency is N(log median, 0.35^2)
        assert _within(np.log(lat).mean(), np.log(200.0), 0.35 / np.sqrt(lat.size)), variant


def test_days_are_uniform_and_weights_are_respected(big):
    counts = np.bincount(big.day, minlength=10)
    assert counts.size == 10 and sps.chisquare(counts).pvalue > 1e-4
    share_b = (big.variant == "B").mean()
    assert _within(share_b, 0.6, np.sqrt(0.24 / N))
    shares = big.platform.value_counts(normalize=True).reindex(simulate.PLATFORMS).to_numpy()
    assert np.allclose(shares, simulate.PLATFORM_SHARES, atol=5 * np.sqrt(0.25 / N))


def test_no_lift_means_no_difference_between_arms():
    df = simulate.feed_experiment(N, 3)
    rates = df.groupby("variant")[["clicked", "added_to_cart"]].mean()
    for col, p in (("clicked", 0.10), ("added_to_cart", 0.03)):
        assert _within(rates.loc["B", col] - rates.loc["A", col], 0.0, np.sqrt(4 * p * (1 - p) / N)), col


def test_feed_experiment_output_is_unchanged_for_a_seed():
    # Other lessons print numbers from this simulator: its draws for a seed must not change.
    # Fingerprint recorded from the simulator as committed before lessons 00-06 were re-executed.
    df = simulate.feed_experiment(2000, 20261122, ctr_lift=0.05, cart_lift=0.1, latency_shift_ms=15)
    assert [(df.variant == "B").sum(), df.day.sum(), df.clicked.sum(), df.added_to_cart.sum(),
            df.pre_clicks.sum(), (df.platform == "ios").sum()] == [970, 12964, 208, 74, 611, 697]
    assert [round(df.revenue.sum(), 4), round(df.latency_ms.sum(), 3), round(df.pre_revenue.sum(), 4)] == \
        [1909.813, 554401.973, 4839.9183]


@pytest.mark.parametrize("kw, name", [
    (dict(cart_rate=0.6, cart_lift=1.0), "cart_lift"),
    (dict(order_log_sd=-1.0), "order_log_sd"),
    (dict(order_log_mean=np.inf), "order_log_mean"),
    (dict(latency_median_ms=0.0), "latency_median_ms"),
    (dict(latency_shift_ms=np.nan), "latency_shift_ms"),
    (dict(days=0), "days"),
    (dict(purchase_rate=-0.1), "purchase_rate"),
])
def test_more_bad_inputs_name_the_argument(kw, name):
    with pytest.raises(ValueError, match=name):
        simulate.feed_experiment(10, 1, **kw)


def test_the_smallest_allowed_inputs_are_accepted():
    """One user per arm is an experiment; a zero order-value spread is a fixed basket (edges of the ranges)."""
    a, b = simulate.binomial_experiments(1_000, 1, 0.3, 0.3, np.random.default_rng(0))
    assert set(np.unique(a)) <= {0, 1} and set(np.unique(b)) <= {0, 1}
    with pytest.raises(ValueError, match="n_per_arm"):
        simulate.binomial_experiments(10, 0, 0.3, 0.3, np.random.default_rng(0))
    df = simulate.feed_experiment(20_000, np.random.default_rng(1), order_log_sd=0.0)
    bought = df.loc[df.revenue > 0, "revenue"]
    assert len(bought) > 0 and np.allclose(bought, np.exp(3.5))
