"""Bayesian A/B testing: Beta-Binomial posteriors, exact P(B > A), expected loss, monitoring.

Model: each arm's click-through p has the prior Beta(alpha0, beta0) (``prior``, the same for
both arms); after s successes in n trials its posterior is Beta(alpha0 + s, beta0 + n - s).

**P(X > Y)** for independent X ~ Beta(a, b), Y ~ Beta(c, d), written g(a, b, c, d):

* when ``a`` is a whole number, Evan Miller's closed form ("Formulas for Bayesian A/B Testing")

      g = sum_{i=0}^{a-1} B(c + i, b + d) / ((b + i) B(1 + i, b) B(c, d)),

  each term computed as the exponential of log-gamma differences and the terms added with
  ``logsumexp``, so nothing overflows at 10^6 trials or more;
* the symmetries g(a,b,c,d) = g(d,c,b,a) = 1 - g(c,d,a,b) (Thompson 1933), hence also
  = 1 - g(b,a,d,c), give the same sum looping over d, c or b instead: the shortest loop over a
  whole-number parameter is used;
* when no parameter is a whole number (Jeffreys' prior) or the shortest loop is longer than
  ``MAX_TERMS``, one-dimensional quadrature of f_Y(t) P(X > t) (or f_X(t) P(Y < t)) with exact
  Beta densities and CDFs: composite Gauss-Legendre on the window holding all but 2e-15 of the
  mass, or QUADPACK's algebraic-weight rule where a density is infinite at 0 or 1 (``_integral``).

Accuracy. The sum's terms are exponentials of differences of log-gammas of large arguments,
each rounded at ~1e-16 of its size, so its absolute error grows with the counts: about 1e-12 at
10^3 trials per arm, 3e-11 at 10^4, 4e-10 at 10^5, 1.5e-9 at 10^6, 7e-8 at 10^7 (never an
overflow, always in [0, 1]). The quadrature is accurate to ~1e-13 at any size, so ``method="auto"``
sums only up to ``MAX_TERMS`` terms (error below ~3e-10). Both routes are tested against each
other, against scipy.integrate.quad / dblquad on the densities and against published values in
tests/test_bayes.py.

**Monitoring**: with a flat prior and large samples P(B > A) ~ Phi(z), z the unpooled
two-proportion z statistic, so "stop when P(B > A) > 0.95" is the one-sided boundary
z > 1.645 at every look; its A/A false-positive rate comes from the random-walk recursion of
``labsupport.sequential`` (lesson 02) with no lower boundary.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize, special
from scipy import stats as _sps

from . import _validate as v
from .sequential import _STEP, _phi, peeking_type1_error
from .stats import Rate, format_value, monte_carlo_rate

MAX_TERMS = 50_000          # longest closed-form loop in method='auto'; beyond it, quadrature
_CHUNK = 1 << 21            # terms evaluated at once (memory bound)
_TAIL = 1e-15               # mass left out on each side of a quadrature window
_LOWER = 9.0                # the one-sided recursion drops paths below -9 sqrt(k) (mass < 1e-18)
PRIORS = {"flat": (1.0, 1.0), "jeffreys": (0.5, 0.5)}


# ---------------------------------------------------------------- P(X > Y) for two Betas
def _miller_sums(a, b, c, d):
    """sum_{i<a} B(c+i, b+d) / ((b+i) B(1+i, b) B(c, d)) for 1-d arrays, ``a`` whole numbers >= 1."""
    out = np.empty(a.size)
    order = np.argsort(a, kind="stable")
    start = 0
    while start < order.size:
        length = int(a[order[start]])
        rows = max(1, _CHUNK // max(length, 1))
        idx = order[start:start + rows]
        top = int(a[idx].max())
        i = np.arange(top, dtype=float)[None, :]
        bb, cc, dd = b[idx, None], c[idx, None], d[idx, None]
        # log of C(b+i-1, i) B(c+i, b+d) / B(c, d): the same term as Miller's, as log-gammas
        log_t = (special.gammaln(bb + i) - special.gammaln(i + 1) + special.gammaln(cc + i)
                 - special.gammaln(cc + i + bb + dd))
        log_t += (special.gammaln(bb + dd) - special.gammaln(bb) - special.betaln(cc, dd))
        log_t[i >= a[idx, None]] = -np.inf
        out[idx] = np.exp(special.logsumexp(log_t, axis=1))
        start += idx.size
    return out


def _whole(x):
    return (x == np.floor(x)) & (x >= 1)


_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
_PANELS = 64


@functools.lru_cache(maxsize=512)
def _nodes(a, b):
    """Composite Gauss-Legendre nodes and density-times-weights for Beta(a, b) on its 1 - 2e-15 window."""
    dist = _sps.beta(a, b)
    edges = np.linspace(dist.ppf(_TAIL), dist.isf(_TAIL), _PANELS + 1)
    half = (edges[1] - edges[0]) / 2
    t = ((edges[:-1, None] + edges[1:, None]) / 2 + half * _GL_X[None, :]).ravel()
    return t, np.tile(_GL_W, _PANELS) * half * dist.pdf(t)


def _smooth(x):
    """A Beta parameter whose factor t^(x-1) is smooth enough for Gauss-Legendre near t = 0."""
    return x >= 20 or (x >= 1 and x == math.floor(x))


def _integral(a, b, fn):
    """Integral of f(t) fn(t) dt for the Beta(a, b) density f; fn vectorised, values in [0, 1].

    Where the density is smooth on its window (each parameter a whole number or >= 20): composite
    Gauss-Legendre, 64 panels of 16 nodes, over the window holding all but 2e-15 of the mass.
    Otherwise t^(a-1) or (1-t)^(b-1) is not smooth at an end (infinite for a parameter < 1, e.g.
    Jeffreys' prior and no successes): adaptive quadrature with that factor as an algebraic weight
    (scipy.integrate.quad, weight="alg", QUADPACK's QAWS), on each side of the median.
    """
    if _smooth(a) and _smooth(b):
        t, wf = _nodes(float(a), float(b))
        return float(wf @ fn(t))
    lb, med = special.betaln(a, b), _sps.beta.median(a, b)
    opts = dict(epsabs=1e-15, epsrel=1e-12, limit=500)
    if _smooth(a):
        left = integrate.quad(lambda t: _sps.beta.pdf(t, a, b) * fn(t), 0.0, med, **opts)[0]
    else:       # weight t^(a-1) on [0, median]
        left = integrate.quad(lambda t: np.exp((b - 1) * np.log1p(-t) - lb) * fn(t), 0.0, med,
                              weight="alg", wvar=(a - 1, 0.0), **opts)[0]
    if _smooth(b):
        right = integrate.quad(lambda t: _sps.beta.pdf(t, a, b) * fn(t), med, 1.0, **opts)[0]
    else:       # weight (1 - t)^(b-1) on [median, 1]
        right = integrate.quad(lambda t: np.exp((a - 1) * np.log(t) - lb) * fn(t), med, 1.0,
                               weight="alg", wvar=(0.0, b - 1), **opts)[0]
    return left + right


def _var(a, b):
    return a * b / ((a + b) ** 2 * (a + b + 1))


def _quad_one(a, b, c, d):
    """P(X > Y) for X ~ Beta(a, b), Y ~ Beta(c, d) by one-dimensional quadrature.

    Integrates over Y, f_Y(t) P(X > t), or over X, f_X(t) P(Y < t): over the one whose density is
    not smooth at an end if only one is (adaptive quadrature then sees it, and the other's CDF is
    smooth), else over the more concentrated one (the other's CDF is nearly linear on its window).
    """
    sing_x, sing_y = not (_smooth(a) and _smooth(b)), not (_smooth(c) and _smooth(d))
    over_y = sing_y if sing_x != sing_y else _var(c, d) <= _var(a, b)
    if over_y:
        return _integral(c, d, lambda t: special.betaincc(a, b, t))   # integral of f_Y(t) P(X > t)
    return _integral(a, b, lambda t: special.betainc(c, d, t))        # integral of f_X(t) P(Y < t)


def _prob_greater(a, b, c, d, method="auto"):
    """g(a, b, c, d) = P(X > Y) elementwise for broadcast arrays; ``method`` auto, sum or quad."""
    a, b, c, d = (np.asarray(t, dtype=float) for t in np.broadcast_arrays(a, b, c, d))
    shape = a.shape
    a, b, c, d = (t.ravel() for t in (a, b, c, d))
    out = np.full(a.size, np.nan)
    # the four forms: (loop parameter, arguments of the sum, complement?)
    forms = [((a, b, c, d), False), ((d, c, b, a), False), ((c, d, a, b), True), ((b, a, d, c), True)]
    lengths = np.stack([np.where(_whole(args[0]), args[0], np.inf) for args, _ in forms])
    best = np.argmin(lengths, axis=0)
    shortest = lengths[best, np.arange(a.size)]
    use_sum = np.isfinite(shortest) & (shortest <= (MAX_TERMS if method == "auto" else np.inf))
    if method == "quad":
        use_sum[:] = False
    elif method == "sum" and not use_sum.all():
        raise ValueError("method='sum' needs a whole-number parameter in every case")
    for k, (args, complement) in enumerate(forms):
        sel = use_sum & (best == k)
        if sel.any():
            s = _miller_sums(*(t[sel] for t in args))
            out[sel] = 1.0 - s if complement else s
    for j in np.flatnonzero(~use_sum):
        out[j] = _quad_one(a[j], b[j], c[j], d[j])
    out = np.clip(out, 0.0, 1.0).reshape(shape)
    return float(out) if out.ndim == 0 else out


def beta_prob_greater(alpha_x, beta_x, alpha_y, beta_y):
    """P(X > Y) for independent X ~ Beta(alpha_x, beta_x) and Y ~ Beta(alpha_y, beta_y), exactly.

    Broadcasts over arrays. See the module docstring for the method.
    """
    args = [v.positive(n, x) for n, x in (("alpha_x", alpha_x), ("beta_x", beta_x),
                                           ("alpha_y", alpha_y), ("beta_y", beta_y))]
    v.broadcastable(alpha_x=alpha_x, beta_x=beta_x, alpha_y=alpha_y, beta_y=beta_y)
    return _prob_greater(*args)


# ---------------------------------------------------------------- posteriors from counts
def _prior(prior):
    try:
        a0, b0 = (float(x) for x in prior)
    except (TypeError, ValueError):
        raise ValueError(f"prior must be a pair (alpha, beta) of numbers > 0; got {prior!r}") from None
    if not (a0 > 0 and b0 > 0 and math.isfinite(a0) and math.isfinite(b0)):
        raise ValueError(f"prior must be a pair (alpha, beta) of numbers > 0; got {prior!r}")
    return a0, b0


def _arm(name, successes, trials):
    s = v.counts(f"successes_{name}", successes)
    n = v.counts(f"trials_{name}", trials)
    if (s > n).any():
        raise ValueError(f"successes_{name} must be <= trials_{name}")
    return s, n


def _posteriors(successes_a, trials_a, successes_b, trials_b, prior):
    """Posterior parameters (a_A, b_A, a_B, b_B) as float arrays."""
    a0, b0 = _prior(prior)
    v.broadcastable(successes_a=successes_a, trials_a=trials_a, successes_b=successes_b, trials_b=trials_b)
    sa, na = _arm("a", successes_a, trials_a)
    sb, nb = _arm("b", successes_b, trials_b)
    return a0 + sa, b0 + (na - sa), a0 + sb, b0 + (nb - sb)


def posterior(successes, trials, prior=(1, 1)):
    """The Beta posterior of one arm's rate, as a frozen ``scipy.stats.beta``."""
    a0, b0 = _prior(prior)
    s, n = v.counts("successes", successes), v.counts("trials", trials)
    if (s > n).any():
        raise ValueError("successes must be <= trials")
    return _sps.beta(a0 + s, b0 + (n - s))


def prob_b_beats_a(successes_a, trials_a, successes_b, trials_b, prior=(1, 1)):
    """Exact P(p_B > p_A) under the same Beta(``prior``) on both arms (closed form, not sampling)."""
    a_a, b_a, a_b, b_b = _posteriors(successes_a, trials_a, successes_b, trials_b, prior)
    return _prob_greater(a_b, b_b, a_a, b_a)


def expected_loss(successes_a, trials_a, successes_b, trials_b, prior=(1, 1)):
    """Exact (loss of choosing A, loss of choosing B) = (E[max(p_B - p_A, 0)], E[max(p_A - p_B, 0)]).

    Size-biasing a Beta, x f(x; a, b) = a/(a+b) f(x; a+1, b), turns each into two P(X > Y) terms:
    E[max(p_B - p_A, 0)] = m_B g(a_B+1, b_B, a_A, b_A) - m_A g(a_B, b_B, a_A+1, b_A), m the posterior means
    (Stucchio 2014); each loss is computed on its own, so loss_A - loss_B = m_B - m_A is a check.
    """
    a_a, b_a, a_b, b_b = _posteriors(successes_a, trials_a, successes_b, trials_b, prior)
    m_a, m_b = a_a / (a_a + b_a), a_b / (a_b + b_b)
    loss_a = m_b * _prob_greater(a_b + 1, b_b, a_a, b_a) - m_a * _prob_greater(a_b, b_b, a_a + 1, b_a)
    loss_b = m_a * _prob_greater(a_a + 1, b_a, a_b, b_b) - m_b * _prob_greater(a_a, b_a, a_b + 1, b_b)
    loss_a, loss_b = np.maximum(loss_a, 0.0), np.maximum(loss_b, 0.0)
    if np.ndim(loss_a) == 0:
        return float(loss_a), float(loss_b)
    return loss_a, loss_b


def prob_b_beats_a_mc(successes_a, trials_a, successes_b, trials_b, n_draws, prior=(1, 1), rng=None) -> Rate:
    """Monte Carlo estimate of P(p_B > p_A) from ``n_draws`` posterior draws per arm, with its standard error."""
    n_draws = v.positive_int("n_draws", n_draws)
    a_a, b_a, a_b, b_b = _posteriors(successes_a, trials_a, successes_b, trials_b, prior)
    if np.ndim(a_a):
        raise ValueError("prob_b_beats_a_mc takes counts of one experiment (single numbers)")
    rng = v.as_rng(rng)
    draws_a = rng.beta(a_a, b_a, size=n_draws)
    draws_b = rng.beta(a_b, b_b, size=n_draws)
    return monte_carlo_rate(draws_b > draws_a)


# ---------------------------------------------------------------- the relative lift
@dataclass(frozen=True)
class CredibleInterval:
    """An equal-tailed posterior interval with the posterior median."""

    median: float
    low: float
    high: float
    level: float

    def __repr__(self) -> str:
        return (f"CredibleInterval(median={self.median:.4g}, {100 * self.level:g}% credible interval "
                f"[{self.low:.4g}, {self.high:.4g}])")


def _lift_cdf(r, post_a, post_b):
    """P(p_B / p_A - 1 <= r) = P(p_B <= (1 + r) p_A), integrated over one posterior (as in ``_quad_one``)."""
    (a_a, b_a), (a_b, b_b) = post_a.args, post_b.args
    sing_a, sing_b = not (_smooth(a_a) and _smooth(b_a)), not (_smooth(a_b) and _smooth(b_b))
    if (sing_b if sing_a != sing_b else _var(a_b, b_b) <= _var(a_a, b_a)):
        return _integral(a_b, b_b, lambda y: special.betaincc(a_a, b_a, np.minimum(y / (1 + r), 1.0)))
    return _integral(a_a, b_a, lambda x: special.betainc(a_b, b_b, np.minimum((1 + r) * x, 1.0)))


def lift_interval(successes_a, trials_a, successes_b, trials_b, level=0.95, prior=(1, 1)) -> CredibleInterval:
    """Equal-tailed credible interval and median of the relative lift p_B / p_A - 1.

    Its posterior CDF is a one-dimensional integral of exact Beta densities and CDFs (quadrature);
    quantiles by root finding.
    """
    level = v.unit_open("level", level)
    a_a, b_a, a_b, b_b = _posteriors(successes_a, trials_a, successes_b, trials_b, prior)
    if np.ndim(a_a):
        raise ValueError("lift_interval takes counts of one experiment (single numbers)")
    post_a, post_b = _sps.beta(a_a, b_a), _sps.beta(a_b, b_b)
    mu = math.log(post_b.mean() / post_a.mean())
    sd = math.sqrt(post_a.var() / post_a.mean() ** 2 + post_b.var() / post_b.mean() ** 2)

    def quantile(q):
        lo, hi = math.expm1(mu - 12 * sd), math.expm1(mu + 12 * sd)
        while _lift_cdf(lo, post_a, post_b) > q:
            lo = -1 + (lo + 1) / 10
        while _lift_cdf(hi, post_a, post_b) < q:
            hi = 10 * (hi + 1) - 1
        return optimize.brentq(lambda r: _lift_cdf(r, post_a, post_b) - q, lo, hi, xtol=1e-12, rtol=1e-12)

    tail = (1 - level) / 2
    return CredibleInterval(quantile(0.5), quantile(tail), quantile(1 - tail), level)


# ---------------------------------------------------------------- decisions
@dataclass(frozen=True)
class Decision:
    """P(B > A), the expected loss of each choice, and the rule's verdict on shipping B."""

    prob_b_beats_a: float
    loss_a: float
    loss_b: float
    prob_threshold: float
    loss_threshold: float

    @property
    def ship_b(self) -> bool:
        """Ship B when P(B > A) > prob_threshold and shipping B risks less than loss_threshold."""
        return bool(self.prob_b_beats_a > self.prob_threshold and self.loss_b < self.loss_threshold)

    def __repr__(self) -> str:
        verdict = "ship B" if self.ship_b else "do not ship B"
        return (f"Decision({verdict}: P(B > A) = {self.prob_b_beats_a:.4f}, expected loss of shipping B "
                f"{self.loss_b:.3g}, of keeping A {self.loss_a:.3g}; rule P > {self.prob_threshold:g} "
                f"and loss < {self.loss_threshold:g})")


def decide(successes_a, trials_a, successes_b, trials_b, prior=(1, 1), prob_threshold=0.95,
           loss_threshold=0.001) -> Decision:
    """The rule "ship B if P(B > A) > prob_threshold and its expected loss < loss_threshold", exactly."""
    prob_threshold = v.probability("prob_threshold", prob_threshold)
    loss_threshold = v.positive("loss_threshold", loss_threshold)
    p = prob_b_beats_a(successes_a, trials_a, successes_b, trials_b, prior)
    if np.ndim(p):
        raise ValueError("decide takes counts of one experiment (single numbers)")
    loss_a, loss_b = expected_loss(successes_a, trials_a, successes_b, trials_b, prior)
    return Decision(p, loss_a, loss_b, prob_threshold, loss_threshold)


# ---------------------------------------------------------------- a continuous metric
@dataclass(frozen=True)
class NormalPosterior:
    """Posterior N(mean_diff, sd^2) of mean(B) - mean(A) under flat priors and plug-in variances."""

    mean_diff: float | np.ndarray
    sd: float | np.ndarray

    @property
    def prob_b_beats_a(self):
        return special.ndtr(np.asarray(self.mean_diff) / self.sd)

    def interval(self, level=0.95):
        """Equal-tailed credible interval (low, high) of the difference."""
        half = _sps.norm.isf((1 - v.unit_open("level", level)) / 2) * np.asarray(self.sd)
        return self.mean_diff - half, self.mean_diff + half

    def __repr__(self) -> str:
        return (f"NormalPosterior(mean_diff={format_value(self.mean_diff)}, sd={format_value(self.sd)}, "
                f"P(B > A)={format_value(self.prob_b_beats_a)})")


def normal_posterior(a, b) -> NormalPosterior:
    """Normal model of a per-user metric (e.g. revenue), along the last axis of ``a`` and ``b``.

    With flat priors on the means and each arm's variance set to its sample variance, the
    posterior of mean(B) - mean(A) is N(mean_b - mean_a, s_a^2/n_a + s_b^2/n_b): large-sample
    Bayes, numerically the Welch z statistic.
    """
    a, b = v.samples("a", a), v.samples("b", b)
    diff = b.mean(axis=-1) - a.mean(axis=-1)
    sd = np.sqrt(a.var(axis=-1, ddof=1) / a.shape[-1] + b.var(axis=-1, ddof=1) / b.shape[-1])
    if np.ndim(diff) == 0:
        return NormalPosterior(float(diff), float(sd))
    return NormalPosterior(diff, sd)


# ---------------------------------------------------------------- monitoring: peeking
def one_sided_crossing_probabilities(bounds):
    """Large-sample probability of first crossing Z_k > bounds[k] at look k (equally spaced), under H0.

    Z_k is the z statistic on all data up to look k; the score S_k = sqrt(k) Z_k is a Gaussian
    random walk with N(0, 1) increments. As in ``sequential.crossing_probabilities`` (Simpson's rule,
    the same step), its sub-density is carried from look to look, but on (-inf, bound): there is
    no lower boundary, so a path that wanders down keeps going.
    """
    bounds = v.finite("bounds", bounds)
    if bounds.ndim != 1 or bounds.size == 0:
        raise ValueError("bounds must be a one-dimensional array of z critical values")
    x = wf = None
    out = []
    for k, c in enumerate(bounds, start=1):
        b = c * math.sqrt(k)
        out.append(float(special.ndtr(-b)) if x is None else float(special.ndtr(x - b) @ wf))
        lo = min(-_LOWER * math.sqrt(k), b - 1.0)
        m = 2 * max(1, math.ceil((b - lo) / (2 * _STEP))) + 1
        grid = np.linspace(lo, b, m)
        w = np.ones(m)
        w[1:-1:2], w[2:-1:2] = 4, 2
        w *= (grid[1] - grid[0]) / 3
        f = _phi(grid) if x is None else _phi(grid[:, None] - x[None, :]) @ wf
        x, wf = grid, w * f
    return np.array(out)


def peeking_false_positive_rate(looks, threshold=0.95, either=False) -> float:
    """Exact large-sample A/A false-positive rate of "stop when P(B > A) > threshold", checked at ``looks`` looks.

    With a flat prior P(B > A) ~ Phi(z), so the rule is z > Phi^-1(threshold) at each look.
    ``either=True``: stop when either arm's probability of being better exceeds ``threshold``,
    the two-sided z test at alpha = 2 (1 - threshold): lesson 02's ``peeking_type1_error``.
    """
    looks = v.positive_int("looks", looks)
    threshold = v.unit_open("threshold", threshold)
    if either:
        if threshold <= 0.5:
            raise ValueError("threshold must be in (0.5, 1) when either=True")
        return peeking_type1_error(looks, 2 * (1 - threshold))
    return float(one_sided_crossing_probabilities(np.full(looks, _sps.norm.ppf(threshold))).sum())


def _guess(n, s_a, z, a0, b0):
    """Normal-approximation guess of the smallest s_B with P(B > A) > Phi(z), n trials per arm."""
    a, b = a0 + s_a, b0 + n - s_a
    tot = a + b
    mean = a / tot
    var = a * b / (tot ** 2 * (tot + 1))
    return np.rint((mean + z * np.sqrt(2 * var)) * tot - a0)


def _threshold(threshold):
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not 0.5 < threshold < 1:
        raise ValueError(f"threshold must be a number in (0.5, 1); got {threshold!r}")
    return float(threshold)


def _log_step_up(a, b, c, d):
    """log of g(a+1, b-1, c, d) - g(a, b, c, d): one more success and one fewer failure in X's arm.

    It equals h(a, b-1, c, d) (1/a + 1/(b-1)), h(a, b, c, d) = B(a+c, b+d) / (B(a, b) B(c, d)), by the
    recurrences g(a+1, b, c, d) = g + h/a and g(a, b+1, c, d) = g - h/b of J. D. Cook, "Exact calculation
    of beta inequalities" (UT MD Anderson technical report UTMDABTR-005-05, 2005).
    """
    b1 = b - 1
    return (special.betaln(a + c, b1 + d) - special.betaln(a, b1) - special.betaln(c, d)
            + np.log(1 / a + 1 / b1))


def b_success_thresholds(trials, successes_a, threshold=0.95, prior=(1, 1), width=3):
    """For each count in ``successes_a``, the smallest s_B with P(B > A) > ``threshold`` (``trials`` per arm).

    ``trials + 1`` where no s_B qualifies. P(B > A) grows with s_B: it is computed exactly at the bottom
    of a window of 2 ``width`` + 1 counts around the normal approximation, then stepped up one success
    at a time by Cook's recurrence (``_log_step_up``); where the crossing is outside the window, bisection.
    """
    n = int(v.counts("trials", trials))
    s_a = np.atleast_1d(v.counts("successes_a", successes_a)).astype(float)
    if (s_a > n).any():
        raise ValueError("successes_a must be <= trials")
    threshold = _threshold(threshold)
    width = v.positive_int("width", width)
    a0, b0 = _prior(prior)
    a_a, b_a = a0 + s_a, b0 + n - s_a

    def prob(s_b, rows):
        return _prob_greater(a0 + s_b, b0 + n - s_b, a_a[rows], b_a[rows])

    guess = _guess(n, s_a, _sps.norm.ppf(threshold), a0, b0)
    lo = np.clip(guess - width, 0, n)
    steps = np.arange(2 * width + 1)
    cand = lo[:, None] + steps[None, :]                        # candidate s_B values
    p = np.empty(cand.shape)
    p[:, 0] = prob(lo, slice(None))
    a_b, b_b = a0 + cand[:, :-1], b0 + n - cand[:, :-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        inc = np.exp(_log_step_up(a_b, b_b, a_a[:, None], b_a[:, None]))
    inc[cand[:, 1:] > n] = np.inf                              # beyond n trials: "above" by convention
    p[:, 1:] = p[:, :1] + np.cumsum(inc, axis=1)
    above = p > threshold
    result = np.where(above.any(axis=1), cand[np.arange(cand.shape[0]), above.argmax(axis=1)], n + 1)
    unsure = (above[:, 0] & (lo > 0)) | ~above[:, -1] & (cand[:, -1] < n)
    if unsure.any():                                           # bisection: P(lo) <= threshold < P(hi)
        rows = np.flatnonzero(unsure)
        low, high = np.full(rows.size, -1.0), np.full(rows.size, n + 1.0)
        while (high - low > 1).any():
            mid = np.floor((low + high) / 2)
            open_ = high - low > 1
            up = np.zeros(rows.size, dtype=bool)
            up[open_] = prob(mid[open_], rows[open_]) > threshold
            high = np.where(open_ & up, mid, high)
            low = np.where(open_ & ~up, mid, low)
        result[rows] = high
    return result.astype(np.int64)


@dataclass(frozen=True)
class MonitoringRun:
    """Simulated experiments monitored at equally spaced looks with "stop when P(B > A) > threshold".

    ``stop_look``: 1-based look of the first crossing, 0 if none. ``successes_a``/``successes_b``:
    cumulative successes at each look, shape (n_sims, looks); ``trials``: users per arm at each look.
    """

    stop_look: np.ndarray
    successes_a: np.ndarray
    successes_b: np.ndarray
    trials: np.ndarray

    def rate_by(self, look) -> Rate:
        """Share of experiments stopped (B declared better) at or before ``look``, with its SE."""
        look = v.positive_int("look", look)
        return monte_carlo_rate((self.stop_look > 0) & (self.stop_look <= look))

    def __repr__(self) -> str:
        looks = self.trials.size
        return (f"MonitoringRun({self.stop_look.size:,} experiments, {looks} looks, "
                f"stopped for B by the last look: {self.rate_by(looks)})")


def simulate_monitoring(n_sims, looks, n_per_look, p_a=0.10, p_b=None, threshold=0.95, prior=(1, 1),
                        rng=None) -> MonitoringRun:
    """Two-arm Bernoulli experiments checked after every ``n_per_look`` users per arm; stop when P(B > A) > threshold.

    ``p_a``, ``p_b``: true rates, single numbers or arrays of shape (n_sims,) (e.g. drawn from the prior);
    ``p_b`` defaults to ``p_a`` (an A/A test). P(B > A) is exact at every look: the smallest s_B that
    crosses is computed once per look and count s_A (``b_success_thresholds``), vectorised over experiments.
    """
    n_sims = v.positive_int("n_sims", n_sims)
    looks = v.positive_int("looks", looks)
    n_per_look = v.positive_int("n_per_look", n_per_look)
    p_a = v.probability("p_a", p_a)
    p_b = p_a if p_b is None else v.probability("p_b", p_b)
    for name, p in (("p_a", p_a), ("p_b", p_b)):
        if np.ndim(p) not in (0, 1) or (np.ndim(p) == 1 and np.size(p) != n_sims):
            raise ValueError(f"{name} must be a number or an array of shape (n_sims,)")
    threshold = _threshold(threshold)
    _prior(prior)
    rng = v.as_rng(rng)
    shape = (looks, n_sims)
    sa = np.cumsum(rng.binomial(n_per_look, np.broadcast_to(p_a, shape)), axis=0).T
    sb = np.cumsum(rng.binomial(n_per_look, np.broadcast_to(p_b, shape)), axis=0).T
    crossed = np.zeros((n_sims, looks), dtype=bool)
    for k in range(looks):
        n = n_per_look * (k + 1)
        low, high = int(sa[:, k].min()), int(sa[:, k].max())
        table = b_success_thresholds(n, np.arange(low, high + 1), threshold, prior)
        crossed[:, k] = sb[:, k] >= table[sa[:, k] - low]
    stop = np.where(crossed.any(axis=1), crossed.argmax(axis=1) + 1, 0)
    return MonitoringRun(stop, np.ascontiguousarray(sa), np.ascontiguousarray(sb),
                         n_per_look * np.arange(1, looks + 1))
