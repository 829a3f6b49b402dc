"""Checks for lesson 04, sample ratio mismatch (solutions/04_srm_exercises.ipynb)."""

from __future__ import annotations

import functools

import numpy as np
from scipy import stats as _sps

from .. import srm as _srm
from .. import stats as _stats
from . import (BAND_LEVEL, Z_BAND, call, expect_between, expect_number, expect_real, expect_share, expect_type, fail,
               same_seed_result, task)

# task 2's cases: per-segment counts, the design, and the segment a correct answer names
SEGMENT_CASES = [
    ({"android": [89_559, 86_711], "ios": [69_972, 70_578], "web": [39_951, 39_951]}, (0.5, 0.5)),
    # edge's share is furthest from the design (81%), but chrome (80.5% of 100,000 users) is the only real mismatch
    ({"chrome": [80_500, 19_500], "safari": [40_050, 9_950], "firefox": [8_000, 2_000],
      "edge": [4_050, 950]}, (0.8, 0.2)),
    ({"day 1": [2_050, 3_950, 4_000], "day 2": [1_900, 4_100, 4_000], "day 3": [2_000, 4_000, 3_700],
      "day 4": [2_010, 4_020, 3_980]}, (0.2, 0.4, 0.4)),
    # the biggest gap in users is in "returning", but relative to its size it is ordinary
    ({"new": [5_300, 4_700], "returning": [50_400, 49_600], "reactivated": [20_050, 19_950]}, (0.5, 0.5)),
]
# Monte Carlo allowance for task 3, in standard errors of the learner's and the reference's rates
REFERENCE_SIMS = 50_000


def _p(counts, weights):
    return _srm.srm_test(counts, weights).p_value


def _pearson_p(counts, weights, correction=0.0, df=None):
    counts = np.asarray(counts, dtype=float)
    expected = counts.sum() * np.asarray(weights, dtype=float)
    statistic = (np.maximum(np.abs(counts - expected) - correction, 0) ** 2 / expected).sum()
    return float(_sps.chi2.sf(statistic, len(counts) - 1 if df is None else df))


def _task1_mistakes(counts, weights):
    k = len(counts)
    shares = np.asarray(counts, dtype=float) / np.sum(counts)
    chi2 = _srm.srm_test(counts, weights).statistic
    return [
        (chi2, f"for counts {counts} you seem to have returned the chi-square statistic; return its p-value, "
               "a number in [0, 1]."),
        (1 - _p(counts, weights), "that looks like the lower tail; the p-value is the UPPER tail of the "
                                  "chi-square distribution (scipy.stats.chi2.sf)."),
        (_pearson_p(counts, np.full(k, 1 / k)), f"for weights {list(weights)} your answer matches an equal split: "
                                                "the expected counts are the total times the PLANNED weights."),
        (_pearson_p(counts, weights, df=k), f"with {k} arms, check the degrees of freedom: number of arms minus one."),
        (_pearson_p(counts, weights, df=1), f"with {k} arms, check the degrees of freedom: number of arms minus one."),
        (_pearson_p(100 * shares, weights), "you tested percentages: the chi-square needs the COUNTS, whose size "
                                            "is the evidence."),
        (_pearson_p(shares, weights), "you tested shares: the chi-square needs the COUNTS, whose size is the evidence."),
        (_pearson_p(counts, weights, correction=0.5), "that is Yates' continuity correction (scipy's "
                                                      "chi2_contingency default); the SRM check uses Pearson's "
                                                      "statistic without it."),
    ]


@task("task 1: the chi-square SRM test")
def task1(fn):
    cases = [([5_030, 4_970], [0.5, 0.5]), ([90_150, 9_850], [0.9, 0.1]),
             ([50_600, 25_150, 24_250], [0.5, 0.25, 0.25]), ([821_588, 815_482], [0.5, 0.5]),
             ([310, 290, 420, 980], [0.15, 0.15, 0.2, 0.5]), ([1_040, 960], [0.5, 0.5])]
    for counts, weights in cases:
        value = expect_real(call(fn, list(counts), list(weights)), f"the p-value for counts {counts}",
                            "Return the p-value as a float.")
        ref = _p(counts, weights)
        for wrong, hint in _task1_mistakes(counts, weights):
            if np.isclose(value, wrong, rtol=1e-6, atol=1e-300) and not np.isclose(wrong, ref, rtol=1e-6):
                fail(hint)
        expect_number(value, ref, what=f"the p-value for counts {counts} and weights {weights}",
                      rel=1e-6, abs_tol=1e-300, hint="Compare each step with the formula in the lesson.")
    return "your SRM test matches scipy.stats.chisquare, for uneven weights and several arms."


def _segment_by(score, pick=min):
    return lambda segments, weights: pick(segments, key=lambda name: score(segments[name], weights))


_SEGMENT_MISTAKES = [
    (_segment_by(_p, max), "you picked the LARGEST p-value: the strongest evidence of a mismatch is the SMALLEST."),
    (_segment_by(lambda c, w: _p(c, None)),
     "you test every segment against an equal split: use the PLANNED weights."),
    (_segment_by(lambda c, w: np.abs(np.asarray(c) / sum(c) - w).max(), max),
     "you compare the gaps in share; compare the segments' own SRM p-values instead: a small gap in a big "
     "segment can be far less likely than a big gap in a small one."),
    (_segment_by(lambda c, w: np.abs(np.asarray(c) - sum(c) * np.asarray(w)).max(), max),
     "you compare the gaps in users; compare the segments' own SRM p-values instead: the same gap is ordinary "
     "in a big segment and extreme in a small one."),
    (_segment_by(lambda c, w: sum(c), max), "you picked the biggest segment; compare the segments' SRM p-values."),
]


@task("task 2: the segment behind the SRM")
def task2(fn):
    answers = []
    for segments, weights in SEGMENT_CASES:
        answer = call(fn, {k: list(v) for k, v in segments.items()}, list(weights))
        expect_type(answer, str, what="the result",
                    hint="Return the segment's name, one of the dictionary's keys (a str).")
        if answer not in segments:
            fail(f"'{answer}' is not one of the segments {list(segments)}.")
        answers.append(answer)
    right = [_segment_by(_p)(segments, weights) for segments, weights in SEGMENT_CASES]
    for wrong, hint in _SEGMENT_MISTAKES:
        theirs = [wrong(segments, np.asarray(weights)) for segments, weights in SEGMENT_CASES]
        if answers == theirs and theirs != right:
            fail(hint)
    for answer, guilty, (segments, weights) in zip(answers, right, SEGMENT_CASES):
        if answer != guilty:
            fail(f"for segments {list(segments)} with weights {list(weights)}, '{answer}' is not the segment with "
                 f"the strongest evidence of a mismatch: compare each segment's own SRM p-value against the "
                 f"planned weights.")
    return "you found the segment behind each SRM."


@functools.lru_cache(maxsize=None)
def _reference_rate(days, users_per_day, threshold):
    alarms = _srm.daily_alarms(REFERENCE_SIMS, days, users_per_day, threshold=threshold,
                               rng=np.random.default_rng(404))
    return _stats.monte_carlo_rate(alarms[:, -1])


def _one_check_rate(users, threshold):
    """Exact false-alarm rate of ONE two-sided check of a 50/50 split of ``users`` (binomial enumeration)."""
    k = np.arange(users + 1)
    p = _sps.chi2.sf((2 * k - users) ** 2 / users, 1)
    return float(_sps.binom.pmf(k, users, 0.5)[p < threshold].sum())


@functools.lru_cache(maxsize=None)
def _one_sided_rate(days, users_per_day, threshold):
    """The rate of a daily check that flags only a shortfall in B (one tail at the full threshold)."""
    in_a = np.cumsum(np.random.default_rng(405).binomial(users_per_day, 0.5, size=(REFERENCE_SIMS, days)), axis=1)
    total = users_per_day * np.arange(1, days + 1)
    z = (in_a - total / 2) / np.sqrt(total / 4)
    return _stats.monte_carlo_rate((_sps.norm.sf(z) < threshold).any(axis=1))


def _half_width(ref, n_sims):
    return Z_BAND * (np.sqrt(ref.estimate * (1 - ref.estimate) / n_sims) + ref.se)


@task("task 3: false alarms of daily SRM checks")
def task3(fn):
    n_sims = 20_000
    first = expect_share(same_seed_result(fn, n_sims, 30, 10_000, 0.05, seed=1), "the false-alarm rate")
    # A simulation returns a share of its n_sims experiments, and another seed gives another share.
    small = [expect_real(call(fn, 40, 30, 1_000, 0.05, np.random.default_rng(s)), "the false-alarm rate")
             for s in (5, 6, 7)]
    if any(abs(v * 40 - round(v * 40)) > 1e-6 for v in small) or len(set(small)) == 1:
        fail("with n_sims = 40 your answer should be a share of 40 simulated experiments (k / 40) that changes "
             "with the seed; yours does not. Simulate the experiments rather than computing a formula.")
    # One day first: with a single check the "any day" question does not arise, so a wrong rate here is
    # the p-value of one check.
    for days, users, threshold, seed in ((1, 5_000, 0.05, 4), (1, 2_000, 0.01, 5)):
        value = expect_share(call(fn, n_sims, days, users, threshold, np.random.default_rng(seed)),
                             "the false-alarm rate")
        low, high = _stats.binomial_band(_one_check_rate(users, threshold), n_sims, BAND_LEVEL)
        if not low <= value <= high:
            fail(f"with a single daily check at {threshold} the false-alarm rate should be about {threshold}; yours "
                 "is not, so look at the p-value of one check: under a 50/50 design the count in A has mean N/2 "
                 "and variance N/4, and the test is two-sided.")
    for days, users, threshold, seed in ((30, 10_000, 0.05, 1), (14, 2_000, 0.01, 3)):
        value = first if seed == 1 else expect_share(call(fn, n_sims, days, users, threshold,
                                                          np.random.default_rng(seed)), "the false-alarm rate")
        ref = _reference_rate(days, users, threshold)
        what = f"the false-alarm rate for {days} daily checks at {threshold}"
        one_look = _stats.binomial_band(threshold, n_sims, BAND_LEVEL)
        if one_look[0] <= value <= one_look[1]:
            fail(f"{what} is about the threshold itself, the rate of ONE check: an experiment raises a false alarm "
                 f"if ANY of its {days} daily checks has p < threshold.")
        independent = 1 - (1 - threshold) ** days
        if abs(value - independent) < Z_BAND * np.sqrt(independent * (1 - independent) / n_sims):
            fail(f"{what} matches {days} independent tests: each day's check uses the CUMULATIVE counts since "
                 f"the start, so the checks are correlated.")
        one_sided = _one_sided_rate(days, users, threshold)
        if abs(value - one_sided.estimate) < _half_width(one_sided, n_sims) < abs(value - ref.estimate):
            fail(f"{what} matches a one-sided check (it only flags one arm running short): an SRM in either "
                 "direction counts, so the test is two-sided.")
        expect_between(value, ref.estimate - _half_width(ref, n_sims), ref.estimate + _half_width(ref, n_sims),
                       what=what, hint="Your single-day rate is right, so look at the days after the first: the "
                                       "check on day d uses the cumulative counts, with their own total N_d.")
    return "your simulation agrees with labsupport.srm.daily_alarms within Monte Carlo error."
