"""Peeking and group sequential designs for a two-sided z test.

Looks are equally spaced in information: between two looks every arm gains the
same number of users. Boundaries are two-sided z critical values ``c_k``: at
look k the test stops and rejects H0 when ``|Z_k| > c_k``.

The exact calculations follow Armitage, McPherson & Rowe (1969): the score
S_k = sqrt(k) Z_k is a Gaussian random walk with unit-variance increments. Under H0 the
increments have mean 0; under an effect each has mean ``theta``, the walk's **drift**. The density of S_k on the paths that have
not yet stopped is carried from look to look by numerical integration (Simpson's
rule on a grid, as in Jennison & Turnbull 2000, chapter 19).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from . import _validate as v
from .always_valid import always_valid_pvalues, confidence_sequence, msprt_lambda  # noqa: F401  (lesson 08)

KINDS = ("pocock", "obf", "ld-obf", "ld-pocock")
_STEP = 0.1  # grid spacing on the score scale (increments have SD 1); 1e-7 accurate


def _phi(x):
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _grid(b):
    """Simpson nodes and weights on [-b, b] with spacing at most ``_STEP``."""
    m = 2 * max(1, math.ceil(b / _STEP)) + 1
    x = np.linspace(-b, b, m)
    w = np.ones(m)
    w[1:-1:2], w[2:-1:2] = 4, 2
    return x, w * (x[1] - x[0]) / 3


class _Walk:
    """Carries the sub-density of the score over the continuation regions, look by look."""

    def __init__(self, theta=0.0):
        self.theta, self.x, self.wf = theta, None, None  # wf: Simpson weight x density

    def exit_probs(self, b):
        """(upper, lower) probability of crossing +-b at the next look without stopping before."""
        if self.x is None:
            return special.ndtr(self.theta - b), special.ndtr(-b - self.theta)
        mean = self.x + self.theta
        return special.ndtr(mean - b) @ self.wf, special.ndtr(-b - mean) @ self.wf

    def advance(self, b):
        """Move to the next look, keeping the paths with |S| < b."""
        x, w = _grid(b)
        if self.x is None:
            f = _phi(x - self.theta)
        else:
            f = _phi(x[:, None] - self.x[None, :] - self.theta) @ self.wf
        self.x, self.wf = x, w * f


def _score_bounds(bounds):
    bounds = np.asarray(bounds, dtype=float)
    return bounds * np.sqrt(np.arange(1, bounds.size + 1))


def crossing_probabilities(bounds, theta=0.0):
    """Probability of first stopping at each look, as arrays (upper, lower).

    ``bounds`` are two-sided z critical values at equally spaced looks; ``theta``
    is the mean of the score increment per look (0 under H0; for a design with
    a fixed-sample drift ``delta = E[Z]`` at the final look, theta = delta / sqrt(K)).
    """
    bounds = v.positive("bounds", bounds)
    if np.ndim(bounds) != 1:
        raise ValueError("bounds must be a one-dimensional array of z critical values")
    theta = float(v.finite("theta", theta))
    walk, up, low = _Walk(theta), [], []
    for b in _score_bounds(bounds):
        u, l = walk.exit_probs(b)
        up.append(float(u))
        low.append(float(l))
        walk.advance(b)
    return np.array(up), np.array(low)


def _level(bounds):
    up, low = crossing_probabilities(bounds)
    return float(up.sum() + low.sum())


def peeking_type1_error(looks, alpha=0.05) -> float:
    """Exact overall type I error of a two-sided z test at nominal ``alpha``, repeated at ``looks`` looks.

    Reproduces Armitage, McPherson & Rowe (1969): 0.083 for 2 looks, 0.193 for 10.
    """
    looks = v.positive_int("looks", looks)
    alpha = v.unit_open("alpha", alpha)
    return _level(np.full(looks, stats.norm.isf(alpha / 2)))


def spending(t, alpha=0.05, kind="ld-obf"):
    """Lan-DeMets cumulative two-sided alpha spent by information fraction ``t`` in [0, 1].

    Each tail spends the one-sided Lan & DeMets (1983) function at level alpha/2, as
    R's gsDesign (``sfLDOF``, ``sfLDPocock``), ldbounds and rpact do for a symmetric
    two-sided design. The value returned is the two-sided total, twice the per-tail value:

    ==============  =================================  ===============================
    kind            per tail                           two-sided total (returned)
    ==============  =================================  ===============================
    ``ld-obf``      2 - 2 Phi(z_{alpha/4} / sqrt(t))   4 - 4 Phi(z_{alpha/4} / sqrt(t))
    ``ld-pocock``   (alpha/2) ln(1 + (e - 1) t)        alpha ln(1 + (e - 1) t)
    ==============  =================================  ===============================

    (z_q is the upper-q normal quantile. Applying 2 - 2 Phi(z_{alpha/2} / sqrt(t)) to the
    two-sided alpha directly, as some texts write it, spends MORE early: at t = 0.2 it has
    spent 1.2e-5 instead of 1.1e-6, a first bound of 4.38 instead of 4.88.)
    """
    t = v.probability("t", t)
    alpha = v.unit_open("alpha", alpha)
    v.choice("kind", kind, ("ld-obf", "ld-pocock"))
    if kind == "ld-pocock":
        return alpha * np.log1p((math.e - 1) * t)
    with np.errstate(divide="ignore"):
        return 4 * stats.norm.sf(stats.norm.isf(alpha / 4) / np.sqrt(t))


def _solve_constant(shape, alpha):
    """C such that the bounds C * shape have overall level alpha."""
    return optimize.brentq(lambda c: _level(c * shape) - alpha, 1e-6, 10.0, xtol=1e-10)


def _spending_bounds(looks, alpha, kind):
    cumulative = spending(np.arange(1, looks + 1) / looks, alpha, kind)
    targets = np.diff(cumulative, prepend=0.0)
    walk, bounds = _Walk(), []
    for k, target in enumerate(targets, start=1):
        def excess(b):
            up, low = walk.exit_probs(b)
            return float(up + low) - target
        b = optimize.brentq(excess, 1e-6, 50.0 * math.sqrt(k), xtol=1e-12)
        bounds.append(b / math.sqrt(k))
        walk.advance(b)
    return np.array(bounds)


def group_sequential_bounds(looks, alpha=0.05, kind="obf"):
    """Two-sided z critical values ``c_1..c_K`` at ``looks`` equally spaced looks, overall level ``alpha``.

    Convention: reject at look k when ``|Z_k| > c_k``, Z_k the z statistic on all
    data so far; alpha is two-sided (alpha/2 in each tail).

    ``pocock``     c_k = C_P, one constant for all looks (Pocock 1977).
    ``obf``        c_k = C_B sqrt(K / k) (O'Brien & Fleming 1979); C_B is the final bound.
    ``ld-obf``     Lan-DeMets O'Brien-Fleming-type spending, alpha/2 per tail (see ``spending``).
    ``ld-pocock``  Lan-DeMets Pocock-type spending alpha(t) = alpha ln(1 + (e - 1) t).

    C_P and C_B are solved numerically so the exact overall level is ``alpha``; the
    spending bounds make the exact probability of first crossing at look k equal to
    alpha(k/K) - alpha((k-1)/K).
    """
    looks = v.positive_int("looks", looks)
    alpha = v.unit_open("alpha", alpha)
    v.choice("kind", kind, KINDS)
    if kind.startswith("ld-"):
        return _spending_bounds(looks, alpha, kind)
    k = np.arange(1, looks + 1)
    shape = np.ones(looks) if kind == "pocock" else np.sqrt(looks / k)
    return _solve_constant(shape, alpha) * shape


def inflation_factor(bounds, alpha=0.05, power=0.8) -> float:
    """Maximum sample size of a group sequential design relative to the fixed-sample test.

    With ``bounds`` (two-sided z critical values at equally spaced looks), the ratio
    R = n_max / n_fixed at which the probability of rejecting H0 under the effect the
    fixed-sample two-sided test at ``alpha`` detects with ``power`` is again ``power``.
    """
    bounds = v.positive("bounds", bounds)
    alpha, power = v.unit_open("alpha", alpha), v.unit_open("power", power)
    delta = stats.norm.isf(alpha / 2) + stats.norm.ppf(power)
    looks = np.size(bounds)

    def gap(r):
        up, low = crossing_probabilities(bounds, math.sqrt(r) * delta / math.sqrt(looks))
        return up.sum() + low.sum() - power
    return float(optimize.brentq(gap, 0.5, 5.0, xtol=1e-10))


def _paths(n_sims, looks, n_per_look, p_a, p_b, rng):
    """Cumulative successes at each look as (B minus A, A plus B): int arrays of shape (n_sims, looks)."""
    rng = v.as_rng(rng)
    succ_a = rng.binomial(n_per_look, p_a, size=(n_sims, looks))
    succ_b = rng.binomial(n_per_look, p_b, size=(n_sims, looks))
    gap = succ_b - succ_a
    total = np.add(succ_a, succ_b, out=succ_a)
    return np.cumsum(gap, axis=1, out=gap), np.cumsum(total, axis=1, out=total)


def _crossed(gap, total, n_per_look, bounds):
    """Where |pooled two-proportion z| > bound at each look; overwrites ``gap`` and ``total``.

    |z| > c  <=>  2n gap^2 > c^2 total (2n - total), for ``gap`` = s_B - s_A and
    ``total`` = s_A + s_B successes out of 2n users; a zero variance never crosses.
    """
    two_n = 2 * n_per_look * np.arange(1, gap.shape[1] + 1)
    lhs = np.square(gap, out=gap)
    lhs *= two_n
    rhs = np.subtract(two_n, total)
    rhs *= total
    return lhs > np.asarray(bounds) ** 2 * rhs


def simulate_peeking(n_sims, looks, n_per_look, p=0.10, alpha=0.05, rng=None) -> float:
    """Simulated A/A false-positive rate of a two-proportion z test checked after every look.

    Both arms are Bernoulli(``p``); each look adds ``n_per_look`` users per arm; the
    experiment stops at the first look where the two-sided pooled z test has p < ``alpha``.
    """
    n_sims = v.positive_int("n_sims", n_sims)
    looks = v.positive_int("looks", looks)
    n_per_look = v.positive_int("n_per_look", n_per_look)
    p = v.probability("p", p)
    alpha = v.unit_open("alpha", alpha)
    gap, total = _paths(n_sims, looks, n_per_look, p, p, rng)
    crossed = _crossed(gap, total, n_per_look, stats.norm.isf(alpha / 2))
    return float(crossed.any(axis=1).mean())


@dataclass(frozen=True)
class SequentialRun:
    """Simulated sequential experiments: where each stopped and what it estimated there.

    ``stop_look`` is the 1-based look of the first crossing, 0 if the test never
    crossed; ``estimate`` is p_B - p_A at the stopping look (the last look if none).
    """

    stop_look: np.ndarray
    estimate: np.ndarray

    @property
    def reject(self) -> np.ndarray:
        return self.stop_look > 0

    def __repr__(self) -> str:
        rate = self.reject.mean()
        se = math.sqrt(rate * (1 - rate) / self.reject.size)
        return (f"SequentialRun({self.reject.size:,} experiments, rejection rate "
                f"{rate:.4f} ± {se:.4f} SE, mean estimate {self.estimate.mean():.4g})")


def simulate_sequential(n_sims, bounds, n_per_look, p_a=0.10, p_b=None, rng=None) -> SequentialRun:
    """Simulate two-arm Bernoulli experiments monitored with the two-sided z ``bounds``.

    ``bounds`` holds one critical value per look; ``p_b`` defaults to ``p_a`` (an A/A test).
    """
    n_sims = v.positive_int("n_sims", n_sims)
    bounds = v.positive("bounds", bounds)
    if np.ndim(bounds) != 1:
        raise ValueError("bounds must be a one-dimensional array of z critical values")
    n_per_look = v.positive_int("n_per_look", n_per_look)
    p_a = v.probability("p_a", p_a)
    p_b = p_a if p_b is None else v.probability("p_b", p_b)
    gap, total = _paths(n_sims, bounds.size, n_per_look, p_a, p_b, rng)
    crossed = _crossed(gap.copy(), total, n_per_look, bounds)
    any_cross = crossed.any(axis=1)
    first = np.where(any_cross, crossed.argmax(axis=1), bounds.size - 1)
    estimate = gap[np.arange(n_sims), first] / (n_per_look * (first + 1))
    return SequentialRun(np.where(any_cross, first + 1, 0), estimate)
