"""Checks for the lesson 08 exercises (always-valid inference)."""

from __future__ import annotations

import functools

import numpy as np
from scipy import stats

from .. import always_valid as av
from . import (call, share_band, expect_array, expect_between, expect_real, expect_type, fail, is_count_share,
               same_seed_result, task)

REFERENCE_SIMS = 40_000


def _lambda_log(diffs, ns, big_v, tau2):
    r = ns * tau2 / big_v
    return np.square(diffs) * ns * r / (2 * big_v * (1 + r)) - 0.5 * np.log1p(r)


@functools.lru_cache(maxsize=None)
def _aa_reference(n_max, tau2, alpha):
    """A/A rates on the reference streams: the right ones and those of common mistakes."""
    ns = np.arange(1, n_max + 1)
    diffs = av.simulate_mean_diffs(REFERENCE_SIMS, ns, 0.0, 1.0, 2024)
    z = np.abs(diffs) * np.sqrt(ns / 2.0)
    crit = stats.norm.ppf(1 - alpha / 2)
    log_crit = np.log(1 / alpha)
    return {
        "naive": (z > crit).any(axis=1).mean(),
        "naive, SE without the 2": (z * np.sqrt(2.0) > crit).any(axis=1).mean(),
        "naive, one-sided critical value": (z > stats.norm.ppf(1 - alpha)).any(axis=1).mean(),
        "naive, last look only": (z[:, -1] > crit).mean(),
        "msprt": (_lambda_log(diffs, ns, 2.0, tau2) >= log_crit).any(axis=1).mean(),
        "msprt, V = sigma2": (_lambda_log(diffs, ns, 1.0, tau2) >= log_crit).any(axis=1).mean(),
        "msprt, last look only": (_lambda_log(diffs[:, -1], ns[-1], 2.0, tau2) >= log_crit).mean(),
    }


def _in_band(value, reference, n_learner):
    low, high = share_band(reference, n_learner, REFERENCE_SIMS)
    return low - 1e-3 <= value <= high + 1e-3


@task("Task 1 (naive peeking vs always-valid p-values)")
def task1(peeking_error_rates):
    n_sims, n_max = 4_000, 200
    # cases 1 and 2 share a seed, so a correct answer simulates the same streams; case 3 changes alpha
    cases = [(0.01, 0.05, 81), (0.5, 0.05, 81), (0.5, 0.10, 83)]
    answers = []
    for tau2, alpha, seed in cases:
        if not answers:
            result = same_seed_result(peeking_error_rates, n_sims, n_max, tau2, alpha, seed=seed, what="rates")
        else:
            result = call(peeking_error_rates, n_sims, n_max, tau2, alpha, np.random.default_rng(seed))
        expect_type(result, (tuple, list), what="the result", hint="return a pair (naive_rate, msprt_rate).")
        if len(result) != 2:
            fail(f"return exactly two numbers (naive_rate, msprt_rate); yours has {len(result)}.")
        rates = [expect_real(r, name, "a rate is one number.") for r, name in zip(result, ("naive_rate", "msprt_rate"))]
        for value, name in zip(rates, ("naive_rate", "msprt_rate")):
            expect_between(value, 0.0, 1.0, what=name, hint="a rate is a share of simulated experiments.")
            if not is_count_share(value, n_sims):
                fail(f"{name} is not a share of your {n_sims:,} simulated experiments (a whole number of them "
                     f"divided by n_sims): simulate the streams rather than using a formula.")
        answers.append(rates)
    for (tau2, alpha, _), (naive, msprt) in zip(cases, answers):
        ref = _aa_reference(n_max, tau2, alpha)
        where = f"(tau2 = {tau2}, alpha = {alpha})"
        if (_in_band(naive, ref["msprt"], n_sims) and _in_band(msprt, ref["naive"], n_sims)
                and not _in_band(naive, ref["naive"], n_sims)):
            fail("your two rates look swapped: return them in the order (naive_rate, msprt_rate).")
        if not _in_band(naive, ref["naive"], n_sims):
            if _in_band(naive, ref["naive, last look only"], n_sims):
                fail(f"naive_rate {where} is about alpha, the rate of ONE look: count a stream as a false "
                     "positive if the z test rejects at ANY of its looks.")
            if _in_band(naive, ref["naive, SE without the 2"], n_sims):
                fail(f"naive_rate {where} is too high: the z statistic divides by the standard error of a "
                     "DIFFERENCE of two means, sqrt(2 / n) with variance 1 per user in each arm.")
            if _in_band(naive, ref["naive, one-sided critical value"], n_sims):
                fail(f"naive_rate {where} is too high: the test is two-sided, so |z| is compared with the "
                     "1 - alpha/2 quantile of the normal distribution.")
            side = "high" if naive > ref["naive"] else "low"
            fail(f"naive_rate {where} is too {side} for a two-sided z test checked after every user.")
        if not _in_band(msprt, ref["msprt"], n_sims):
            if msprt > alpha:
                if _in_band(msprt, ref["msprt, V = sigma2"], n_sims):
                    fail(f"msprt_rate {where} is above alpha: in Lambda_n, V is the variance of one user's "
                         "contribution to the DIFFERENCE, 2 sigma2 = 2.")
                fail(f"msprt_rate {where} is above alpha, which the mSPRT's never is: check the rejection rule "
                     "(reject once Lambda_n >= 1 / alpha, i.e. 1 / Lambda_n <= alpha) and your Lambda_n.")
            if answers[0] == answers[1]:  # same streams and alpha: only tau2 differs, and nothing moved
                fail(f"your msprt_rate is the same for tau2 = {cases[0][0]} and tau2 = {cases[1][0]} on the same "
                     "streams: use the tau2 argument in Lambda_n.")
            if _in_band(msprt, ref["msprt, last look only"], n_sims):
                fail(f"msprt_rate {where} is too low: the always-valid p-value is the RUNNING minimum, so a "
                     "stream counts if 1 / Lambda_n <= alpha at ANY look, not only the last.")
            side = "high" if msprt > ref["msprt"] else "low"
            fail(f"msprt_rate {where} is too {side}.")
    return "peeking at the naive test inflates its error many times over; the mSPRT stays below alpha."


TASK2_CASES = [  # (effect, n_max, grid): the answers differ, and so do the rules of thumb
    (0.2, 600, (0.003, 0.01, 1.0, 10.0)),
    (0.1, 2_000, (0.001, 0.03, 1.0)),
    (1.0, 100, (0.01, 0.1, 1.0, 10.0)),
]
TASK2_SLACK = 1.04  # a choice within 4% of the best mean sample size passes


@functools.lru_cache(maxsize=None)
def _mean_users(effect, n_max, grid, alpha=0.05):
    """(mean users per arm until the mSPRT decides, power by n_max) per tau2, on common streams."""
    ns = np.arange(1, n_max + 1)
    diffs = av.simulate_mean_diffs(5_000, ns, effect, 1.0, 2024)
    means, power = {}, {}
    for t2 in grid:
        first = av.first_true(av.always_valid_pvalues(diffs, ns, 1.0, t2) <= alpha)
        means[t2] = np.where(first >= 0, ns[np.maximum(first, 0)], n_max).mean()
        power[t2] = (first >= 0).mean()
    return means, power


def _nearest(grid, target):
    return grid[int(np.argmin(np.abs(np.log(grid) - np.log(target))))]


@task("Task 2 (choose tau for an expected effect)")
def task2(best_tau2):
    alpha, n_sims = 0.05, 2_000
    for i, (effect, n_max, grid) in enumerate(TASK2_CASES):
        choice = call(best_tau2, effect, n_max, list(grid), alpha, n_sims, np.random.default_rng(82 + i))
        if isinstance(choice, np.ndarray) and choice.size == 1:
            choice = choice.item()
        if isinstance(choice, bool) or not isinstance(choice, (int, float, np.floating, np.integer)):
            fail(f"return one value from tau2_grid (a number); yours is a {type(choice).__name__}.")
        where = f"for effect {effect} and n_max {n_max:,} (grid {list(grid)})"
        if not np.isclose(np.asarray(grid), choice, rtol=1e-9).any():
            fail(f"{where} you returned {choice!r}, which is not in tau2_grid: return one of its values.")
        means, power = _mean_users(effect, n_max, grid)
        picked = grid[int(np.argmin(np.abs(np.asarray(grid) - choice)))]
        best = min(means.values())
        if means[picked] <= TASK2_SLACK * best:
            continue
        diagnoses = []
        if picked == max(power, key=power.get):
            diagnoses.append("the one with the most power by n_max")
        if picked == _nearest(grid, effect**2):
            diagnoses.append("the grid value nearest effect^2 (a rule of thumb)")
        if diagnoses:
            fail(f"{where} your value is {' and '.join(diagnoses)}, but the task asks for the FEWEST users on "
                 "average until a decision, and another value reaches one sooner: simulate that mean for every "
                 "candidate.")
        fail(f"{where} another value in the grid reaches a decision sooner on average. Did you stop each stream "
             "at its FIRST look with p <= alpha (n_max if none), on the same simulated streams for every tau2?")
    return "the best tau is of the order of the effect you expect; far smaller or larger wastes users."


def _floats(value, shape):
    """``value`` as a float array of ``shape``, or None (the expect_* helpers then say what is wrong)."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr if arr.shape == shape else None


def _cs_variant(diffs, ns, big_v, tau2, log_term):
    r = ns * tau2 / big_v
    half = np.sqrt(2 * big_v * (1 + r) / (ns * r) * (log_term + 0.5 * np.log1p(r)))
    return diffs - half, diffs + half


@task("Task 3 (a confidence sequence)")
def task3(confidence_sequence):
    rng = np.random.default_rng(83)
    cases = [(np.arange(1, 41), av.simulate_mean_diffs(1, np.arange(1, 41), 0.3, 2.0, rng)[0], 2.0, 0.1, 0.05),
             (np.arange(10, 210, 10), av.simulate_mean_diffs(3, np.arange(10, 210, 10), 0.0, 0.5, rng), 0.5, 0.02, 0.1)]
    for ns, diffs, sigma2, tau2, alpha in cases:
        result = call(confidence_sequence, diffs.copy(), ns.copy(), sigma2, tau2, alpha)
        expect_type(result, (tuple, list), what="the result", hint="return a pair (low, high) of arrays.")
        if len(result) != 2:
            fail(f"return exactly two arrays (low, high); yours has {len(result)} items.")
        low, high = av.confidence_sequence(diffs, ns, sigma2, tau2, alpha)
        mine = [_floats(r, low.shape) for r in result]
        if mine[0] is not None and mine[1] is not None:
            def matches(pair):
                return np.allclose(mine[0], pair[0], rtol=1e-6) and np.allclose(mine[1], pair[1], rtol=1e-6)
            running = (np.maximum.accumulate, np.minimum.accumulate)
            v = 2 * sigma2
            variants = {
                "plain": _cs_variant(diffs, ns, v, tau2, np.log(1 / alpha)),
                "V = sigma2": _cs_variant(diffs, ns, sigma2, tau2, np.log(1 / alpha)),
                "alpha / 2": _cs_variant(diffs, ns, v, tau2, np.log(2 / alpha)),
                "no log(1 + r)": _cs_variant(diffs, ns, v, tau2, np.log(1 / alpha) - 0.5 * np.log1p(ns * tau2 / v)),
            }
            for name, pair in list(variants.items())[1:]:
                variants[name] = (running[0](pair[0], axis=-1), running[1](pair[1], axis=-1))
            if matches(variants["plain"]) and not matches((low, high)):
                fail("your intervals are right at each look but not intersected over time: take the running "
                     "maximum of the lower ends and the running minimum of the upper ends.")
            if matches((high, low)):
                fail("your low and high are swapped: return (low, high).")
            if matches(variants["V = sigma2"]):
                fail("your intervals are too narrow: V is the variance of one user's contribution to the "
                     "DIFFERENCE of the means, 2 sigma2.")
            if matches(variants["alpha / 2"]):
                fail("your intervals use log(2 / alpha): the mixture test is already two-sided (delta ~ N(0, tau2) "
                     "covers both signs), so the boundary is Lambda_n = 1 / alpha.")
            if matches(variants["no log(1 + r)"]):
                fail("your half-width drops the 0.5 log(1 + n tau2 / V) term, which comes from the square-root "
                     "factor of Lambda_n.")
        hint = ("solve log Lambda_n(mean_diff - delta) = log(1 / alpha) for delta (lesson section 4), "
                "then intersect the intervals over time.")
        expect_array(result[0], low, what="low", rel=1e-6, abs_tol=1e-10, hint=hint)
        expect_array(result[1], high, what="high", rel=1e-6, abs_tol=1e-10, hint=hint)
    return "this interval holds at every look at once, so you may stop whenever you like."


@task("Task 4 (always-valid p-values for conversion rates)")
def task4(conversion_pvalues):
    rng = np.random.default_rng(84)
    ns = np.arange(500, 10_001, 500)
    sa, sb = av.simulate_conversions(4, ns, 0.10, 0.115, rng)
    taus2 = (1e-4, 4e-5)
    results = [call(conversion_pvalues, sa.copy(), sb.copy(), ns.copy(), tau2) for tau2 in taus2]
    references = [av.proportion_pvalues(sa, sb, ns, tau2) for tau2 in taus2]
    arrays = [_floats(r, sa.shape) for r in results]
    pa, pb = sa / ns, sb / ns
    pooled = (sa + sb) / (2 * ns)
    for tau2, arr, reference in zip(taus2, arrays, references):
        if arr is None or np.allclose(arr, reference, rtol=1e-6, atol=1e-12):
            continue
        if (np.diff(arr, axis=-1) > 1e-12).any():
            fail("your p-values go up at some look: an always-valid p-value is a running minimum over time.")
        mistakes = {
            "you used each arm's own variance; under H0 both arms share one rate, so use the POOLED rate p "
            "of both arms and sigma2 = p (1 - p).":
                av.always_valid_pvalues((sb - sa) / ns, ns, (pa * (1 - pa) + pb * (1 - pb)) / 2, tau2),
            "you used sigma2 = 1: for a conversion the per-user variance is p (1 - p).":
                av.always_valid_pvalues((sb - sa) / ns, ns, 1.0, tau2),
            "your mean_diff is a difference of COUNTS; use the difference of conversion rates, successes / n.":
                av.always_valid_pvalues(sb - sa, ns, pooled * (1 - pooled), tau2),
        }
        for hint, wrong in mistakes.items():
            if np.allclose(arr, wrong, rtol=1e-6, atol=1e-12):
                fail(hint)
    if all(a is not None for a in arrays) and np.allclose(arrays[0], arrays[1]):
        fail(f"your p-values are the same for tau2 = {taus2[0]} and {taus2[1]}: use the tau2 argument as the "
             "mixing variance.")
    for result, reference in zip(results, references):
        expect_array(result, reference, what="the p-values", rel=1e-6, abs_tol=1e-12,
                     hint="compare your Lambda_n at one look with the lesson's formula, then take the running "
                          "minimum of min(1, 1 / Lambda_n).")
    return "pooled variance, tau on the scale of p_B - p_A and a running minimum: the mSPRT done right."
