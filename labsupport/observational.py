"""Causal effects when you cannot randomize: confounding, adjustment, propensity scores, DiD.

A simulated feed where users opt into a feature (:class:`OptInDesign`) and a simulated panel
of markets where a feature launches in some of them (:func:`simulate_panel`): both know the
true effect, so every estimator's bias can be measured. The estimators work on one data set
or, along leading array axes, on many at once:

- :func:`naive_difference`, :func:`regression_adjustment` (outcome models per arm);
- :func:`fit_logit` / :func:`propensity_scores` (Newton's method, vectorised over data sets),
  :func:`match_effect` (nearest neighbour on a score, with or without replacement, caliper),
  :func:`ipw_weights`, :func:`ipw_effect` (normalised or Horvitz-Thompson);
- balance and overlap: :func:`standardized_differences`, :func:`effective_sample_size`;
- :func:`did_2x2` (with unit-clustered standard errors) and :func:`event_study` (leads and lags
  with a joint test of the pre-trends).

Convention: effects are treated minus control; ``treated`` is a boolean (or 0/1) array.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as _sps
from scipy.special import expit

from . import _validate as v
from .stats import format_value

ESTIMANDS = ("ate", "att")
COVARIATES = ("activity", "tenure", "mobile")

# The outcome model of OptInDesign (weekly minutes on the feed), fixed so the truth is known:
# level = 20 + 4 a + 1.5 a^2 + 2 b + 3 m (a = activity, b = tenure, m = mobile), a persistent
# user effect N(0, 3^2), weekly noise N(0, 2^2), a common trend of +1 minute. The feature adds
# SESSION_LIFT sessions in the week after opt-in, each worth MINUTES_PER_SESSION minutes; the
# rest of the effect is direct.
SESSION_LIFT, MINUTES_PER_SESSION = 1.0, 1.5
_LEVEL = {"const": 20.0, "activity": 4.0, "activity2": 1.5, "tenure": 2.0, "mobile": 3.0}
_USER_SD, _NOISE_SD, _TREND, _MOBILE_SHARE = 3.0, 2.0, 1.0, 0.6


# ----------------------------------------------------------------------------- input checks

def _treated(treated, name="treated") -> np.ndarray:
    arr = np.asarray(treated)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array with one entry per unit")
    if arr.dtype != bool:
        num = v.finite(name, arr)
        if not np.isin(num, (0.0, 1.0)).all():
            raise ValueError(f"{name} must be boolean or 0/1")
        arr = num == 1
    n_t = arr.sum(axis=-1)
    if (n_t == 0).any() or (n_t == arr.shape[-1]).any():
        raise ValueError(f"{name} must contain both treated and control units (in every data set)")
    return arr


def _same_shape(**arrays) -> None:
    shapes = {name: np.shape(a) for name, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        desc = ", ".join(f"{n} has shape {s}" for n, s in shapes.items())
        raise ValueError(f"{' and '.join(shapes)} must have the same shape (one entry per unit); {desc}")


def _covariates(X, treated) -> np.ndarray:
    X = v.finite("X", X)
    if X.ndim == treated.ndim:
        X = X[..., None]
    if X.shape[:-1] != treated.shape:
        raise ValueError(f"X must have shape (units, covariates) matching treated's {treated.shape}; "
                         f"got {X.shape}")
    return X


def _propensities(ps, treated) -> np.ndarray:
    ps = np.asarray(v.probability("ps", ps, open_low=True, open_high=True), dtype=float)
    _same_shape(ps=ps, treated=treated)
    return ps


def _scalar(x):
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


# ----------------------------------------------------------------------------- the opt-in feed

@dataclass(frozen=True)
class OptInData:
    """One or many simulated data sets of the opt-in feed (leading axes = data sets).

    ``covariates`` (..., n, 3) holds activity, tenure and mobile, measured before the opt-in;
    ``sessions`` is measured after it (the feature raises it): a post-treatment variable.
    ``y0`` and ``y1`` are both potential outcomes; only ``y`` is observed in real life.
    """

    covariates: np.ndarray
    treated: np.ndarray
    y: np.ndarray
    y_pre: np.ndarray
    sessions: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    propensity: np.ndarray
    effect: float

    @property
    def n_units(self) -> int:
        return self.treated.shape[-1]

    def frame(self):
        """The observed columns of one data set as a pandas DataFrame."""
        import pandas as pd
        if self.treated.ndim != 1:
            raise ValueError("frame() needs a single data set (simulate with n_sims=None)")
        cols = dict(zip(COVARIATES, self.covariates.T))
        cols.update(treated=self.treated.astype(int), sessions=self.sessions, y_pre=self.y_pre, y=self.y)
        return pd.DataFrame(cols)

    def __repr__(self) -> str:
        return (f"OptInData(data sets={int(np.prod(self.treated.shape[:-1]))}, units={self.n_units}, "
                f"opted in={format_value(self.treated.mean())}, true effect={self.effect:g})")


@dataclass(frozen=True)
class OptInDesign:
    """Users of the feed decide themselves whether to switch a feature on.

    Opt-in: logit P(T = 1) = intercept + activity_optin a + tenure_optin b + mobile_optin m
    + hidden u, with a, b, u ~ N(0, 1) and m ~ Bernoulli(0.6). The unobserved interest ``u``
    adds ``hidden_level`` minutes in both weeks and ``hidden_trend`` minutes to the change.
    ``randomized=True`` replaces the opt-in by a fair coin (an A/B test of the same feature).
    """

    effect: float = 2.0
    intercept: float = -1.0
    activity_optin: float = 1.2
    tenure_optin: float = 0.6
    mobile_optin: float = -0.4
    hidden: float = 0.0
    hidden_level: float = 0.0
    hidden_trend: float = 0.0
    randomized: bool = False

    def __post_init__(self):
        for name in ("effect", "intercept", "activity_optin", "tenure_optin", "mobile_optin", "hidden",
                     "hidden_level", "hidden_trend"):
            v.finite(name, getattr(self, name))

    def with_(self, **changes) -> "OptInDesign":
        """A copy with some parameters changed."""
        return replace(self, **changes)

    def _logit(self, a, b, m, u):
        return (self.intercept + self.activity_optin * a + self.tenure_optin * b + self.mobile_optin * m
                + self.hidden * u)

    @staticmethod
    def _level(a, b, m):
        L = _LEVEL
        return L["const"] + L["activity"] * a + L["activity2"] * a**2 + L["tenure"] * b + L["mobile"] * m

    def simulate(self, n_units, rng, n_sims=None) -> OptInData:
        """``n_sims`` data sets (None: one) of ``n_units`` users, vectorised over data sets."""
        n_units = v.positive_int("n_units", n_units, minimum=4)
        rng = v.as_rng(rng)
        shape = (n_units,) if n_sims is None else (v.positive_int("n_sims", n_sims), n_units)
        a, b, u = rng.standard_normal(shape), rng.standard_normal(shape), rng.standard_normal(shape)
        m = (rng.random(shape) < _MOBILE_SHARE).astype(float)
        p = np.full(shape, 0.5) if self.randomized else expit(self._logit(a, b, m, u))
        treated = rng.random(shape) < p
        user = _USER_SD * rng.standard_normal(shape)
        level = self._level(a, b, m) + self.hidden_level * u + user
        y_pre = level + _NOISE_SD * rng.standard_normal(shape)
        nu = rng.standard_normal(shape)                       # this week's own session noise
        sessions = 0.8 * a + SESSION_LIFT * treated + nu
        direct = self.effect - MINUTES_PER_SESSION * SESSION_LIFT
        y0 = (level + _TREND + self.hidden_trend * u + _NOISE_SD * rng.standard_normal(shape)
              + MINUTES_PER_SESSION * nu)
        y1 = y0 + direct + MINUTES_PER_SESSION * SESSION_LIFT
        return OptInData(np.stack([a, b, m], axis=-1), treated, np.where(treated, y1, y0), y_pre, sessions,
                         y0, y1, p, float(self.effect))

    def population(self, nodes: int = 40) -> dict:
        """Large-sample values by Gauss-Hermite quadrature (no simulation).

        Returns the share opted in, E[Y | T=1] - E[Y | T=0] (the naive difference) and its
        selection bias E[Y(0) | T=1] - E[Y(0) | T=0].
        """
        nodes = v.positive_int("nodes", nodes, minimum=5)
        x, w = np.polynomial.hermite_e.hermegauss(nodes)
        w = w / w.sum()
        a, b, u = np.meshgrid(x, x, x, indexing="ij")
        wt = w[:, None, None] * w[None, :, None] * w[None, None, :]
        share, y0_t, y0_c = 0.0, 0.0, 0.0
        for m, pm in ((0.0, 1 - _MOBILE_SHARE), (1.0, _MOBILE_SHARE)):
            p = np.full(a.shape, 0.5) if self.randomized else expit(self._logit(a, b, m, u))
            mean_y0 = self._level(a, b, m) + (self.hidden_level + self.hidden_trend) * u + _TREND
            share += pm * (wt * p).sum()
            y0_t += pm * (wt * p * mean_y0).sum()
            y0_c += pm * (wt * (1 - p) * mean_y0).sum()
        selection = y0_t / share - y0_c / (1 - share)
        return {"share_treated": float(share), "naive": float(self.effect + selection),
                "selection_bias": float(selection)}


# ----------------------------------------------------------------------------- simple estimators

def naive_difference(y, treated):
    """Mean outcome of the treated minus that of the controls (along the last axis)."""
    t = _treated(treated)
    y = v.finite("y", y)
    _same_shape(y=y, treated=t)
    return _scalar((y * t).sum(-1) / t.sum(-1) - (y * ~t).sum(-1) / (~t).sum(-1))


def _design(X):
    return np.concatenate([np.ones(X.shape[:-1] + (1,)), X], axis=-1)


def _wls(Z, y, w):
    """Weighted least squares per data set (normal equations, batched): coefficients (..., k)."""
    Zw = Z * w[..., None]
    A = np.matmul(np.swapaxes(Zw, -1, -2), Z)
    rhs = np.matmul(np.swapaxes(Zw, -1, -2), y[..., None])
    return np.linalg.solve(A, rhs)[..., 0]


def regression_adjustment(y, treated, X, estimand="ate"):
    """Outcome-model (imputation) estimator: a linear regression of y on X in each arm.

    ATE: the mean over all units of the two models' predicted difference. ATT: the mean over the
    treated of y minus the control model's prediction. (statsmodels: TreatmentEffect.ra.)
    Only as good as the outcome model: add the terms (squares, interactions) it needs to ``X``.
    """
    v.choice("estimand", estimand, ESTIMANDS)
    t = _treated(treated)
    y = v.finite("y", y)
    _same_shape(y=y, treated=t)
    X = _covariates(X, t)
    k = X.shape[-1] + 1
    if (t.sum(-1) <= k).any() or ((~t).sum(-1) <= k).any():
        raise ValueError(f"treated: each arm needs more than {k} units to fit its outcome model")
    Z = _design(X)
    b1, b0 = _wls(Z, y, t.astype(float)), _wls(Z, y, (~t).astype(float))
    pred0 = np.matmul(Z, b0[..., None])[..., 0]
    if estimand == "att":
        return _scalar(((y - pred0) * t).sum(-1) / t.sum(-1))
    pred1 = np.matmul(Z, b1[..., None])[..., 0]
    return _scalar((pred1 - pred0).mean(-1))


# ----------------------------------------------------------------------------- propensity scores

def fit_logit(treated, X, max_iter: int = 50, tol: float = 1e-10) -> np.ndarray:
    """Maximum-likelihood logistic regression of ``treated`` on an intercept and ``X``.

    Newton's method run on all data sets at once (leading axes); returns the coefficients
    (..., 1 + covariates), intercept first. Equals statsmodels' Logit to its tolerance.
    """
    t = _treated(treated)
    X = _covariates(X, t)
    max_iter = v.positive_int("max_iter", max_iter)
    Z = _design(X)
    beta = np.zeros(Z.shape[:-2] + Z.shape[-1:])
    target = t.astype(float)
    for _ in range(max_iter):
        p = expit(np.matmul(Z, beta[..., None])[..., 0])
        grad = np.matmul(np.swapaxes(Z, -1, -2), (target - p)[..., None])
        hess = np.matmul(np.swapaxes(Z * (p * (1 - p))[..., None], -1, -2), Z)
        try:
            step = np.linalg.solve(hess, grad)[..., 0]
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if not np.isfinite(beta).all():
            break
        if np.abs(step).max() < tol:
            return beta
    raise ValueError("X predicts treated (nearly) perfectly: the logit does not converge, so the "
                     "propensities reach 0 or 1 and overlap fails")


def propensity_scores(treated, X) -> np.ndarray:
    """Estimated P(treated | X) from :func:`fit_logit`, one per unit."""
    t = _treated(treated)
    X = _covariates(X, t)
    beta = fit_logit(t, X)
    return expit(np.matmul(_design(X), beta[..., None])[..., 0])


def ipw_weights(treated, ps, estimand="ate") -> np.ndarray:
    """Inverse-propensity weights: 1/ps and 1/(1-ps) for the ATE; 1 and ps/(1-ps) for the ATT."""
    v.choice("estimand", estimand, ESTIMANDS)
    t = _treated(treated)
    ps = _propensities(ps, t)
    if estimand == "ate":
        return np.where(t, 1 / ps, 1 / (1 - ps))
    return np.where(t, 1.0, ps / (1 - ps))


def ipw_effect(y, treated, ps, estimand="ate", normalized=True):
    """Inverse-propensity-weighted effect.

    ``normalized=True`` (Hajek): each arm's weighted mean divides by its sum of weights, as
    statsmodels' TreatmentEffect.ipw does. ``normalized=False`` (Horvitz-Thompson): divides by
    the number of units (ATE) or of treated units (ATT): unbiased, but more variable and not
    invariant to adding a constant to y.
    """
    t = _treated(treated)
    y = v.finite("y", y)
    _same_shape(y=y, treated=t)
    w = ipw_weights(t, ps, estimand)
    if normalized:
        return _scalar((w * y * t).sum(-1) / (w * t).sum(-1) - (w * y * ~t).sum(-1) / (w * ~t).sum(-1))
    denom = t.shape[-1] if estimand == "ate" else t.sum(-1)
    return _scalar(((w * y * t).sum(-1) - (w * y * ~t).sum(-1)) / denom)


@dataclass(frozen=True)
class MatchResult:
    """Nearest-neighbour matching estimate of the ATT and the weights of the matched sample.

    ``weights``: 1 for each matched treated unit, the number of times used for each control,
    0 otherwise (use them for the balance check).
    """

    estimate: float | np.ndarray
    n_treated: int | np.ndarray
    n_matched: int | np.ndarray
    weights: np.ndarray
    replace: bool
    caliper: float | None

    def __repr__(self) -> str:
        how = "with" if self.replace else "without"
        cal = "none" if self.caliper is None else f"{self.caliper:.4g}"
        return (f"MatchResult(ATT={format_value(self.estimate)}, matched {format_value(self.n_matched)} of "
                f"{format_value(self.n_treated)} treated, {how} replacement, caliper={cal})")


def _nearest_with_replacement(score, t):
    """For each treated unit (flattened over data sets) its nearest control: (treated idx, control idx, distance)."""
    flat_s, flat_t = score.reshape(-1, score.shape[-1]), t.reshape(-1, t.shape[-1])
    m, n = flat_s.shape
    gap = 2 * (np.ptp(flat_s) + 1)                    # keeps data sets apart on one line
    key = (flat_s + gap * np.arange(m)[:, None]).ravel()
    tflat = flat_t.ravel()
    ctrl = np.flatnonzero(~tflat)
    ctrl = ctrl[np.argsort(key[ctrl], kind="stable")]
    ck = key[ctrl]
    treat = np.flatnonzero(tflat)
    pos = np.searchsorted(ck, key[treat])
    left, right = np.clip(pos - 1, 0, len(ck) - 1), np.clip(pos, 0, len(ck) - 1)
    d_left, d_right = np.abs(key[treat] - ck[left]), np.abs(ck[right] - key[treat])
    pick = np.where(d_right < d_left, right, left)
    return treat, ctrl[pick], np.minimum(d_left, d_right)


def match_effect(y, treated, score, replace=True, caliper=None) -> MatchResult:
    """1:1 nearest-neighbour matching on ``score`` (e.g. the logit of the propensity): the ATT.

    Each treated unit gets the control with the closest score. ``replace=True``: a control can
    serve several treated units (vectorised over data sets). ``replace=False``: greedy, treated
    units in decreasing order of score each take the nearest unused control (one data set only).
    ``caliper``: treated units whose nearest available control is farther than this are dropped,
    so the estimate is the ATT of the matched treated only.
    """
    t = _treated(treated)
    y, score = v.finite("y", y), v.finite("score", score)
    _same_shape(y=y, treated=t, score=score)
    if caliper is not None:
        caliper = float(v.positive("caliper", caliper))
    if not isinstance(replace, (bool, np.bool_)):
        raise ValueError(f"replace must be True or False; got {replace!r}")
    if replace:
        ti, ci, dist = _nearest_with_replacement(score, t)
    else:
        if t.ndim != 1:
            raise ValueError("replace=False matches one data set at a time: y, treated and score must be 1-D")
        ti, ci, dist = _greedy_without_replacement(score, t, caliper)
    keep = dist <= caliper if caliper is not None else np.ones(len(ti), bool)
    ti, ci = ti[keep], ci[keep]
    n_flat = t.size
    weights = (np.bincount(ti, minlength=n_flat) + np.bincount(ci, minlength=n_flat)).astype(float)
    weights = weights.reshape(t.shape)
    n_matched = (weights * t).sum(-1)
    if (n_matched == 0).any():
        raise ValueError("caliper: no treated unit has a control within the caliper (in some data set)")
    diff = np.zeros(n_flat)
    np.add.at(diff, ti, y.ravel()[ti] - y.ravel()[ci])
    estimate = diff.reshape(t.shape).sum(-1) / n_matched
    as_int = (lambda a: int(a)) if t.ndim == 1 else (lambda a: np.asarray(a, dtype=int))
    return MatchResult(_scalar(estimate), as_int(t.sum(-1)), as_int(n_matched), weights, bool(replace), caliper)


def _greedy_without_replacement(score, t, caliper):
    treat = np.flatnonzero(t)
    treat = treat[np.argsort(-score[treat], kind="stable")]
    ctrl = np.flatnonzero(~t)
    free = np.ones(len(ctrl), bool)
    ti, ci, dist = [], [], []
    for i in treat:
        if not free.any():
            break
        d = np.where(free, np.abs(score[ctrl] - score[i]), np.inf)
        j = int(np.argmin(d))
        if caliper is not None and d[j] > caliper:
            continue                                    # no usable control: this treated unit is dropped
        free[j] = False
        ti.append(i), ci.append(ctrl[j]), dist.append(d[j])
    return np.array(ti, dtype=int), np.array(ci, dtype=int), np.array(dist, dtype=float)


# ----------------------------------------------------------------------------- balance and overlap

def standardized_differences(X, treated, weights=None) -> np.ndarray:
    """Standardised mean difference of each covariate, treated minus control.

    (weighted mean of the treated - weighted mean of the controls) / sqrt((s_T^2 + s_C^2) / 2),
    with s^2 the arms' UNWEIGHTED variances (ddof=1): the denominator is the same before and
    after matching or weighting, as in the R package cobalt, so a change shows a change in the
    means. |SMD| < 0.1 is the usual rule of thumb for balance.
    """
    t = _treated(treated)
    X = _covariates(X, t)
    w = np.ones(t.shape) if weights is None else v.positive("weights", weights, allow_zero=True)
    w = np.broadcast_to(w, t.shape) if np.ndim(w) else np.full(t.shape, float(w))
    _same_shape(weights=w, treated=t)
    wt, wc = (w * t)[..., None], (w * ~t)[..., None]
    if ((wt.sum(-2) == 0) | (wc.sum(-2) == 0)).any():
        raise ValueError("weights must give each arm a positive total weight")
    mean_t, mean_c = (wt * X).sum(-2) / wt.sum(-2), (wc * X).sum(-2) / wc.sum(-2)

    def var(mask):
        mask = mask[..., None].astype(float)
        n = mask.sum(-2)
        mu = (mask * X).sum(-2) / n
        return (mask * (X - mu[..., None, :]) ** 2).sum(-2) / (n - 1)

    return (mean_t - mean_c) / np.sqrt((var(t) + var(~t)) / 2)


def effective_sample_size(weights):
    """Kish's effective sample size (sum w)^2 / sum w^2 along the last axis."""
    w = v.positive("weights", weights, allow_zero=True)
    w = np.asarray(w, dtype=float)
    if w.ndim == 0 or (w.sum(-1) == 0).any():
        raise ValueError("weights must be an array with a positive sum")
    return _scalar(w.sum(-1) ** 2 / (w**2).sum(-1))


# ----------------------------------------------------------------------------- difference-in-differences

@dataclass(frozen=True)
class DiDResult:
    """A difference-in-differences estimate with its unit-clustered standard error."""

    estimate: float | np.ndarray
    se: float | np.ndarray
    ci_low: float | np.ndarray
    ci_high: float | np.ndarray
    p_value: float | np.ndarray
    alpha: float

    def __repr__(self) -> str:
        return (f"DiDResult(estimate={format_value(self.estimate)}, clustered SE={format_value(self.se)}, "
                f"{100 * (1 - self.alpha):g}% CI [{format_value(self.ci_low)}, {format_value(self.ci_high)}], "
                f"p={format_value(self.p_value)})")


def did_2x2(y_pre, y_post, treated, alpha=0.05) -> DiDResult:
    """(post - pre mean of the treated) - (post - pre mean of the controls), per unit panel.

    ``y_pre``, ``y_post``: each unit's outcome before and after (..., units). The standard
    error is clustered by unit, exactly statsmodels' OLS y ~ treated * post on the stacked
    two periods with ``cov_type="cluster"`` (small-sample factor G/(G-1) (N-1)/(N-K)); the
    interval and p-value use the t distribution with G - 1 degrees of freedom (G = units),
    as statsmodels does with ``use_t=True``.
    """
    alpha = v.unit_open("alpha", alpha)
    y_pre, y_post = v.finite("y_pre", y_pre), v.finite("y_post", y_post)
    _same_shape(y_pre=y_pre, y_post=y_post)
    t = np.broadcast_to(_treated(treated), y_pre.shape) if np.ndim(treated) else _treated(treated)
    _same_shape(y_pre=y_pre, treated=t)
    n_t, n_c = t.sum(-1), (~t).sum(-1)
    if (n_t < 2).any() or (n_c < 2).any():
        raise ValueError("treated: each group needs at least two units for a clustered standard error")
    d = y_post - y_pre
    mean_t, mean_c = (d * t).sum(-1) / n_t, (d * ~t).sum(-1) / n_c
    est = mean_t - mean_c
    ss_t = (((d - mean_t[..., None]) ** 2) * t).sum(-1)
    ss_c = (((d - mean_c[..., None]) ** 2) * ~t).sum(-1)
    g = t.shape[-1]
    factor = g / (g - 1) * (2 * g - 1) / (2 * g - 4)
    se = np.sqrt(factor * (ss_t / n_t**2 + ss_c / n_c**2))
    z = _sps.t.ppf(1 - alpha / 2, g - 1)
    p = 2 * _sps.t.sf(np.abs(est / se), g - 1)
    return DiDResult(_scalar(est), _scalar(se), _scalar(est - z * se), _scalar(est + z * se), _scalar(p), alpha)


@dataclass(frozen=True)
class EventStudyResult:
    """Event-study coefficients (treated minus control, relative to the last pre period).

    ``pretrend_statistic`` is the Wald statistic W of the leads (chi-square scale)."""

    relative_period: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    pretrend_statistic: float | np.ndarray
    pretrend_p: float | np.ndarray
    alpha: float

    @property
    def leads(self) -> np.ndarray:
        """Mask of the pre-period coefficients (relative periods before -1)."""
        return self.relative_period < -1

    def __repr__(self) -> str:
        return (f"EventStudyResult(relative periods {self.relative_period.min()}..{self.relative_period.max()}, "
                f"{int(self.leads.sum())} leads; pre-trend Wald={format_value(self.pretrend_statistic)}, "
                f"p={format_value(self.pretrend_p)})")


def event_study(y, treated, first_post, alpha=0.05) -> EventStudyResult:
    """Leads and lags of a treatment that starts at period ``first_post`` for the treated units.

    ``y`` has shape (..., units, periods). Coefficient for period k: the DiD between period k
    and the reference period first_post - 1, i.e. the two-way fixed-effects regression
    y ~ unit + period + treated x period (k != reference), whose estimates these equal exactly.
    Covariance clustered by unit (CR0 times G/(G-1): the unit effects are nested in the clusters);
    intervals use t with G - 1 degrees of freedom. ``pretrend_p``: the joint Wald test that every
    lead is zero, as F = W / q with (q, G - 1) degrees of freedom (NaN when there is no lead).
    """
    alpha = v.unit_open("alpha", alpha)
    y = v.finite("y", y)
    if y.ndim < 2 or y.shape[-1] < 2:
        raise ValueError("y must have shape (units, periods) with at least two periods")
    t = _treated(treated)
    if t.shape != y.shape[:-1]:
        raise ValueError(f"treated must have one entry per unit, shape {y.shape[:-1]}; got {t.shape}")
    n_periods = y.shape[-1]
    first_post = v.positive_int("first_post", first_post)
    if first_post > n_periods - 1:
        raise ValueError(f"first_post must be in [1, {n_periods - 1}]: at least one period before and one after")
    ref = first_post - 1
    others = np.array([k for k in range(n_periods) if k != ref])
    n_t, n_c = t.sum(-1), (~t).sum(-1)
    if (n_t < 2).any() or (n_c < 2).any():
        raise ValueError("treated: each group needs at least two units for a clustered standard error")
    d = y[..., others] - y[..., ref:ref + 1]                           # (..., G, K)
    tt = t[..., None]
    mean_t = (d * tt).sum(-2) / n_t[..., None]
    mean_c = (d * ~tt).sum(-2) / n_c[..., None]
    est = mean_t - mean_c
    psi = np.where(tt, (d - mean_t[..., None, :]) / n_t[..., None, None],
                   -(d - mean_c[..., None, :]) / n_c[..., None, None])
    g = t.shape[-1]
    cov = g / (g - 1) * np.matmul(np.swapaxes(psi, -1, -2), psi)
    se = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    z = _sps.t.ppf(1 - alpha / 2, g - 1)
    rel = others - first_post
    lead = rel < -1
    if lead.any():
        b = est[..., lead]
        vcov = cov[..., lead, :][..., :, lead]
        stat = (b * np.linalg.solve(vcov, b[..., None])[..., 0]).sum(-1)
        p = _sps.f.sf(stat / lead.sum(), lead.sum(), g - 1)
    else:
        stat = p = np.full(est.shape[:-1], np.nan)
    return EventStudyResult(rel, est, se, est - z * se, est + z * se, _scalar(stat), _scalar(p), alpha)


@dataclass(frozen=True)
class PanelData:
    """Simulated outcomes of markets over periods: ``y`` (..., units, periods), ``treated`` (..., units)."""

    y: np.ndarray
    treated: np.ndarray
    first_post: int
    effect: float

    def pre_post_means(self):
        """Each unit's mean outcome before and after the start (the 2x2 collapse)."""
        return self.y[..., :self.first_post].mean(-1), self.y[..., self.first_post:].mean(-1)

    def long(self):
        """One data set in long format (unit, period, treated, post, y) as a pandas DataFrame."""
        import pandas as pd
        if self.treated.ndim != 1:
            raise ValueError("long() needs a single data set (simulate with n_sims=None)")
        g, k = self.y.shape
        period = np.tile(np.arange(k), g)
        return pd.DataFrame({"unit": np.repeat(np.arange(g), k), "period": period,
                             "treated": np.repeat(self.treated.astype(int), k),
                             "post": (period >= self.first_post).astype(int), "y": self.y.ravel()})

    def __repr__(self) -> str:
        return (f"PanelData(data sets={int(np.prod(self.treated.shape[:-1]))}, units={self.y.shape[-2]}, "
                f"periods={self.y.shape[-1]}, first_post={self.first_post}, true effect={self.effect:g})")


def simulate_panel(n_units, n_periods, first_post, rng, *, effect=1.0, share_treated=0.4, level_gap=2.0,
                   trend_gap=0.0, rho=0.5, noise_sd=1.5, n_sims=None) -> PanelData:
    """Markets observed over periods; the treated ones get the feature from ``first_post`` on.

    y = market effect N(0, 2^2) + ``level_gap`` (treated) + period shock N(0, 1) (common) +
    ``trend_gap`` x (period - first_post + 1) (treated: a different trend, which breaks parallel
    trends) + ``effect`` (treated, after the start) + AR(1) noise with autocorrelation ``rho``.
    The first round(share_treated x n_units) markets are the treated ones.
    """
    n_units = v.positive_int("n_units", n_units, minimum=4)
    n_periods = v.positive_int("n_periods", n_periods, minimum=2)
    first_post = v.positive_int("first_post", first_post)
    if first_post > n_periods - 1:
        raise ValueError(f"first_post must be in [1, {n_periods - 1}]: at least one period before and one after")
    share = v.probability("share_treated", share_treated, open_low=True, open_high=True)
    n_t = int(round(share * n_units))
    if not 2 <= n_t <= n_units - 2:
        raise ValueError("share_treated must leave at least two treated and two control units")
    rho = v.probability("rho", rho, open_high=True)
    noise_sd = v.positive("noise_sd", noise_sd)
    for name, val in (("effect", effect), ("level_gap", level_gap), ("trend_gap", trend_gap)):
        v.finite(name, val)
    rng = v.as_rng(rng)
    lead = () if n_sims is None else (v.positive_int("n_sims", n_sims),)
    treated = np.broadcast_to(np.arange(n_units) < n_t, lead + (n_units,))
    unit = 2.0 * rng.standard_normal(lead + (n_units, 1)) + level_gap * treated[..., None]
    shock = rng.standard_normal(lead + (1, n_periods))
    noise = np.empty(lead + (n_units, n_periods))
    noise[..., 0] = rng.standard_normal(lead + (n_units,))
    for k in range(1, n_periods):                                   # a loop over time only
        noise[..., k] = rho * noise[..., k - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(lead + (n_units,))
    period = np.arange(n_periods)
    trend = trend_gap * (period - first_post + 1) * treated[..., None]
    on = effect * ((period >= first_post) & treated[..., None])
    y = unit + shock + trend + on + noise_sd * noise
    return PanelData(y, np.array(treated), first_post, float(effect))
