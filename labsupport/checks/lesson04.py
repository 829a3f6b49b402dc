"""Checks for lesson 04, sample ratio mismatch (solutions/04_srm_exercises.ipynb)."""

from __future__ import annotations

import functools

import numpy as np
from scipy import stats as _sps

from .. import srm as _srm
from .. import stats as _stats
from . import (BAND_LEVEL, call, expect_between, expect_number, expect_real, expect_share, expect_type, fail,
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
Z_BAND = 4.5
REFERENCE_SIMS = 50_000


def _p(counts, weights):
    return _srm.srm_test(counts, weights).p_value


@task("task 1: the chi-square SRM test")
def task1(fn):
    cases = [([5_030, 4_970], [0.5, 0.5]), ([90_150, 9_850], [0.9, 0.1]),
             ([50_600, 25_150, 24_250], [0.5, 0.25, 0.25]), ([821_588, 815_482], [0.5, 0.5]),
             ([310, 290, 420, 980], [0.15, 0.15, 0.2, 0.5])]
    for counts, weights in cases:
        value = expect_real(call(fn, list(counts), list(weights)), f"the p-value for counts {counts}",
                      "Return the p-value as a float.")
        ref = _p(counts, weights)
        if value > 1 or np.isclose(value, _srm.srm_test(counts, weights).statistic, rtol=1e-6):
            fail(f"for counts {counts} you seem to have returned the chi-square statistic; return its "
                 f"p-value, a number in [0, 1].")
        if not np.isclose(ref, 0.5) and np.isclose(value, 1 - ref, rtol=1e-6, atol=1e-12):
            fail("that looks like the lower tail; the p-value is the UPPER tail of the chi-square "
                 "distribution (scipy.stats.chi2.sf).")
        if len(set(weights)) > 1 and np.isclose(value, _p(counts, None), rtol=1e-6):
            fail(f"for weights {weights} your answer matches an equal split: the expected counts are "
                 f"the total times the PLANNED weights.")
        chi2 = _srm.srm_test(counts, weights).statistic
        wrong_df = [len(counts)] + ([1] if len(counts) > 2 else [])
        if any(np.isclose(value, _sps.chi2.sf(chi2, df), rtol=1e-6) for df in wrong_df):
            fail(f"with {len(counts)} arms, check the degrees of freedom: number of arms minus one.")
        expect_number(value, ref, what=f"the p-value for counts {counts} and weights {weights}",
                      rel=1e-6, abs_tol=1e-300,
                      hint="expected_i = total x weight_i; chi2 = sum((observed - expected)^2 / expected); "
                           "p = chi2.sf(chi2, df=arms - 1).")
    return "your SRM test matches scipy.stats.chisquare, for uneven weights and several arms."


@task("task 2: the segment behind the SRM")
def task2(fn):
    for segments, weights in SEGMENT_CASES:
        names = list(segments)
        answer = call(fn, {k: list(v) for k, v in segments.items()}, list(weights))
        expect_type(answer, str, what="the result",
                    hint="Return the segment's name, one of the dictionary's keys (a str).")
        if answer not in segments:
            fail(f"'{answer}' is not one of the segments {names}.")
        p = {name: _p(counts, weights) for name, counts in segments.items()}
        guilty = min(p, key=p.get)
        if answer != guilty:
            fail(f"for segments {names} with weights {list(weights)}, '{answer}' is not the segment with "
                 f"the strongest evidence of a mismatch. Compare segments by their own SRM p-value "
                 f"(against the planned weights), not by the size of the gap: a small gap in a big "
                 f"segment can be far less likely than a big gap in a small one.")
    return "you found the segment behind each SRM."


@functools.lru_cache(maxsize=None)
def _reference_rate(days, users_per_day, threshold):
    alarms = _srm.daily_alarms(REFERENCE_SIMS, days, users_per_day, threshold=threshold,
                               rng=np.random.default_rng(404))
    return _stats.monte_carlo_rate(alarms[:, -1])


@task("task 3: false alarms of daily SRM checks")
def task3(fn):
    n_sims = 20_000
    first = expect_share(same_seed_result(fn, n_sims, 30, 10_000, 0.05, seed=1), "the false-alarm rate")
    for days, users, threshold, seed in ((30, 10_000, 0.05, 1), (14, 2_000, 0.01, 3), (1, 5_000, 0.05, 4)):
        value = first if seed == 1 else expect_real(call(fn, n_sims, days, users, threshold,
                                                   np.random.default_rng(seed)), "the false-alarm rate")
        ref = _reference_rate(days, users, threshold)
        half = Z_BAND * (np.sqrt(ref.estimate * (1 - ref.estimate) / n_sims) + ref.se)
        what = f"the false-alarm rate for {days} daily checks at {threshold}"
        if days > 1:
            one_look = _stats.binomial_band(threshold, n_sims, BAND_LEVEL)
            if one_look[0] <= value <= one_look[1]:
                fail(f"{what} is about the threshold itself: count an experiment as a false alarm if ANY "
                     f"of its daily checks has p < threshold, not only the last one.")
            independent = 1 - (1 - threshold) ** days
            if abs(value - independent) < Z_BAND * np.sqrt(independent * (1 - independent) / n_sims):
                fail(f"{what} matches {days} independent tests: each day's check uses the CUMULATIVE "
                     f"counts since the start (np.cumsum over days), so the checks are correlated.")
        expect_between(value, ref.estimate - half, ref.estimate + half, what=what,
                       hint="simulate all experiments at once: daily 50/50 splits of users_per_day "
                            "(rng.binomial with size=(n_sims, days)), cumulative counts, a chi-square "
                            "p-value per day, then the share of experiments with any p < threshold.")
    return "your simulation agrees with labsupport.srm.daily_alarms within Monte Carlo error."
