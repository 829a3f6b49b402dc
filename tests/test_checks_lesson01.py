"""The lesson 01 checks: a right answer passes, wrong ones get a hint (no traceback), stubs are "not done yet"."""

import math

import numpy as np
from scipy import optimize, stats as sps

from checkhelpers import assert_try_again

from labsupport import power, stats
from labsupport.checks import lesson01 as check


# Reference solutions, written independently of labsupport (scipy only).
def z_test(sa, na, sb, nb):
    pa, pb, pooled = sa / na, sb / nb, (sa + sb) / (na + nb)
    z = (pb - pa) / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    return z, 2 * sps.norm.sf(abs(z))


def simulated_power(p_a, p_b, n, n_sims, rng):
    sa, sb = rng.binomial(n, p_a, n_sims), rng.binomial(n, p_b, n_sims)
    pooled = (sa + sb) / (2 * n)
    z = (sb - sa) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    return float(np.mean(np.abs(z) > sps.norm.ppf(0.975)))


def _n(null_sd, alt_sd, effect, alpha, pw):
    return math.ceil(((sps.norm.ppf(1 - alpha / 2) * null_sd + sps.norm.ppf(pw) * alt_sd) / effect) ** 2)


def sample_sizes(pc, pt, alpha, pw):
    alt = math.sqrt(pc * (1 - pc) + pt * (1 - pt))
    pbar = (pc + pt) / 2
    h = abs(2 * math.asin(math.sqrt(pt)) - 2 * math.asin(math.sqrt(pc)))
    return {"pooled": _n(math.sqrt(2 * pbar * (1 - pbar)), alt, abs(pt - pc), alpha, pw),
            "unpooled": _n(alt, alt, abs(pt - pc), alpha, pw),
            "arcsine": _n(math.sqrt(2), math.sqrt(2), h, alpha, pw)}


def mde_two_weeks(daily_users, baseline, alpha=0.05, pw=0.8):
    n = 14 * daily_users / 2
    za = sps.norm.ppf(1 - alpha / 2)

    def gap(pt):
        pbar = (baseline + pt) / 2
        z = (math.sqrt(n) * (pt - baseline) - za * math.sqrt(2 * pbar * (1 - pbar))) / math.sqrt(
            baseline * (1 - baseline) + pt * (1 - pt))
        return sps.norm.cdf(z) - pw
    return optimize.brentq(gap, baseline + 1e-9, 1 - 1e-9, xtol=1e-14) - baseline


def lift_interval(sa, na, sb, nb, alpha=0.05):
    pa, pb = sa / na, sb / nb
    se = math.sqrt(pb * (1 - pb) / nb / pa**2 + pb**2 * pa * (1 - pa) / na / pa**4)
    half = sps.norm.ppf(1 - alpha / 2) * se
    return pb / pa - 1 - half, pb / pa - 1 + half


TASKS = [(check.task1, z_test), (check.task2, simulated_power), (check.task3, sample_sizes),
         (check.task4, mde_two_weeks), (check.task5, lift_interval)]


def test_task1_wrong_answers():
    assert_try_again(check.task1(lambda *a: 0.5), "tuple of two numbers")
    assert_try_again(check.task1(lambda *a: (-z_test(*a)[0], z_test(*a)[1])), "wrong sign")
    assert_try_again(check.task1(lambda *a: (z_test(*a)[0], z_test(*a)[1] / 2)), "one-sided")

    def unpooled(sa, na, sb, nb):
        pa, pb = sa / na, sb / nb
        z = (pb - pa) / math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
        return z, 2 * sps.norm.sf(abs(z))
    assert_try_again(check.task1(unpooled), "unpooled")
    assert_try_again(check.task1(lambda *a: (z_test(*a)[0] * 1.1, z_test(*a)[1])), "z for counts")


def test_task2_wrong_answers():
    def one_sided(p_a, p_b, n, n_sims, rng):  # rejects at z > 1.645: too powerful
        sa, sb = rng.binomial(n, p_a, n_sims), rng.binomial(n, p_b, n_sims)
        pooled = (sa + sb) / (2 * n)
        return float(np.mean((sb - sa) / n / np.sqrt(pooled * (1 - pooled) * 2 / n) > 1.645))

    assert_try_again(check.task2(one_sided), "outside the range")
    assert_try_again(check.task2(lambda *a: 80.0), "[0, 1]")
    assert_try_again(check.task2(lambda *a: np.zeros(3)), "should be")


def test_task3_wrong_answers():
    def swapped(*a):
        n = sample_sizes(*a)
        return {"pooled": n["unpooled"], "unpooled": n["pooled"], "arcsine": n["arcsine"]}

    def not_rounded(*a):
        return {k: float(n) for k, n in sample_sizes(*a).items()}

    assert_try_again(check.task3(swapped), "the pooled n")
    assert_try_again(check.task3(not_rounded), "whole number")
    assert_try_again(check.task3(lambda *a: {"pooled": 1}), "exactly the keys")
    assert_try_again(check.task3(lambda *a: [1, 2, 3]), "should be a dict")


def test_task4_wrong_answers():
    assert_try_again(check.task4(lambda d, b, *r: mde_two_weeks(2 * d, b, *r)), "split between two arms")
    assert_try_again(check.task4(lambda d, b, *r: mde_two_weeks(d, b, *r) / b), "relative")

    def baseline_variance_only(d, b, alpha=0.05, pw=0.8):  # the common shortcut: too small
        n = 14 * d / 2
        return (sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(pw)) * math.sqrt(2 * b * (1 - b) / n)
    assert_try_again(check.task4(baseline_variance_only), "too small")


def test_task5_wrong_answers():
    def absolute(sa, na, sb, nb, alpha=0.05):
        res = stats.two_proportion_ztest(sa, na, sb, nb, alpha)
        return res.ci_low, res.ci_high

    def ignores_alpha(sa, na, sb, nb, alpha=0.05):
        return lift_interval(sa, na, sb, nb)

    def divided_by_pa(sa, na, sb, nb, alpha=0.05):  # the shortcut: too narrow
        res = stats.two_proportion_ztest(sa, na, sb, nb, alpha)
        return res.ci_low / (sa / na), res.ci_high / (sa / na)

    assert_try_again(check.task5(absolute), "absolute difference")
    assert_try_again(check.task5(divided_by_pa), "divides the absolute interval")
    assert_try_again(check.task5(ignores_alpha), "lower end")
    assert_try_again(check.task5(lambda *a: (0.1, 0.2, 0.3)), "tuple of two numbers")


def test_task2_band_holds_for_the_exact_test():
    """The check's allowance: the z test's true power at the checked design is within APPROX of the formula.

    Independent reference: 400,000 simulated experiments (SE ~ 0.0008), vectorised.
    """
    rng = np.random.default_rng(1)
    simulated = simulated_power(0.10, 0.12, 2000, 400_000, rng)
    assert abs(simulated - power.power_proportions(0.10, 0.12, 2000)) < check.APPROX / 2
    assert abs(simulated_power(0.10, 0.10, 2000, 400_000, rng) - 0.05) < check.APPROX / 2
