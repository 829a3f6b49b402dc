"""labsupport.sequential: exact peeking error, group sequential bounds, and their calibration."""

import numpy as np
import pytest
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


def test_early_stops_exaggerate_the_effect():
    bounds = seq.group_sequential_bounds(5, kind="obf")
    run = seq.simulate_sequential(N_SIMS, bounds, 500, 0.10, 0.11, rng=5)
    early = (run.stop_look > 0) & (run.stop_look < 5)
    assert early.sum() > 100
    assert run.estimate[early].mean() > 0.011  # the true effect is 0.01
    assert "rejection rate" in repr(run)


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
