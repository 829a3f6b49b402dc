"""Always-valid inference: the normal-mixture mSPRT, always-valid p-values, confidence sequences.

Setting (Johari, Koomen, Pekelis & Walsh, "Peeking at A/B tests", KDD 2017):
after ``n`` observations per arm the difference of means ``mean_diff`` (B minus A)
is approximately N(delta, V / n) with V = 2 * sigma2. Mixing the likelihood ratio
of delta against 0 over delta ~ N(0, tau2) gives

    Lambda_n = sqrt(V / (V + n tau2)) * exp(n^2 tau2 mean_diff^2 / (2 V (V + n tau2))).

Under H0 Lambda_n is a non-negative martingale with mean 1, so by Ville's
inequality P(Lambda_n >= 1/alpha for some n) <= alpha: reject the first time it
crosses 1/alpha, however often you look.

Sequences are arrays whose LAST axis is time (one column per look); leading axes
hold simulated experiments, so one call analyses thousands of monitored streams.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from . import _validate as v


def _log_lambda(diff, n, sigma2, tau2):
    """log Lambda_n, computed without overflow."""
    big_v = 2 * sigma2
    r = n * tau2 / big_v
    out = np.square(diff) * (n * r / (2 * big_v * (1 + r)))  # small factors first: fewer big temporaries
    out -= 0.5 * np.log1p(r)
    return out


def _lambda_inputs(mean_diff, n, sigma2, tau2):
    mean_diff = v.finite("mean_diff", mean_diff)
    n = v.positive("n", n, allow_zero=True)
    sigma2, tau2 = v.positive("sigma2", sigma2), v.positive("tau2", tau2)
    v.broadcastable(mean_diff=mean_diff, n=n, sigma2=sigma2, tau2=tau2)
    return mean_diff, n, sigma2, tau2


def msprt_lambda(mean_diff, n, sigma2, tau2):
    """Normal-mixture likelihood ratio Lambda_n of delta ~ N(0, tau2) against delta = 0.

    ``mean_diff``: mean(B) - mean(A) after ``n`` observations per arm; ``sigma2``: the
    per-observation variance in each arm. Broadcasts over arrays; inf if it overflows.
    """
    with np.errstate(over="ignore"):
        out = np.exp(_log_lambda(*_lambda_inputs(mean_diff, n, sigma2, tau2)))
    return float(out) if out.ndim == 0 else out


def _sequence_inputs(mean_diffs, ns, sigma2, tau2):
    mean_diffs = v.finite("mean_diffs", mean_diffs)
    if mean_diffs.ndim == 0:
        raise ValueError("mean_diffs must be a sequence (time along the last axis)")
    ns = v.positive("ns", ns, allow_zero=True)
    if np.ndim(ns) == 0 or np.shape(ns)[-1] != mean_diffs.shape[-1]:
        raise ValueError(f"ns and mean_diffs must have the same length along the last axis (time); "
                         f"ns has shape {np.shape(ns)}, mean_diffs has shape {mean_diffs.shape}")
    sigma2, tau2 = v.positive("sigma2", sigma2), v.positive("tau2", tau2)
    v.broadcastable(mean_diffs=mean_diffs, ns=ns, sigma2=sigma2, tau2=tau2)
    return mean_diffs, ns, sigma2, tau2


def always_valid_pvalues(mean_diffs, ns, sigma2, tau2):
    """Always-valid p-values: the running minimum over time of min(1, 1 / Lambda_n).

    ``mean_diffs`` has time on its last axis, ``ns`` (same length) the observations
    per arm at each look; ``sigma2`` may vary over time (a plug-in estimate).
    P(p_T <= alpha) <= alpha at ANY stopping time T, however the looks are chosen.
    """
    return _running_min_pvalue(_log_lambda(*_sequence_inputs(mean_diffs, ns, sigma2, tau2)))


def _running_min_pvalue(log_lam):
    """exp(-running max of max(log Lambda, 0)) = running min of min(1, 1/Lambda), in place."""
    np.maximum(log_lam, 0.0, out=log_lam)
    np.maximum.accumulate(log_lam, axis=-1, out=log_lam)
    np.negative(log_lam, out=log_lam)
    return np.exp(log_lam, out=log_lam)


def _half_width(ns, sigma2, tau2, alpha):
    """Half-width of {delta: Lambda_n(mean_diff - delta) < 1/alpha}; inf before any data."""
    big_v = 2 * sigma2
    r = ns * tau2 / big_v
    with np.errstate(divide="ignore", invalid="ignore"):
        width2 = 2 * big_v * (1 + r) / (ns * r) * (np.log(1 / alpha) + 0.5 * np.log1p(r))
    return np.where(ns > 0, np.sqrt(width2), np.inf)


def confidence_sequence(mean_diffs, ns, sigma2, tau2, alpha=0.05, running=True):
    """Normal-mixture confidence sequence for the difference in means: arrays (low, high).

    At each look the set of deltas whose Lambda_n(mean_diff - delta) < 1/alpha;
    with probability >= 1 - alpha it holds the true delta at EVERY look at once.
    ``running=True`` intersects the intervals over time (low = running max, high =
    running min), the interval matching the running-minimum p-value; it may become
    empty (low > high), itself evidence (probability <= alpha) that the model is wrong.
    For proportions use sigma2 = (p_A (1 - p_A) + p_B (1 - p_B)) / 2, estimated.
    """
    alpha = v.unit_open("alpha", alpha)
    mean_diffs, ns, sigma2, tau2 = _sequence_inputs(mean_diffs, ns, sigma2, tau2)
    half = _half_width(ns, sigma2, tau2, alpha)
    low, high = mean_diffs - half, mean_diffs + half
    if running:
        low, high = np.maximum.accumulate(low, axis=-1), np.minimum.accumulate(high, axis=-1)
    return low, high


def tau2_for_horizon(n, sigma2, alpha=0.05) -> float:
    """The mixing variance that makes the confidence sequence narrowest at ``n`` per arm.

    The half-width at n depends on tau2 only through r = n tau2 / (2 sigma2); setting
    its derivative to zero gives r = 2 log(1/alpha) + log(1 + r), solved here.
    """
    n, sigma2 = v.positive("n", n), v.positive("sigma2", sigma2)
    alpha = v.unit_open("alpha", alpha)
    if np.ndim(n) or np.ndim(sigma2):
        raise ValueError("n and sigma2 must be single numbers")
    log_inv = np.log(1 / alpha)
    r = optimize.brentq(lambda r: r - 2 * log_inv - np.log1p(r), 1e-12, 10 * (2 * log_inv + 10))
    return float(r * 2 * sigma2 / n)


def proportion_pvalues(successes_a, successes_b, ns, tau2):
    """Always-valid p-values for conversion rates monitored over time.

    ``successes_a``/``successes_b``: cumulative conversions (time on the last axis)
    after ``ns`` users per arm. sigma2 is the pooled rate's p (1 - p) at each look
    (the variance under H0); ``tau2`` is on the scale of p_B - p_A. Looks where
    no user (or every user) has converted carry no evidence (p stays 1).
    """
    sa, sb = v.counts("successes_a", successes_a), v.counts("successes_b", successes_b)
    ns = v.counts("ns", ns)
    tau2 = v.positive("tau2", tau2)
    if sa.ndim == 0 or ns.shape[-1:] != sa.shape[-1:] or sa.shape != sb.shape:
        raise ValueError(f"successes_a, successes_b and ns must have the same length along the "
                         f"last axis (time); shapes {sa.shape}, {sb.shape}, {ns.shape}")
    v.broadcastable(successes_a=sa, ns=ns)
    if (sa > ns).any() or (sb > ns).any():
        raise ValueError("successes_a and successes_b must be <= ns")
    pooled = (sa + sb) / (2 * np.maximum(ns, 1))   # no users yet: pooled = 0, no evidence
    diff = (sb - sa) / np.maximum(ns, 1)
    sigma2 = pooled * (1 - pooled)
    usable = sigma2 > 0
    log_lam = np.where(usable, _log_lambda(diff, ns, np.where(usable, sigma2, 1.0), tau2), 0.0)
    return _running_min_pvalue(log_lam)


def _look_counts(ns) -> np.ndarray:
    ns = v.counts("ns", ns, minimum=1)
    if ns.ndim != 1 or (np.diff(ns) <= 0).any():
        raise ValueError("ns must be a strictly increasing 1-d sequence of counts >= 1")
    return ns


def simulate_mean_diffs(n_sims, ns, effect, sigma2, rng):
    """Differences of running means, shape (n_sims, len(ns)), for normal data looked at after ``ns``.

    Each arm gets observations N(mean, sigma2) with mean(B) - mean(A) = ``effect``;
    the sums between looks are drawn exactly, so ``ns = 1, 2, ..., N`` is continuous
    monitoring and a coarser grid costs less.
    """
    rng = v.as_rng(rng)
    n_sims = v.positive_int("n_sims", n_sims)
    ns = _look_counts(ns)
    effect, sigma2 = v.finite("effect", effect), v.positive("sigma2", sigma2)
    if effect.ndim or np.ndim(sigma2):
        raise ValueError("effect and sigma2 must be single numbers")
    steps = np.diff(ns, prepend=0)
    paths = rng.standard_normal((n_sims, ns.size))
    paths *= np.sqrt(2 * sigma2 * steps)
    paths += effect * steps
    np.cumsum(paths, axis=1, out=paths)
    paths /= ns
    return paths


def simulate_conversions(n_sims, ns, p_a, p_b, rng):
    """Cumulative conversions (successes_a, successes_b), each (n_sims, len(ns)), after ``ns`` users per arm."""
    rng = v.as_rng(rng)
    n_sims = v.positive_int("n_sims", n_sims)
    ns = _look_counts(ns)
    p_a, p_b = v.probability("p_a", p_a), v.probability("p_b", p_b)
    steps = np.diff(ns, prepend=0)
    return (np.cumsum(rng.binomial(steps, p_a, size=(n_sims, ns.size)), axis=1),
            np.cumsum(rng.binomial(steps, p_b, size=(n_sims, ns.size)), axis=1))


def first_true(flags):
    """Index along the last axis of the first True (e.g. the first rejection), -1 where none."""
    flags = np.asarray(flags, dtype=bool)
    if flags.ndim == 0:
        raise ValueError("flags must be a sequence (time along the last axis)")
    return np.where(flags.any(axis=-1), flags.argmax(axis=-1), -1)
