"""Checks for lesson 03, multiple testing (solutions/03_multiple_testing_exercises.ipynb)."""

from __future__ import annotations

import numpy as np

from .. import multiple as _mt
from .. import stats as _stats
from . import (BAND_LEVEL, call, describe, expect_array, expect_between, expect_int, expect_share, expect_type, fail,
               same_seed_result, task)

# Benjamini & Hochberg (1995), J. R. Statist. Soc. B 57(1), 289-300: the worked example.
BH1995 = np.array([0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
                   0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000])


def _families():
    rng = np.random.default_rng(303)
    shuffled = BH1995[rng.permutation(15)]
    return [shuffled, rng.uniform(size=12) ** 3, np.array([0.01, 0.04, 0.045]), np.array([0.03]),
            np.array([0.02, 0.02, 0.5, 0.01, 0.02])]


def _array_of(value, m, what, hint):
    if not isinstance(value, (list, tuple, np.ndarray)):
        fail(f"{what} should be an array of length {m}; your function returned {describe(value)}. {hint}")
    if np.shape(value) != (m,):
        fail(f"{what} should have shape ({m},); yours has shape {np.shape(value)}. {hint}")
    return np.asarray(value)


@task("task 1: Holm's adjusted p-values")
def task1(fn):
    hint = ("Sort, multiply the i-th smallest by (m - i + 1), take a running maximum, cap at 1, "
            "and put the values back in the input order.")
    for p in _families():
        got = _array_of(call(fn, p.copy()), len(p), "the adjusted p-values", hint)
        ref = _mt.adjust_pvalues(p, "holm").adjusted
        order = np.argsort(p, kind="stable")
        if np.allclose(got, ref[order]) and not np.allclose(ref[order], ref):
            fail("your values are in sorted order; return them in the order of the input p-values.")
        raw = np.empty(len(p))
        raw[order] = (len(p) - np.arange(len(p))) * p[order]
        if np.allclose(got, np.minimum(raw, 1)) and not np.allclose(raw, ref):
            fail("an adjusted p-value can be smaller than that of a smaller raw p-value: "
                 "take a running maximum along the sorted order.")
        if (np.asarray(got, dtype=float) > 1).any():
            fail("adjusted p-values are probabilities: cap them at 1.")
        expect_array(got, ref, what=f"the adjusted p-values for a family of {len(p)}", rel=1e-9, hint=hint)
    return "your Holm adjustment matches statsmodels' multipletests(method='holm')."


@task("task 2: Benjamini-Hochberg rejections")
def task2(fn):
    hint = "Find the largest k with p_(k) <= k q / m and reject the k smallest p-values."
    for q in (0.05, 0.10):
        for p in _families():
            got = _array_of(call(fn, p.copy(), q), len(p), "the rejections", hint)
            if got.dtype != bool:
                fail(f"return a boolean array (True = rejected); yours has dtype {got.dtype}.")
            ref = _mt.adjust_pvalues(p, "bh", q).reject
            m = len(p)
            ranks = np.empty(m, dtype=int)
            ranks[np.argsort(p, kind="stable")] = np.arange(1, m + 1)
            shortcut = p <= ranks * q / m
            if np.array_equal(got, shortcut) and not np.array_equal(shortcut, ref):
                fail("BH is a step-up procedure: once p_(k) is under its line, every smaller "
                     "p-value is rejected too, even one above its own threshold.")
            expect_array(got, ref, what=f"the rejections for a family of {m} at q = {q}", hint=hint)
    return "your BH procedure matches statsmodels' multipletests(method='fdr_bh')."


@task("task 3: every correction on one family")
def task3(fn):
    cases = [(BH1995, 0.05), (np.random.default_rng(7).uniform(size=30) ** 4, 0.05),
             (np.array([0.001, 0.011, 0.02, 0.04, 0.3]), 0.10)]
    for p, alpha in cases:
        got = call(fn, p.copy(), alpha)
        expect_type(got, dict, what="the result", hint="Return {method: number of rejections}.")
        if set(got) != set(_mt.METHODS):
            fail(f"the dict should have exactly the keys {list(_mt.METHODS)}; "
                 f"yours has {sorted(map(str, got))}.")
        for method in _mt.METHODS:
            expect_int(got[method], int(_mt.adjust_pvalues(p, method, alpha).reject.sum()),
                       what=f"the number of {method} rejections for a family of {len(p)} at {alpha}",
                       hint="labsupport.multiple.adjust_pvalues(p, method, alpha).reject counts them.")
    return "all five counts are right. Compare them with the explanation below."


_GUARDRAIL_CASES = [
    # estimate, ci_low, ci_high, higher_is_better, tolerance
    (-0.005, -0.007, -0.003, True, 0.002),   # drop beyond the tolerance: fails
    (-0.001, -0.0015, -0.0005, True, 0.002),  # drop within the tolerance: passes
    (0.004, 0.002, 0.006, True, 0.0),        # improvement: passes
    (12.0, 10.0, 14.0, False, 5.0),          # latency rise beyond the tolerance: fails
    (-12.0, -14.0, -10.0, False, 0.0),       # latency fall: passes
    (3.0, -1.0, 7.0, False, 5.0),            # unclear, not a failure
    (-0.003, -0.006, 0.0, True, 0.002),      # unclear, not a failure
]


@task("task 4: a guardrail check that knows its direction")
def task4(fn):
    hint = ("Turn the interval into harm first (a drop for higher-is-better, a rise for lower-is-better), "
            "then fail only if the whole interval lies beyond the tolerance.")
    for est, lo, hi, hib, tol in _GUARDRAIL_CASES:
        got = call(fn, est, lo, hi, hib, tol)
        if not isinstance(got, (bool, np.bool_)):
            fail(f"return True or False; your function returned {describe(got)}.")
        ref = _mt.guardrail_status(_mt.Metric("g", est, lo, hi, 0.5, hib, tol)) == "fail"
        if bool(got) != ref:
            kind = "higher-is-better" if hib else "lower-is-better"
            change = "a drop" if est < 0 else "a rise"
            fail(f"wrong verdict for {change} in a {kind} guardrail (interval [{lo}, {hi}], "
                 f"tolerance {tol}). {hint}")
    return "your check flags drops of higher-is-better and rises of lower-is-better guardrails only."


_DECISION_CASES = [
    # (ctr, cart, latency): each (estimate, ci_low, ci_high, p_value)
    ((0.006, 0.003, 0.009, 1e-5), (-0.0047, -0.0062, -0.0033, 1e-9), (0.6, -0.3, 1.4, 0.2)),
    ((0.006, 0.003, 0.009, 1e-5), (0.0016, 0.0001, 0.0031, 0.04), (0.7, -0.1, 1.6, 0.09)),
    ((0.005, 0.002, 0.008, 1e-4), (0.0035, 0.0020, 0.0050, 1e-5), (12.0, 11.1, 12.8, 1e-100)),
    ((0.001, -0.004, 0.006, 0.6), (0.0005, -0.001, 0.002, 0.5), (0.5, -1.0, 2.0, 0.5)),
    ((0.006, 0.003, 0.009, 1e-5), (-0.001, -0.004, 0.002, 0.5), (0.2, -0.6, 1.0, 0.6)),
    ((-0.006, -0.009, -0.003, 1e-5), (0.001, -0.001, 0.003, 0.3), (0.2, -0.6, 1.0, 0.6)),
]


def _reference_decision(ctr, cart, latency):
    return _mt.decide(_mt.Metric("click-through", *ctr),
                      guardrails=[_mt.Metric("add-to-cart", *cart, tolerance=0.002),
                                  _mt.Metric("latency", *latency, higher_is_better=False, tolerance=5.0)])


@task("task 5: the launch decision")
def task5(fn):
    hint = ("Click-through is the primary metric; add-to-cart is a higher-is-better guardrail with "
            "tolerance 0.002 and latency a lower-is-better guardrail with tolerance 5 ms.")
    for ctr, cart, latency in _DECISION_CASES:
        got = call(fn, ctr, cart, latency)
        expect_type(got, _mt.Decision, what="the result",
                    hint="Build it with labsupport.multiple.decide(...) and return the Decision.")
        ref = _reference_decision(ctr, cart, latency)
        if got.decision != ref.decision:
            fail(f"the decision for click-through {ctr[0]:+g}, add-to-cart {cart[0]:+g}, "
                 f"latency {latency[0]:+g} ms is not right. {hint}")
    return "your decisions match the lesson's rule, including the case where a guardrail vetoes a win."


@task("task 6: FWER of correlated metrics by simulation")
def task6(fn):
    n_sims = 20_000
    expect_share(same_seed_result(fn, 10, 0.5, n_sims, seed=11), "the simulated FWER")
    hint = ("Draw z of shape (n_sims, m) from a multivariate normal with unit variances and "
            "correlation rho, reject where 2 (1 - Phi(|z|)) <= 0.05, and return the share of rows "
            "with at least one rejection.")
    for seed, (m, rho) in enumerate(((10, 0.0), (10, 0.8), (1, 0.0), (5, 0.5)), start=21):
        low, high = _stats.binomial_band(_mt.familywise_error_correlated(m, rho), n_sims, BAND_LEVEL)
        expect_between(call(fn, m, rho, n_sims, np.random.default_rng(seed)), low, high,
                       what=f"the simulated FWER for m = {m}, rho = {rho}", hint=hint)
    return "your simulation agrees with the exact FWER within Monte Carlo error."
