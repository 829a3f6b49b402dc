"""The running example: a recommendation feed under test.

Each user sees the feed during the experiment. Outcomes per user:
``clicked`` (clicked a recommendation), ``added_to_cart``, ``revenue`` (heavy-tailed:
most users spend nothing, a few spend a lot) and ``latency_ms`` (page-load time).
A latent engagement level links a user's outcomes to the pre-period ones
(``pre_clicks``, ``pre_revenue``), which later lessons use as covariates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _validate as v

PLATFORMS = ("android", "ios", "web")
PLATFORM_SHARES = (0.45, 0.35, 0.20)


def binomial_experiments(n_sims, n_per_arm, p_a, p_b, rng):
    """Success counts of ``n_sims`` two-arm Bernoulli experiments: arrays (successes_a, successes_b)."""
    rng = v.as_rng(rng)
    n_sims = v.positive_int("n_sims", n_sims)
    n = v.counts("n_per_arm", n_per_arm, minimum=1)
    p_a, p_b = v.probability("p_a", p_a), v.probability("p_b", p_b)
    return rng.binomial(n, p_a, size=n_sims), rng.binomial(n, p_b, size=n_sims)


def feed_experiment(n_users, rng, *, ctr=0.10, cart_rate=0.30, purchase_rate=0.50,
                    order_log_mean=3.5, order_log_sd=1.0, latency_median_ms=250.0,
                    ctr_lift=0.0, cart_lift=0.0, latency_shift_ms=0.0,
                    weights=(0.5, 0.5), days=14) -> pd.DataFrame:
    """One simulated A/B test of the feed: a DataFrame with one row per user.

    A user's engagement e ~ Gamma(2, 1/2) (mean 1) sets their click probability ``ctr`` x e
    (A; B multiplies it by 1 + ``ctr_lift``); a click adds to the cart with probability
    ``cart_rate`` (B: x (1 + ``cart_lift``)), a cart is bought with ``purchase_rate``, an
    order's value is lognormal(``order_log_mean``, ``order_log_sd``); page loads take
    ``latency_median_ms`` x lognormal(0, 0.35) ms, plus ``latency_shift_ms`` in B.
    ``weights`` are the planned shares of A and B; ``day`` is the day (0-based) each
    user first arrived, uniform over ``days``.
    """
    rng = v.as_rng(rng)
    n = v.positive_int("n_users", n_users)
    for name, value in (("ctr", ctr), ("cart_rate", cart_rate), ("purchase_rate", purchase_rate)):
        v.probability(name, value)
    weights = v.probability("weights", weights)
    if len(weights) != 2 or not np.isclose(weights.sum(), 1):
        raise ValueError(f"weights must be two shares summing to 1; got {tuple(weights)}")
    if ctr * (1 + ctr_lift) > 1 or cart_rate * (1 + cart_lift) > 1 or min(ctr_lift, cart_lift) < -1:
        raise ValueError("ctr_lift and cart_lift must keep the rates in [0, 1]")
    days = v.positive_int("days", days)
    v.finite("order_log_mean", order_log_mean)
    v.positive("order_log_sd", order_log_sd, allow_zero=True)
    v.positive("latency_median_ms", latency_median_ms)
    v.finite("latency_shift_ms", latency_shift_ms)

    is_b = rng.random(n) < weights[1]
    engagement = rng.gamma(shape=2.0, scale=0.5, size=n)  # mean 1, a user's activity level
    p_click = np.clip(ctr * engagement * np.where(is_b, 1 + ctr_lift, 1.0), 0, 1)
    clicked = rng.random(n) < p_click
    added = clicked & (rng.random(n) < cart_rate * np.where(is_b, 1 + cart_lift, 1.0))
    bought = added & (rng.random(n) < purchase_rate)
    revenue = np.where(bought, rng.lognormal(order_log_mean, order_log_sd, n), 0.0)
    latency = latency_median_ms * rng.lognormal(0.0, 0.35, n) + np.where(is_b, latency_shift_ms, 0.0)
    pre_clicks = rng.poisson(3 * ctr * engagement)
    pre_revenue = np.where(rng.random(n) < np.clip(ctr * engagement * cart_rate * purchase_rate * 3, 0, 1),
                           rng.lognormal(order_log_mean, order_log_sd, n), 0.0)
    return pd.DataFrame({
        "user_id": np.arange(n),
        "variant": np.where(is_b, "B", "A"),
        "day": rng.integers(0, days, n),
        "platform": rng.choice(PLATFORMS, size=n, p=PLATFORM_SHARES),
        "clicked": clicked,
        "added_to_cart": added,
        "revenue": revenue,
        "latency_ms": latency,
        "pre_clicks": pre_clicks,
        "pre_revenue": pre_revenue,
    })
