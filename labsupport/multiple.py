"""Multiple testing: family-wise error, p-value corrections and a launch decision rule.

``adjust_pvalues`` implements five corrections on sorted p-values p_(1) <= ... <= p_(m):

``bonferroni``  m p_(i)                                        (FWER, any dependence)
``holm``        running max of (m - i + 1) p_(i), step-down     (FWER, any dependence)
``hochberg``    running min from the top of (m - i + 1) p_(i)   (FWER, independent / positive dependence)
``bh``          running min from the top of m p_(i) / i         (FDR, independent / positive dependence)
``by``          ``bh`` times sum_{k<=m} 1/k                     (FDR, any dependence)

Adjusted p-values are capped at 1 and returned in the input order; a hypothesis is
rejected when its adjusted p-value is <= ``alpha``. Every function works along the
last axis, so one call corrects thousands of simulated families at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import integrate, special
from scipy import stats as _sps

from . import _validate as v
from .stats import Rate, monte_carlo_mean, monte_carlo_rate

METHODS = ("bonferroni", "holm", "hochberg", "bh", "by")
_SQRT_2PI = math.sqrt(2 * math.pi)


@dataclass(frozen=True)
class Adjusted:
    """Corrected p-values and the rejections they imply at ``alpha``."""

    method: str
    alpha: float
    adjusted: np.ndarray
    reject: np.ndarray

    def __repr__(self) -> str:
        if self.adjusted.ndim == 1:
            shown = ", ".join(f"{p:.4g}" for p in self.adjusted)
            return (f"Adjusted({self.method}, alpha={self.alpha:g}: {int(self.reject.sum())} of "
                    f"{self.reject.size} rejected; adjusted=[{shown}])")
        return (f"Adjusted({self.method}, alpha={self.alpha:g}: {self.reject.shape[:-1]} families of "
                f"{self.reject.shape[-1]}, mean rejections {self.reject.sum(-1).mean():.3g})")


def adjust_pvalues(pvalues, method="holm", alpha=0.05) -> Adjusted:
    """Adjust p-values for multiple testing along the last axis (methods in the module docstring)."""
    p = v.probability("pvalues", pvalues)
    p = np.atleast_1d(np.asarray(p, dtype=float))
    if p.shape[-1] == 0:
        raise ValueError("pvalues must hold at least one p-value")
    v.choice("method", method, METHODS)
    alpha = v.unit_open("alpha", alpha)

    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    ps = np.take_along_axis(p, order, axis=-1)
    rank = np.arange(1, m + 1)
    if method == "bonferroni":
        adj = m * ps
    elif method == "holm":
        adj = np.maximum.accumulate((m - rank + 1) * ps, axis=-1)
    elif method == "hochberg":
        adj = _running_min_from_top((m - rank + 1) * ps)
    else:
        adj = _running_min_from_top(m * ps / rank)
        if method == "by":
            adj = adj * np.sum(1.0 / rank)
    adj = np.minimum(adj, 1.0)
    out = np.empty_like(adj)
    np.put_along_axis(out, order, adj, axis=-1)
    return Adjusted(method, alpha, out, out <= alpha)


def _running_min_from_top(x):
    return np.minimum.accumulate(x[..., ::-1], axis=-1)[..., ::-1]


def familywise_error(m, alpha=0.05):
    """P(at least one false positive) among ``m`` independent tests at level ``alpha``: 1 - (1 - alpha)^m."""
    m = v.counts("m", m, minimum=1)
    alpha = v.unit_open("alpha", alpha)
    out = 1 - (1 - alpha) ** m
    return float(out) if out.ndim == 0 else out


def familywise_error_correlated(m, rho, alpha=0.05) -> float:
    """Exact FWER of ``m`` two-sided z tests whose statistics are equicorrelated with ``rho`` >= 0.

    Writing z_j = sqrt(rho) U + sqrt(1 - rho) e_j, the tests are independent given U, so
    P(no rejection) = E_U[(Phi(a(U)) - Phi(b(U)))^m], computed by numerical integration.
    """
    m = v.positive_int("m", m)
    rho = v.probability("rho", rho)
    alpha = v.unit_open("alpha", alpha)
    c = _sps.norm.ppf(1 - alpha / 2)
    if rho == 1:
        return alpha
    s, r = math.sqrt(rho), math.sqrt(1 - rho)

    def none_reject(u):  # special.ndtr is Phi without scipy.stats' per-call overhead (quad calls it ~1,000 times)
        inside = special.ndtr((c - s * u) / r) - special.ndtr((-c - s * u) / r)
        return math.exp(-u * u / 2) / _SQRT_2PI * inside**m

    value, _ = integrate.quad(none_reject, -12, 12, epsabs=1e-13, epsrel=1e-11, limit=200)
    return float(1 - value)


def equicorrelated_z(n_sims, m, rho, rng, mean=0.0) -> np.ndarray:
    """z statistics of ``n_sims`` families of ``m`` tests, shape (n_sims, m), multivariate normal
    with unit variances, pairwise correlation ``rho`` and the given ``mean`` (0 = null true).

    One-factor construction, sqrt(rho) * common + sqrt(1 - rho) * own: elementwise arithmetic on
    Generator draws, so every machine gets the same numbers (a factorised covariance, as in
    ``rng.multivariate_normal``, depends on the CPU's BLAS kernel).
    """
    rng = v.as_rng(rng)
    n_sims, m = v.positive_int("n_sims", n_sims), v.positive_int("m", m)
    rho = float(v.probability("rho", rho))
    mean = np.broadcast_to(np.asarray(mean, dtype=float), (m,))
    common = rng.standard_normal((n_sims, 1))
    own = rng.standard_normal((n_sims, m))
    return mean + math.sqrt(rho) * common + math.sqrt(1 - rho) * own


def two_sided_pvalues(z):
    """Two-sided normal p-values 2 (1 - Phi(|z|))."""
    return 2 * _sps.norm.sf(np.abs(np.asarray(z, dtype=float)))


@dataclass(frozen=True)
class ErrorRates:
    """FWER, FDR and average power of a procedure over simulated families, each with its SE."""

    fwer: Rate
    fdr: Rate
    power: Rate

    def __repr__(self) -> str:
        return f"ErrorRates(fwer={self.fwer}, fdr={self.fdr}, power={self.power})"


def error_rates(reject, is_null) -> ErrorRates:
    """Error rates of rejections ``reject`` (n_sims, m) when ``is_null`` (m,) marks the true nulls.

    FWER = P(V >= 1); FDR = E[V / max(R, 1)]; power = E[share of the false nulls rejected]
    (NaN when every null is true). V counts false rejections, R all rejections.
    """
    reject = np.asarray(reject, dtype=bool)
    if reject.ndim != 2:
        raise ValueError(f"reject must be a 2-D array (n_sims, m); got shape {reject.shape}")
    is_null = np.asarray(is_null, dtype=bool)
    if is_null.shape != reject.shape[-1:]:
        raise ValueError(f"is_null must have shape ({reject.shape[-1]},); got {is_null.shape}")
    false_rej = (reject & is_null).sum(axis=-1)
    fdp = false_rej / np.maximum(reject.sum(axis=-1), 1)
    n_alt = int((~is_null).sum())
    if n_alt:
        power = monte_carlo_mean((reject & ~is_null).sum(axis=-1) / n_alt)
    else:
        power = Rate(float("nan"), float("nan"), reject.shape[0])
    fwer = false_rej >= 1
    return ErrorRates(monte_carlo_rate(fwer), monte_carlo_mean(fdp), power)


# --- Simpson's paradox -------------------------------------------------------


@dataclass(frozen=True)
class SegmentComparison:
    """Rates of A and B in each segment and pooled, and whether pooling reverses the sign."""

    rate_a: np.ndarray
    rate_b: np.ndarray
    overall_a: float
    overall_b: float
    reverses: bool

    def __repr__(self) -> str:
        segs = ", ".join(f"{a:.2%} vs {b:.2%}" for a, b in zip(self.rate_a, self.rate_b))
        return (f"SegmentComparison(A vs B by segment: {segs}; overall {self.overall_a:.2%} vs "
                f"{self.overall_b:.2%}; reverses={self.reverses})")


def compare_segments(successes_a, trials_a, successes_b, trials_b) -> SegmentComparison:
    """Per-segment and pooled success rates; ``reverses`` is True when B - A has the same strict
    sign in every segment and the opposite strict sign once the segments are pooled (Simpson's paradox)."""
    sa, sb = v.counts("successes_a", successes_a), v.counts("successes_b", successes_b)
    na, nb = v.counts("trials_a", trials_a, minimum=1), v.counts("trials_b", trials_b, minimum=1)
    v.same_length(successes_a=sa, trials_a=na, successes_b=sb, trials_b=nb)
    if (sa > na).any() or (sb > nb).any():
        raise ValueError("successes_a and successes_b must not exceed trials_a and trials_b")
    ra, rb = sa / na, sb / nb
    oa, ob = sa.sum() / na.sum(), sb.sum() / nb.sum()
    signs = np.sign(rb - ra)
    overall = np.sign(ob - oa)
    reverses = bool(signs[0] != 0 and (signs == signs[0]).all() and overall == -signs[0])
    return SegmentComparison(ra, rb, float(oa), float(ob), reverses)


# --- The launch decision ---------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """One metric's result, B minus A: estimate, two-sided CI and p-value.

    ``higher_is_better`` gives the good direction. ``tolerance`` (>= 0, in the estimate's
    units) is the harmful change a guardrail may show and still pass; other roles ignore it.
    """

    name: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    higher_is_better: bool = True
    tolerance: float = 0.0

    def __post_init__(self):
        for arg in ("estimate", "ci_low", "ci_high"):
            value = getattr(self, arg)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
                    or not math.isfinite(value):
                raise ValueError(f"{arg} must be a finite number; got {value!r}")
        if not self.ci_low <= self.estimate <= self.ci_high:
            raise ValueError(f"ci_low <= estimate <= ci_high must hold; got {self.ci_low!r}, "
                             f"{self.estimate!r}, {self.ci_high!r}")
        v.probability("p_value", self.p_value)
        v.positive("tolerance", self.tolerance, allow_zero=True)
        if not isinstance(self.higher_is_better, (bool, np.bool_)):
            raise ValueError(f"higher_is_better must be True or False; got {self.higher_is_better!r}")

    @classmethod
    def from_result(cls, name, result, higher_is_better=True, tolerance=0.0) -> Metric:
        """From a ``labsupport.stats.ComparisonResult`` (or anything with the same four fields)."""
        return cls(name, float(result.estimate), float(result.ci_low), float(result.ci_high),
                   float(result.p_value), higher_is_better, tolerance)

    def harm(self) -> tuple[float, float]:
        """The CI turned into harm (positive = worse), as (smallest, largest) harm it allows."""
        if self.higher_is_better:
            return -self.ci_high, -self.ci_low
        return self.ci_low, self.ci_high


def guardrail_status(metric: Metric) -> str:
    """``"fail"`` if the whole CI lies beyond the tolerated harm, ``"pass"`` if none of it does,
    ``"unclear"`` otherwise. Harm is a drop for a higher-is-better metric, a rise for a lower-is-better one."""
    low, high = metric.harm()
    if low > metric.tolerance:
        return "fail"
    return "pass" if high <= metric.tolerance else "unclear"


@dataclass(frozen=True)
class Decision:
    """``decision`` is "ship", "don't ship" or "extend"; ``reasons`` says why, one line per point."""

    decision: str
    reasons: tuple = field(default_factory=tuple)

    def __repr__(self) -> str:
        return "\n".join([f"Decision: {self.decision.upper()}"] + [f"  - {r}" for r in self.reasons])


def decide(primary: Metric, secondary=(), guardrails=(), alpha=0.05, powered=True,
           method="holm") -> Decision:
    """The launch rule, in order:

    1. A guardrail whose CI lies wholly beyond its tolerated harm -> don't ship.
    2. The primary metric significant (p <= alpha) in the harmful direction -> don't ship.
    3. The primary not significant -> extend if ``powered`` is False (the planned sample
       is not reached yet), otherwise don't ship (no detectable win).
    4. The primary a significant win, but a guardrail cannot rule out harm beyond its
       tolerance (``"unclear"``) -> extend.
    5. Otherwise -> ship.

    Secondary metrics never change the decision: they are corrected together with ``method``
    (the primary is tested alone at ``alpha``) and reported in the reasons.
    """
    alpha = v.unit_open("alpha", alpha)
    v.choice("method", method, METHODS)
    for arg, metrics in (("secondary", secondary), ("guardrails", guardrails)):
        if not all(isinstance(m_, Metric) for m_ in metrics):
            raise ValueError(f"{arg} must be a sequence of Metric")
    if not isinstance(primary, Metric):
        raise ValueError(f"primary must be a Metric; got {type(primary).__name__}")

    if not isinstance(powered, (bool, np.bool_)):
        raise ValueError(f"powered must be True or False; got {powered!r}")
    reasons, status = [], [guardrail_status(g) for g in guardrails]
    failed = [g for g, s in zip(guardrails, status) if s == "fail"]
    unclear = [g for g, s in zip(guardrails, status) if s == "unclear"]
    for g in failed:
        low, high = g.harm()
        reasons.append(f"guardrail {g.name} fails: harm CI [{low:.4g}, {high:.4g}] lies beyond "
                       f"the tolerated {g.tolerance:.4g} ({_worse(g)})")
    good = primary.estimate > 0 if primary.higher_is_better else primary.estimate < 0
    significant = primary.p_value <= alpha
    if significant and good:
        reasons.append(f"primary {primary.name} wins: estimate {primary.estimate:.4g}, "
                       f"p = {primary.p_value:.3g} <= {alpha:g}")
    elif significant:
        reasons.append(f"primary {primary.name} is significantly worse: estimate "
                       f"{primary.estimate:.4g}, p = {primary.p_value:.3g}")
    else:
        reasons.append(f"primary {primary.name} is not significant: p = {primary.p_value:.3g} > {alpha:g}"
                       + ("" if powered else " and the planned sample is not reached"))
    for g in unclear:
        reasons.append(f"guardrail {g.name} is unclear: its CI allows harm up to {g.harm()[1]:.4g}, "
                       f"beyond the tolerated {g.tolerance:.4g}")
    if secondary:
        adj = adjust_pvalues([s.p_value for s in secondary], method, alpha)
        for s, p_adj, rej in zip(secondary, adj.adjusted, adj.reject):
            verdict = "significant" if rej else "not significant"
            reasons.append(f"secondary {s.name} (for information): estimate {s.estimate:.4g}, "
                           f"{method}-adjusted p = {p_adj:.3g}, {verdict}")

    if failed or (significant and not good):
        decision = "don't ship"
    elif not significant:
        decision = "don't ship" if powered else "extend"
    elif unclear:
        decision = "extend"
    else:
        decision = "ship"
    return Decision(decision, tuple(reasons))


def _worse(metric: Metric) -> str:
    return "a drop in a higher-is-better metric" if metric.higher_is_better else \
        "a rise in a lower-is-better metric"
