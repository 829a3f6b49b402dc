"""Sample ratio mismatch (SRM): do the arms hold the share of units the design planned?

``srm_test`` is Pearson's chi-square goodness-of-fit test of the observed counts
against the planned weights, for any number of arms. It broadcasts over leading
axes, so one call checks every simulated experiment, segment or day at once.

Checking every day with a fixed-sample test inflates false alarms. ``sequential_srm``
is the Dirichlet-multinomial test of Lindon & Malek (2022, "Anytime-valid inference
for multinomial count data", NeurIPS): the Bayes factor of a Dirichlet(concentration
x weights) mixture against the planned multinomial is a test martingale under the
null, so by Ville's inequality the running minimum of 1 / Bayes factor is a p-value
valid at every look, however often one looks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats as _sps

from . import _validate as v
from .stats import format_value

METHODS = ("chisquare", "sequential")


@dataclass(frozen=True)
class SRMResult:
    """Chi-square SRM check: statistic, p-value, and the threshold it is compared with."""

    statistic: float | np.ndarray
    p_value: float | np.ndarray
    threshold: float

    @property
    def mismatch(self):
        """True where p_value < threshold: the split differs from the design."""
        return np.asarray(self.p_value) < self.threshold

    def __repr__(self) -> str:
        return (f"SRMResult(chi2={format_value(self.statistic)}, p={format_value(self.p_value)}, "
                f"threshold={self.threshold:g}, mismatch={_flag(self.mismatch)})")


@dataclass(frozen=True)
class SequentialSRMResult:
    """Anytime-valid SRM check: the p-value after each look (last axis) and the threshold."""

    p_values: np.ndarray
    threshold: float

    @property
    def p_value(self):
        """The p-value after the latest look."""
        return _scalar(self.p_values[..., -1])

    @property
    def mismatch(self):
        """True where the p-value after the latest look is below the threshold."""
        return np.asarray(self.p_value) < self.threshold

    def __repr__(self) -> str:
        return (f"SequentialSRMResult(looks={self.p_values.shape[-1]}, p={format_value(self.p_value)}, "
                f"threshold={self.threshold:g}, mismatch={_flag(self.mismatch)})")


def _flag(mismatch) -> str:
    return str(bool(mismatch)) if mismatch.ndim == 0 else f"{int(mismatch.sum())} of {mismatch.size}"


def _scalar(x):
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def _weights(weights, arms, name="expected_weights", counts_name="observed_counts"):
    if weights is None:
        return np.full(arms, 1.0 / arms)
    w = np.asarray(v.probability(name, weights, open_low=True))
    if w.ndim != 1:
        raise ValueError(f"{name} must be a 1-d sequence with one share per arm")
    if not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"{name} must sum to 1 (within 1e-6); they sum to {w.sum():.6g}")
    if len(w) != arms:
        raise ValueError(f"{name} and {counts_name} must have the same length; "
                         f"{name} has {len(w)}, {counts_name} has {arms} arms")
    return w


def _counts(name, value):
    x = v.counts(name, value)
    if x.ndim == 0 or x.shape[-1] < 2:
        raise ValueError(f"{name} must hold at least 2 arms along its last axis")
    return x


def srm_test(observed_counts, expected_weights=None, threshold=0.001) -> SRMResult:
    """Chi-square test of observed_counts (last axis: arms) against expected_weights (default equal).

    A mismatch is flagged when p < threshold; 0.001 is strict because the check runs
    on every experiment (and often every day).
    """
    x = _counts("observed_counts", observed_counts)
    w = _weights(expected_weights, x.shape[-1])
    threshold = v.unit_open("threshold", threshold)
    total = x.sum(axis=-1, keepdims=True)
    if (total == 0).any():
        raise ValueError("observed_counts must have a total > 0 in every experiment")
    expected = total * w
    statistic = ((x - expected) ** 2 / expected).sum(axis=-1)
    df = x.shape[-1] - 1
    # chi-square with 1 df is a squared standard normal; erfc is much faster than the general sf
    p_value = special.erfc(np.sqrt(statistic / 2)) if df == 1 else _sps.chi2.sf(statistic, df)
    return SRMResult(_scalar(statistic), _scalar(p_value), threshold)


def log_bayes_factor(observed_counts, expected_weights=None, concentration=100.0):
    """Log Bayes factor of a Dirichlet(concentration * weights) mixture against the planned multinomial."""
    x = _counts("observed_counts", observed_counts)
    w = _weights(expected_weights, x.shape[-1])
    a = v.positive("concentration", concentration) * w
    n = x.sum(axis=-1)
    log_mixture = (special.gammaln(a.sum()) - special.gammaln(a.sum() + n)
                   + (special.gammaln(a + x) - special.gammaln(a)).sum(axis=-1))
    return _scalar(log_mixture - special.xlogy(x, w).sum(axis=-1))


def sequential_srm(daily_counts, expected_weights=None, threshold=0.001,
                   concentration=100.0) -> SequentialSRMResult:
    """Anytime-valid SRM check over looks (Lindon & Malek 2022).

    ``daily_counts`` holds the NEW units per arm at each look, shape (..., looks, arms).
    The p-value after look t is min(1, 1 / max over s <= t of the Bayes factor at s).
    ``concentration`` sets the prior's spread around the design (larger: tighter); 100 is a common choice.
    """
    x = _counts("daily_counts", daily_counts)
    if x.ndim < 2:
        raise ValueError("daily_counts must have shape (..., looks, arms)")
    threshold = v.unit_open("threshold", threshold)
    _weights(expected_weights, x.shape[-1], counts_name="daily_counts")
    log_bf = log_bayes_factor(np.cumsum(x, axis=-2), expected_weights, concentration)
    running = np.maximum.accumulate(np.maximum(np.asarray(log_bf), 0.0), axis=-1)
    return SequentialSRMResult(np.exp(-running), threshold)


def daily_alarms(n_sims, days, users_per_day, expected_weights=None, threshold=0.001,
                 method="chisquare", actual_weights=None, rng=None, concentration=100.0) -> np.ndarray:
    """Simulate ``n_sims`` experiments checked for SRM once a day; bool array (n_sims, days).

    Entry [i, d] is True when experiment i has raised an alarm on or before day d
    (0-based). Users arrive ``users_per_day`` a day and land in the arms with
    ``actual_weights`` (default: the design, so every alarm is false). ``method``:
    ``chisquare`` (srm_test on the cumulative counts) or ``sequential``.
    """
    rng = v.as_rng(rng)
    n_sims, days = v.positive_int("n_sims", n_sims), v.positive_int("days", days)
    users = v.positive_int("users_per_day", users_per_day)
    v.choice("method", method, METHODS)
    planned = _weights(expected_weights, 2 if expected_weights is None else np.size(expected_weights))
    actual = planned if actual_weights is None else _weights(actual_weights, len(planned), "actual_weights",
                                                             "expected_weights")
    daily = rng.multinomial(users, actual, size=(n_sims, days))
    if method == "sequential":
        p = sequential_srm(daily, planned, threshold, concentration).p_values
    else:
        p = srm_test(np.cumsum(daily, axis=1), planned, threshold).p_value
    return np.logical_or.accumulate(p < threshold, axis=1)
