"""CUPED and regression adjustment: using pre-experiment data to shrink the variance of an A/B comparison.

Deng, Xu, Kohavi & Walker (2013), "Improving the sensitivity of online controlled experiments by
utilizing pre-experiment data" (WSDM): adjust each unit's metric y by a covariate x measured
before the experiment, y' = y - theta (x - mean x), with theta = cov(y, x) / var(x). The mean of
y' estimates the same effect, and var(y') = var(y) (1 - rho^2), rho = corr(y, x).

Estimators of the effect B - A (``cuped_effect``), all with HC2 (heteroscedasticity-robust)
standard errors and normal-theory p-values and intervals, as statsmodels'
``OLS(...).fit(cov_type="HC2")`` reports them:

``pooled``  one theta from both arms' units together, centred at the overall mean of x (Deng et al.);
            the SE treats theta as known: Welch's sqrt(s_a^2/n_a + s_b^2/n_b) on the adjusted metric.
``ols``     the coefficient on the treatment indicator T in OLS y ~ 1 + T + x.
``lin``     Lin (2013, Annals of Applied Statistics): y ~ 1 + T + (x - mean x) + T (x - mean x),
            one slope per arm; never less precise than ``ols`` in large samples, whatever the split.

Every function works along the last axis (the units) and broadcasts over leading axes, so one call
analyses thousands of simulated experiments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _sps

from . import _validate as v
from . import power as _power
from .stats import ComparisonResult, format_value

METHODS = ("pooled", "ols", "lin")
_LABELS = {"pooled": "CUPED (pooled theta)", "ols": "OLS y ~ T + x (HC2)",
           "lin": "Lin (2013) y ~ T * (x - mean x) (HC2)"}


@dataclass(frozen=True)
class CupedResult:
    """theta, the adjusted metric y - theta (x - mean x), and the share of variance removed (rho^2)."""

    theta: float | np.ndarray
    adjusted: np.ndarray
    variance_reduction: float | np.ndarray
    mean_x: float | np.ndarray

    def __repr__(self) -> str:
        return (f"CupedResult(theta={format_value(self.theta)}, variance_reduction="
                f"{format_value(self.variance_reduction)}, adjusted={format_value(self.adjusted)})")


def _scalar(x):
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def _pair(y_name, y, x_name, x, min_size=2):
    y = v.finite(y_name, v.samples(y_name, y, min_size=min_size))
    x = v.finite(x_name, v.samples(x_name, x, min_size=min_size))
    if y.shape != x.shape:
        raise ValueError(f"{y_name} and {x_name} must have the same length (one covariate value per unit); "
                         f"{y_name} has shape {y.shape}, {x_name} has shape {x.shape}")
    return y, x


def _varies(name, x):
    centred = x - x.mean(axis=-1, keepdims=True)
    if ((centred**2).sum(axis=-1) <= 1e-12 * (1 + (x**2).sum(axis=-1))).any():
        raise ValueError(f"{name} must vary: a constant covariate has variance 0, so theta = cov / var "
                         f"is undefined (and it could not reduce any variance)")


def cuped(y, x) -> CupedResult:
    """CUPED over all units given: theta = cov(y, x) / var(x), adjusted = y - theta (x - mean x)."""
    y, x = _pair("y", y, "x", x)
    _varies("x", x)
    xm, ym = x.mean(axis=-1, keepdims=True), y.mean(axis=-1, keepdims=True)
    sxy = ((x - xm) * (y - ym)).sum(axis=-1)
    sxx, syy = ((x - xm) ** 2).sum(axis=-1), ((y - ym) ** 2).sum(axis=-1)
    theta = sxy / sxx
    with np.errstate(divide="ignore", invalid="ignore"):
        rho2 = np.where(syy > 0, sxy**2 / (sxx * np.where(syy > 0, syy, 1)), 0.0)
    adjusted = y - theta[..., None] * (x - xm)
    return CupedResult(_scalar(theta), adjusted, _scalar(rho2), _scalar(xm[..., 0]))


def _result(method, est, var, alpha):
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, est / np.where(se > 0, se, 1), np.where(est == 0, 0.0, np.sign(est) * np.inf))
    half = _sps.norm.ppf(1 - alpha / 2) * se
    return ComparisonResult(method, _scalar(est), _scalar(est - half), _scalar(est + half), _scalar(z),
                            _scalar(2 * _sps.norm.sf(np.abs(z))), alpha)


def _hc2(weights, resid, leverage, arm):
    if (leverage >= 1 - 1e-12).any():
        raise ValueError(f"x_{arm} has a unit with leverage 1 (every other unit of the arm shares one value "
                         f"of x): the HC2 standard error is undefined")
    return (weights**2 * resid**2 / (1 - leverage)).sum(axis=-1)


def cuped_effect(y_a, x_a, y_b, x_b, alpha=0.05, method="pooled") -> ComparisonResult:
    """The effect B - A on y adjusted for the pre-experiment covariate x (``method``: pooled, ols, lin)."""
    alpha = v.unit_open("alpha", alpha)
    v.choice("method", method, METHODS)
    size = 3 if method == "lin" else 2
    y_a, x_a = _pair("y_a", y_a, "x_a", x_a, size)
    y_b, x_b = _pair("y_b", y_b, "x_b", x_b, size)
    v.broadcastable(y_a=y_a[..., 0], y_b=y_b[..., 0])
    _varies("x_a", x_a)
    _varies("x_b", x_b)
    lead = np.broadcast_shapes(y_a.shape[:-1], y_b.shape[:-1])
    y_a, x_a = (np.broadcast_to(a, lead + a.shape[-1:]) for a in (y_a, x_a))
    y_b, x_b = (np.broadcast_to(b, lead + b.shape[-1:]) for b in (y_b, x_b))
    n_a, n_b = y_a.shape[-1], y_b.shape[-1]

    if method == "pooled":
        fit = cuped(np.concatenate([y_a, y_b], axis=-1), np.concatenate([x_a, x_b], axis=-1))
        adj_a, adj_b = fit.adjusted[..., :n_a], fit.adjusted[..., n_a:]
        est = adj_b.mean(axis=-1) - adj_a.mean(axis=-1)
        var = adj_a.var(axis=-1, ddof=1) / n_a + adj_b.var(axis=-1, ddof=1) / n_b
        return _result(_LABELS[method], est, var, alpha)

    xm_a, xm_b = x_a.mean(axis=-1), x_b.mean(axis=-1)
    xc_a, xc_b = x_a - xm_a[..., None], x_b - xm_b[..., None]
    yc_a, yc_b = y_a - y_a.mean(axis=-1, keepdims=True), y_b - y_b.mean(axis=-1, keepdims=True)
    sxx_a, sxx_b = (xc_a**2).sum(axis=-1), (xc_b**2).sum(axis=-1)
    sxy_a, sxy_b = (xc_a * yc_a).sum(axis=-1), (xc_b * yc_b).sum(axis=-1)
    diff = y_b.mean(axis=-1) - y_a.mean(axis=-1)
    if method == "ols":
        # Columns 1, T, x span the arm indicators and x centred within its arm, which are orthogonal:
        # the hat values and the weights of the T coefficient follow in closed form.
        sxx = sxx_a + sxx_b
        beta = (sxy_a + sxy_b) / sxx
        dx = (xm_b - xm_a)[..., None]
        est = diff - beta * (xm_b - xm_a)
        w_a = -1 / n_a - dx * xc_a / sxx[..., None]
        w_b = 1 / n_b - dx * xc_b / sxx[..., None]
        e_a, e_b = yc_a - beta[..., None] * xc_a, yc_b - beta[..., None] * xc_b
        h_a, h_b = 1 / n_a + xc_a**2 / sxx[..., None], 1 / n_b + xc_b**2 / sxx[..., None]
    else:
        xm = (n_a * xm_a + n_b * xm_b) / (n_a + n_b)
        beta_a, beta_b = sxy_a / sxx_a, sxy_b / sxx_b
        est = diff - beta_b * (xm_b - xm) + beta_a * (xm_a - xm)
        w_a = -(1 / n_a - ((xm_a - xm) / sxx_a)[..., None] * xc_a)
        w_b = 1 / n_b - ((xm_b - xm) / sxx_b)[..., None] * xc_b
        e_a, e_b = yc_a - beta_a[..., None] * xc_a, yc_b - beta_b[..., None] * xc_b
        h_a, h_b = 1 / n_a + xc_a**2 / sxx_a[..., None], 1 / n_b + xc_b**2 / sxx_b[..., None]
    var = _hc2(w_a, e_a, h_a, "a") + _hc2(w_b, e_b, h_b, "b")
    return _result(_LABELS[method], est, var, alpha)


def _design(name, X, n):
    X = v.finite(name, X)
    X = X[:, None] if X.ndim == 1 else X
    if X.ndim != 2 or X.shape[0] != n:
        raise ValueError(f"{name} must have one row per unit ({n}), as an array of shape ({n},) or ({n}, k); "
                         f"got shape {X.shape}")
    return X


def regression_effect(y_a, X_a, y_b, X_b, alpha=0.05, interact=False) -> ComparisonResult:
    """The T coefficient of OLS y ~ 1 + T + (X - mean X) [+ T (X - mean X) if ``interact``], HC2 SE.

    For several covariates at once (k columns of ``X``), one experiment at a time (1-D ``y``).
    ``interact=True`` is Lin's (2013) estimator; with stratum indicators it is post-stratification.
    """
    alpha = v.unit_open("alpha", alpha)
    y_a, y_b = v.finite("y_a", v.samples("y_a", y_a)), v.finite("y_b", v.samples("y_b", y_b))
    if y_a.ndim != 1 or y_b.ndim != 1:
        raise ValueError("y_a and y_b must be 1-D: regression_effect analyses one experiment at a time")
    X_a, X_b = _design("X_a", X_a, len(y_a)), _design("X_b", X_b, len(y_b))
    if X_a.shape[1] != X_b.shape[1]:
        raise ValueError(f"X_a and X_b must have the same number of covariates; got {X_a.shape[1]} and "
                         f"{X_b.shape[1]}")
    y = np.concatenate([y_a, y_b])
    t = np.concatenate([np.zeros(len(y_a)), np.ones(len(y_b))])
    Xc = np.concatenate([X_a, X_b]) - np.concatenate([X_a, X_b]).mean(axis=0)
    cols = [np.ones_like(t), t, Xc] + ([t[:, None] * Xc] if interact else [])
    D = np.column_stack(cols)
    xtx = D.T @ D
    if np.linalg.matrix_rank(xtx) < D.shape[1]:
        raise ValueError("X_a and X_b: the covariates are collinear (or constant within an arm), so the "
                         "regression has no unique solution")
    bread = np.linalg.inv(xtx)
    coef = bread @ (D.T @ y)
    resid = y - D @ coef
    leverage = np.einsum("ij,jk,ik->i", D, bread, D)
    if (leverage >= 1 - 1e-10).any():
        raise ValueError("X_a and X_b: a unit has leverage 1, so the HC2 standard error is undefined")
    weights = D @ bread[:, 1]
    var = (weights**2 * resid**2 / (1 - leverage)).sum()
    label = "Lin (2013) regression, several covariates (HC2)" if interact else "OLS regression, several covariates (HC2)"
    return _result(label, coef[1], var, alpha)


def post_stratified_effect(y_a, strata_a, y_b, strata_b, alpha=0.05) -> ComparisonResult:
    """Post-stratification: sum over strata of (share of all units) x (mean_B - mean_A) in the stratum.

    Variance sum_s w_s^2 (s2_as / n_as + s2_bs / n_bs); the discrete case of regression adjustment
    (equal to ``regression_effect`` with stratum indicators and ``interact=True``).
    """
    alpha = v.unit_open("alpha", alpha)
    y_a, y_b = v.finite("y_a", v.samples("y_a", y_a)), v.finite("y_b", v.samples("y_b", y_b))
    strata_a, strata_b = np.asarray(strata_a), np.asarray(strata_b)
    v.same_length(y_a=y_a, strata_a=strata_a)
    v.same_length(y_b=y_b, strata_b=strata_b)
    if y_a.ndim != 1 or y_b.ndim != 1:
        raise ValueError("y_a and y_b must be 1-D: post_stratified_effect analyses one experiment at a time")
    labels = np.unique(np.concatenate([strata_a, strata_b]))
    total = len(y_a) + len(y_b)
    est = var = 0.0
    for label in labels:
        ya, yb = y_a[strata_a == label], y_b[strata_b == label]
        if len(ya) < 2 or len(yb) < 2:
            raise ValueError(f"strata_a and strata_b: stratum {label} needs at least 2 units in each arm; "
                             f"it has {len(ya)} in A and {len(yb)} in B")
        w = (len(ya) + len(yb)) / total
        est += w * (yb.mean() - ya.mean())
        var += w**2 * (ya.var(ddof=1) / len(ya) + yb.var(ddof=1) / len(yb))
    return _result(f"post-stratified ({len(labels)} strata)", est, var, alpha)


def _ratio_inputs(num_name, num, den_name, den):
    num, den = _pair(num_name, num, den_name, den)
    if (den < 0).any():
        raise ValueError(f"{den_name} must be >= 0 (it counts the units of analysis, e.g. page views)")
    if (den.sum(axis=-1) <= 0).any():
        raise ValueError(f"{den_name} must have a positive total: the ratio divides by it")
    return num, den


def ratio_linearization(numerator, denominator):
    """Per-unit linearisation of R = sum(num) / sum(den): (num - R den) / mean(den), mean zero.

    Its variance over n gives the delta-method variance of R; it is also the per-unit metric that
    CUPED adjusts when the metric is a ratio.
    """
    num, den = _ratio_inputs("numerator", numerator, "denominator", denominator)
    ratio = num.sum(axis=-1, keepdims=True) / den.sum(axis=-1, keepdims=True)
    return (num - ratio * den) / den.mean(axis=-1, keepdims=True)


def ratio_variance(numerator, denominator):
    """Delta-method variance of R = sum(num) / sum(den) when the units (users) are randomised.

    var(R) = (s2_num - 2 R s_num,den + R^2 s2_den) / (n mean(den)^2), sample (co)variances with ddof=1.
    """
    lin = ratio_linearization(numerator, denominator)
    return _scalar(lin.var(axis=-1, ddof=1) / lin.shape[-1])


def ratio_effect(num_a, den_a, num_b, den_b, alpha=0.05, x_a=None, x_b=None) -> ComparisonResult:
    """The difference R_B - R_A of two ratio metrics (e.g. clicks per page view), delta-method SE.

    With a per-unit pre-experiment covariate (``x_a``, ``x_b``), CUPED on the linearised metric:
    R_B - R_A - theta (mean x_B - mean x_A), theta from both arms' units together.
    """
    alpha = v.unit_open("alpha", alpha)
    num_a, den_a = _ratio_inputs("num_a", num_a, "den_a", den_a)
    num_b, den_b = _ratio_inputs("num_b", num_b, "den_b", den_b)
    v.broadcastable(num_a=num_a[..., 0], num_b=num_b[..., 0])
    est = num_b.sum(axis=-1) / den_b.sum(axis=-1) - num_a.sum(axis=-1) / den_a.sum(axis=-1)
    lin_a, lin_b = ratio_linearization(num_a, den_a), ratio_linearization(num_b, den_b)
    if (x_a is None) != (x_b is None):
        raise ValueError("x_a and x_b: give a covariate for both arms or for neither")
    if x_a is None:
        var = lin_a.var(axis=-1, ddof=1) / lin_a.shape[-1] + lin_b.var(axis=-1, ddof=1) / lin_b.shape[-1]
        return _result("ratio, delta method", est, var, alpha)
    lin_a, x_a = _pair("num_a", lin_a, "x_a", x_a)
    lin_b, x_b = _pair("num_b", lin_b, "x_b", x_b)
    _varies("x_a", x_a)
    _varies("x_b", x_b)
    lead = np.broadcast_shapes(lin_a.shape[:-1], lin_b.shape[:-1])
    lin_a, x_a = (np.broadcast_to(a, lead + a.shape[-1:]) for a in (lin_a, x_a))
    lin_b, x_b = (np.broadcast_to(b, lead + b.shape[-1:]) for b in (lin_b, x_b))
    n_a = lin_a.shape[-1]
    fit = cuped(np.concatenate([lin_a, lin_b], axis=-1), np.concatenate([x_a, x_b], axis=-1))
    adj_a, adj_b = fit.adjusted[..., :n_a], fit.adjusted[..., n_a:]
    est = est - np.asarray(fit.theta) * (x_b.mean(axis=-1) - x_a.mean(axis=-1))
    var = adj_a.var(axis=-1, ddof=1) / n_a + adj_b.var(axis=-1, ddof=1) / adj_b.shape[-1]
    return _result("ratio, delta method + CUPED", est, var, alpha)


def sample_size(mde, sd, rho=0.0, alpha=0.05, power=0.8) -> int:
    """Users per arm for a two-sided z test of a difference in means ``mde``, after CUPED with corr ``rho``.

    CUPED leaves sd * sqrt(1 - rho^2), so the users needed scale by 1 - rho^2 (``rho=0``: no CUPED).
    """
    rho = v.finite("rho", rho)
    if rho.ndim or not -1 < rho < 1:
        raise ValueError(f"rho must be one number in (-1, 1); got {rho!r}")
    sd = v.positive("sd", sd)
    return _power.sample_size_means(mde, sd * math.sqrt(1 - float(rho) ** 2), alpha, power)


def correlated_pairs(n_sims, n_per_arm, rho, rng, effect=0.0):
    """Standard-normal (y, x) pairs with corr(y, x) = rho for ``n_sims`` two-arm experiments.

    Returns (y_a, x_a, y_b, x_b), each of shape (n_sims, n_per_arm); B's y is shifted by ``effect``.
    Built elementwise, y = rho x + sqrt(1 - rho^2) noise, so every CPU draws the same numbers.
    """
    rng = v.as_rng(rng)
    n_sims, n = v.positive_int("n_sims", n_sims), v.positive_int("n_per_arm", n_per_arm, minimum=2)
    rho = float(v.finite("rho", rho))
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1); got {rho}")
    effect = float(v.finite("effect", effect))
    x = rng.standard_normal((2, n_sims, n))
    y = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal((2, n_sims, n))
    return y[0], x[0], y[1] + effect, x[1]
