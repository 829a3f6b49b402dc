"""Checks for lesson 02, peeking (solutions/02_peeking_exercises.ipynb)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _sps

from .. import power as _power
from .. import sequential as _seq
from .. import stats as _stats
from . import (BAND_LEVEL, call, describe, expect_between, expect_int, expect_share, expect_type, fail,
               same_seed_result, task)

# Allowance for the normal approximation of a two-proportion z test, on top of the Monte Carlo band.
APPROX = 0.01
_Z = _sps.norm.isf(0.025)


def _band(target, n_sims):
    low, high = _stats.binomial_band(target, n_sims, BAND_LEVEL)
    return low - APPROX, high + APPROX


_PEEK_HINT = ("simulate all experiments at once: daily counts rng.binomial(users_per_day, p, size=(n_sims, days)) "
              "for each arm, cumulative sums, a pooled two-sided z test on every day, then the share of "
              "experiments with |z| > 1.96 on at least one day.")


@task("task 1: the false-positive rate of daily peeking")
def task1(fn):
    n_sims = 20_000
    expect_share(same_seed_result(fn, 2000, 5, 100, 0.1, what="rates"), "the false-positive rate")
    cases = [((1, 2000, 0.5), 0.05, "a single day (no peeking)"),
             ((20, 500, 0.5), _seq.peeking_type1_error(20), "20 daily looks")]
    for (days, per_day, p), target, what in cases:
        value = expect_share(call(fn, n_sims, days, per_day, p, np.random.default_rng(days)), "the false-positive rate")
        low, high = _band(target, n_sims)
        expect_between(value, low, high, what=f"the false-positive rate for {what}", hint=_PEEK_HINT)
    # Small daily samples: the z test is discrete, so compare with the same test simulated here.
    n_small = 4000
    ref = _seq.simulate_peeking(n_small, 200, 10, p=0.1, rng=2024)
    value = expect_share(call(fn, n_small, 200, 10, 0.1, np.random.default_rng(7)), "the false-positive rate")
    width = 4 * math.sqrt(2 * ref * (1 - ref) / n_small)
    expect_between(value, ref - width, ref + width,
                   what="the false-positive rate for 200 days of 10 users per arm", hint=_PEEK_HINT)
    return "your peeking simulation matches the exact calculation and labsupport.sequential.simulate_peeking."


@task("task 2: where the false positives happen")
def task2(fn):
    n_sims, days, per_day, p = 20_000, 20, 500, 0.5
    same_seed_result(fn, 500, 5, 100, 0.1, what="days")
    result = call(fn, n_sims, days, per_day, p, np.random.default_rng(5))
    expect_type(result, np.ndarray, what="the result", hint="Return a numpy array with one day per experiment.")
    if result.shape != (n_sims,):
        fail(f"the result should have shape ({n_sims},), one entry per experiment; yours has shape {result.shape}.")
    if not np.issubdtype(result.dtype, np.integer):
        fail(f"the days should be whole numbers (an integer array); yours has dtype {result.dtype}. "
             "Use .astype(int) or np.where on integer arrays.")
    if result.min() < 0 or result.max() > days:
        fail(f"days lie in [0, {days}]: 1 is the first day, 0 means never significant.")
    up, low = _seq.crossing_probabilities(np.full(days, _Z))
    first = up + low
    stopped = result > 0
    band = _band(first.sum(), n_sims)
    expect_between(stopped.mean(), *band, what="the share of experiments with a significant day",
                   hint="0 means never significant; otherwise the first day with |z| > 1.96, "
                         "counting from day 1 (significant on the first day gives 1).")
    expect_between((result == 1).mean(), *_band(first[0], n_sims),
                   what="the share significant on day 1",
                   hint="record the *first* significant day of each experiment, counting days from 1.")
    share = first / first.sum()
    mean_day = float(share @ np.arange(1, days + 1))
    sd_day = math.sqrt(float(share @ (np.arange(1, days + 1) - mean_day) ** 2))
    width = 4 * sd_day / math.sqrt(stopped.sum()) + 0.3
    expect_between(result[stopped].mean(), mean_day - width, mean_day + width,
                   what="the average first significant day among false positives",
                   hint="record the *first* day each experiment crosses, e.g. with argmax on a boolean array.")
    return "your first-significant days have the distribution the exact recursion predicts."


def _pair(value):
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value
    fail(f"the result should be a tuple (bounds, n_per_look); your function returned {describe(value)}.")


@task("task 3: a 4-look O'Brien-Fleming design")
def task3(fn):
    cases = [(0.10, 0.11, 4, 0.05, 0.8), (0.20, 0.23, 4, 0.05, 0.9), (0.05, 0.06, 3, 0.01, 0.8)]
    for pc, pt, looks, alpha, pw in cases:
        bounds, n_per_look = _pair(call(fn, pc, pt, looks, alpha, pw))
        ref = _seq.group_sequential_bounds(looks, alpha, "obf")
        try:
            bounds = np.asarray(bounds, dtype=float)
        except (TypeError, ValueError):
            fail(f"bounds should be an array of {looks} numbers; your function returned {describe(bounds)}.")
        if bounds.shape != (looks,):
            fail(f"bounds should have shape ({looks},), one critical value per look; yours has shape {bounds.shape}.")
        k = np.arange(1, looks + 1)
        if np.allclose(bounds, _sps.norm.isf(alpha / 2) * np.sqrt(looks / k), rtol=1e-4):
            fail("those are z_{alpha/2} sqrt(K/k): the right shape with the wrong constant, a "
                 "widely-copied mistake that does not hold alpha. Solve for C_B.")
        if np.allclose(bounds, bounds[0], rtol=1e-6) and looks > 1:
            fail("your bounds are the same at every look (Pocock's shape); O'Brien-Fleming's fall as sqrt(K/k).")
        if not np.allclose(bounds, ref, rtol=1e-4):
            fail(f"the bounds for {(pc, pt, looks, alpha, pw)} are off. Use c_k = C_B sqrt(K/k) with C_B "
                 "chosen so that the overall two-sided level is exactly alpha.")
        n_fixed = _power.sample_size_proportions(pc, pt, alpha, pw)
        target = math.ceil(_seq.inflation_factor(ref, alpha, pw) * n_fixed / looks)
        if isinstance(n_per_look, (int, np.integer)) and not isinstance(n_per_look, bool):
            if abs(int(n_per_look) - math.ceil(n_fixed / looks)) <= 1:
                fail("n_per_look splits the fixed-sample n over the looks: the group sequential test "
                     "needs more users in total (multiply by the inflation factor).")
            if abs(int(n_per_look) - target * looks) <= looks:
                fail("that looks like the maximum n per arm; return the users per arm added at each look.")
            if abs(int(n_per_look) - target) == 1:  # a root finder's tolerance can move the ceiling by one
                n_per_look = target
        expect_int(n_per_look, target, what=f"n_per_look for {(pc, pt, looks, alpha, pw)}",
                   hint="n_max = inflation factor x the pooled fixed-sample n per arm; n_per_look = ceil(n_max / looks).")
    return "your design matches labsupport.sequential.group_sequential_bounds and inflation_factor."


_LEVEL_HINT = ("simulate n_sims A/A experiments at once; at look k reject when |z_k| > bounds[k] and "
               "return the share of experiments that reject at any look.")


@task("task 4: check a design's level by simulation")
def task4(fn):
    n_sims = 20_000
    obf = _seq.group_sequential_bounds(4, kind="obf")
    expect_share(same_seed_result(fn, obf, 100, 0.1, 2000, what="levels"), "the simulated level")
    cases = [(obf, "O'Brien-Fleming bounds", 0.05),
             (np.full(4, _Z), "1.96 at every look", _seq.peeking_type1_error(4)),
             (_seq.group_sequential_bounds(4, 0.01, "pocock"), "Pocock bounds at alpha = 0.01", 0.01)]
    for i, (bounds, what, target) in enumerate(cases):
        value = expect_share(call(fn, bounds, 1000, 0.3, n_sims, np.random.default_rng(30 + i)), "the simulated level")
        expect_between(value, *_band(target, n_sims), what=f"the simulated level for {what}", hint=_LEVEL_HINT)
    return "your simulation confirms the exact level of each design."
