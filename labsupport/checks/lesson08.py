"""Checks for the lesson 08 exercises (always-valid inference)."""

from __future__ import annotations

import functools

import numpy as np
from scipy import stats

from .. import always_valid as av
from . import call, expect_array, expect_between, expect_type, fail, same_seed_result, task


@functools.lru_cache(maxsize=None)
def _aa_rates(n_sims, n_max, tau2, alpha, seed):
    ns = np.arange(1, n_max + 1)
    diffs = av.simulate_mean_diffs(n_sims, ns, 0.0, 1.0, seed)
    naive = (np.abs(diffs) * np.sqrt(ns / 2.0) > stats.norm.ppf(1 - alpha / 2)).any(axis=1)
    msprt = av.always_valid_pvalues(diffs, ns, 1.0, tau2)[:, -1] <= alpha
    return naive.mean(), msprt.mean()


def _band(reference, n_learner, n_reference):
    """Where a correct Monte Carlo answer falls: 4.5 combined standard errors around the reference."""
    se = np.sqrt(reference * (1 - reference) * (1 / n_learner + 1 / n_reference))
    return max(0.0, reference - 4.5 * se - 1e-3), min(1.0, reference + 4.5 * se + 1e-3)


@task("Task 1 (naive peeking vs always-valid p-values)")
def task1(peeking_error_rates):
    n_sims, n_max, tau2, alpha = 4_000, 200, 0.05, 0.05
    result = same_seed_result(peeking_error_rates, n_sims, n_max, tau2, alpha, seed=81, what="rates")
    expect_type(result, (tuple, list), what="the result",
                hint="return a pair (naive_rate, msprt_rate).")
    if len(result) != 2:
        fail(f"return exactly two numbers (naive_rate, msprt_rate); yours has {len(result)}.")
    naive, msprt = result
    ref_naive, ref_msprt = _aa_rates(40_000, n_max, tau2, alpha, 2024)
    hint = ("simulate A/A streams (effect 0, variance 1 per user), look after every user, "
            "and count a stream as a false positive if the test rejected at ANY look.")
    expect_between(naive, 0.0, 1.0, what="naive_rate", hint="a rate is a share of simulations.")
    expect_between(msprt, 0.0, 1.0, what="msprt_rate", hint="a rate is a share of simulations.")
    if naive < msprt:
        fail("your naive rate is below your mSPRT rate: check the order (naive_rate, msprt_rate).")
    expect_between(naive, *_band(ref_naive, n_sims, 40_000), what="naive_rate", hint=hint)
    expect_between(msprt, *_band(ref_msprt, n_sims, 40_000), what="msprt_rate",
                   hint="reject when the running minimum of min(1, 1/Lambda) is <= alpha at some look.")
    return "peeking at the naive test inflates its error many times over; the mSPRT stays below alpha."


@functools.lru_cache(maxsize=None)
def _mean_users(effect, n_max, grid, alpha):
    """Mean users per arm until the mSPRT decides (n_max if never), per tau2, on common streams."""
    ns = np.arange(1, n_max + 1)
    diffs = av.simulate_mean_diffs(5_000, ns, effect, 1.0, 2024)
    means = {}
    for t2 in grid:
        first = av.first_true(av.always_valid_pvalues(diffs, ns, 1.0, t2) <= alpha)
        means[t2] = np.where(first >= 0, ns[np.maximum(first, 0)], n_max).mean()
    return means


@task("Task 2 (choose tau for an expected effect)")
def task2(best_tau2):
    grid = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
    effect, n_max, alpha, n_sims = 0.2, 600, 0.05, 2_000
    choice = call(best_tau2, effect, n_max, list(grid), alpha, n_sims, np.random.default_rng(82))
    if isinstance(choice, np.ndarray) and choice.size == 1:
        choice = choice.item()
    if isinstance(choice, bool) or not isinstance(choice, (int, float, np.floating, np.integer)):
        fail(f"return one value from tau2_grid (a number); yours is a {type(choice).__name__}.")
    if not np.isclose(np.asarray(grid), choice).any():
        fail("return one of the values in tau2_grid itself, the one with the smallest mean sample size.")
    means = _mean_users(effect, n_max, grid, alpha)
    best = min(means.values())
    picked = means[grid[int(np.argmin(np.abs(np.log(grid) - np.log(choice))))]]
    if picked > 1.04 * best:
        fail("another value in the grid reaches a decision sooner on average. For each tau2 count the "
             "users per arm until the first look with p <= alpha (n_max if none), on the SAME simulated "
             "streams, and average.")
    return "the best tau is of the order of the effect you expect; far smaller or larger wastes users."


@task("Task 3 (a confidence sequence)")
def task3(confidence_sequence):
    rng = np.random.default_rng(83)
    cases = [(np.arange(1, 41), av.simulate_mean_diffs(1, np.arange(1, 41), 0.3, 2.0, rng)[0], 2.0, 0.1, 0.05),
             (np.arange(10, 210, 10), av.simulate_mean_diffs(3, np.arange(10, 210, 10), 0.0, 0.5, rng), 0.5, 0.02, 0.1)]
    for ns, diffs, sigma2, tau2, alpha in cases:
        result = call(confidence_sequence, diffs, ns, sigma2, tau2, alpha)
        expect_type(result, (tuple, list), what="the result", hint="return a pair (low, high) of arrays.")
        if len(result) != 2:
            fail(f"return exactly two arrays (low, high); yours has {len(result)} items.")
        low, high = av.confidence_sequence(diffs, ns, sigma2, tau2, alpha)
        plain_low, _ = av.confidence_sequence(diffs, ns, sigma2, tau2, alpha, running=False)
        mine = np.asarray(result[0], dtype=float) if np.shape(result[0]) == low.shape else None
        if mine is not None and np.allclose(mine, plain_low) and not np.allclose(mine, low):
            fail("your intervals are right at each look but not intersected over time: take the running "
                 "maximum of the lower ends and the running minimum of the upper ends.")
        hint = ("the interval at each look is mean_diff +/- h_n with h_n^2 = 2V(V + n tau2) / (n^2 tau2) "
                "* (log(1/alpha) + log(1 + n tau2 / V) / 2), V = 2 sigma2; then intersect over time.")
        expect_array(result[0], low, what="low", rel=1e-6, abs_tol=1e-10, hint=hint)
        expect_array(result[1], high, what="high", rel=1e-6, abs_tol=1e-10, hint=hint)
    return "this interval holds at every look at once, so you may stop whenever you like."


@task("Task 4 (always-valid p-values for conversion rates)")
def task4(conversion_pvalues):
    rng = np.random.default_rng(84)
    ns = np.arange(500, 10_001, 500)
    sa, sb = av.simulate_conversions(4, ns, 0.10, 0.115, rng)
    for tau2 in (1e-4, 4e-5):
        result = call(conversion_pvalues, sa, sb, ns, tau2)
        reference = av.proportion_pvalues(sa, sb, ns, tau2)
        arr = np.asarray(result, dtype=float) if np.shape(result) == reference.shape else None
        if arr is not None and (np.diff(arr, axis=-1) > 1e-12).any():
            fail("your p-values go up at some look: an always-valid p-value is a running minimum over time.")
        expect_array(result, reference, what="the p-values", rel=1e-6, abs_tol=1e-12,
                     hint="use sigma2 = p(1 - p) with p the pooled conversion rate of both arms at each look, "
                          "mean_diff = successes_b / n - successes_a / n, and the running minimum of min(1, 1/Lambda).")
    return "pooled variance, tau on the scale of p_B - p_A and a running minimum: the mSPRT done right."
