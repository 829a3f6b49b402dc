"""Checks for lesson 03, multiple testing (solutions/03_multiple_testing_exercises.ipynb)."""

from __future__ import annotations

import numpy as np

from .. import multiple as _mt
from .. import stats as _stats
from . import (BAND_LEVEL, call, describe, expect_array, expect_between, expect_int, expect_real, expect_share,
               expect_type, fail, is_count_share, same_seed_result, task)

# Benjamini & Hochberg (1995), J. R. Statist. Soc. B 57(1), 289-300: the worked example.
BH1995 = np.array([0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
                   0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000])


def _families():
    rng = np.random.default_rng(303)
    shuffled = BH1995[rng.permutation(15)]
    return [shuffled, rng.uniform(size=12) ** 3, np.array([0.01, 0.04, 0.045]), np.array([0.03]),
            np.array([0.02, 0.02, 0.5, 0.01, 0.02]), np.array([0.04, 0.001, 0.3, 0.012, 0.02, 0.9])]


def _array_of(value, m, what, hint=""):
    if not isinstance(value, (list, tuple, np.ndarray)):
        fail(f"{what} should be an array of length {m}; your function returned {describe(value)}. {hint}".strip())
    if np.shape(value) != (m,):
        fail(f"{what} should have shape ({m},); yours has shape {np.shape(value)}. {hint}".strip())
    return np.asarray(value)


def _ranks(p):
    """1-based ranks of p in ascending order (ties in input order), and the sorting permutation."""
    order = np.argsort(p, kind="stable")
    ranks = np.empty(len(p), dtype=int)
    ranks[order] = np.arange(1, len(p) + 1)
    return ranks, order


def _unsort(sorted_values, order):
    out = np.empty(len(order), dtype=np.asarray(sorted_values).dtype)
    out[order] = sorted_values
    return out


def _close(a, b):
    try:
        return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-9, atol=1e-12)
    except (TypeError, ValueError):
        return False


def _holm_variants(p):
    m = len(p)
    _, order = _ranks(p)
    ps = p[order]
    i = np.arange(1, m + 1)
    cap = lambda x: np.minimum(x, 1.0)  # noqa: E731
    ref = _mt.adjust_pvalues(p, "holm").adjusted
    return ref, [
        (ref[order], "your values are in sorted order; return them in the order of the input p-values."),
        (cap(m * p), "you multiplied every p-value by m: that is Bonferroni. Holm's multiplier shrinks "
                     "along the sorted order."),
        (_unsort(cap(np.maximum.accumulate((m - i) * ps)), order),
         "off by one: the multipliers run from m (the smallest p-value) down to 1 (the largest)."),
        (_unsort(cap((m - i + 1) * ps), order),
         "an adjusted p-value can be smaller than that of a smaller raw p-value: take a running maximum "
         "along the sorted order."),
        (_mt.adjust_pvalues(p, "hochberg").adjusted,
         "that is Hochberg's step-up (a running minimum from the largest p-value); Holm steps down: a "
         "running maximum from the smallest."),
        (_unsort(np.maximum.accumulate((m - i + 1) * ps), order),
         "adjusted p-values are probabilities: cap them at 1."),
    ]


def _all_cases(got, cases, variants_of, close=_close):
    """Stop with the hint of the first known wrong answer that ``got`` matches in EVERY case."""
    references, variants = zip(*(variants_of(*case) for case in cases))
    for k, (_, hint) in enumerate(variants[0]):
        wrong = [v[k][0] for v in variants]
        if all(close(g, w) for g, w in zip(got, wrong)) and not all(
                close(w, r) for w, r in zip(wrong, references)):
            fail(hint)
    return references


@task("task 1: Holm's adjusted p-values")
def task1(fn):
    cases = [(p,) for p in _families()]
    got = [_array_of(call(fn, p.copy()), len(p), "the adjusted p-values") for (p,) in cases]
    references = _all_cases(got, cases, _holm_variants)
    for (p,), mine, ref in zip(cases, got, references):
        expect_array(mine, ref, what=f"the adjusted p-values for a family of {len(p)}", rel=1e-9,
                     hint="Compare your steps with the task: sort, multiply, running maximum, cap, unsort.")
    return "your Holm adjustment matches statsmodels' multipletests(method='holm')."


def _up_to_largest(below, order):
    """Reject the k smallest, k = the largest rank whose sorted p-value is under its line."""
    k = np.nonzero(below)[0].max() + 1 if below.any() else 0
    reject = np.zeros(len(order), dtype=bool)
    reject[order[:k]] = True
    return reject


def _bh_variants(p, q):
    m = len(p)
    ranks, order = _ranks(p)
    ps, i = p[order], np.arange(1, m + 1)
    first_above = np.argmax(ps > i * q / m) if (ps > i * q / m).any() else m
    step_down = np.zeros(m, dtype=bool)
    step_down[order[:first_above]] = True
    harmonic = np.sum(1 / i)
    return _mt.adjust_pvalues(p, "bh", q).reject, [
        (_up_to_largest(ps < i * q / m, order),
         "a p-value exactly on the line is rejected: BH's condition is p_(k) <= k q / m, not <."),
        (_up_to_largest(ps <= i * q / m, order)[order],
         "your rejections are in sorted order; return them in the order of the input p-values."),
        (p <= ranks * q / m,
         "BH is a step-up procedure: once p_(k) is under its line, every smaller p-value is rejected "
         "too, even one above its own threshold."),
        (step_down, "you stop at the first p-value above its line; BH looks for the LARGEST k under the "
                    "line, whatever lies between."),
        (p <= q, "you compare every p-value with q itself: that is no correction at all."),
        (p <= q / m, "you compare every p-value with q / m: that is Bonferroni, which controls the FWER."),
        (_up_to_largest(ps <= i * q / (m * harmonic), order),
         "that is Benjamini-Yekutieli (q divided by the harmonic sum); plain BH uses the line k q / m."),
        (_up_to_largest(ps <= (i - 1) * q / m, order),
         "off by one: the smallest p-value is rank k = 1, so its line is q / m, not 0."),
        (_up_to_largest(ps <= (i + 1) * q / m, order),
         "off by one: the smallest p-value is rank k = 1, so its line is q / m."),
    ]


# Dyadic p-values and levels: every line k q / m is exact in floating point, whatever the order of the
# arithmetic, so a p-value that lies exactly ON the line tells <= from <.
_TIES = [(np.array([0.375, 0.3, 0.125, 0.9]), 0.5), (np.array([0.0625, 0.7, 0.1875, 0.2]), 0.25)]


@task("task 2: Benjamini-Hochberg rejections")
def task2(fn):
    cases = [(p, q) for q in (0.05, 0.10) for p in _families()] + _TIES
    got = []
    for p, q in cases:
        answer = _array_of(call(fn, p.copy(), q), len(p), "the rejections")
        if answer.dtype != bool:
            fail(f"return a boolean array (True = rejected); yours has dtype {answer.dtype}.")
        got.append(answer)
    references = _all_cases(got, cases, _bh_variants, np.array_equal)
    for (p, q), mine, ref in zip(cases, got, references):
        expect_array(mine, ref, what=f"the rejections for a family of {len(p)} at q = {q}",
                     hint="Look again at which p-values the largest k under the line lets you reject.")
    return "your BH procedure matches statsmodels' multipletests(method='fdr_bh')."


@task("task 3: every correction on one family")
def task3(fn):
    cases = [(BH1995, 0.05), (np.random.default_rng(7).uniform(size=30) ** 4, 0.05),
             (np.array([0.001, 0.011, 0.02, 0.04, 0.3]), 0.10), (np.array([0.004, 0.03, 0.012, 0.6]), 0.2)]
    for p, alpha in cases:
        got = call(fn, p.copy(), alpha)
        expect_type(got, dict, what="the result", hint="Return {method: number of rejections}.")
        if set(got) != set(_mt.METHODS):
            fail(f"the dict should have exactly the keys {list(_mt.METHODS)}; "
                 f"yours has {sorted(map(str, got))}.")
        counts = {k: int(_mt.adjust_pvalues(p, k, alpha).reject.sum()) for k in _mt.METHODS}
        for method in _mt.METHODS:
            value = got[method]
            if isinstance(value, (np.ndarray, list, tuple)):
                fail(f"the value for {method!r} is {describe(value)}; count the rejections (an int).")
        wrong = [({k: int(_mt.adjust_pvalues(p, k, 0.05).reject.sum()) for k in _mt.METHODS},
                  f"your counts are those at alpha = 0.05; the family of {len(p)} asks for alpha = {alpha}: "
                  "pass alpha on."),
                 ({k: int((p <= alpha).sum()) for k in _mt.METHODS},
                  "every method gives the number of raw p-values <= alpha: count each correction's rejections."),
                 ({k: len(p) - c for k, c in counts.items()},
                  "you count the hypotheses NOT rejected; count the rejections.")]
        for variant, hint in wrong:
            if all(_same_int(got[k], variant[k]) for k in _mt.METHODS) and variant != counts:
                fail(hint)
        for method in _mt.METHODS:
            expect_int(got[method], counts[method],
                       what=f"the number of {method} rejections for a family of {len(p)} at {alpha}",
                       hint=f"Count True in the .reject of the {method!r} adjustment.")
    return "all five counts are right. Compare them with the explanation below."


def _same_int(value, ref):
    try:
        return not isinstance(value, bool) and float(value) == ref
    except (TypeError, ValueError):
        return False


_GUARDRAIL_CASES = [
    # estimate, ci_low, ci_high, higher_is_better, tolerance
    (-0.005, -0.007, -0.003, True, 0.002),   # drop beyond the tolerance: fails
    (-0.001, -0.0015, -0.0005, True, 0.002),  # drop within the tolerance: passes
    (0.004, 0.002, 0.006, True, 0.0),        # improvement: passes
    (12.0, 10.0, 14.0, False, 5.0),          # latency rise beyond the tolerance: fails
    (-12.0, -14.0, -10.0, False, 0.0),       # latency fall: passes
    (3.0, -1.0, 7.0, False, 5.0),            # unclear, not a failure
    (-0.003, -0.006, 0.0, True, 0.002),      # unclear, not a failure (estimate beyond the tolerance)
    (6.0, 1.0, 11.0, False, 5.0),            # unclear, estimate beyond the tolerance
    (-0.0015, -0.0018, -0.0012, True, 0.001),  # whole drop beyond 0.001: fails
    (-0.0005, -0.0008, -0.0002, True, 0.0),  # a small drop, tolerance 0: fails
    (0.5, 0.2, 0.8, False, 1.0),             # latency rise within the tolerance: passes
    (-0.375, -0.5, -0.25, True, 0.25),       # smallest harm exactly AT the tolerance: unclear, not a failure
    (6.0, 4.0, 8.0, False, 4.0),             # the same for a lower-is-better guardrail
]
_GUARDRAIL_MISTAKES = [
    (lambda e, lo, hi, hib, tol: lo > tol,
     "you only flag rises: for a higher-is-better guardrail (add-to-cart) the harm is a DROP."),
    (lambda e, lo, hi, hib, tol: (-hi if hib else hi) > tol,
     "for a higher-is-better guardrail the interval's smallest harm is -ci_high, for a lower-is-better one "
     "it is ci_low: you use the wrong end of the interval."),
    (lambda e, lo, hi, hib, tol: (-e if hib else e) > tol,
     "you judge the point estimate; a guardrail fails only when its WHOLE interval lies beyond the tolerance."),
    (lambda e, lo, hi, hib, tol: (-lo if hib else hi) > tol,
     "an interval that only reaches past the tolerance is 'unclear', not a failure: fail only when the "
     "whole interval lies beyond it."),
    (lambda e, lo, hi, hib, tol: (-hi if hib else lo) > 0,
     "you ignore the tolerance: a harm within the tolerated change passes."),
    (lambda e, lo, hi, hib, tol: (lo if hib else -hi) > tol,
     "you have the directions swapped: a drop harms a higher-is-better metric, a rise a lower-is-better one."),
    (lambda e, lo, hi, hib, tol: abs(e) > tol,
     "an improvement is never a failure: turn the interval into harm in the metric's own direction first."),
]


@task("task 4: a guardrail check that knows its direction")
def task4(fn):
    verdicts = []
    for est, lo, hi, hib, tol in _GUARDRAIL_CASES:
        got = call(fn, est, lo, hi, hib, tol)
        if not isinstance(got, (bool, np.bool_)):
            fail(f"return True or False; your function returned {describe(got)}.")
        verdicts.append(bool(got))
    ref = [_mt.guardrail_status(_mt.Metric("g", e, lo, hi, 0.5, hib, tol)) == "fail"
           for e, lo, hi, hib, tol in _GUARDRAIL_CASES]
    for wrong, hint in _GUARDRAIL_MISTAKES:
        if verdicts == [bool(wrong(*case)) for case in _GUARDRAIL_CASES]:
            fail(hint)
    for got, want, (est, lo, hi, hib, tol) in zip(verdicts, ref, _GUARDRAIL_CASES):
        if got != want:
            kind = "higher-is-better" if hib else "lower-is-better"
            fail(f"wrong verdict for a {kind} guardrail with interval [{lo}, {hi}] and tolerance {tol}: "
                 "turn the interval into harm first, then ask whether ALL of it lies beyond the tolerance.")
    return "your check flags drops of higher-is-better and rises of lower-is-better guardrails only."


# (ctr, cart, latency): each (estimate, ci_low, ci_high, p_value); then the guardrail the case probes
# ("add-to-cart", "latency", None for the primary metric) and what it shows. In a case that probes one
# guardrail the other one improves clearly, so a mistake in one guardrail shows in its own cases only.
WIN = (0.006, 0.003, 0.009, 1e-5)
CART_UP, LATENCY_DOWN = (0.0025, 0.0012, 0.0038, 1e-4), (-4.0, -5.5, -2.5, 1e-6)
_DECISION_CASES = [
    ((WIN, CART_UP, LATENCY_DOWN), None, "a win with both guardrails improving"),
    (((0.001, -0.004, 0.006, 0.6), CART_UP, LATENCY_DOWN), None, "a flat primary metric"),
    (((-0.006, -0.009, -0.003, 1e-5), CART_UP, LATENCY_DOWN), None, "a primary metric that is significantly worse"),
    ((WIN, (-0.0047, -0.0062, -0.0033, 1e-9), LATENCY_DOWN), "add-to-cart", "a clear add-to-cart drop"),
    ((WIN, (-0.0015, -0.0018, -0.0012, 1e-6), LATENCY_DOWN), "add-to-cart",
     "an add-to-cart drop that lies wholly within 0.002"),
    ((WIN, (-0.0030, -0.0036, -0.0024, 1e-9), LATENCY_DOWN), "add-to-cart",
     "an add-to-cart drop that lies wholly between 0.002 and 0.005"),
    ((WIN, (-0.001, -0.004, 0.002, 0.5), LATENCY_DOWN), "add-to-cart",
     "an add-to-cart interval that reaches past its tolerance"),
    ((WIN, (0.0004, -0.0006, 0.0014, 0.4), LATENCY_DOWN), "add-to-cart",
     "an add-to-cart interval around zero, within its tolerance"),
    ((WIN, CART_UP, (12.0, 11.1, 12.8, 1e-100)), "latency", "a clear latency rise"),
    ((WIN, CART_UP, (3.2, 2.1, 4.3, 1e-8)), "latency", "a latency rise that lies wholly within 5 ms"),
    ((WIN, CART_UP, (7.5, 6.2, 8.8, 1e-20)), "latency", "a latency rise that lies wholly between 5 and 10 ms"),
    ((WIN, CART_UP, (3.0, 1.0, 6.0, 1e-4)), "latency", "a latency interval that reaches past its tolerance"),
    ((WIN, CART_UP, (0.2, -0.6, 1.0, 0.6)), "latency", "a latency interval around zero, within its tolerance"),
]


def _decision(ctr, cart, latency, cart_hib=True, cart_tol=0.002, lat_hib=False, lat_tol=5.0,
              guardrails=True, powered=True):
    rails = [_mt.Metric("add-to-cart", *cart, higher_is_better=cart_hib, tolerance=cart_tol),
             _mt.Metric("latency", *latency, higher_is_better=lat_hib, tolerance=lat_tol)]
    return _mt.decide(_mt.Metric("click-through", *ctr), guardrails=rails if guardrails else (),
                      powered=powered).decision


_DECISION_MISTAKES = [
    (dict(guardrails=False), "your decisions ignore the guardrails: a failed guardrail vetoes a win."),
    (dict(cart_hib=False), "add-to-cart is higher-is-better: its harm is a drop, not a rise."),
    (dict(lat_hib=True), "latency is lower-is-better: its harm is a rise, not a drop."),
    (dict(cart_tol=5.0, lat_tol=0.002), "the two tolerances are swapped: 0.002 belongs to add-to-cart, 5 ms to latency."),
    (dict(powered=False), "the experiment has reached its planned sample (decide's default powered=True): a flat "
                          "primary metric means don't ship, not extend."),
]


@task("task 5: the launch decision")
def task5(fn):
    got = []
    for (ctr, cart, latency), _, _ in _DECISION_CASES:
        result = call(fn, ctr, cart, latency)
        expect_type(result, _mt.Decision, what="the result",
                    hint="Build it with labsupport.multiple.decide(...) and return the Decision.")
        got.append(result.decision)
    ref = [_decision(*case) for case, _, _ in _DECISION_CASES]
    for changes, hint in _DECISION_MISTAKES:
        if got == [_decision(*case, **changes) for case, _, _ in _DECISION_CASES] and got != ref:
            fail(hint)
    for decision, want, (_, guardrail, probe) in zip(got, ref, _DECISION_CASES):
        if decision != want:
            check = (f"check the {guardrail} guardrail's direction and tolerance (the task gives both)" if guardrail
                     else "check which metric is the primary one, and the guardrails' directions")
            fail(f"the decision for {probe} is not right: {check}.")
    return "your decisions match the lesson's rule, including the case where a guardrail vetoes a win."


def _shares_of(values, n_sims):
    return all(is_count_share(v, n_sims) for v in values)


@task("task 6: FWER of correlated metrics by simulation")
def task6(fn):
    n_sims = 20_000
    expect_share(same_seed_result(fn, 10, 0.5, n_sims, seed=11), "the simulated FWER")
    # A simulation returns a share of n_sims families, and another seed gives another share.
    small = [expect_real(call(fn, 10, 0.5, 40, np.random.default_rng(s)), "the simulated FWER") for s in (1, 2, 3)]
    if not _shares_of(small, 40 * 10) or len(set(small)) == 1:
        fail("with n_sims = 40 your answer should be a share of 40 simulated families (k / 40) that changes "
             "with the seed; yours does not. Simulate the families rather than computing a formula.")
    for seed, (m, rho) in enumerate(((1, 0.0), (10, 0.0), (10, 0.8), (5, 0.5), (1, 0.7)), start=21):
        value = expect_share(call(fn, m, rho, n_sims, np.random.default_rng(seed)), "the simulated FWER")
        low, high = _stats.binomial_band(_mt.familywise_error_correlated(m, rho), n_sims, BAND_LEVEL)
        what = f"the simulated FWER for m = {m}, rho = {rho}"
        if m == 1:
            hint = ("A single two-sided test at 5% rejects 5% of the time: check that each z statistic has "
                    "variance 1 and that you reject where |z| >= 1.96 (both tails).")
        elif rho == 0:
            one = _stats.binomial_band(0.05, n_sims, BAND_LEVEL)
            if one[0] <= value <= one[1]:
                fail(f"{what} is about 0.05, the rate of ONE test: count the families with at least one "
                     "rejection among their m tests, not the share of rejected tests.")
            hint = "With rho = 0 the tests are independent, so the FWER is 1 - 0.95^m."
        else:
            hint = ("Check the correlation of your z statistics: np.corrcoef of two columns should be close "
                    "to rho, and every column should still have variance 1.")
        expect_between(value, low, high, what=what, hint=hint)
    return "your simulation agrees with the exact FWER within Monte Carlo error."

