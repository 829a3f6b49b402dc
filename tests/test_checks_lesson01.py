"""The lesson 01 checks: a right answer passes; each known wrong answer gets [try again] with a hint naming it."""

import math

import numpy as np
import pytest
from checkhelpers import assert_try_again
from scipy import optimize
from scipy import stats as sps

from labsupport import power, stats
from labsupport.checks import lesson01 as check

Z = sps.norm.isf(0.025)


# Reference solutions, written independently of labsupport (scipy only).
def z_test(sa, na, sb, nb):
    pa, pb, pooled = sa / na, sb / nb, (sa + sb) / (na + nb)
    z = (pb - pa) / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    return z, 2 * sps.norm.sf(abs(z))


def _simulated_z(p_a, p_b, n, n_sims, rng, pooled=True, correction=0.0):
    sa, sb = rng.binomial(n, p_a, n_sims), rng.binomial(n, p_b, n_sims)
    a, b = sa / n, sb / n
    if pooled:
        pbar = (sa + sb) / (2 * n)
        se = np.sqrt(pbar * (1 - pbar) * 2 / n)
    else:
        se = np.sqrt((a * (1 - a) + b * (1 - b)) / n)
    diff = np.sign(b - a) * np.maximum(np.abs(b - a) - correction / n, 0)
    return np.divide(diff, se, out=np.zeros(n_sims), where=se > 0)


def simulated_power(p_a, p_b, n, n_sims, rng):
    return float(np.mean(np.abs(_simulated_z(p_a, p_b, n, n_sims, rng)) > Z))


def _n(null_sd, alt_sd, effect, alpha, pw):
    return math.ceil(((sps.norm.ppf(1 - alpha / 2) * null_sd + sps.norm.ppf(pw) * alt_sd) / effect) ** 2)


def sample_sizes(pc, pt, alpha, pw):
    alt = math.sqrt(pc * (1 - pc) + pt * (1 - pt))
    pbar = (pc + pt) / 2
    h = abs(2 * math.asin(math.sqrt(pt)) - 2 * math.asin(math.sqrt(pc)))
    return {"pooled": _n(math.sqrt(2 * pbar * (1 - pbar)), alt, abs(pt - pc), alpha, pw),
            "unpooled": _n(alt, alt, abs(pt - pc), alpha, pw),
            "arcsine": _n(math.sqrt(2), math.sqrt(2), h, alpha, pw)}


def _mde(daily_users, baseline, alpha=0.05, pw=0.8, days=14, pooled=True):
    n = days * daily_users / 2
    za = sps.norm.ppf(1 - alpha / 2)

    def gap(pt):
        pbar = (baseline + pt) / 2
        alt = math.sqrt(baseline * (1 - baseline) + pt * (1 - pt))
        null = math.sqrt(2 * pbar * (1 - pbar)) if pooled else alt
        return sps.norm.cdf((math.sqrt(n) * (pt - baseline) - za * null) / alt) - pw
    return optimize.brentq(gap, baseline + 1e-9, 1 - 1e-9, xtol=1e-14) - baseline


def mde_two_weeks(daily_users, baseline, alpha=0.05, pw=0.8):
    return _mde(daily_users, baseline, alpha, pw)


def lift_interval(sa, na, sb, nb, alpha=0.05):
    pa, pb = sa / na, sb / nb
    se = math.sqrt(pb * (1 - pb) / nb / pa**2 + pb**2 * pa * (1 - pa) / na / pa**4)
    half = sps.norm.ppf(1 - alpha / 2) * se
    return pb / pa - 1 - half, pb / pa - 1 + half


TASKS = [(check.task1, z_test), (check.task2, simulated_power), (check.task3, sample_sizes),
         (check.task4, mde_two_weeks), (check.task5, lift_interval)]


# ---- task 1 ------------------------------------------------------------------------------

def test_task1_wrong_answers():
    def unpooled(sa, na, sb, nb):
        pa, pb = sa / na, sb / nb
        z = (pb - pa) / math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
        return z, 2 * sps.norm.sf(abs(z))

    def yates(sa, na, sb, nb):
        pa, pb, pooled = sa / na, sb / nb, (sa + sb) / (na + nb)
        d = np.sign(pb - pa) * (abs(pb - pa) - (1 / na + 1 / nb) / 2)
        z = d / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        return z, 2 * sps.norm.sf(abs(z))

    assert_try_again(check.task1(lambda *a: (-z_test(*a)[0], z_test(*a)[1])), "wrong sign")
    assert_try_again(check.task1(lambda *a: (z_test(*a)[0], z_test(*a)[1] / 2)), "one-sided")
    assert_try_again(check.task1(lambda *a: (z_test(*a)[0], 1 - z_test(*a)[1])), "*below*")
    assert_try_again(check.task1(unpooled), "unpooled")
    assert_try_again(check.task1(yates), "continuity correction")
    assert_try_again(check.task1(lambda *a: (z_test(*a)[0] * 1.1, z_test(*a)[1])), "z for counts", "pooled one")
    assert_try_again(check.task1(lambda *a: 0.5), "tuple of two numbers")


# ---- task 2 ------------------------------------------------------------------------------

def test_task2_exact_rates_match_simulation_and_statsmodels_free_enumeration():
    """The check's reference: exact enumeration, cross-checked by 400,000 simulated experiments each."""
    rng = np.random.default_rng(5)
    for p_a, p_b, n in [(0.20, 0.20, 20), (0.10, 0.20, 100)]:
        exact = check.exact_rejection_rates(p_a, p_b, n)
        for name, kw in [("pooled", {}), ("unpooled", {"pooled": False}), ("continuity", {"correction": 1.0})]:
            z = _simulated_z(p_a, p_b, n, 400_000, rng, **kw)
            low, high = stats.binomial_band(exact[name], 400_000, 0.9999)
            assert low <= np.mean(np.abs(z) > Z) <= high, (p_a, p_b, n, name)
    # The design that makes them distinguishable: far apart in units of the check's band.
    exact = check.exact_rejection_rates(0.20, 0.20, 20)
    width = np.diff(stats.binomial_band(0.05, 100_000, check.BAND_LEVEL))[0]
    assert exact["unpooled"] - exact["pooled"] > 2 * width and exact["pooled"] - exact["continuity"] > 2 * width
    exact = check.exact_rejection_rates(0.10, 0.20, 100)
    assert exact["one-sided"] - exact["pooled"] > 10 * width


def test_task2_wrong_answers():
    def rate(**kw):
        def answer(p_a, p_b, n, n_sims, rng):
            return float(np.mean(np.abs(_simulated_z(p_a, p_b, n, n_sims, rng, **kw)) > Z))
        return answer

    def one_sided(p_a, p_b, n, n_sims, rng):  # rejects at z > 1.645: too powerful
        return float(np.mean(_simulated_z(p_a, p_b, n, n_sims, rng) > sps.norm.isf(0.05)))

    def one_tail(p_a, p_b, n, n_sims, rng):  # |z| forgotten: only B better counts
        return float(np.mean(_simulated_z(p_a, p_b, n, n_sims, rng) > Z))

    def closed_form(p_a, p_b, n, n_sims, rng):  # no simulation at all
        return power.power_proportions(p_a, p_b, n) if p_a != p_b else 0.05

    def rounded_closed_form(p_a, p_b, n, n_sims, rng):  # a formula disguised as a count
        return round(closed_form(p_a, p_b, n, n_sims, rng) * n_sims) / n_sims

    def rounded_exact(p_a, p_b, n, n_sims, rng):  # even the exact power, with no simulation, is not the task
        return round(check.exact_rejection_rates(p_a, p_b, n)["pooled"] * n_sims) / n_sims

    def swapped_sizes(p_a, p_b, n, n_sims, rng):  # n experiments of n_sims users each
        return simulated_power(p_a, p_b, n_sims, n, rng)

    assert_try_again(check.task2(rate(pooled=False)), "unpooled standard error")
    assert_try_again(check.task2(rate(correction=1.0)), "continuity correction")
    assert_try_again(check.task2(one_sided), "one-sided test")
    assert_try_again(check.task2(one_tail), "one direction only")
    assert_try_again(check.task2(closed_form), "count of simulated experiments", "formula")
    assert_try_again(check.task2(rounded_closed_form), "outside the range")  # the formula is off at n = 100
    assert_try_again(check.task2(rounded_exact), "different seeds")
    assert_try_again(check.task2(swapped_sizes), "outside the range", "more rejections")
    assert_try_again(check.task2(lambda *a: 80.0), "[0, 1]")


# ---- task 3 ------------------------------------------------------------------------------

def test_task3_reference_is_the_library():
    for case in [(0.10, 0.12, 0.05, 0.8), (0.50, 0.75, 0.05, 0.9), (0.20, 0.15, 0.01, 0.9)]:
        assert sample_sizes(*case) == {m: power.sample_size_proportions(*case, method=m) for m in power.METHODS}


def test_task3_wrong_answers():
    def swapped(*a):
        n = sample_sizes(*a)
        return {"pooled": n["unpooled"], "unpooled": n["pooled"], "arcsine": n["arcsine"]}

    def floored(*a):
        return {k: n - 1 for k, n in sample_sizes(*a).items()}

    def not_rounded(*a):
        return {k: float(n) for k, n in sample_sizes(*a).items()}

    def one_sided(pc, pt, alpha, pw):
        return sample_sizes(pc, pt, 2 * alpha, pw)

    def fixed_power(pc, pt, alpha, pw):  # z_beta = 0.84 hard-coded
        return sample_sizes(pc, pt, alpha, 0.8)

    def arcsine_variance_one(pc, pt, alpha, pw):
        n = sample_sizes(pc, pt, alpha, pw)
        h = abs(2 * math.asin(math.sqrt(pt)) - 2 * math.asin(math.sqrt(pc)))
        return {**n, "arcsine": _n(1.0, 1.0, h, alpha, pw)}

    def pooled_from_control(pc, pt, alpha, pw):
        n = sample_sizes(pc, pt, alpha, pw)
        alt = math.sqrt(pc * (1 - pc) + pt * (1 - pt))
        return {**n, "pooled": _n(math.sqrt(2 * pc * (1 - pc)), alt, abs(pt - pc), alpha, pw)}

    assert_try_again(check.task3(swapped), "unpooled convention's n, under the key \"pooled\"")
    assert_try_again(check.task3(floored), "round up")
    assert_try_again(check.task3(one_sided), "one-sided")
    assert_try_again(check.task3(fixed_power), "does not change with `power`")
    assert_try_again(check.task3(arcsine_variance_one), "variance 1 per arm")
    assert_try_again(check.task3(pooled_from_control), "average rate")
    assert_try_again(check.task3(not_rounded), "whole number")
    assert_try_again(check.task3(lambda *a: {"pooled": 1}), "exactly the keys")
    assert_try_again(check.task3(lambda *a: [1, 2, 3]), "should be a dict")


# ---- task 4 ------------------------------------------------------------------------------

def test_task4_tolerance_is_below_the_gaps_between_conventions():
    for daily, base, alpha, pw in [(5000, 0.10, 0.05, 0.8), (20_000, 0.03, 0.05, 0.8), (1200, 0.25, 0.01, 0.9)]:
        ref = mde_two_weeks(daily, base, alpha, pw)      # the task's formula: the near tail only
        both_tails = power.mde_proportions(base, 7 * daily, alpha, pw)
        assert ref == pytest.approx(both_tails, rel=3e-6)   # the far tail moves it a little ...
        for method in ("unpooled", "arcsine"):           # ... the other conventions 30x more
            assert abs(power.mde_proportions(base, 7 * daily, alpha, pw, method=method) / ref - 1) > 100 * 1e-7


def test_task4_accepts_both_tail_conventions():
    assert check.task4(lambda d, b, alpha=0.05, pw=0.8: power.mde_proportions(b, 7 * d, alpha, pw)).passed


def test_task4_wrong_answers():
    def shortcut(d, b, alpha=0.05, pw=0.8):  # baseline variance in both arms: too small
        n = 14 * d / 2
        return (sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(pw)) * math.sqrt(2 * b * (1 - b) / n)

    def arcsine(d, b, alpha=0.05, pw=0.8):
        z = sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(pw)
        h = z * math.sqrt(2 / (7 * d))
        return math.sin(math.asin(math.sqrt(b)) + h / 2) ** 2 - b

    def coarse_bisection(d, b, alpha=0.05, pw=0.8):  # stops at 1e-5
        return round(mde_two_weeks(d, b, alpha, pw), 5)

    assert_try_again(check.task4(lambda d, b, *r: mde_two_weeks(2 * d, b, *r)), "split between two arms")
    assert_try_again(check.task4(lambda d, b, *r: mde_two_weeks(d / 2, b, *r)), "one-week test")
    assert_try_again(check.task4(lambda d, b, *r: mde_two_weeks(d, b, *r) / b), "relative")
    assert_try_again(check.task4(lambda d, b, alpha=0.05, pw=0.8: _mde(d, b, alpha, pw, pooled=False)), "unpooled")
    assert_try_again(check.task4(arcsine), "arcsine")
    assert_try_again(check.task4(shortcut), "baseline variance")
    assert_try_again(check.task4(lambda d, b, alpha=0.05, pw=0.8: mde_two_weeks(d, b, 0.05, pw)), "`alpha`")
    assert_try_again(check.task4(lambda d, b, alpha=0.05, pw=0.8: mde_two_weeks(d, b, alpha, 0.8)), "`power`")
    assert_try_again(check.task4(coarse_bisection), "full precision")


# ---- task 5 ------------------------------------------------------------------------------

def test_task5_wrong_answers():
    def absolute(sa, na, sb, nb, alpha=0.05):
        res = stats.two_proportion_ztest(sa, na, sb, nb, alpha)
        return res.ci_low, res.ci_high

    def divided_by_pa(sa, na, sb, nb, alpha=0.05):  # the shortcut: too narrow
        res = stats.two_proportion_ztest(sa, na, sb, nb, alpha)
        return res.ci_low / (sa / na), res.ci_high / (sa / na)

    def log_scale(sa, na, sb, nb, alpha=0.05):
        pa, pb = sa / na, sb / nb
        se = math.sqrt((1 - pa) / sa + (1 - pb) / sb)
        z = sps.norm.ppf(1 - alpha / 2)
        return pb / pa * math.exp(-z * se) - 1, pb / pa * math.exp(z * se) - 1

    def b_term_only(sa, na, sb, nb, alpha=0.05):
        pa, pb = sa / na, sb / nb
        half = sps.norm.ppf(1 - alpha / 2) * math.sqrt(pb * (1 - pb) / nb) / pa
        return pb / pa - 1 - half, pb / pa - 1 + half

    def one_sided_quantile(sa, na, sb, nb, alpha=0.05):
        return lift_interval(sa, na, sb, nb, 2 * alpha)

    assert_try_again(check.task5(absolute), "absolute difference")
    assert_try_again(check.task5(divided_by_pa), "divides the absolute interval")
    assert_try_again(check.task5(lambda sa, na, sb, nb, alpha=0.05: lift_interval(sb, nb, sa, na, alpha)), "lift of A over B")
    assert_try_again(check.task5(log_scale), "log-scale")
    assert_try_again(check.task5(lambda sa, na, sb, nb, alpha=0.05: lift_interval(sa, na, sb, nb)), "`alpha`")
    assert_try_again(check.task5(one_sided_quantile), "one-sided")
    assert_try_again(check.task5(b_term_only), "only B's term")
    assert_try_again(check.task5(lambda *a: (lift_interval(*a)[0], lift_interval(*a)[1] * 1.01)), "symmetric")
    assert_try_again(check.task5(lambda *a: (0.1, 0.2, 0.3)), "tuple of two numbers")
