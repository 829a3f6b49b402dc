"""labsupport.srm against scipy, published values, numerical integration, and A/A calibration."""

import numpy as np
import pytest
from scipy import integrate
from scipy import stats as sps

from labsupport import srm, stats

N_SIMS = 20_000


def _in_band(rate, p, n=N_SIMS):
    low, high = stats.binomial_band(p, n, 0.999)
    return low <= rate <= high


# ---- chi-square SRM test ---------------------------------------------------

@pytest.mark.parametrize("counts, weights", [
    ([5030, 4970], None),
    ([821_588, 815_482], (0.5, 0.5)),
    ([9120, 880], (0.9, 0.1)),
    ([3400, 3300, 3450], None),
    ([5100, 2400, 2500], (0.5, 0.25, 0.25)),
    ([12, 30, 18, 40], (0.1, 0.3, 0.2, 0.4)),
])
def test_srm_test_matches_scipy_chisquare(counts, weights):
    res = srm.srm_test(counts, weights)
    w = np.full(len(counts), 1 / len(counts)) if weights is None else np.asarray(weights)
    ref = sps.chisquare(counts, f_exp=np.sum(counts) * w)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert res.mismatch == (ref.pvalue < 0.001)


@pytest.mark.parametrize("a, b, w", [(821_588, 815_482, 0.5), (50_400, 49_600, 0.5),
                                     (90_200, 9_800, 0.9), (201_000, 99_000, 2 / 3)])
def test_two_arm_p_value_matches_exact_binomial_for_large_n(a, b, w):
    # Pearson's chi-square is the normal approximation to the exact binomial test.
    exact = sps.binomtest(a, a + b, w).pvalue
    assert srm.srm_test([a, b], (w, 1 - w)).p_value == pytest.approx(exact, rel=0.03)


def test_published_examples():
    # Kohavi, Tang & Xu (2020), Trustworthy Online Controlled Experiments, ch. 21 "Sample Ratio
    # Mismatch", scenario 1: 821,588 control vs 815,482 treatment users, 1:1 design, p = 1.8e-6.
    kohavi = srm.srm_test([821_588, 815_482])
    assert round(kohavi.p_value, 7) == 1.8e-6 and kohavi.mismatch
    # Wikipedia, "Sample ratio mismatch" (example): 600 vs 400 of 1,000 on a 50/50 split, p = 2.54e-10.
    assert srm.srm_test([600, 400]).p_value == pytest.approx(2.54e-10, rel=1e-3)


def test_srm_test_is_vectorised_over_leading_axes():
    counts = np.array([[[500, 500], [600, 400]], [[510, 490], [480, 520]]])
    res = srm.srm_test(counts, threshold=0.01)
    assert res.p_value.shape == (2, 2)
    for i, j in np.ndindex(2, 2):
        assert res.p_value[i, j] == pytest.approx(srm.srm_test(counts[i, j]).p_value)
    assert res.mismatch.tolist() == [[False, True], [False, False]]
    assert "mismatch=1 of 4" in repr(res)
    assert "mismatch=True" in repr(srm.srm_test([600, 400]))


@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.8, 0.2), (0.2, 0.3, 0.5)])
def test_srm_test_aa_calibration(weights):
    rng = np.random.default_rng(41)
    counts = rng.multinomial(20_000, weights, size=N_SIMS)
    res = srm.srm_test(counts, weights, threshold=0.05)
    assert _in_band(res.mismatch.mean(), 0.05)
    assert _in_band((res.p_value < 0.01).mean(), 0.01)


def test_srm_test_detects_a_real_mismatch():
    rng = np.random.default_rng(2)
    counts = rng.multinomial(200_000, (0.51, 0.49), size=2000)
    assert srm.srm_test(counts).mismatch.mean() > 0.99


# ---- sequential (anytime-valid) SRM test -----------------------------------

def test_bayes_factor_matches_dirichlet_multinomial_over_multinomial():
    # Independent implementation: scipy's Dirichlet-multinomial and multinomial pmfs.
    for x, w, c in [([30, 20], (0.5, 0.5), 100.0), ([7, 12, 9], (0.2, 0.5, 0.3), 10.0),
                    ([420, 380, 200], (0.4, 0.4, 0.2), 100.0)]:
        a = c * np.asarray(w)
        ref = (sps.dirichlet_multinomial.logpmf(x, a, sum(x))
               - sps.multinomial.logpmf(x, sum(x), w))
        assert srm.log_bayes_factor(x, w, c) == pytest.approx(ref, rel=1e-9, abs=1e-9)


def test_bayes_factor_matches_numerical_integration_two_arms():
    # Two arms: the mixture likelihood is an integral over the Beta prior on the first arm's share.
    x1, x2, w, c = 62, 38, 0.55, 20.0
    prior = sps.beta(c * w, c * (1 - w))
    mixture, _ = integrate.quad(lambda t: prior.pdf(t) * t**x1 * (1 - t) ** x2, 0, 1,
                                epsabs=0, epsrel=1e-12)
    bf = mixture / (w**x1 * (1 - w) ** x2)
    assert np.exp(srm.log_bayes_factor([x1, x2], (w, 1 - w), c)) == pytest.approx(bf, rel=1e-7)


def test_sequential_p_values_are_a_running_minimum():
    daily = np.array([[510, 490], [530, 470], [480, 520], [600, 400]])
    res = srm.sequential_srm(daily, threshold=0.05)
    cumulative = np.cumsum(daily, axis=0)
    inverse_bf = np.minimum(1, np.exp(-srm.log_bayes_factor(cumulative)))
    assert np.allclose(res.p_values, np.minimum.accumulate(inverse_bf))
    assert np.all(np.diff(res.p_values) <= 0)
    assert res.p_value == res.p_values[-1] and res.mismatch
    assert "looks=4" in repr(res)


@pytest.mark.parametrize("weights, alpha", [((0.5, 0.5), 0.05), ((0.2, 0.3, 0.5), 0.05),
                                            ((0.5, 0.5), 0.01)])
def test_sequential_false_alarm_rate_over_30_daily_looks_stays_below_level(weights, alpha):
    alarms = srm.daily_alarms(N_SIMS, 30, 10_000, weights, threshold=alpha, method="sequential",
                              rng=np.random.default_rng(7))
    assert alarms.shape == (N_SIMS, 30)
    assert alarms[:, -1].mean() <= stats.binomial_band(alpha, N_SIMS, 0.999)[1]


def test_daily_chisquare_at_005_inflates_false_alarms():
    alarms = srm.daily_alarms(N_SIMS, 30, 10_000, threshold=0.05, rng=np.random.default_rng(8))
    assert _in_band(alarms[:, 0].mean(), 0.05)  # one look is calibrated...
    assert alarms[:, -1].mean() > 0.2           # ...thirty looks are not
    assert np.all(np.diff(alarms.mean(axis=0)) >= 0)


def test_sequential_detects_a_real_mismatch():
    alarms = srm.daily_alarms(2000, 30, 10_000, threshold=0.001, method="sequential",
                              actual_weights=(0.51, 0.49), rng=np.random.default_rng(9))
    assert alarms[:, -1].mean() > 0.99


# ---- input validation ------------------------------------------------------

@pytest.mark.parametrize("kwargs, name", [
    (dict(observed_counts=[100, -1]), "observed_counts"),
    (dict(observed_counts=[100.5, 99]), "observed_counts"),
    (dict(observed_counts=[100]), "observed_counts"),
    (dict(observed_counts=[0, 0]), "observed_counts"),
    (dict(observed_counts=[100, 90], expected_weights=(0.6, 0.5)), "expected_weights"),
    (dict(observed_counts=[100, 90], expected_weights=(0.5, 0.3, 0.2)), "same length"),
    (dict(observed_counts=[100, 90], expected_weights=(1.0, 0.0)), "expected_weights"),
    (dict(observed_counts=[100, 90], expected_weights=0.5), "expected_weights"),
    (dict(observed_counts=[100, 90], threshold=0), "threshold"),
    (dict(observed_counts=[100, 90], threshold=1.5), "threshold"),
])
def test_srm_test_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        srm.srm_test(**kwargs)


@pytest.mark.parametrize("call, name", [
    (lambda: srm.sequential_srm([10, 12]), "daily_counts"),
    (lambda: srm.sequential_srm([[10, -2], [3, 4]]), "daily_counts"),
    (lambda: srm.sequential_srm([[10, 12]], (0.4, 0.4, 0.2)), "same length"),
    (lambda: srm.sequential_srm([[10, 12]], threshold=1), "threshold"),
    (lambda: srm.log_bayes_factor([10, 12], concentration=0), "concentration"),
    (lambda: srm.daily_alarms(0, 30, 100), "n_sims"),
    (lambda: srm.daily_alarms(10, 0, 100), "days"),
    (lambda: srm.daily_alarms(10, 30, 0), "users_per_day"),
    (lambda: srm.daily_alarms(10, 30, 100, method="bonferroni"), "method"),
    (lambda: srm.daily_alarms(10, 30, 100, actual_weights=(0.5, 0.6)), "actual_weights"),
    (lambda: srm.daily_alarms(10, 30, 100, actual_weights=(0.2, 0.3, 0.5)), "same length"),
    (lambda: srm.daily_alarms(10, 30, 100, rng="seed"), "rng"),
])
def test_sequential_and_simulation_reject_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_mismatch_means_p_strictly_below_the_threshold():
    p = srm.srm_test([600, 400]).p_value
    assert not srm.srm_test([600, 400], threshold=p).mismatch
    assert srm.srm_test([600, 400], threshold=np.nextafter(p, 1)).mismatch


def test_sequential_p_values_use_the_given_concentration():
    daily = np.array([[510, 490], [530, 470], [480, 520], [600, 400]])
    for c in (2.0, 1000.0):
        res = srm.sequential_srm(daily, concentration=c)
        x = np.cumsum(daily, axis=0)
        a = c * np.array([0.5, 0.5])
        ref = [sps.dirichlet_multinomial.logpmf(row, a, row.sum()) - sps.multinomial.logpmf(row, row.sum(), [0.5, 0.5])
               for row in x]
        np.testing.assert_allclose(res.p_values, np.minimum.accumulate(np.minimum(1, np.exp(-np.array(ref)))),
                                   rtol=1e-9)


def _draws(n_sims, days, users, weights, seed):
    # daily_alarms draws rng.multinomial(users, actual, size=(n_sims, days)) first, with the seed given
    return np.random.default_rng(seed).multinomial(users, weights, size=(n_sims, days))


@pytest.mark.parametrize("weights, actual", [((0.5, 0.5), None), ((0.2, 0.3, 0.5), (0.21, 0.29, 0.5))])
def test_daily_alarms_equal_checks_of_the_cumulative_counts(weights, actual):
    # Independent reference: scipy's chi-square on each day's cumulative counts, an alarm "so far".
    n_sims, days, users, threshold = 300, 6, 2_000, 0.05
    got = srm.daily_alarms(n_sims, days, users, weights, threshold, actual_weights=actual, rng=5)
    daily = _draws(n_sims, days, users, actual or weights, 5)
    cum = np.cumsum(daily, axis=1)
    p = np.array([[sps.chisquare(cum[i, d], cum[i, d].sum() * np.asarray(weights)).pvalue
                   for d in range(days)] for i in range(n_sims)])
    np.testing.assert_array_equal(got, np.logical_or.accumulate(p < threshold, axis=1))
    seq = srm.daily_alarms(n_sims, days, users, weights, threshold, method="sequential",
                           actual_weights=actual, rng=5, concentration=30.0)
    ref = srm.sequential_srm(daily, weights, threshold, concentration=30.0).p_values < threshold
    np.testing.assert_array_equal(seq, np.logical_or.accumulate(ref, axis=1))


def test_daily_chisquare_false_alarms_match_the_exact_peeking_error():
    # Armitage, McPherson & Rowe (1969): repeated two-sided tests on accumulating normal data;
    # labsupport.sequential.peeking_type1_error integrates it numerically (0.2802 for 30 looks at 0.05).
    from labsupport import sequential
    for days, threshold in ((30, 0.05), (10, 0.01)):
        alarms = srm.daily_alarms(N_SIMS, days, 10_000, threshold=threshold, rng=np.random.default_rng(days))
        assert _in_band(alarms[:, -1].mean(), sequential.peeking_type1_error(days, threshold))


def test_results_are_frozen():
    import dataclasses
    for result in (srm.srm_test([600, 400]), srm.sequential_srm([[600, 400]])):
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.threshold = 0.5


def test_a_sequential_p_value_equal_to_the_threshold_is_no_mismatch():
    daily = [[600, 400]]
    p = srm.sequential_srm(daily).p_value
    assert 0 < p < 1
    assert not srm.sequential_srm(daily, threshold=p).mismatch
    assert srm.sequential_srm(daily, threshold=np.nextafter(p, 1)).mismatch


def test_daily_alarms_need_p_strictly_below_the_threshold():
    # 10 users a day: the p-values take few values; set the threshold exactly at that of an 8 / 2 split.
    threshold = srm.srm_test([8, 2]).p_value
    got = srm.daily_alarms(2_000, 1, 10, threshold=threshold, rng=3)[:, 0]
    in_a = _draws(2_000, 1, 10, (0.5, 0.5), 3)[:, 0, 0]
    np.testing.assert_array_equal(got, np.isin(in_a, [0, 1, 9, 10]))   # 8 / 2 and 2 / 8 do not alarm
    assert np.isin(in_a, [2, 8]).any()


def test_documented_defaults():
    # COURSE.md's API: srm_test(observed_counts, expected_weights=None, threshold=0.001); the sequential
    # test's concentration 100 (module docstring), used by the simulation too.
    import inspect
    assert srm.srm_test([600, 400]).threshold == 0.001
    assert srm.sequential_srm([[600, 400]]).threshold == 0.001
    defaults = {k: p.default for k, p in inspect.signature(srm.daily_alarms).parameters.items()}
    assert defaults["threshold"] == 0.001 and defaults["concentration"] == 100.0
    assert inspect.signature(srm.sequential_srm).parameters["concentration"].default == 100.0


def test_sequential_weights_error_names_the_daily_counts():
    with pytest.raises(ValueError, match="expected_weights and daily_counts must have the same length"):
        srm.sequential_srm([[10, 12]], (0.4, 0.4, 0.2))
