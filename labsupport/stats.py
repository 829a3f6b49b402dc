"""Two-sample tests and intervals for A/B comparisons.

Convention everywhere: the effect is B minus A (treatment minus control), and
``alternative="greater"`` means B > A. Every function broadcasts over leading
array axes, so one call can analyse thousands of simulated experiments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _sps

from . import _validate as v

ALTERNATIVES = ("two-sided", "greater", "less")


def format_value(x) -> str:
    """A number to 4 significant digits, or an array summarised by its shape and mean (for reprs)."""
    arr = np.asarray(x)
    if arr.ndim == 0:
        return f"{float(arr):.4g}"
    return f"array(shape={arr.shape}, mean={np.nanmean(arr):.4g})"


@dataclass(frozen=True)
class ComparisonResult:
    """A test of B against A: the estimate, its interval, the statistic and p-value."""

    method: str
    estimate: float | np.ndarray
    ci_low: float | np.ndarray
    ci_high: float | np.ndarray
    statistic: float | np.ndarray
    p_value: float | np.ndarray
    alpha: float

    @property
    def reject(self):
        """True where the null hypothesis is rejected at ``alpha``."""
        return np.asarray(self.p_value) < self.alpha

    def __repr__(self) -> str:
        level = f"{100 * (1 - self.alpha):g}%"
        return (f"{self.method}: estimate={format_value(self.estimate)}, {level} CI "
                f"[{format_value(self.ci_low)}, {format_value(self.ci_high)}], "
                f"statistic={format_value(self.statistic)}, p={format_value(self.p_value)}")


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval."""

    estimate: float | np.ndarray
    low: float | np.ndarray
    high: float | np.ndarray
    level: float

    def __repr__(self) -> str:
        return (f"Interval(estimate={format_value(self.estimate)}, {100 * self.level:g}% CI "
                f"[{format_value(self.low)}, {format_value(self.high)}])")


def _pvalue(z, alternative):
    if alternative == "two-sided":
        return 2 * _sps.norm.sf(np.abs(z))
    return _sps.norm.sf(z) if alternative == "greater" else _sps.norm.cdf(z)


def _check_counts(successes_a, trials_a, successes_b, trials_b):
    sa, sb = v.counts("successes_a", successes_a), v.counts("successes_b", successes_b)
    na, nb = v.counts("trials_a", trials_a, minimum=1), v.counts("trials_b", trials_b, minimum=1)
    if (sa > na).any():
        raise ValueError("successes_a must be <= trials_a")
    if (sb > nb).any():
        raise ValueError("successes_b must be <= trials_b")
    return sa, na, sb, nb


def two_proportion_ztest(successes_a, trials_a, successes_b, trials_b, alpha=0.05,
                         alternative="two-sided") -> ComparisonResult:
    """Two-proportion z test of p_B - p_A.

    The statistic uses the pooled variance (valid under H0: p_A = p_B); the interval
    for the absolute difference uses the unpooled (Wald) variance. With zero (or all)
    successes in both arms the variances are zero: z is 0 (p = 1) and the interval collapses
    to the point estimate; use an exact method for such counts.
    """
    alpha = v.unit_open("alpha", alpha)
    v.choice("alternative", alternative, ALTERNATIVES)
    sa, na, sb, nb = _check_counts(successes_a, trials_a, successes_b, trials_b)
    pa, pb = sa / na, sb / nb
    diff = pb - pa
    pooled = (sa + sb) / (na + nb)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se0 > 0, diff / np.where(se0 > 0, se0, 1), 0.0)
    se1 = np.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    half = _sps.norm.ppf(1 - alpha / 2) * se1
    return ComparisonResult("two-proportion z test", _scalar(diff), _scalar(diff - half),
                            _scalar(diff + half), _scalar(z), _scalar(_pvalue(z, alternative)), alpha)


def welch_ttest(a, b, alpha=0.05, alternative="two-sided") -> ComparisonResult:
    """Welch's unequal-variance t test of mean(B) - mean(A), along the last axis."""
    alpha = v.unit_open("alpha", alpha)
    v.choice("alternative", alternative, ALTERNATIVES)
    a, b = v.samples("a", a), v.samples("b", b)
    res = _sps.ttest_ind(b, a, equal_var=False, alternative=alternative, axis=-1)
    # The interval is always two-sided at level 1 - alpha, whatever the test's alternative.
    ci = _sps.ttest_ind(b, a, equal_var=False, axis=-1).confidence_interval(1 - alpha)
    diff = b.mean(axis=-1) - a.mean(axis=-1)
    return ComparisonResult("Welch t test", _scalar(diff), _scalar(ci.low), _scalar(ci.high),
                            _scalar(res.statistic), _scalar(res.pvalue), alpha)


def mann_whitney(a, b, alpha=0.05, alternative="two-sided") -> ComparisonResult:
    """Mann-Whitney U test, along the last axis (scipy, with tie and continuity corrections).

    The estimate is P(B > A) + P(B = A) / 2 = U_B / (n_A n_B); 0.5 means no shift.
    No interval is computed (``ci_low``/``ci_high`` are NaN).
    """
    alpha = v.unit_open("alpha", alpha)
    v.choice("alternative", alternative, ALTERNATIVES)
    a, b = v.samples("a", a, min_size=1), v.samples("b", b, min_size=1)
    res = _sps.mannwhitneyu(b, a, alternative=alternative, axis=-1, method="asymptotic")
    auc = res.statistic / (a.shape[-1] * b.shape[-1])
    nan = np.full_like(np.asarray(auc, dtype=float), np.nan)
    return ComparisonResult("Mann-Whitney U", _scalar(auc), _scalar(nan), _scalar(nan),
                            _scalar(res.statistic), _scalar(res.pvalue), alpha)


def _ratio_interval(mean_a, var_mean_a, mean_b, var_mean_b, alpha) -> Interval:
    """Delta-method interval for mean_b / mean_a - 1 from the means and their variances."""
    lift = mean_b / mean_a - 1
    se = np.sqrt(var_mean_b / mean_a**2 + mean_b**2 * var_mean_a / mean_a**4)
    half = _sps.norm.ppf(1 - alpha / 2) * se
    return Interval(_scalar(lift), _scalar(lift - half), _scalar(lift + half), 1 - alpha)


def relative_lift_ci(successes_a, trials_a, successes_b, trials_b, alpha=0.05) -> Interval:
    """Delta-method interval for the relative lift p_B / p_A - 1 of two proportions.

    With zero successes in B the delta-method SE is zero and the interval collapses to the
    point -1 (likewise when both arms have all successes); the delta method needs counts
    well away from 0 and n.
    """
    alpha = v.unit_open("alpha", alpha)
    sa, na, sb, nb = _check_counts(successes_a, trials_a, successes_b, trials_b)
    if (sa == 0).any():
        raise ValueError("successes_a must be > 0: the relative lift divides by p_A")
    pa, pb = sa / na, sb / nb
    return _ratio_interval(pa, pa * (1 - pa) / na, pb, pb * (1 - pb) / nb, alpha)


def relative_lift_ci_means(a, b, alpha=0.05) -> Interval:
    """Delta-method interval for mean(B) / mean(A) - 1, along the last axis."""
    alpha = v.unit_open("alpha", alpha)
    a, b = v.samples("a", a), v.samples("b", b)
    mean_a = a.mean(axis=-1)
    if (mean_a == 0).any():
        raise ValueError("a must have a non-zero mean: the relative lift divides by it")
    return _ratio_interval(mean_a, a.var(axis=-1, ddof=1) / a.shape[-1],
                           b.mean(axis=-1), b.var(axis=-1, ddof=1) / b.shape[-1], alpha)


def _scalar(x):
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


@dataclass(frozen=True)
class Rate:
    """A Monte Carlo estimate with its standard error and, for a rate, a 95% interval.

    ``low``/``high`` is the Clopper-Pearson (exact binomial) 95% interval of a rate, NaN for a
    mean. At a rate of 0 or 1 the plug-in SE sqrt(p(1 - p)/n) is 0, which would claim no
    uncertainty at all; there ``se`` is instead the interval's half-width / 1.96 (about 1.9/n,
    the same order as the "rule of three" bound 3/n), and the repr shows the interval.
    """

    estimate: float
    se: float
    n: int
    low: float = float("nan")
    high: float = float("nan")

    def __repr__(self) -> str:
        if self.estimate in (0.0, 1.0) and not np.isnan(self.low):
            count = "none" if self.estimate == 0 else "all"
            return (f"{self.estimate:.4f} ({count} of {self.n:,} simulations; "
                    f"95% CI [{self.low:.4f}, {self.high:.4f}], Clopper-Pearson)")
        return f"{self.estimate:.4f} ± {self.se:.4f} (SE over {self.n:,} simulations)"


def clopper_pearson(successes, trials, level=0.95) -> tuple[float, float]:
    """Exact two-sided binomial interval for a proportion (Clopper & Pearson 1934)."""
    k = int(v.counts("successes", successes))
    n = int(v.counts("trials", trials, minimum=1))
    if k > n:
        raise ValueError("successes must be <= trials")
    tail = (1 - v.unit_open("level", level)) / 2
    low = 0.0 if k == 0 else float(_sps.beta.ppf(tail, k, n - k + 1))
    high = 1.0 if k == n else float(_sps.beta.isf(tail, k + 1, n - k))
    return low, high


def monte_carlo_rate(flags) -> Rate:
    """Share of True in ``flags`` (e.g. rejections over simulated experiments), its SE and 95% interval.

    At a share of exactly 0 or 1 the SE comes from the Clopper-Pearson interval (see ``Rate``).
    """
    flags = np.asarray(flags, dtype=bool).ravel()
    if flags.size == 0:
        raise ValueError("flags must hold at least one simulation")
    k, n = int(flags.sum()), int(flags.size)
    p = k / n
    low, high = clopper_pearson(k, n)
    se = math.sqrt(p * (1 - p) / n) if 0 < k < n else (high - low) / (2 * _sps.norm.isf(0.025))
    return Rate(float(p), float(se), n, low, high)


def monte_carlo_mean(values) -> Rate:
    """Mean of per-simulation values (e.g. false discovery proportions) and its standard error."""
    values = np.asarray(values, dtype=float).ravel()
    if values.size < 2 or np.isnan(values).any():
        raise ValueError("values must hold at least two simulations and no NaN")
    return Rate(float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size)), int(values.size))


def binomial_band(p, n_sims, level=0.999) -> tuple[float, float]:
    """Range of rates that ``n_sims`` simulations with true rate ``p`` fall in with probability >= ``level``."""
    p = v.probability("p", p)
    n_sims = v.positive_int("n_sims", n_sims)
    level = v.unit_open("level", level)
    low, high = _sps.binom.interval(level, n_sims, p)
    return float(low / n_sims), float(high / n_sims)
