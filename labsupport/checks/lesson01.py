"""Checks for lesson 01, foundations & power (solutions/01_foundations_power_exercises.ipynb)."""

from __future__ import annotations

import math

import numpy as np

from .. import power as _power
from .. import stats as _stats
from . import (BAND_LEVEL, call, describe, expect_between, expect_int, expect_number, expect_real, expect_share,
               expect_type, fail, same_seed_result, task)

DAYS = 14
# Allowance for the normal approximation behind the power formula, on top of the Monte Carlo band.
APPROX = 0.01


def _pair(value, what, hint):
    """Two numbers from a tuple, list or array of length 2."""
    if isinstance(value, (tuple, list, np.ndarray)) and np.shape(value) == (2,):
        return value[0], value[1]
    fail(f"{what} should be a tuple of two numbers; your function returned {describe(value)}. {hint}")


@task("task 1: two-proportion z test")
def task1(fn):
    cases = [(120, 1000, 150, 1000), (30, 500, 22, 480), (410, 5000, 455, 5200)]
    for sa, na, sb, nb in cases:
        z, p = _pair(call(fn, sa, na, sb, nb), "the result", "Return (z, p_value).")
        ref = _stats.two_proportion_ztest(sa, na, sb, nb)
        z = expect_real(z, "z")
        if np.isclose(z, -ref.statistic, rtol=1e-6) and not np.isclose(ref.statistic, 0):
            fail("z has the wrong sign: the effect is B minus A (treatment minus control).")
        pa, pb = sa / na, sb / nb
        unpooled = (pb - pa) / math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
        if np.isclose(z, unpooled, rtol=1e-6):
            fail("z uses the unpooled variance; under H0 (p_A = p_B) the test pools both arms "
                 "to estimate the common rate.")
        expect_number(z, ref.statistic, what=f"z for counts {(sa, na, sb, nb)}", rel=1e-6,
                      hint="z = (p_B - p_A) / SE, with SE from the pooled rate (s_A + s_B) / (n_A + n_B).")
        if np.isclose(expect_real(p, "the p-value"), ref.p_value / 2, rtol=1e-6):
            fail("the p-value is one-sided; the test is two-sided, so count both tails.")
        expect_number(p, ref.p_value, what=f"the p-value for counts {(sa, na, sb, nb)}", rel=1e-6,
                      hint="two-sided: the probability that |N(0, 1)| exceeds |z|.")
    return "your z test matches labsupport.stats.two_proportion_ztest."


@task("task 2: power by simulation")
def task2(fn):
    n_sims = 20_000
    expect_share(same_seed_result(fn, 0.10, 0.12, 2000, n_sims), "the simulated power")
    for p_b, seed, what in ((0.10, 202, "an A/A test (p_a = p_b)"), (0.12, 303, "p_a=0.10, p_b=0.12, n=2000")):
        target = 0.05 if p_b == 0.10 else _power.power_proportions(0.10, p_b, 2000)
        low, high = _stats.binomial_band(target, n_sims, BAND_LEVEL)
        value = call(fn, 0.10, p_b, 2000, n_sims, np.random.default_rng(seed))
        expect_between(value, low - APPROX, high + APPROX, what=f"the simulated power for {what}",
                       hint="simulate n_sims experiments at once (rng.binomial with size=n_sims), run "
                            "the two-sided z test on each at alpha = 0.05 and return the share of rejections.")
    return "your simulated power agrees with the formula within Monte Carlo error."


_HINTS = {
    "pooled": "Pooled (R's power.prop.test): the z_alpha term uses the average rate, the z_beta term both rates.",
    "unpooled": "Unpooled: both terms use sqrt(p_c(1-p_c) + p_t(1-p_t)).",
    "arcsine": "Arcsine: n = ((z_alpha + z_beta) / h)^2 * 2 with Cohen's h = |2 asin(sqrt p_t) - 2 asin(sqrt p_c)|.",
}


@task("task 3: sample size under three conventions")
def task3(fn):
    cases = [(0.10, 0.12, 0.05, 0.8), (0.50, 0.75, 0.05, 0.9), (0.20, 0.15, 0.01, 0.9)]
    for pc, pt, alpha, pw in cases:
        result = call(fn, pc, pt, alpha, pw)
        expect_type(result, dict, what="the result", hint='Return {"pooled": n, "unpooled": n, "arcsine": n}.')
        if set(result) != set(_power.METHODS):
            fail(f"the dict should have exactly the keys {list(_power.METHODS)}; yours has {sorted(map(str, result))}.")
        for method in _power.METHODS:
            expect_int(result[method], _power.sample_size_proportions(pc, pt, alpha, pw, method=method),
                       what=f"the {method} n for {(pc, pt, alpha, pw)}",
                       hint=_HINTS[method] + " Round up with math.ceil.")
    return "all three conventions match labsupport.power.sample_size_proportions."



@task("task 4: MDE of a two-week test")
def task4(fn):
    cases = [(5000, 0.10, 0.05, 0.8), (20_000, 0.03, 0.05, 0.8), (1200, 0.25, 0.01, 0.9)]
    for daily, base, alpha, pw in cases:
        value = call(fn, daily, base, alpha, pw)
        ref = _power.mde_proportions(base, DAYS * daily / 2, alpha, pw)
        value = expect_real(value, "the MDE")
        if np.isclose(value, _power.mde_proportions(base, DAYS * daily, alpha, pw), rtol=1e-3):
            fail("the MDE is too small: the two-week users are split between two arms.")
        if np.isclose(value, ref / base, rtol=1e-3):
            fail("that looks like a relative MDE; return the absolute increase p_t - p_c.")
        expect_number(value, ref, what=f"the MDE for {daily} users/day at baseline {base}", rel=1e-3,
                      hint="n per arm = 14 days x daily users / 2; then find the p_t whose pooled-convention "
                           "power is `power` (scipy.optimize.brentq) and return p_t - baseline.")
    return "your MDE matches labsupport.power.mde_proportions."


@task("task 5: relative-lift interval")
def task5(fn):
    cases = [(120, 1000, 150, 1000, 0.05), (410, 5000, 455, 5200, 0.05), (48, 900, 40, 950, 0.10)]
    for sa, na, sb, nb, alpha in cases:
        low, high = _pair(call(fn, sa, na, sb, nb, alpha), "the interval", "Return (low, high).")
        ref = _stats.relative_lift_ci(sa, na, sb, nb, alpha)
        absolute = _stats.two_proportion_ztest(sa, na, sb, nb, alpha)
        if np.isclose(expect_real(low, "low"), absolute.ci_low, rtol=1e-6):
            fail("that is the interval for the absolute difference; the relative lift is p_B / p_A - 1.")
        if np.isclose(low, absolute.ci_low / (sa / na), rtol=1e-6):
            fail("that divides the absolute interval by p_A, as if p_A were known: it under-weights the "
                 "noise of the denominator. Use the delta-method variance from the task.")
        hint = ("delta method: SE^2 = var(p_B)/p_A^2 + p_B^2 var(p_A)/p_A^4, "
                "with var(p) = p(1-p)/n, and a two-sided normal quantile at level 1 - alpha.")
        expect_number(low, ref.low, what=f"the lower end for {(sa, na, sb, nb, alpha)}", rel=1e-6, hint=hint)
        expect_number(high, ref.high, what=f"the upper end for {(sa, na, sb, nb, alpha)}", rel=1e-6, hint=hint)
    return "your interval matches labsupport.stats.relative_lift_ci."
