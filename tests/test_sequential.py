"""labsupport.sequential: exact peeking error, group sequential bounds, and their calibration."""

import numpy as np
import pytest
from scipy import optimize
from scipy import stats as sps

from labsupport import sequential as seq
from labsupport import stats

N_SIMS = 20_000


# Armitage, McPherson & Rowe (1969), JRSS A 132(2), Table 2, as reprinted in
# Jennison & Turnbull (2000), "Group Sequential Methods", Table 1.1: overall type I
# error of a two-sided test at nominal 0.05 repeated at K equally spaced looks.
AMR = {1: 0.05, 2: 0.083, 3: 0.107, 4: 0.126, 5: 0.142, 10: 0.193, 20: 0.248, 50: 0.320, 100: 0.374}


@pytest.mark.parametrize("looks, published", AMR.items())
def test_peeking_error_matches_armitage_mcpherson_rowe(looks, published):
    assert seq.peeking_type1_error(looks) == pytest.approx(published, abs=5e-4)


def _mvn_level(bounds):
    """1 - P(|Z_k| < c_k for all k) from scipy's multivariate normal (an independent method)."""
    k = np.arange(1, len(bounds) + 1)
    corr = np.sqrt(np.minimum.outer(k, k) / np.maximum.outer(k, k))
    mvn = sps.multivariate_normal(np.zeros(len(k)), corr, abseps=1e-6, releps=1e-6)
    inside = mvn.cdf(bounds, lower_limit=-np.asarray(bounds), rng=np.random.default_rng(0))
    return 1 - inside


@pytest.mark.parametrize("looks", [2, 3, 4])
def test_peeking_error_agrees_with_multivariate_normal(looks):
    z = sps.norm.isf(0.025)
    assert seq.peeking_type1_error(looks) == pytest.approx(_mvn_level(np.full(looks, z)), abs=1e-5)


def test_one_look_is_the_fixed_test_at_any_alpha():
    for alpha in (0.01, 0.05, 0.2):
        assert seq.peeking_type1_error(1, alpha) == pytest.approx(alpha, abs=1e-9)


def test_peeking_error_grows_with_looks():
    errors = [seq.peeking_type1_error(k) for k in (1, 5, 10, 50, 100)]
    assert np.all(np.diff(errors) > 0)
    assert errors[-1] < 1


# Jennison & Turnbull (2000), Table 2.1 (Pocock C_P) and Table 2.3 (O'Brien-Fleming
# C_B), two-sided alpha = 0.05, K equally spaced looks.
POCOCK = {1: 1.960, 2: 2.178, 3: 2.289, 4: 2.361, 5: 2.413}
OBF = {1: 1.960, 2: 1.977, 3: 2.004, 4: 2.024, 5: 2.040}


@pytest.mark.parametrize("looks, published", POCOCK.items())
def test_pocock_constant_matches_jennison_turnbull(looks, published):
    bounds = seq.group_sequential_bounds(looks, kind="pocock")
    assert bounds.shape == (looks,)
    np.testing.assert_allclose(bounds, published, atol=5e-4)


@pytest.mark.parametrize("looks, published", OBF.items())
def test_obrien_fleming_constant_matches_jennison_turnbull(looks, published):
    bounds = seq.group_sequential_bounds(looks, kind="obf")
    assert bounds[-1] == pytest.approx(published, abs=5e-4)
    np.testing.assert_allclose(bounds, bounds[-1] * np.sqrt(looks / np.arange(1, looks + 1)))


@pytest.mark.parametrize("kind", seq.KINDS)
def test_every_design_has_exact_level_alpha_by_multivariate_normal(kind):
    for alpha in (0.05, 0.01):
        bounds = seq.group_sequential_bounds(3, alpha, kind)
        assert _mvn_level(bounds) == pytest.approx(alpha, abs=1e-5)


def test_constants_solve_for_extreme_alphas():
    for alpha in (1e-6, 0.5, 0.95):
        for kind in seq.KINDS:
            up, low = seq.crossing_probabilities(seq.group_sequential_bounds(3, alpha, kind))
            assert up.sum() + low.sum() == pytest.approx(alpha, rel=1e-6)


def test_lan_demets_obf_matches_ldbounds_example():
    # R ldbounds::ldBounds(t = 5, iuse = 1, alpha = 0.05) (two-sided, alpha/2 per side, as
    # gsDesign's sfLDOF with test.type = 2 and rpact's "asOF" with sided = 2):
    # 4.8769, 3.3569, 2.6803, 2.2898, 2.0310.
    np.testing.assert_allclose(seq.group_sequential_bounds(5, kind="ld-obf"),
                               [4.8769, 3.3569, 2.6803, 2.2898, 2.0310], atol=2e-4)


def test_obrien_fleming_matches_rpact_to_seven_digits():
    # rpact, tests/testthat/test-f_design_group_sequential.R: getDesignInverseNormal() defaults
    # (kMax = 3, one-sided alpha = 0.025, O'Brien-Fleming): criticalValues 3.4710914, 2.4544323,
    # 2.0040356. Two-sided at 0.05 differs only by paths crossing both boundaries (< 1e-9).
    np.testing.assert_allclose(seq.group_sequential_bounds(3, 0.05, "obf"),
                               [3.4710914, 2.4544323, 2.0040356], atol=2e-6)


def test_pocock_type_spending_matches_published_values():
    # Lan & DeMets (1983), as gsDesign's sfLDPocock: alpha(t) = alpha ln(1 + (e - 1) t), written
    # out here, not taken from the library. rpact (same test file, 'asP', one-sided alpha 0.025,
    # information rates 0.4 and 0.7): alphaSpent 0.013078429, 0.0197432, i.e. per tail.
    t = np.array([0.1, 0.4, 0.5, 0.7, 1.0])
    np.testing.assert_allclose(seq.spending(t, 0.05, "ld-pocock"), 0.05 * np.log(1 + (np.e - 1) * t), rtol=1e-12)
    np.testing.assert_allclose(seq.spending(np.array([0.4, 0.7]), 0.05, "ld-pocock") / 2,
                               [0.013078429, 0.0197432], rtol=2e-7)
    # O'Brien-Fleming type, per tail 2 - 2 Phi(z_{alpha/4} / sqrt(t)) (gsDesign's sfLDOF at alpha/2)
    np.testing.assert_allclose(seq.spending(t, 0.05, "ld-obf"),
                               2 * (2 - 2 * sps.norm.cdf(sps.norm.isf(0.0125) / np.sqrt(t))), rtol=1e-12, atol=1e-15)


def _mvn_spending_bounds(t, cumulative, two_sided=True, eps=1e-9):
    """Spending bounds from scratch: at look k solve P(no earlier crossing, cross at k) = increment.

    Uses scipy's multivariate normal CDF of (Z_1..Z_k) with corr sqrt(t_j / t_k); independent of
    the library's recursion.
    """
    t = np.asarray(t, dtype=float)
    bounds = []
    for k in range(1, len(t) + 1):
        tk = t[:k]
        corr = np.sqrt(np.minimum.outer(tk, tk) / np.maximum.outer(tk, tk))
        mvn = sps.multivariate_normal(np.zeros(k), corr, abseps=eps, releps=eps)

        def inside(c):
            upper = np.array(bounds + [c])
            lower = -upper if two_sided else np.full(k, -np.inf)
            return mvn.cdf(upper, lower_limit=lower, rng=np.random.default_rng(0)) if k > 1 else (
                sps.norm.cdf(c) - (sps.norm.cdf(-c) if two_sided else 0.0))
        spent = 1 - cumulative[k - 1]
        bounds.append(optimize.brentq(lambda c: inside(c) - spent, 1.5, 4.0, xtol=1e-7))
    return np.array(bounds)


def test_the_from_scratch_spending_method_reproduces_rpact():
    # rpact 'asP', one-sided alpha 0.025, information rates (0.4, 0.7): criticalValues 2.223875, 2.3050796.
    spent = [0.013078429, 0.0197432]
    np.testing.assert_allclose(_mvn_spending_bounds([0.4, 0.7], spent, two_sided=False),
                               [2.223875, 2.3050796], atol=2e-6)


def test_pocock_type_bounds_match_an_independent_computation():
    t = np.arange(1, 4) / 3
    spent = 0.05 * np.log(1 + (np.e - 1) * t)            # the published function, written out
    expected = _mvn_spending_bounds(t, spent, eps=1e-7)
    np.testing.assert_allclose(seq.group_sequential_bounds(3, 0.05, "ld-pocock"), expected, atol=1e-4)
    # a linear spending alpha * t (a plausible slip) moves the first bound by far more than that
    assert abs(sps.norm.isf(0.05 / 3 / 2) - expected[0]) > 0.02


def test_crossing_probabilities_under_drift_match_the_bivariate_normal():
    # Two looks, bounds c, score S = (S_1, S_2) with mean (theta, 2 theta) and cov [[1, 1], [1, 2]].
    bounds, theta = np.array([2.5, 2.1]), 0.9
    b1, b2 = bounds * np.sqrt([1, 2])
    mvn = sps.multivariate_normal([theta, 2 * theta], [[1, 1], [1, 2]], abseps=1e-10, releps=1e-10)
    rng = np.random.default_rng(0)
    inside1 = sps.norm.cdf(b1 - theta) - sps.norm.cdf(-b1 - theta)
    up2 = inside1 - mvn.cdf([b1, b2], lower_limit=[-b1, -np.inf], rng=rng)
    low2 = mvn.cdf([b1, -b2], lower_limit=[-b1, -np.inf], rng=rng)
    up, low = seq.crossing_probabilities(bounds, theta)
    np.testing.assert_allclose(up, [sps.norm.sf(b1 - theta), up2], atol=1e-6)
    np.testing.assert_allclose(low, [sps.norm.cdf(-b1 - theta), low2], atol=1e-6)
    assert up.sum() > 100 * low.sum()  # a positive drift crosses the upper boundary
    up_neg, low_neg = seq.crossing_probabilities(bounds, -theta)
    np.testing.assert_allclose(up_neg, low, atol=1e-12)  # and the mirror image for a negative one


def test_first_spending_bound_has_its_closed_form():
    # At the first look no path has stopped yet, so c_1 = z at two-sided level alpha(t_1).
    for kind in ("ld-obf", "ld-pocock"):
        first = seq.group_sequential_bounds(4, 0.05, kind)[0]
        assert first == pytest.approx(sps.norm.isf(seq.spending(0.25, 0.05, kind) / 2), abs=1e-8)


@pytest.mark.parametrize("kind", ["ld-obf", "ld-pocock"])
def test_spending_bounds_spend_exactly_the_planned_alpha(kind):
    looks = 6
    up, low = seq.crossing_probabilities(seq.group_sequential_bounds(looks, 0.05, kind))
    planned = seq.spending(np.arange(1, looks + 1) / looks, 0.05, kind)
    np.testing.assert_allclose(np.cumsum(up + low), planned, atol=1e-9)
    np.testing.assert_allclose(up, low)  # symmetric: half of each look's alpha per tail


def test_spending_defaults_and_t_zero_without_warnings():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # t = 0 divides by zero inside: no warning may escape
        values = seq.spending(np.array([0.0, 0.3, 1.0]))
    np.testing.assert_array_equal(values, seq.spending(np.array([0.0, 0.3, 1.0]), 0.05, "ld-obf"))
    assert values[-1] == pytest.approx(0.05)
    assert seq.spending(0.3, kind="ld-pocock") == pytest.approx(0.05 * np.log(1 + (np.e - 1) * 0.3))


@pytest.mark.parametrize("kind", ["ld-obf", "ld-pocock"])
def test_spending_bounds_with_many_looks(kind):
    # 40 looks: late bounds sit far out on the score scale (c_k sqrt(k) > 13); the root finder must bracket them
    looks = 40
    up, low = seq.crossing_probabilities(seq.group_sequential_bounds(looks, 0.05, kind))
    planned = 0.05 * np.log(1 + (np.e - 1) * np.arange(1, looks + 1) / looks) if kind == "ld-pocock" else \
        4 * sps.norm.sf(sps.norm.isf(0.0125) / np.sqrt(np.arange(1, looks + 1) / looks))
    np.testing.assert_allclose(np.cumsum(up + low), planned, atol=1e-9)


def test_spending_functions_end_at_alpha():
    for kind in ("ld-obf", "ld-pocock"):
        values = seq.spending(np.array([0.0, 0.5, 1.0]), 0.05, kind)
        assert values[0] == 0 and values[-1] == pytest.approx(0.05)
        assert 0 < values[1] < 0.05


# Jennison & Turnbull (2000), Tables 2.2 and 2.4: maximum sample size relative to the
# fixed-sample test, alpha = 0.05 two-sided, power 0.8 (R_P for Pocock, R_B for OBF).
INFLATION = [("pocock", 2, 1.110), ("pocock", 3, 1.166), ("pocock", 4, 1.202),
             ("obf", 2, 1.008), ("obf", 3, 1.017), ("obf", 4, 1.024)]


@pytest.mark.parametrize("kind, looks, published", INFLATION)
def test_inflation_factor_matches_jennison_turnbull(kind, looks, published):
    bounds = seq.group_sequential_bounds(looks, kind=kind)
    assert seq.inflation_factor(bounds) == pytest.approx(published, abs=6e-4)


def test_inflation_factor_matches_sas_seqdesign_example():
    # SAS/STAT PROC SEQDESIGN, "Creating Two-Sided Pocock and O'Brien-Fleming Designs": 4 stages,
    # alpha = 0.05, power 0.9, Pocock: maximum information 118.3143% of the fixed sample.
    bounds = seq.group_sequential_bounds(4, kind="pocock")
    assert seq.inflation_factor(bounds, power=0.9) == pytest.approx(1.183143, abs=2e-4)


def test_inflated_design_reaches_its_power_by_simulation():
    # Fixed-sample n for 0.10 -> 0.12, then 4 OBF looks at n_max = R * n_fixed.
    z = sps.norm.isf(0.025) + sps.norm.ppf(0.8)
    n_fixed = z**2 * (0.1 * 0.9 + 0.12 * 0.88) / 0.02**2
    bounds = seq.group_sequential_bounds(4, kind="obf")
    n_per_look = int(np.ceil(seq.inflation_factor(bounds) * n_fixed / 4))
    run = seq.simulate_sequential(N_SIMS, bounds, n_per_look, 0.10, 0.12, rng=7)
    low, high = stats.binomial_band(0.8, N_SIMS)
    assert low - 0.01 <= run.reject.mean() <= high + 0.01  # the normal approximation is not exact


# --- A/A calibration by simulation ------------------------------------------------------

def test_single_look_simulated_peeking_holds_alpha():
    rate = seq.simulate_peeking(N_SIMS, 1, 2000, p=0.5, rng=1)
    low, high = stats.binomial_band(0.05, N_SIMS)
    assert low <= rate <= high


@pytest.mark.parametrize("looks", [5, 20])
def test_simulated_peeking_matches_exact_error(looks):
    exact = seq.peeking_type1_error(looks)
    rate = seq.simulate_peeking(N_SIMS, looks, 1000, p=0.5, rng=looks)
    low, high = stats.binomial_band(exact, N_SIMS)
    assert low <= rate <= high


@pytest.mark.parametrize("kind", seq.KINDS)
def test_each_design_holds_alpha_by_simulation(kind):
    bounds = seq.group_sequential_bounds(5, kind=kind)
    run = seq.simulate_sequential(N_SIMS, bounds, 1000, p_a=0.5, rng=11)
    low, high = stats.binomial_band(0.05, N_SIMS)
    assert low <= run.reject.mean() <= high


def test_crossing_rule_agrees_with_the_z_test_on_the_same_draws():
    n_sims, looks, n = 3000, 6, 50
    bounds = seq.group_sequential_bounds(looks, kind="pocock")
    run = seq.simulate_sequential(n_sims, bounds, n, p_a=0.1, rng=3)
    rng = np.random.default_rng(3)
    succ_a = np.cumsum(rng.binomial(n, 0.1, size=(n_sims, looks)), axis=1)
    succ_b = np.cumsum(rng.binomial(n, 0.1, size=(n_sims, looks)), axis=1)
    trials = n * np.arange(1, looks + 1)
    z = stats.two_proportion_ztest(succ_a, trials, succ_b, trials).statistic
    crossed = np.abs(z) > bounds
    expected_stop = np.where(crossed.any(axis=1), crossed.argmax(axis=1) + 1, 0)
    np.testing.assert_array_equal(run.stop_look, expected_stop)
    last = np.where(expected_stop > 0, expected_stop, looks) - 1
    rows = np.arange(n_sims)
    np.testing.assert_allclose(run.estimate, (succ_b[rows, last] - succ_a[rows, last]) / trials[last])


def test_a_z_exactly_on_the_bound_does_not_reject():
    # 2 users per arm, 0 vs 2 successes: pooled rate 1/2, SE 1/2, z = 2 exactly. The rule is |z| > c.
    assert stats.two_proportion_ztest(0, 2, 2, 2).statistic == 2.0
    run = seq.simulate_sequential(4000, np.array([2.0]), 2, p_a=0.5, rng=4)
    rng = np.random.default_rng(4)
    sa, sb = rng.binomial(2, 0.5, size=(4000, 1)), rng.binomial(2, 0.5, size=(4000, 1))
    on_the_bound = np.abs(sb - sa)[:, 0] == 2
    assert on_the_bound.sum() > 100 and not run.reject[on_the_bound].any()


def test_early_stops_exaggerate_the_effect():
    bounds = seq.group_sequential_bounds(5, kind="obf")
    run = seq.simulate_sequential(N_SIMS, bounds, 500, 0.10, 0.11, rng=5)
    early = (run.stop_look > 0) & (run.stop_look < 5)
    assert early.sum() > 100
    assert run.estimate[early].mean() > 0.011  # the true effect is 0.01
    assert "rejection rate" in repr(run)


def test_simulation_defaults_and_results():
    import dataclasses
    # defaults: p = 0.10 (the feed's click-through), alpha = 0.05, an A/A test
    assert seq.simulate_peeking(2000, 5, 100, rng=3) == seq.simulate_peeking(2000, 5, 100, p=0.10, alpha=0.05, rng=3)
    bounds = np.full(3, 2.2)
    run = seq.simulate_sequential(5000, bounds, 100, rng=3)
    same = seq.simulate_sequential(5000, bounds, 100, p_a=0.10, p_b=0.10, rng=3)
    np.testing.assert_array_equal(run.stop_look, same.stop_look)
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.stop_look = None
    rate = run.reject.mean()
    assert f"rejection rate {rate:.4f} ± {np.sqrt(rate * (1 - rate) / 5000):.4f} SE" in repr(run)
    assert "5,000 experiments" in repr(run)


def test_simulations_are_reproducible_from_a_seed():
    assert seq.simulate_peeking(500, 10, 100, rng=42) == seq.simulate_peeking(500, 10, 100, rng=42)


# --- input validation -----------------------------------------------------------------

@pytest.mark.parametrize("call, name", [
    (lambda: seq.peeking_type1_error(0), "looks"),
    (lambda: seq.peeking_type1_error(2.5), "looks"),
    (lambda: seq.peeking_type1_error(5, alpha=0), "alpha"),
    (lambda: seq.peeking_type1_error(5, alpha=1.0), "alpha"),
    (lambda: seq.group_sequential_bounds(0), "looks"),
    (lambda: seq.group_sequential_bounds(3, alpha=1.5), "alpha"),
    (lambda: seq.group_sequential_bounds(3, kind="haybittle"), "kind"),
    (lambda: seq.spending(1.5), "t"),
    (lambda: seq.spending(0.5, kind="obf"), "kind"),
    (lambda: seq.crossing_probabilities([2.0, -1.0]), "bounds"),
    (lambda: seq.crossing_probabilities([[2.0, 2.0]]), "bounds"),
    (lambda: seq.crossing_probabilities([2.0, 2.0], theta="big"), "theta"),
    (lambda: seq.inflation_factor([2.0, 2.0], power=1.0), "power"),
    (lambda: seq.simulate_peeking(0, 5, 10), "n_sims"),
    (lambda: seq.simulate_peeking(10, 0, 10), "looks"),
    (lambda: seq.simulate_peeking(10, 5, 0), "n_per_look"),
    (lambda: seq.simulate_peeking(10, 5, 10, p=1.2), "p"),
    (lambda: seq.simulate_peeking(10, 5, 10, alpha=0.0), "alpha"),
    (lambda: seq.simulate_peeking(10, 5, 10, rng="seed"), "rng"),
    (lambda: seq.simulate_sequential(10, [2.0, 0.0], 10), "bounds"),
    (lambda: seq.simulate_sequential(10, [2.0, 2.0], 10, p_b=-0.1), "p_b"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
