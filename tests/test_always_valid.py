"""always_valid: the mSPRT against independent integrals, calibration under continuous monitoring, input checks."""

import numpy as np
import pytest
from scipy import integrate, optimize
from scipy import stats as sps

from labsupport import always_valid as av
from labsupport.stats import binomial_band

CASES = [(0.0, 1, 1.0, 1.0), (0.1, 100, 1.0, 0.01), (-0.3, 50, 2.5, 0.2), (0.004, 10_000, 0.09, 1e-4),
         (0.02, 400, 0.5, 4.0)]


def _mixture_by_quad(diff, n, sigma2, tau2):
    """Integrate the likelihood ratio of delta vs 0 for the mean difference over delta ~ N(0, tau2)."""
    big_v = 2 * sigma2
    def integrand(delta):
        return np.exp(n * delta * diff / big_v - n * delta**2 / (2 * big_v)) * sps.norm.pdf(delta, 0, np.sqrt(tau2))
    sd = np.sqrt(tau2)
    return integrate.quad(integrand, -12 * sd, 12 * sd, points=[0.0], epsabs=0, epsrel=1e-10, limit=200)[0]


@pytest.mark.parametrize("diff, n, sigma2, tau2", CASES)
def test_lambda_matches_numerical_integration_of_the_mixture(diff, n, sigma2, tau2):
    assert av.msprt_lambda(diff, n, sigma2, tau2) == pytest.approx(_mixture_by_quad(diff, n, sigma2, tau2), rel=1e-7)


@pytest.mark.parametrize("diff, n, sigma2, tau2", CASES)
def test_lambda_is_the_ratio_of_marginal_densities(diff, n, sigma2, tau2):
    # Under the mixture the mean difference is N(0, V/n + tau2); under H0 it is N(0, V/n).
    se2 = 2 * sigma2 / n if n else np.inf
    expected = 1.0 if n == 0 else sps.norm.pdf(diff, 0, np.sqrt(se2 + tau2)) / sps.norm.pdf(diff, 0, np.sqrt(se2))
    assert av.msprt_lambda(diff, n, sigma2, tau2) == pytest.approx(expected, rel=1e-9)


def test_lambda_has_mean_one_under_the_null():
    # E_0[Lambda_n] = 1 is what makes it a martingale (Ville's inequality needs it).
    n, sigma2, tau2 = 200, 1.0, 0.05
    se = np.sqrt(2 * sigma2 / n)
    mean, _ = integrate.quad(lambda d: av.msprt_lambda(d, n, sigma2, tau2) * sps.norm.pdf(d, 0, se),
                             -15 * se, 15 * se, epsabs=0, epsrel=1e-11)
    assert mean == pytest.approx(1.0, abs=1e-8)


def test_lambda_broadcasts_and_does_not_overflow():
    lam = av.msprt_lambda(np.array([0.0, 0.5, 5.0]), np.array([[10.0], [1e6]]), 1.0, 1.0)
    assert lam.shape == (2, 3)
    assert np.isinf(lam[1, 2]) and np.isfinite(lam[0]).all()


def test_pvalues_are_the_running_minimum_of_inverse_lambda():
    rng = np.random.default_rng(1)
    ns = np.arange(1, 60)
    diffs = av.simulate_mean_diffs(3, ns, 0.3, 1.0, rng)
    p = av.always_valid_pvalues(diffs, ns, 1.0, 0.1)
    for row, p_row in zip(diffs, p):
        naive = [min(1.0, 1 / av.msprt_lambda(d, n, 1.0, 0.1)) for d, n in zip(row, ns)]
        assert np.allclose(p_row, [min(naive[:k + 1]) for k in range(len(ns))], rtol=1e-12)
    assert (np.diff(p, axis=1) <= 0).all()


def test_pvalues_accept_a_variance_that_changes_over_time():
    ns, diffs, sigma2 = np.array([10, 20, 30]), np.array([0.2, 0.1, 0.3]), np.array([1.0, 0.8, 1.2])
    expected = np.minimum.accumulate(np.minimum(1, 1 / av.msprt_lambda(diffs, ns, sigma2, 0.5)))
    assert np.allclose(av.always_valid_pvalues(diffs, ns, sigma2, 0.5), expected)


def test_calibration_under_continuous_monitoring():
    # 20,000 A/A streams, a look after every pair of observations: the mSPRT stays at or
    # below alpha, while the naive z test checked at the same looks is far above it.
    n_sims, alpha, ns = 20_000, 0.05, np.arange(1, 501)
    diffs = av.simulate_mean_diffs(n_sims, ns, 0.0, 1.0, np.random.default_rng(2024))
    p = av.always_valid_pvalues(diffs, ns, 1.0, av.tau2_for_horizon(500, 1.0, alpha))
    band = binomial_band(alpha, n_sims, 0.999)
    assert (p[:, -1] <= alpha).mean() <= band[1]
    naive = (np.abs(diffs * np.sqrt(ns / 2.0)) > sps.norm.ppf(1 - alpha / 2)).any(axis=1)
    assert naive.mean() > band[1]


@pytest.mark.parametrize("tau2", [1e-3, 0.1, 10.0])
def test_calibration_holds_for_any_mixing_variance(tau2):
    n_sims, alpha, ns = 20_000, 0.10, np.unique(np.geomspace(1, 5_000, 300).astype(int))
    diffs = av.simulate_mean_diffs(n_sims, ns, 0.0, 2.0, np.random.default_rng(7))
    p = av.always_valid_pvalues(diffs, ns, 2.0, tau2)
    assert (p[:, -1] <= alpha).mean() <= binomial_band(alpha, n_sims, 0.999)[1]


def test_naive_peeking_reproduces_armitage_mcpherson_rowe():
    # Armitage, McPherson & Rowe (1969), Table 2 (also Jennison & Turnbull 2000, Table 1.1):
    # a two-sided 5% z test repeated at 100 equally spaced looks rejects a true H0 with probability 0.374.
    n_sims, ns = 20_000, np.arange(1, 101)
    diffs = av.simulate_mean_diffs(n_sims, ns, 0.0, 1.0, np.random.default_rng(3))
    rate = (np.abs(diffs * np.sqrt(ns / 2.0)) > sps.norm.ppf(0.975)).any(axis=1).mean()
    low, high = binomial_band(0.374, n_sims, 0.999)
    assert low <= rate <= high


def test_confidence_sequence_edges_are_where_lambda_hits_one_over_alpha():
    ns, diffs = np.array([5.0, 50.0, 500.0]), np.array([0.3, -0.1, 0.02])
    low, high = av.confidence_sequence(diffs, ns, 1.5, 0.2, alpha=0.05, running=False)
    for edge in (low, high):
        assert np.allclose(av.msprt_lambda(diffs - edge, ns, 1.5, 0.2), 1 / 0.05, rtol=1e-9)
    assert np.allclose((low + high) / 2, diffs)


def test_running_confidence_sequence_inverts_the_always_valid_pvalues():
    rng = np.random.default_rng(5)
    ns = np.arange(1, 301)
    diffs = av.simulate_mean_diffs(50, ns, 0.2, 1.0, rng)
    low, high = av.confidence_sequence(diffs, ns, 1.0, 0.05, alpha=0.1)
    for delta in (-0.2, 0.0, 0.1, 0.2, 0.5):
        inside = (low < delta) & (delta < high)
        p = av.always_valid_pvalues(diffs - delta, ns, 1.0, 0.05)
        assert np.array_equal(inside, p > 0.1)


def test_confidence_sequence_starts_unbounded():
    low, high = av.confidence_sequence([0.0, 0.1], [0, 10], 1.0, 0.1)
    assert low[0] == -np.inf and high[0] == np.inf and np.isfinite([low[1], high[1]]).all()


def test_confidence_sequence_covers_uniformly_over_time():
    # Coverage of the true effect at every look at once, 20,000 streams.
    n_sims, alpha, effect, ns = 20_000, 0.05, 0.15, np.arange(1, 401)
    diffs = av.simulate_mean_diffs(n_sims, ns, effect, 1.0, np.random.default_rng(11))
    low, high = av.confidence_sequence(diffs, ns, 1.0, 0.02, alpha=alpha)
    missed = ((low >= effect) | (high <= effect))[:, -1]
    assert missed.mean() <= binomial_band(alpha, n_sims, 0.999)[1]


@pytest.mark.parametrize("n, sigma2, alpha", [(1_000, 1.0, 0.05), (20_000, 0.09, 0.01), (50, 3.0, 0.2)])
def test_tau2_for_horizon_minimises_the_half_width(n, sigma2, alpha):
    def width(log_tau2):
        return av.confidence_sequence([0.0], [n], sigma2, np.exp(log_tau2), alpha, running=False)[1][0]
    best = optimize.minimize_scalar(width, bounds=(-30, 10), method="bounded", options={"xatol": 1e-10})
    assert av.tau2_for_horizon(n, sigma2, alpha) == pytest.approx(np.exp(best.x), rel=1e-4)


def test_proportion_pvalues_use_the_pooled_variance():
    ns = np.array([100, 200, 400])
    sa, sb = np.array([9, 21, 40]), np.array([14, 30, 55])
    pooled = (sa + sb) / (2 * ns)
    expected = av.always_valid_pvalues((sb - sa) / ns, ns, pooled * (1 - pooled), 1e-3)
    assert np.allclose(av.proportion_pvalues(sa, sb, ns, 1e-3), expected)


def test_proportion_pvalues_ignore_looks_without_conversions():
    p = av.proportion_pvalues([0, 0, 3], [0, 0, 9], [10, 20, 30], 0.01)
    assert p[0] == p[1] == 1.0 and p[2] < 1


def test_proportion_calibration_for_conversion_streams():
    n_sims, alpha, p_rate = 20_000, 0.05, 0.10
    ns = np.arange(50, 10_001, 50)
    sa, sb = av.simulate_conversions(n_sims, ns, p_rate, p_rate, np.random.default_rng(8))
    tau2 = av.tau2_for_horizon(ns[-1], p_rate * (1 - p_rate), alpha)
    p = av.proportion_pvalues(sa, sb, ns, tau2)
    assert (p[:, -1] <= alpha).mean() <= binomial_band(alpha, n_sims, 0.999)[1]


def test_simulated_mean_diffs_have_the_right_mean_and_variance():
    n_sims, ns = 40_000, np.array([3, 10, 40])
    diffs = av.simulate_mean_diffs(n_sims, ns, 0.5, 2.0, np.random.default_rng(9))
    se = np.sqrt(4.0 / ns)  # Var(mean diff) = 2 sigma2 / n
    assert np.all(np.abs(diffs.mean(axis=0) - 0.5) < 5 * se / np.sqrt(n_sims))
    assert np.allclose(diffs.std(axis=0), se, rtol=0.02)
    # Increments between looks are independent: corr(d_3, d_40) = sqrt(3/40) for a random walk.
    assert np.corrcoef(diffs[:, 0], diffs[:, 2])[0, 1] == pytest.approx(np.sqrt(3 / 40), abs=0.02)


def test_simulated_conversions_are_cumulative_binomials():
    ns = np.array([100, 300])
    sa, sb = av.simulate_conversions(30_000, ns, 0.1, 0.2, np.random.default_rng(10))
    assert sa.shape == sb.shape == (30_000, 2) and (np.diff(sa, axis=1) >= 0).all()
    assert sa[:, 1].mean() == pytest.approx(30, rel=0.01) and sb[:, 0].mean() == pytest.approx(20, rel=0.01)


def test_first_true():
    flags = np.array([[False, True, True], [False, False, False], [True, False, True]])
    assert av.first_true(flags).tolist() == [1, -1, 0]


@pytest.mark.parametrize("call, name", [
    (lambda: av.msprt_lambda(0.1, 10, 0.0, 1.0), "sigma2"),
    (lambda: av.msprt_lambda(0.1, 10, 1.0, -1.0), "tau2"),
    (lambda: av.msprt_lambda(0.1, -1, 1.0, 1.0), "n"),
    (lambda: av.msprt_lambda(np.nan, 10, 1.0, 1.0), "mean_diff"),
    (lambda: av.msprt_lambda("a", 10, 1.0, 1.0), "mean_diff"),
    (lambda: av.msprt_lambda([0.1, 0.2], [1, 2, 3], 1.0, 1.0), "mean_diff, n"),
    (lambda: av.always_valid_pvalues([0.1, 0.2], [1, 2, 3], 1.0, 1.0), "ns and mean_diffs"),
    (lambda: av.always_valid_pvalues(0.1, 1, 1.0, 1.0), "mean_diffs"),
    (lambda: av.always_valid_pvalues([0.1, 0.2], [1, 2], [1.0, 0.0], 1.0), "sigma2"),
    (lambda: av.always_valid_pvalues([0.1, 0.2], [1, 2], 1.0, 0.0), "tau2"),
    (lambda: av.always_valid_pvalues([0.1, 0.2], [1, 2], [1.0, 1.0, 1.0], 1.0), "sigma2"),
    (lambda: av.confidence_sequence([0.1, 0.2], [1, 2], 1.0, 1.0, alpha=1.0), "alpha"),
    (lambda: av.confidence_sequence([0.1, 0.2], [1, 2], 1.0, 1.0, alpha=0), "alpha"),
    (lambda: av.confidence_sequence([0.1, 0.2], [1], 1.0, 1.0), "ns and mean_diffs"),
    (lambda: av.tau2_for_horizon(0, 1.0), "n"),
    (lambda: av.tau2_for_horizon(10, -1.0), "sigma2"),
    (lambda: av.tau2_for_horizon(10, 1.0, alpha=1.5), "alpha"),
    (lambda: av.tau2_for_horizon([10, 20], 1.0), "n and sigma2"),
    (lambda: av.proportion_pvalues([1, 2], [1, 2, 3], [10, 20, 30], 0.1), "successes_a, successes_b and ns"),
    (lambda: av.proportion_pvalues([1, 2], [1, 2], [10, 20, 30], 0.1), "successes_a, successes_b and ns"),
    (lambda: av.proportion_pvalues([11, 12], [1, 2], [10, 20], 0.1), "successes_a and successes_b must be <= ns"),
    (lambda: av.proportion_pvalues([-1, 2], [1, 2], [10, 20], 0.1), "successes_a"),
    (lambda: av.proportion_pvalues([1, 2], [1, 2], [10, 20], 0.0), "tau2"),
    (lambda: av.simulate_mean_diffs(0, [1, 2], 0.0, 1.0, 1), "n_sims"),
    (lambda: av.simulate_mean_diffs(10, [2, 1], 0.0, 1.0, 1), "ns"),
    (lambda: av.simulate_mean_diffs(10, [1, 1, 2], 0.0, 1.0, 1), "strictly increasing"),
    (lambda: av.simulate_conversions(10, [5, 5], 0.1, 0.1, 1), "strictly increasing"),
    (lambda: av.simulate_mean_diffs(10, [1, 2], 0.0, 0.0, 1), "sigma2"),
    (lambda: av.simulate_mean_diffs(10, [1, 2], np.inf, 1.0, 1), "effect"),
    (lambda: av.simulate_mean_diffs(10, [1, 2], 0.0, 1.0, "seed"), "rng"),
    (lambda: av.simulate_mean_diffs(10, [1, 2], [0.0, 0.1], 1.0, 1), "effect and sigma2"),
    (lambda: av.simulate_conversions(10, [0, 2], 0.1, 0.1, 1), "ns"),
    (lambda: av.simulate_conversions(10, [1, 2], 1.1, 0.1, 1), "p_a"),
    (lambda: av.simulate_conversions(10, [1, 2], 0.1, -0.1, 1), "p_b"),
    (lambda: av.first_true(True), "flags"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_reference_api_is_reexported_from_sequential():
    from labsupport import always_valid, sequential
    assert sequential.msprt_lambda is always_valid.msprt_lambda
    assert sequential.always_valid_pvalues is always_valid.always_valid_pvalues
    assert sequential.confidence_sequence is always_valid.confidence_sequence


def test_no_data_is_no_evidence():
    """Lambda_0 = 1: with n = 0 observations the mixture and the null give the data the same density."""
    assert av.msprt_lambda(0.3, 0, 1.0, 0.1) == 1.0
    assert np.array_equal(av.msprt_lambda(np.array([0.3, -2.0]), np.array([0, 0]), 1.0, 0.1), [1.0, 1.0])


def test_defaults_are_the_documented_alpha_of_five_percent():
    # r solves r = 2 log(1/alpha) + log(1 + r) (Howard et al. 2021); fixed-point iteration, independent of brentq
    r = 1.0
    for _ in range(200):
        r = 2 * np.log(20) + np.log1p(r)
    assert av.tau2_for_horizon(1_000, 1.0) == pytest.approx(r * 2 / 1_000, rel=1e-12)
    md, ns = np.array([0.1, 0.05, 0.02]), np.array([10, 100, 1_000])
    assert np.array_equal(av.confidence_sequence(md, ns, 1.0, 0.01), av.confidence_sequence(md, ns, 1.0, 0.01, alpha=0.05))


@pytest.mark.parametrize("call, name", [
    (lambda: av.msprt_lambda(np.zeros(3), 10, 1.0, np.ones(2)), "tau2 has shape"),
    (lambda: av.msprt_lambda(np.zeros(3), 10, np.ones(2), 0.1), "sigma2 has shape"),
    (lambda: av.always_valid_pvalues(np.zeros((2, 3)), np.arange(1, 4), 1.0, np.ones(2)), "tau2 has shape"),
    (lambda: av.always_valid_pvalues(np.zeros((2, 3)), np.arange(1, 4), np.ones(2), 0.1), "sigma2 has shape"),
])
def test_mismatched_shapes_name_every_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_first_true_on_a_single_sequence():
    assert av.first_true([False, False, True, True]) == 2
    assert av.first_true([False, False]) == -1


def test_simulated_conversions_count_every_user_at_every_look():
    """With p = 1 every user converts: the counts equal ns exactly, from the first look on."""
    a, b = av.simulate_conversions(3, [5, 12, 40], 1.0, 1.0, np.random.default_rng(0))
    assert np.array_equal(a, np.tile([5, 12, 40], (3, 1))) and np.array_equal(b, a)


def test_proportion_pvalues_from_the_first_user():
    """Hand computation: ns = 1, 0 vs 1 conversions: pooled 0.5, difference 1, variance 0.25;
    ns = 2, 0 vs 1: pooled 0.25, difference 0.5, variance 0.1875; p is the running minimum."""
    p = av.proportion_pvalues([0, 0], [1, 1], [1, 2], 0.5)
    first = min(1.0, 1 / av.msprt_lambda(1.0, 1, 0.25, 0.5))
    second = min(first, 1 / av.msprt_lambda(0.5, 2, 0.1875, 0.5))
    assert p == pytest.approx([first, second], rel=1e-12)
