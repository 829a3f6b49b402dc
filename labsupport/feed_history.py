"""The recommendation feed with each user's history: what CUPED needs from the running example.

Users differ in a long-run activity level ``e`` (page views) and a click propensity ``c``, both
mean-one gamma variables that persist over time. In each window (the test itself, and each earlier
window of ``pre_days`` days) a user's activity is ``e`` times a window factor ``W`` (mean-one
gamma, drawn afresh per window: interests drift). Given these,

    views  ~ Poisson(views_per_day * days * e * W)        (B: times 1 + views_lift during the test)
    clicks ~ Binomial(views, ctr * c)                     (B: ctr times 1 + ctr_lift during the test)
    orders ~ Binomial(clicks, purchase_rate);  revenue = orders * spend * lognormal(order_log_mean, order_log_sd)

with a persistent, lognormal ``spend`` level per user (B: order values times 1 + order_value_lift).
So clicks are Poisson(views_per_day * ctr * days * e * c * W) given the user and the window, and
their means, variances and the correlation between two windows have closed forms
(:class:`HistoryModel`). New users (``new_user_share``) have no history: NaN in every pre-period
column, and a lower activity level (``new_user_activity``).

Only Generator draws and elementwise arithmetic: the same numbers on every CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from . import _validate as v

__all__ = ["HistoryModel", "calibrate", "feed_history", "history_panel"]


@dataclass(frozen=True)
class HistoryModel:
    """The user population. Defaults: calibrated (``calibrate``) so that the clicks of a one-week
    pre-period remove 45%, and of a two-week pre-period 50%, of the variance of two-week clicks
    (Deng et al. 2013 report "more than 45%" and "about 50%" for queries per user)."""

    views_per_day: float = 2.0
    ctr: float = 0.10
    engagement_shape: float = 0.617942
    taste_shape: float = 4.0
    drift_shape: float = 5.60131
    new_user_activity: float = 0.6
    purchase_rate: float = 0.04
    order_log_mean: float = 3.5
    order_log_sd: float = 1.0
    spend_sd: float = 0.8

    def __post_init__(self):
        for f in fields(self):
            if f.name in ("ctr", "purchase_rate"):
                v.probability(f.name, getattr(self, f.name), open_low=True)
            elif f.name == "order_log_mean":
                v.finite(f.name, self.order_log_mean)
            else:
                v.positive(f.name, getattr(self, f.name))

    @property
    def _k(self) -> float:  # E[(e c)^2]
        return (1 + 1 / self.engagement_shape) * (1 + 1 / self.taste_shape)

    def clicks_mean(self, days) -> float:
        """Expected clicks of a user with history over ``days`` days (arm A)."""
        return self.views_per_day * self.ctr * v.positive("days", days)

    def clicks_variance(self, days) -> float:
        """Variance of a user's clicks over a window of ``days`` days (arm A)."""
        m = self.clicks_mean(days)
        return m + m**2 * (self._k * (1 + 1 / self.drift_shape) - 1)

    def clicks_covariance(self, pre_days, days) -> float:
        """Covariance of a user's clicks in a pre-period window and in the test window."""
        return self.clicks_mean(pre_days) * self.clicks_mean(days) * (self._k - 1)

    def variance_reduction(self, pre_days, days=14) -> float:
        """rho^2: the share of the variance of test-window clicks that CUPED on pre-period clicks removes."""
        cov = self.clicks_covariance(pre_days, days)
        return cov**2 / (self.clicks_variance(pre_days) * self.clicks_variance(days))

    def max_variance_reduction(self, days=14) -> float:
        """The share of the variance of clicks explained by the user's persistent traits (e, c):
        no covariate built from the past can remove more."""
        return self.clicks_mean(days) ** 2 * (self._k - 1) / self.clicks_variance(days)

    def clicks_effect(self, days=14, views_lift=0.0, ctr_lift=0.0) -> float:
        """True effect B - A on clicks per user over the test window."""
        return self.clicks_mean(days) * ((1 + views_lift) * (1 + ctr_lift) - 1)


def calibrate(reduction_short=0.45, reduction_long=0.50, short_days=7, long_days=14, days=14, *,
              views_per_day=2.0, ctr=0.10, taste_shape=4.0) -> HistoryModel:
    """The model whose ``short_days`` and ``long_days`` pre-periods remove the given shares of variance.

    Solves for ``engagement_shape`` and ``drift_shape`` in closed form: with m = views_per_day * ctr,
    rho^2(d1, d2) = B^2 / ((1 / (m d1) + A) (1 / (m d2) + A)), A = K G - 1, B = K - 1,
    K = E[e^2] E[c^2], G = E[W^2].
    """
    r1, r2 = (v.probability(n, x, open_low=True, open_high=True)
              for n, x in (("reduction_short", reduction_short), ("reduction_long", reduction_long)))
    if not short_days < long_days or not r1 < r2:
        raise ValueError("reduction_short and reduction_long: a longer pre-period (long_days > short_days) "
                         "must remove more variance (reduction_long > reduction_short)")
    m = views_per_day * ctr
    s1, s2, s = (1 / (m * v.positive(n, d)) for n, d in (("short_days", short_days),
                                                            ("long_days", long_days), ("days", days)))
    a = (r1 * s1 - r2 * s2) / (r2 - r1)
    b = math.sqrt(r2 * (s2 + a) * (s + a))
    k, taste = b + 1, 1 + 1 / taste_shape
    g = (a + 1) / k
    if not (g > 1 and k > taste):
        raise ValueError("reduction_short and reduction_long: no model with these parameters reproduces "
                         "both reductions")
    return HistoryModel(views_per_day=views_per_day, ctr=ctr, taste_shape=taste_shape,
                        engagement_shape=1 / (k / taste - 1), drift_shape=1 / (g - 1))


def _design(days, pre_days, new_user_share, views_lift, ctr_lift, order_value_lift=0.0):
    v.positive("days", days)
    v.positive("pre_days", pre_days)
    v.probability("new_user_share", new_user_share, open_high=True)
    for name, lift in (("views_lift", views_lift), ("ctr_lift", ctr_lift), ("order_value_lift", order_value_lift)):
        if float(v.finite(name, lift)) <= -1:
            raise ValueError(f"{name} must be > -1 (a relative change); got {lift}")


def _users(shape, rng, model, new_user_share):
    """Persistent traits: history flag, activity e, click propensity c."""
    has_history = rng.random(shape) >= new_user_share
    e = rng.gamma(model.engagement_shape, 1 / model.engagement_shape, shape)
    e = np.where(has_history, e, model.new_user_activity * e)
    c = rng.gamma(model.taste_shape, 1 / model.taste_shape, shape)
    return has_history, e, c


def _window(rng, model, e, c, days, views_factor=1.0, ctr_factor=1.0, with_views=True):
    """Views and clicks of one window (views None when only clicks are drawn)."""
    w = rng.gamma(model.drift_shape, 1 / model.drift_shape, e.shape)
    rate = model.views_per_day * days * e * w * views_factor
    p_click = np.minimum(model.ctr * c * ctr_factor, 1.0)
    if with_views:
        views = rng.poisson(rate)
        return views, rng.binomial(views, p_click)
    return None, rng.poisson(rate * p_click)  # the same distribution of clicks, one draw fewer


def _revenue(rng, model, clicks, spend, value_factor=1.0):
    orders = rng.binomial(clicks, model.purchase_rate)
    value = spend * rng.lognormal(model.order_log_mean, model.order_log_sd, clicks.shape) * value_factor
    return orders * value


def feed_history(n_users, rng, model=None, *, days=14, pre_days=14, windows=3, new_user_share=0.0,
                 views_lift=0.0, ctr_lift=0.0, order_value_lift=0.0, weights=(0.5, 0.5)) -> pd.DataFrame:
    """One experiment with history: a DataFrame with one row per user.

    Columns: ``user_id``, ``variant``, ``has_history``; for each pre-period window (``pre_`` for the
    ``pre_days`` days just before the test, ``pre2_`` for the window before that, up to ``windows``):
    views, clicks, revenue (NaN for new users); and ``views``, ``clicks``, ``revenue`` during the test.
    The lifts apply to arm B during the test only.
    """
    rng = v.as_rng(rng)
    n = v.positive_int("n_users", n_users)
    model = HistoryModel() if model is None else model
    if not isinstance(model, HistoryModel):
        raise ValueError(f"model must be a HistoryModel; got {type(model).__name__}")
    windows = v.positive_int("windows", windows)
    _design(days, pre_days, new_user_share, views_lift, ctr_lift, order_value_lift)
    weights = v.probability("weights", weights)
    if np.shape(weights) != (2,) or not np.isclose(weights.sum(), 1):
        raise ValueError(f"weights must be two shares summing to 1; got {weights!r}")

    is_b = rng.random(n) < weights[1]
    has_history, e, c = _users(n, rng, model, new_user_share)
    spend = rng.lognormal(-model.spend_sd**2 / 2, model.spend_sd, n)
    data = {"user_id": np.arange(n), "variant": np.where(is_b, "B", "A"), "has_history": has_history}
    for k in range(1, windows + 1):
        prefix = "pre" if k == 1 else f"pre{k}"
        views, clicks = _window(rng, model, e, c, pre_days)
        revenue = _revenue(rng, model, clicks, spend)
        for name, values in (("views", views), ("clicks", clicks), ("revenue", revenue)):
            data[f"{prefix}_{name}"] = np.where(has_history, values, np.nan)
    views, clicks = _window(rng, model, e, c, days, np.where(is_b, 1 + views_lift, 1.0),
                            np.where(is_b, 1 + ctr_lift, 1.0))
    data.update(views=views, clicks=clicks,
                revenue=_revenue(rng, model, clicks, spend, np.where(is_b, 1 + order_value_lift, 1.0)))
    return pd.DataFrame(data)


def history_panel(n_sims, n_per_arm, rng, model=None, *, days=14, pre_days=14, new_user_share=0.0,
                  views_lift=0.0, ctr_lift=0.0, views=False) -> dict:
    """``n_sims`` experiments at once, for calibration and power studies (no revenue).

    ``n_per_arm`` is an int or a pair (n_a, n_b). Returns a dict mapping ``pre_clicks``, ``clicks``,
    ``has_history`` (and, with ``views=True``, ``pre_views`` and ``views``) to a pair (arm A, arm B)
    of arrays of shape (n_sims, n_arm). One pre-period window of ``pre_days`` days.
    """
    rng = v.as_rng(rng)
    n_sims = v.positive_int("n_sims", n_sims)
    sizes = (n_per_arm, n_per_arm) if np.ndim(n_per_arm) == 0 else tuple(n_per_arm)
    if len(sizes) != 2:
        raise ValueError(f"n_per_arm must be an int or a pair (n_a, n_b); got {n_per_arm!r}")
    sizes = [v.positive_int("n_per_arm", int(s) if isinstance(s, np.integer) else s, minimum=2) for s in sizes]
    model = HistoryModel() if model is None else model
    if not isinstance(model, HistoryModel):
        raise ValueError(f"model must be a HistoryModel; got {type(model).__name__}")
    _design(days, pre_days, new_user_share, views_lift, ctr_lift)

    out = {}
    for arm, n in zip("AB", sizes):
        shape = (n_sims, n)
        has_history, e, c = _users(shape, rng, model, new_user_share)
        pre_views, pre_clicks = _window(rng, model, e, c, pre_days, with_views=views)
        lifts = (1 + views_lift, 1 + ctr_lift) if arm == "B" else (1.0, 1.0)
        test_views, test_clicks = _window(rng, model, e, c, days, *lifts, with_views=views)
        arrays = {"has_history": has_history, "pre_clicks": np.where(has_history, pre_clicks, np.nan),
                  "clicks": test_clicks}
        if views:
            arrays.update(pre_views=np.where(has_history, pre_views, np.nan), views=test_views)
        for name, values in arrays.items():
            out.setdefault(name, []).append(values)
    return {name: tuple(pair) for name, pair in out.items()}
