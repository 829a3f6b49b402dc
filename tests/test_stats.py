"""labsupport.stats against statsmodels/scipy, hand computations, and A/A calibration."""

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttest_ind

from labsupport import simulate, stats

N_SIMS = 20_000


def _in_band(rate, p, n=N_SIMS):
    low, high = stats.binomial_band(p, n, 0.999)
    return low <= rate <= high


# ---- two-proportion z test -------------------------------------------------

@pytest.mark.parametrize("sa, na, sb, nb", [(100, 1000, 130, 1000), (45, 500, 38, 520), (7, 90, 15, 80)])
@pytest.mark.parametrize("alternative, sm_alt", [("two-sided", "two-sided"), ("greater", "larger"),
                                                  ("less", "smaller")])
def test_ztest_matches_statsmodels(sa, na, sb, nb, alternative, sm_alt):
    res = stats.two_proportion_ztest(sa, na, sb, nb, alternative=alternative)
    z, p = proportions_ztest([sb, sa], [nb, na], alternative=sm_alt)
    low, high = confint_proportions_2indep(sb, nb, sa, na, method="wald", compare="diff")
    assert res.statistic == pytest.approx(z, rel=1e-10)
    assert res.p_value == pytest.approx(p, rel=1e-10)
    assert (res.ci_low, res.ci_high) == pytest.approx((low, high), rel=1e-10)
    assert res.estimate == pytest.approx(sb / nb - sa / na)


def test_ztest_is_vectorised_and_handles_no_successes():
    sa, sb = np.array([0, 10, 20]), np.array([0, 15, 10])
    res = stats.two_proportion_ztest(sa, 100, sb, 100)
    for i in range(3):
        one = stats.two_proportion_ztest(int(sa[i]), 100, int(sb[i]), 100)
        assert res.p_value[i] == pytest.approx(one.p_value)
    assert res.p_value[0] == 1.0 and res.statistic[0] == 0.0
    assert "two-proportion z test" in repr(res) and "array(shape=(3,)" in repr(res)


def test_ztest_aa_calibration_and_interval_coverage():
    rng = np.random.default_rng(11)
    sa, sb = simulate.binomial_experiments(N_SIMS, 2000, 0.10, 0.10, rng)
    assert _in_band(stats.two_proportion_ztest(sa, 2000, sb, 2000).reject.mean(), 0.05)
    sa, sb = simulate.binomial_experiments(N_SIMS, 3000, 0.10, 0.12, rng)
    res = stats.two_proportion_ztest(sa, 3000, sb, 3000)
    assert _in_band(((res.ci_low <= 0.02) & (0.02 <= res.ci_high)).mean(), 0.95)


# ---- Welch t test ----------------------------------------------------------

def test_welch_matches_statsmodels():
    rng = np.random.default_rng(3)
    a, b = rng.normal(10, 2, 40), rng.normal(11, 5, 55)
    res = stats.welch_ttest(a, b)
    t, p, _ = ttest_ind(b, a, usevar="unequal")
    low, high = CompareMeans(DescrStatsW(b), DescrStatsW(a)).tconfint_diff(usevar="unequal")
    assert (res.statistic, res.p_value) == pytest.approx((t, p), rel=1e-10)
    assert (res.ci_low, res.ci_high) == pytest.approx((low, high), rel=1e-10)
    for alternative, sm_alt in (("greater", "larger"), ("less", "smaller")):
        one_sided = stats.welch_ttest(a, b, alternative=alternative)
        assert one_sided.p_value == pytest.approx(ttest_ind(b, a, usevar="unequal", alternative=sm_alt)[1])
        # the interval stays the two-sided 1 - alpha interval whatever the test's alternative
        assert (one_sided.ci_low, one_sided.ci_high) == pytest.approx((low, high), rel=1e-10)
    low99, high99 = CompareMeans(DescrStatsW(b), DescrStatsW(a)).tconfint_diff(alpha=0.01, usevar="unequal")
    res99 = stats.welch_ttest(a, b, alpha=0.01, alternative="greater")
    assert (res99.ci_low, res99.ci_high) == pytest.approx((low99, high99), rel=1e-10)


def test_welch_aa_calibration_and_coverage():
    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 1, (N_SIMS, 60)), rng.normal(0, 3, (N_SIMS, 40))
    res = stats.welch_ttest(a, b)
    assert _in_band(res.reject.mean(), 0.05)
    assert _in_band(((res.ci_low <= 0) & (0 <= res.ci_high)).mean(), 0.95)


# ---- Mann-Whitney ----------------------------------------------------------

def test_mann_whitney_matches_hand_computation():
    a = np.array([1.1, 2.5, 2.5, 3.0, 4.2, 5.0, 7.5])
    b = np.array([2.5, 3.1, 4.8, 5.0, 6.6, 8.0, 9.1, 9.9])
    res = stats.mann_whitney(a, b)
    greater = (b[:, None] > a[None, :]).sum() + 0.5 * (b[:, None] == a[None, :]).sum()
    na, nb = len(a), len(b)
    _, ties = np.unique(np.concatenate([a, b]), return_counts=True)
    n = na + nb
    sd = np.sqrt(na * nb / 12 * ((n + 1) - (ties**3 - ties).sum() / (n * (n - 1))))
    z = (abs(greater - na * nb / 2) - 0.5) / sd
    assert res.statistic == greater
    assert res.estimate == pytest.approx(greater / (na * nb))
    assert res.p_value == pytest.approx(2 * sps.norm.sf(z), rel=1e-10)
    # One-sided, by hand: "greater" means B tends to be larger than A (continuity correction 1/2).
    z_up = (greater - na * nb / 2 - 0.5) / sd
    z_down = (greater - na * nb / 2 + 0.5) / sd
    assert stats.mann_whitney(a, b, alternative="greater").p_value == pytest.approx(sps.norm.sf(z_up), rel=1e-10)
    assert stats.mann_whitney(a, b, alternative="less").p_value == pytest.approx(sps.norm.cdf(z_down), rel=1e-10)
    assert stats.mann_whitney(a, b, alternative="greater").p_value < 0.05 < stats.mann_whitney(
        a, b, alternative="less").p_value  # b is shifted up


def test_mann_whitney_aa_calibration_on_heavy_tails():
    rng = np.random.default_rng(7)
    a, b = rng.lognormal(3, 1.2, (N_SIMS, 80)), rng.lognormal(3, 1.2, (N_SIMS, 80))
    assert _in_band(stats.mann_whitney(a, b).reject.mean(), 0.05)


# ---- relative lift ----------------------------------------------------------

def _numeric_delta_method(mean_a, var_a, mean_b, var_b):
    """Delta method with a numerical gradient of g(a, b) = b / a - 1."""
    g = lambda x, y: y / x - 1  # noqa: E731
    h = 1e-7
    da = (g(mean_a + h, mean_b) - g(mean_a - h, mean_b)) / (2 * h)
    db = (g(mean_a, mean_b + h) - g(mean_a, mean_b - h)) / (2 * h)
    return np.sqrt(da**2 * var_a + db**2 * var_b)


def test_relative_lift_matches_numeric_delta_method():
    sa, na, sb, nb = 500, 5000, 560, 5100
    pa, pb = sa / na, sb / nb
    se = _numeric_delta_method(pa, pa * (1 - pa) / na, pb, pb * (1 - pb) / nb)
    res = stats.relative_lift_ci(sa, na, sb, nb)
    assert res.estimate == pytest.approx(pb / pa - 1)
    assert res.high - res.low == pytest.approx(2 * 1.959963984540054 * se, rel=1e-6)
    rng = np.random.default_rng(2)
    a, b = rng.normal(10, 3, 400), rng.normal(10.5, 4, 300)
    se = _numeric_delta_method(a.mean(), a.var(ddof=1) / 400, b.mean(), b.var(ddof=1) / 300)
    res = stats.relative_lift_ci_means(a, b)
    assert res.high - res.low == pytest.approx(2 * 1.959963984540054 * se, rel=1e-6)


def test_relative_lift_coverage():
    rng = np.random.default_rng(13)
    sa, sb = simulate.binomial_experiments(N_SIMS, 5000, 0.10, 0.11, rng)
    res = stats.relative_lift_ci(sa, 5000, sb, 5000)
    assert _in_band(((res.low <= 0.1) & (0.1 <= res.high)).mean(), 0.95)
    a, b = rng.normal(20, 6, (N_SIMS, 200)), rng.normal(21, 6, (N_SIMS, 200))
    res = stats.relative_lift_ci_means(a, b)
    assert _in_band(((res.low <= 0.05) & (0.05 <= res.high)).mean(), 0.95)


# ---- Monte Carlo helpers -----------------------------------------------------

def test_monte_carlo_rate_and_band():
    rate = stats.monte_carlo_rate([True] * 30 + [False] * 70)
    assert rate.estimate == 0.3 and rate.se == pytest.approx(np.sqrt(0.21 / 100))
    assert (rate.low, rate.high) == pytest.approx(proportion_confint(30, 100, method="beta"), rel=1e-10)
    assert "SE over 100 simulations" in repr(rate) and repr(rate).startswith("0.3000 ± 0.0458")
    mean = stats.monte_carlo_mean([1.0, 2.0, 3.0, 6.0])
    assert mean.estimate == 3.0 and mean.se == pytest.approx(np.std([1, 2, 3, 6], ddof=1) / 2)
    assert np.isnan(mean.low) and "±" in repr(mean)
    low, high = stats.binomial_band(0.05, 20_000)           # the default level is 99.9%
    assert (low, high) == (sps.binom.ppf(0.0005, 20_000, 0.05) / 20_000,
                           sps.binom.isf(0.0005, 20_000, 0.05) / 20_000)
    one = stats.monte_carlo_rate([True] + [False] * 99)      # a single event still has the plug-in SE
    assert one.se == pytest.approx(np.sqrt(0.01 * 0.99 / 100))


@pytest.mark.parametrize("k", [0, 20_000])
def test_monte_carlo_rate_at_zero_and_one_reports_an_interval_not_se_zero(k):
    n = 20_000
    rate = stats.monte_carlo_rate(np.arange(n) < k)
    low, high = proportion_confint(k, n, method="beta")        # statsmodels' Clopper-Pearson
    assert (rate.low, rate.high) == pytest.approx((low, high), rel=1e-10)
    # the two-sided 95% bound is -ln(0.025) / n, close to the "rule of three" (one-sided 95%: 3 / n)
    assert (high - low) == pytest.approx(-np.log(0.025) / n, rel=1e-3)
    assert rate.se > 0 and rate.se == pytest.approx((high - low) / (2 * 1.959963984540054))
    assert "± 0.0000" not in repr(rate) and "Clopper-Pearson" in repr(rate)
    assert ("none" if k == 0 else "all") in repr(rate)


def test_clopper_pearson_matches_statsmodels_and_covers():
    for k, n in [(0, 10), (3, 10), (10, 10), (17, 250)]:
        for level in (0.9, 0.95, 0.99):
            assert stats.clopper_pearson(k, n, level) == pytest.approx(
                proportion_confint(k, n, alpha=1 - level, method="beta"), rel=1e-10, abs=1e-15)
    # exact coverage by enumeration: never below the level (it is conservative)
    n, p = 40, 0.07
    ks = np.arange(n + 1)
    covered = [stats.clopper_pearson(int(k), n)[0] <= p <= stats.clopper_pearson(int(k), n)[1] for k in ks]
    assert sps.binom.pmf(ks, n, p) @ np.array(covered) >= 0.95


def test_zero_count_intervals_collapse_as_documented():
    # No successes in either arm: the Wald interval for the difference is the point 0 (SE 0).
    res = stats.two_proportion_ztest(0, 100, 0, 100)
    assert (res.ci_low, res.ci_high) == (0.0, 0.0) and res.p_value == 1.0
    # No successes in B: the delta-method relative lift is -1 with a zero-width interval.
    lift = stats.relative_lift_ci(10, 100, 0, 100)
    assert (lift.estimate, lift.low, lift.high) == (-1.0, -1.0, -1.0)
    assert "zero" in stats.relative_lift_ci.__doc__ and "zero" in stats.two_proportion_ztest.__doc__


# ---- results: immutable, readable, vectorised ---------------------------------

def test_results_are_frozen_and_readable():
    import dataclasses
    res = stats.two_proportion_ztest(100, 1000, 130, 1000)
    lift = stats.relative_lift_ci(100, 1000, 130, 1000, alpha=0.1)
    rate = stats.monte_carlo_rate([True, False, False])
    for obj, field in ((res, "p_value"), (lift, "low"), (rate, "se")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, field, 0.0)
    assert ", 95% CI [" in repr(res) and ", 95% CI [" in repr(stats.welch_ttest([1.0, 2.0, 4.0], [2.0, 3.0, 7.0]))
    assert lift.level == pytest.approx(0.9) and ", 90% CI [" in repr(lift)
    assert res.alpha == 0.05 and stats.mann_whitney([1.0, 2.0], [3.0, 4.0]).alpha == 0.05
    assert stats.welch_ttest([1.0, 2.0, 4.0], [2.0, 3.0, 7.0]).alpha == 0.05


def test_reject_is_strict_at_alpha():
    res = stats.ComparisonResult("t", 0.0, 0.0, 0.0, 0.0, np.array([0.04, 0.05, 0.06]), 0.05)
    np.testing.assert_array_equal(res.reject, [True, False, False])


def test_welch_estimate_and_rows_match_one_at_a_time():
    rng = np.random.default_rng(8)
    a, b = rng.normal(10, 2, (3, 30)), rng.normal(11, 4, (3, 45))
    res = stats.welch_ttest(a, b)
    lift = stats.relative_lift_ci_means(a, b)
    for i in range(3):
        one = stats.welch_ttest(a[i], b[i])
        assert res.estimate[i] == pytest.approx(b[i].mean() - a[i].mean()) == pytest.approx(one.estimate)
        assert (res.ci_low[i], res.p_value[i]) == pytest.approx((one.ci_low, one.p_value))
        one_lift = stats.relative_lift_ci_means(a[i], b[i])
        assert (lift.low[i], lift.high[i]) == pytest.approx((one_lift.low, one_lift.high), rel=1e-12)


def test_mann_whitney_small_samples_use_the_normal_approximation():
    # No ties, 4 vs 5 observations: scipy's default would switch to the exact distribution.
    a, b = np.array([1.0, 2.5, 3.0, 4.2]), np.array([2.0, 3.5, 4.8, 6.6, 7.1])
    u = (b[:, None] > a[None, :]).sum()
    sd = np.sqrt(4 * 5 * (4 + 5 + 1) / 12)
    z = (abs(u - 10) - 0.5) / sd
    assert stats.mann_whitney(a, b).p_value == pytest.approx(2 * sps.norm.sf(z), rel=1e-10)
    assert stats.mann_whitney([1.0], [2.0, 3.0]).estimate == 1.0   # one observation in an arm is enough
    assert stats.mann_whitney([1.0, 2.0], [1.5]).estimate == 0.5


def test_smallest_valid_counts():
    res = stats.two_proportion_ztest(0, 1, 1, 1)                 # one user per arm is a valid (tiny) test
    assert res.estimate == 1.0 and res.statistic == pytest.approx(np.sqrt(2))
    assert stats.clopper_pearson(0, 1) == pytest.approx((0.0, 0.975))
    assert stats.clopper_pearson(1, 1) == pytest.approx((0.025, 1.0))


def test_zero_variance_cases_raise_no_warnings():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = stats.two_proportion_ztest(np.array([0, 50, 100]), 100, np.array([0, 60, 100]), 100)
    assert res.statistic[0] == 0 and res.statistic[2] == 0


# ---- bad input ---------------------------------------------------------------

@pytest.mark.parametrize("call, name", [
    (lambda: stats.two_proportion_ztest(-1, 10, 2, 10), "successes_a"),
    (lambda: stats.two_proportion_ztest(1, 10, 12, 10), "successes_b"),
    (lambda: stats.two_proportion_ztest(1, 0, 2, 10), "trials_a"),
    (lambda: stats.two_proportion_ztest(0, 0, 2, 10), "trials_a"),
    (lambda: stats.two_proportion_ztest(0, 10, 0, 0), "trials_b"),
    (lambda: stats.two_proportion_ztest(1.5, 10, 2, 10), "successes_a"),
    (lambda: stats.two_proportion_ztest(1, 10, 2, 10, alpha=0), "alpha"),
    (lambda: stats.two_proportion_ztest(1, 10, 2, 10, alternative="bigger"), "alternative"),
    (lambda: stats.welch_ttest([1.0], [1.0, 2.0]), "a"),
    (lambda: stats.welch_ttest([1.0, 2.0], [1.0, np.nan]), "b"),
    (lambda: stats.mann_whitney([1, 2], [3, 4], alpha=2), "alpha"),
    (lambda: stats.relative_lift_ci(0, 10, 2, 10), "successes_a"),
    (lambda: stats.relative_lift_ci_means([0.0, 0.0], [1.0, 2.0]), "a"),
    (lambda: stats.monte_carlo_rate([]), "flags"),
    (lambda: stats.monte_carlo_mean([1.0]), "values"),
    (lambda: stats.binomial_band(1.5, 100), "p"),
    (lambda: stats.binomial_band(0.5, 0), "n_sims"),
    (lambda: stats.clopper_pearson(-1, 10), "successes"),
    (lambda: stats.clopper_pearson(1, 0), "trials"),
    (lambda: stats.clopper_pearson(0, 0), "trials"),
    (lambda: stats.clopper_pearson(11, 10), "successes"),
    (lambda: stats.clopper_pearson(1, 10, level=1.0), "level"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
