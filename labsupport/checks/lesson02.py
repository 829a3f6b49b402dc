"""Checks for lesson 02, peeking (solutions/02_peeking_exercises.ipynb).

Monte Carlo answers are compared with the rate of the *discrete* two-proportion z test the task
describes, not with its normal approximation: with 500 users a day the two differ by 0.005 over
20 looks, more than a simulation's band. Where no exact value is at hand the reference comes from
4,000,000 simulated experiments (below); tests/test_checks_lesson02.py re-derives every reference
with an independent simulation. When an answer is off, the check compares it with what the
lesson's common mistakes give (testing only the last day, one tail, the unpooled standard error,
bounds in reverse order, ...) so that the hint names the mistake.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _sps

from .. import power as _power
from .. import sequential as _seq
from . import (BAND_LEVEL, Z_BAND, call, share_band, describe, simulated_shares, expect_int, expect_share, expect_type, expect_varies, fail,
               same_seed_result, task)
from .lesson01 import exact_rejection_rates

_Z = _sps.norm.isf(0.025)

# Reference A/A rates of the pooled z test at |z| > 1.96 on every day (a zero SE is never
# significant), from REF_SIMS simulated experiments each: labsupport.sequential.simulate_sequential
# with rng = np.random.default_rng(20260202), in chunks of 200,000; SE <= 0.00023. "unpooled" and
# "one tail" (z > 1.96 only) are two common mistakes, simulated on the same scale.
REF_SIMS = 4_000_000
REFERENCE = {
    # (days, users per arm per day, p): rate ever significant, and two mistakes' rates
    (20, 500, 0.5): {"pooled": 0.252611, "unpooled": 0.253010, "one tail": 0.126957},
    (30, 10, 0.2): {"pooled": 0.273366, "unpooled": 0.321762, "one tail": 0.137115},
}
# P(first significant day = k), k = 1..20, for (20, 500, 0.5); the share never significant is 1 - sum.
FIRST_DAY_20x500 = np.array([
    0.053796, 0.033566, 0.0240572, 0.0196853, 0.014687, 0.013612, 0.0117392, 0.0099085, 0.009296, 0.0082402,
    0.0073847, 0.0065075, 0.0064107, 0.0059605, 0.0049955, 0.0053593, 0.0048217, 0.0044605, 0.0040465, 0.0040765])
# The discrete test's level differs from the normal-theory one by at most this much at the designs
# of task 4 (p = 0.3, 1,000 users per arm per look; measured: 0.0003; asserted in the tests).
DISCRETE = 0.0015


def _band(reference, n_sims, ref_sims=None, allowance=0.0):
    """Where a correct share from ``n_sims`` experiments falls, around a reference from ``ref_sims``."""
    low, high = share_band(reference, n_sims, ref_sims)
    return low - allowance, high + allowance


def _compare(value, reference, mistakes, n_sims, what, ref_sims=None, allowance=0.0, low_hint="", high_hint=""):
    """Pass if ``value`` is in the band around ``reference``; else name the mistake whose band holds it."""
    low, high = _band(reference, n_sims, ref_sims, allowance)
    if low <= value <= high:
        return
    for rate, hint in mistakes:
        m_low, m_high = _band(min(max(rate, 1e-9), 1 - 1e-9), n_sims, ref_sims, allowance)
        if m_low <= value <= m_high and not (m_low <= reference <= m_high):
            fail(f"{what} is outside the range a correct answer falls in: {hint}")
    fail(f"{what} is outside the range a correct answer falls in: " + (high_hint if value > high else low_hint))


_HINTS = {
    "last day": "it matches testing only on the last day. Peeking tests after *every* day and counts an "
                "experiment once it is significant on any day.",
    "one tail": "it matches counting only z > 1.96. A two-sided test is significant when |z| > 1.96, "
                "in either direction.",
    "unpooled": "it matches the z test with the unpooled standard error, which with few users a day is "
                "too small on the early days; under H0 the test pools both arms.",
}
_LOW = ("fewer false positives than daily peeking gives: is an experiment counted when it is significant "
        "on *any* day, with the z statistic on all data up to that day?")
_HIGH = ("more false positives than daily peeking gives: check the z statistic (pooled standard error, "
         "cumulative counts) on one simulated experiment.")


# ---- task 1 ------------------------------------------------------------------------------

@task("task 1: the false-positive rate of daily peeking")
def task1(fn):
    n_sims = 40_000
    expect_share(same_seed_result(fn, 2000, 5, 100, 0.1, what="rates"), "the false-positive rate")
    cases = [(1, 2000, 0.5, "a single day (no peeking)"), (20, 500, 0.5, "20 daily looks, 500 users a day"),
             (30, 10, 0.2, "30 daily looks, 10 users a day")]
    values = simulated_shares(fn, [((n_sims, days, per_day, p), what) for days, per_day, p, what in cases],
                              n_sims, 10, "the false-positive rate")
    single = exact_rejection_rates(0.5, 0.5, 2000)
    _compare(values[0], single["pooled"], [(single["one tail"], _HINTS["one tail"])], n_sims,
             f"the false-positive rate for {cases[0][3]}", low_hint=_LOW, high_hint=_HIGH)
    for (days, per_day, p, what), value in zip(cases[1:], values[1:]):
        ref = REFERENCE[(days, per_day, p)]
        last_day = exact_rejection_rates(p, p, days * per_day)["pooled"]
        mistakes = [(last_day, _HINTS["last day"]), (ref["one tail"], _HINTS["one tail"]),
                    (ref["unpooled"], _HINTS["unpooled"])]
        _compare(value, ref["pooled"], mistakes, n_sims, f"the false-positive rate for {what}",
                 ref_sims=REF_SIMS, low_hint=_LOW, high_hint=_HIGH)
    expect_varies(fn, (n_sims, 30, 10, 0.2), values[2], (41, 42), "the false-positive rate")
    return "your peeking simulation matches the false-positive rate of the daily z test."


# ---- task 2 ------------------------------------------------------------------------------

@task("task 2: where the false positives happen")
def task2(fn):
    n_sims, days, per_day, p = 40_000, 20, 500, 0.5
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
    if (result == days).mean() > 0.5 or (result == 0).mean() == 0:
        fail("0 should mark the experiments that are never significant (most of them), not the last day.")
    stopped = result > 0
    first = FIRST_DAY_20x500
    day1 = exact_rejection_rates(p, p, per_day)["pooled"]
    if (result == 0).mean() > 1 - first.sum() + 0.01 and np.isclose((result == 1).mean(), first[1], atol=0.005):
        fail("your days look shifted by one: counting from day 1, an experiment significant on the first "
             "day gets 1 (0 means never significant).")
    _compare(stopped.mean(), first.sum(), [], n_sims, "the share of experiments with a significant day",
             ref_sims=REF_SIMS, low_hint=_LOW, high_hint=_HIGH)
    share = first / first.sum()
    k = np.arange(1, days + 1)
    mean_day = float(share @ k)
    sd_day = math.sqrt(float(share @ (k - mean_day) ** 2))
    half = Z_BAND * sd_day * math.sqrt(1 / stopped.sum() + 1 / (REF_SIMS * first.sum()))
    mean = result[stopped].mean()
    if not mean_day - half <= mean <= mean_day + half:
        fail("the average significant day among false positives is "
             f"{'too late' if mean > mean_day else 'too early'}: record the *first* significant day of each "
             "experiment (argmax on a boolean array gives the first True).")
    _compare((result == 1).mean(), day1, [], n_sims, "the share significant on day 1",
             low_hint="fewer than the single-day test gives: day 1 is the first look, with one day of data.",
             high_hint="more than the single-day test gives: day 1 is the first look, with one day of data.")
    return "your first significant days have the distribution of the daily z test."


# ---- task 3 ------------------------------------------------------------------------------

def _pair(value):
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value
    fail(f"the result should be a tuple (bounds, n_per_look); your function returned {describe(value)}.")


# (p_control, p_treatment, looks, alpha, power); each case's n_max / looks is at least 0.1 user
# from a whole number (asserted in the tests), so that rounding up and down cannot be confused.
DESIGN_CASES = [(0.10, 0.11, 4, 0.05, 0.8), (0.20, 0.23, 4, 0.05, 0.9), (0.05, 0.06, 3, 0.01, 0.8)]


def design_reference(pc, pt, looks, alpha, pw):
    """(bounds, n_per_look as a float before rounding) of the O'Brien-Fleming design."""
    bounds = _seq.group_sequential_bounds(looks, alpha, "obf")
    n_fixed = _power.sample_size_proportions(pc, pt, alpha, pw)
    return bounds, _seq.inflation_factor(bounds, alpha, pw) * n_fixed / looks


@task("task 3: a 4-look O'Brien-Fleming design")
def task3(fn):
    for pc, pt, looks, alpha, pw in DESIGN_CASES:
        case = (pc, pt, looks, alpha, pw)
        bounds, n_per_look = _pair(call(fn, *case))
        ref, exact_n = design_reference(*case)
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
        if looks > 1 and np.allclose(bounds, bounds[0], rtol=1e-6):
            fail("your bounds are the same at every look (Pocock's shape); O'Brien-Fleming's fall as sqrt(K/k).")
        if np.allclose(bounds, _seq.group_sequential_bounds(looks, 2 * alpha, "obf"), rtol=1e-5):
            fail("those bounds have overall level 2 alpha: alpha is two-sided, alpha/2 in each tail.")
        if not np.allclose(bounds, ref, rtol=1e-5):
            fail(f"the bounds for {case} are off: their overall two-sided level should be exactly alpha "
                 "(solve for C_B to full precision).")
        n_fixed = _power.sample_size_proportions(pc, pt, alpha, pw)
        target = math.ceil(exact_n)
        if isinstance(n_per_look, (int, np.integer)) and not isinstance(n_per_look, bool) and n_per_look != target:
            n_per_look = int(n_per_look)
            slips = [
                (math.floor(exact_n), "round up (math.ceil): rounding down leaves the design short of its power."),
                (math.ceil(n_fixed / looks), "n_per_look splits the fixed-sample n over the looks: the group "
                                            "sequential test needs more users in total (the inflation factor)."),
                (target * looks, "that looks like the maximum n per arm; return the users per arm added at each look."),
                (math.ceil(exact_n * looks), "that looks like the maximum n per arm; return the users per arm "
                                             "added at each look."),
                (math.ceil(_seq.inflation_factor(ref, alpha, pw) * _power.sample_size_proportions(
                    pc, pt, alpha, pw, method="unpooled") / looks),
                 "n_fixed uses the unpooled convention; use the pooled one (sample_size_proportions' default)."),
                (math.ceil(n_fixed * _seq.inflation_factor(ref, alpha, pw)),
                 "that is n_max, not divided over the looks."),
            ]
            hints = list(dict.fromkeys(hint for answer, hint in slips if n_per_look == answer))
            if hints:  # two slips can give the same number; then name both
                fail(f"n_per_look for {case}: " + " Or: ".join(hints))
        expect_int(n_per_look, target, what=f"n_per_look for {case}",
                   hint="Check n_fixed (pooled, per arm) and the inflation factor of *your* bounds.")
    return "your design matches labsupport.sequential.group_sequential_bounds and inflation_factor."


# ---- task 4 ------------------------------------------------------------------------------

def _level(bounds):
    up, low = _seq.crossing_probabilities(bounds)
    return float(up.sum() + low.sum())


def level_cases():
    """(bounds, description) of the designs task 4 simulates, at p = 0.3 with 1,000 users per look."""
    return [(_seq.group_sequential_bounds(6, kind="obf"), "6-look O'Brien-Fleming bounds"),
            (_seq.group_sequential_bounds(4, kind="pocock"), "4-look Pocock bounds"),
            (np.full(4, _Z), "1.96 at each of 4 looks"),
            (_seq.group_sequential_bounds(4, 0.01, "pocock"), "Pocock bounds at alpha = 0.01")]


@task("task 4: check a design's level by simulation")
def task4(fn):
    n_sims = 200_000
    obf = _seq.group_sequential_bounds(4, kind="obf")
    expect_share(same_seed_result(fn, obf, 100, 0.1, 2000, what="levels"), "the simulated level")
    values = simulated_shares(fn, [((bounds.copy(), 1000, 0.3, n_sims), what) for bounds, what in level_cases()],
                              n_sims, 30, "the simulated level")
    for (bounds, what), value in zip(level_cases(), values):
        mistakes = [
            (_level(bounds[::-1]), "it matches the bounds in reverse order: bounds[0] belongs to the first look."),
            (2 * _sps.norm.sf(bounds[-1]), "it matches testing only the final look; the design tests at "
                                           "every look and stops at the first crossing."),
            (_level(np.full(bounds.size, _Z)), "it matches 1.96 at every look: use the design's own bound at "
                                               "each look."),
            (float(_seq.crossing_probabilities(bounds)[0].sum()),
             "it matches counting only one tail (z > bound); the bounds are two-sided: |z| > bound."),
        ]
        _compare(value, _level(bounds), mistakes, n_sims, f"the simulated level for {what}", allowance=DISCRETE,
                 low_hint="fewer rejections than the design's exact level: an experiment rejects if |z_k| "
                          "exceeds that look's bound at *any* look.",
                 high_hint="more rejections than the design's exact level: compare look k's |z| with that "
                           "look's bound, on all data up to look k.")
    expect_varies(fn, (level_cases()[2][0], 1000, 0.3, n_sims), values[2], (51, 52), "the simulated level")
    return "your simulation confirms the exact level of each design."
