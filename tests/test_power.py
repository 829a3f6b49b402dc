"""labsupport.power against R's power.prop.test, statsmodels and simulation."""

import math

import numpy as np
import pytest
from statsmodels.stats.power import NormalIndPower
from scipy import optimize
from scipy.stats import norm
from statsmodels.stats.proportion import (power_proportions_2indep, proportion_effectsize,
                                          samplesize_proportions_2indep_onetail)

from labsupport import power, simulate, stats

# R 4.2.2, stats::power.prop.test(p1, p2, power=...)$n (pooled variance under H0).
# The first row is the example on R's help page for power.prop.test (n = 76.7).
R_SAMPLE_SIZES = [
    (0.50, 0.75, 0.90, 76.706930),
    (0.10, 0.12, 0.80, 3840.847482),
    (0.05, 0.055, 0.80, 31233.437940),
    (0.20, 0.25, 0.80, 1093.739046),
    (0.02, 0.025, 0.90, 18485.733705),
    (0.30, 0.27, 0.80, 3553.055209),
    (0.01, 0.012, 0.80, 42692.802333),
    (0.50, 0.52, 0.95, 16233.925300),
]
# R 4.2.2, stats::power.prop.test(p1, p2, n=1000, strict=TRUE)$power (both tails)
R_POWER_AT_1000 = {
    (0.10, 0.12): 0.29808033, (0.05, 0.055): 0.07923399, (0.20, 0.25): 0.76384588,
    (0.02, 0.025): 0.11718202, (0.30, 0.27): 0.31796654, (0.01, 0.012): 0.07130239,
    (0.50, 0.52): 0.14545967,
}


@pytest.mark.parametrize("p1, p2, target, r_n", R_SAMPLE_SIZES)
def test_pooled_sample_size_matches_r(p1, p2, target, r_n):
    assert power.sample_size_proportions(p1, p2, power=target) == math.ceil(r_n)


@pytest.mark.parametrize("pair, r_power", R_POWER_AT_1000.items())
def test_pooled_power_matches_r(pair, r_power):
    assert power.power_proportions(*pair, 1000) == pytest.approx(r_power, abs=1e-7)


@pytest.mark.parametrize("p1, p2, target, _", R_SAMPLE_SIZES)
def test_arcsine_matches_statsmodels_cohens_h(p1, p2, target, _):
    h = proportion_effectsize(p2, p1)
    n = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=target)
    assert power.sample_size_proportions(p1, p2, power=target, method="arcsine") == math.ceil(n)
    assert power.power_proportions(p1, p2, 1000, method="arcsine") == pytest.approx(
        NormalIndPower().power(h, 1000, 0.05), abs=1e-9)


@pytest.mark.parametrize("k", [0.5, 2.0, 3.0])
def test_unequal_allocation_matches_statsmodels(k):
    # statsmodels: nobs1 belongs to prop1 = prop2 + diff and nobs2 = ratio * nobs1.
    pc, pt, n_c = 0.10, 0.12, 3000
    ours = power.power_proportions(pc, pt, n_c, ratio=k)
    theirs = power_proportions_2indep(pt - pc, pc, nobs1=k * n_c, ratio=1 / k).power
    assert ours == pytest.approx(theirs, abs=1e-9)
    h = proportion_effectsize(pt, pc)
    assert power.power_proportions(pc, pt, n_c, ratio=k, method="arcsine") == pytest.approx(
        NormalIndPower().power(h, n_c, 0.05, ratio=k), abs=1e-9)


def test_unpooled_matches_its_closed_form():
    pc, pt = 0.10, 0.12
    z = 1.959963984540054 + 0.8416212335729143
    expected = z**2 * (pc * (1 - pc) + pt * (1 - pt)) / (pt - pc) ** 2
    assert power.sample_size_proportions(pc, pt, method="unpooled") == math.ceil(expected)


def test_the_three_conventions_differ_and_each_hits_its_power():
    ns = {m: power.sample_size_proportions(0.10, 0.12, method=m) for m in power.METHODS}
    assert len(set(ns.values())) == 3
    for m, n in ns.items():
        assert power.power_proportions(0.10, 0.12, n, method=m) >= 0.8
        assert power.power_proportions(0.10, 0.12, n - 1, method=m) < 0.8


def test_simulated_power_matches_formula():
    rng = np.random.default_rng(1)
    n = power.sample_size_proportions(0.10, 0.12)
    sa, sb = simulate.binomial_experiments(20_000, n, 0.10, 0.12, rng)
    rejected = stats.two_proportion_ztest(sa, n, sb, n).reject
    low, high = stats.binomial_band(power.power_proportions(0.10, 0.12, n), 20_000)
    assert low <= rejected.mean() <= high


def test_sample_size_means_matches_statsmodels():
    for delta, sd in [(1.0, 10.0), (0.5, 2.0), (-3.0, 40.0)]:
        n = NormalIndPower().solve_power(effect_size=abs(delta) / sd, alpha=0.05, power=0.8)
        assert power.sample_size_means(delta, sd) == math.ceil(n)
        assert power.mde_means(sd, n) == pytest.approx(abs(delta), rel=1e-5)


@pytest.mark.parametrize("k", [0.5, 2.0, 3.0])
def test_means_with_unequal_allocation_match_statsmodels(k):
    # statsmodels: nobs1 is the control arm, nobs2 = ratio * nobs1, variance (1 + 1/ratio) / nobs1,
    # the same convention as ours; with ratio 1 the bug "1 + ratio" would be invisible.
    n = NormalIndPower().solve_power(effect_size=1.0 / 10.0, alpha=0.05, power=0.8, ratio=k)
    assert power.sample_size_means(1.0, 10.0, ratio=k) == math.ceil(n)
    mde = power.mde_means(10.0, 4000, alpha=0.01, power=0.9, ratio=k)
    assert NormalIndPower().power(mde / 10.0, 4000, 0.01, ratio=k) == pytest.approx(0.9, abs=1e-9)


@pytest.mark.parametrize("k", [0.5, 2.0, 3.0])
def test_proportions_with_unequal_allocation_match_statsmodels(k):
    # statsmodels: nobs1 belongs to prop1 = prop2 + diff (our treatment), ratio = nobs2 / nobs1, so
    # our control n is nobs1 / k with statsmodels' ratio 1 / k. Its "onetail" solver ignores the far
    # tail, as our closed form does.
    n_t = samplesize_proportions_2indep_onetail(0.02, 0.10, 0.8, ratio=1 / k, alpha=0.05,
                                                alternative="two-sided")
    assert power.sample_size_proportions(0.10, 0.12, ratio=k) == math.ceil(n_t / k)
    # The MDE at a given control n: the p_t at which statsmodels' power is 0.8.
    def gap(pt):
        return power_proportions_2indep(pt - 0.10, 0.10, nobs1=k * 3000, ratio=1 / k).power - 0.8
    expected = optimize.brentq(gap, 0.1001, 0.5, xtol=1e-13) - 0.10
    assert power.mde_proportions(0.10, 3000, ratio=k) == pytest.approx(expected, rel=1e-8)


def test_a_whole_number_sample_size_is_not_rounded_up_to_the_next():
    # n computed as exactly 1000 (up to float error) must stay 1000: the ceiling allows for the error.
    z = norm.isf(0.025) + norm.ppf(0.8)
    assert power.sample_size_means(z * 10.0 * math.sqrt(2 / 1000), 10.0) == 1000
    # unpooled: find p_t with ((z sd(p_t)) / (p_t - p_c))^2 = 1000 to machine precision
    pt = optimize.brentq(lambda pt: (pt - 0.10) * math.sqrt(1000) - z * math.sqrt(0.09 + pt * (1 - pt)),
                         0.11, 0.5, xtol=1e-16)
    assert power.sample_size_proportions(0.10, pt, method="unpooled") == 1000


def test_mde_proportions_inverts_power():
    mde = power.mde_proportions(0.10, 3841)
    assert mde == pytest.approx(0.02, abs=1e-4)
    assert power.power_proportions(0.10, 0.10 + mde, 3841) == pytest.approx(0.8, abs=1e-9)
    for method in power.METHODS:
        mde = power.mde_proportions(0.20, 2500, alpha=0.01, power=0.9, method=method)
        assert power.power_proportions(0.20, 0.20 + mde, 2500, alpha=0.01, method=method) == pytest.approx(0.9, abs=1e-9)
    # the conventions give different MDEs (the gap a check's tolerance must stay below)
    mdes = [power.mde_proportions(0.10, 3841, method=m) for m in power.METHODS]
    assert min(abs(a - b) for i, a in enumerate(mdes) for b in mdes[i + 1:]) > 1e-6


def test_power_counts_both_tails():
    # Tiny n: the far tail (rejecting in the wrong direction) is visible; computed by hand.
    za = 1.959963984540054
    pc, pt, n = 0.5, 0.55, 30
    pbar = (pc + pt) / 2
    s0, s1 = math.sqrt(2 * pbar * (1 - pbar)), math.sqrt(pc * (1 - pc) + pt * (1 - pt))
    shift = math.sqrt(n) * (pt - pc)
    expected = norm.cdf((shift - za * s0) / s1) + norm.cdf((-shift - za * s0) / s1)
    assert power.power_proportions(pc, pt, n) == pytest.approx(expected, rel=1e-12)
    assert norm.cdf((-shift - za * s0) / s1) > 1e-3  # the far tail matters here


def test_duration_days():
    assert power.duration_days(3841, 1000) == 8
    assert power.duration_days(3841, 1000, traffic=0.5) == 16
    assert power.duration_days(1000, 1000, arms=3) == 3
    assert power.duration_days(1000, 1000) == 2          # exactly two days: no extra day
    assert power.duration_days(1001, 1000) == 3          # 2.002 days round UP, not to the nearest
    assert power.duration_days(1249, 1000) == 3          # 2.498: rounding to the nearest would say 2
    # 18 users / (3 a day x 30% traffic) = 20 days, which floating point computes as 20.000000000000004
    assert 9 * 2 / (3 * 0.3) > 20
    assert power.duration_days(9, 3, traffic=0.3) == 20


@pytest.mark.parametrize("call, name", [
    (lambda: power.sample_size_proportions(-0.1, 0.2), "p_control"),
    (lambda: power.sample_size_proportions(0.1, 1.2), "p_treatment"),
    (lambda: power.sample_size_proportions(0.0, 0.2), "p_control"),      # a rate of exactly 0 or 1 has
    (lambda: power.sample_size_proportions(1.0, 0.2), "p_control"),      # no variance to plan with
    (lambda: power.sample_size_proportions(0.1, 0.0), "p_treatment"),
    (lambda: power.sample_size_proportions(0.1, 1.0), "p_treatment"),
    (lambda: power.sample_size_proportions(0.1, 0.1), "p_treatment"),
    (lambda: power.sample_size_proportions(0.1, 0.2, alpha=1.5), "alpha"),
    (lambda: power.sample_size_proportions(0.1, 0.2, power=1.0), "power"),
    (lambda: power.sample_size_proportions(0.1, 0.2, method="exact"), "method"),
    (lambda: power.sample_size_proportions(0.1, 0.2, ratio=0), "ratio"),
    (lambda: power.power_proportions(0.1, 0.2, -5), "n_per_arm"),
    (lambda: power.sample_size_means(0.0, 1.0), "delta"),
    (lambda: power.sample_size_means(1.0, -1.0), "sd"),
    (lambda: power.mde_means(1.0, 0), "n_per_arm"),
    (lambda: power.mde_proportions(0.5, 2, power=0.99), "n_per_arm"),
    (lambda: power.mde_proportions(0.0, 1000), "p_control"),
    (lambda: power.mde_proportions(1.0, 1000), "p_control"),
    (lambda: power.duration_days(100, 0), "daily_users"),
    (lambda: power.duration_days(100, 10, traffic=1.5), "traffic"),
    (lambda: power.duration_days(100, 10, traffic=0.0), "traffic"),
    (lambda: power.duration_days(100, 10, arms=1), "arms"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
