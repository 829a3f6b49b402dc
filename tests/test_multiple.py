"""labsupport.multiple: corrections against statsmodels, published values, calibration, decisions."""

import gc

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from labsupport import multiple as mt
from labsupport import stats

STATSMODELS = {"bonferroni": "bonferroni", "holm": "holm", "hochberg": "simes-hochberg",
               "bh": "fdr_bh", "by": "fdr_by"}
# Benjamini & Hochberg (1995), JRSS B 57(1):289-300: the 15 p-values of their worked example.
BH1995 = np.array([0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
                   0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000])


@pytest.mark.parametrize("method", mt.METHODS)
def test_adjusted_pvalues_and_rejections_equal_statsmodels(method, monkeypatch):
    # statsmodels' holm branch calls gc.collect() on every call (0.1 s each); skip it here.
    monkeypatch.setattr(gc, "collect", lambda *args: 0)
    rng = np.random.default_rng(3)
    for k in range(300):
        m = int(rng.integers(1, 60))
        p = rng.uniform(size=m) ** rng.uniform(1, 8)  # many small p-values, so rejections happen
        if k % 4 == 0:
            p = np.round(p, 2)  # ties
        alpha = float(rng.choice([0.01, 0.05, 0.1, 0.2]))
        ours = mt.adjust_pvalues(p, method, alpha)
        reject, adjusted, _, _ = multipletests(p, alpha, STATSMODELS[method])
        np.testing.assert_allclose(ours.adjusted, adjusted, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(ours.reject, reject)


@pytest.mark.parametrize("method", mt.METHODS)
def test_batched_families_equal_one_at_a_time(method):
    p = np.random.default_rng(4).uniform(size=(50, 12)) ** 3
    batch = mt.adjust_pvalues(p, method)
    for row, adj, rej in zip(p, batch.adjusted, batch.reject):
        one = mt.adjust_pvalues(row, method)
        np.testing.assert_array_equal(one.adjusted, adj)
        np.testing.assert_array_equal(one.reject, rej)


def test_benjamini_hochberg_1995_example():
    # Their example: at q = 0.05 the FDR procedure rejects the four smallest p-values,
    # the Bonferroni approach only the three smallest.
    bh = mt.adjust_pvalues(BH1995, "bh", 0.05)
    bonf = mt.adjust_pvalues(BH1995, "bonferroni", 0.05)
    np.testing.assert_array_equal(bh.reject, np.arange(15) < 4)
    np.testing.assert_array_equal(bonf.reject, np.arange(15) < 3)


def test_input_order_is_preserved():
    perm = np.random.default_rng(5).permutation(15)
    for method in mt.METHODS:
        res = mt.adjust_pvalues(BH1995[perm], method)
        ref = mt.adjust_pvalues(BH1995, method)
        np.testing.assert_array_equal(res.adjusted, ref.adjusted[perm])
        np.testing.assert_array_equal(res.reject, ref.reject[perm])


def test_familywise_error_formula():
    # 1 - 0.95^20 = 0.6415 (20 independent tests at 5%), computed by hand: 0.95^20 = 0.358486
    assert mt.familywise_error(20) == pytest.approx(0.641514, abs=1e-6)
    np.testing.assert_allclose(mt.familywise_error([1, 2]), [0.05, 1 - 0.95**2])


def test_correlated_fwer_against_scipy_multivariate_normal():
    c = sps.norm.ppf(0.975)
    for m, rho in ((3, 0.3), (5, 0.5), (4, 0.8)):
        cov = np.full((m, m), rho) + (1 - rho) * np.eye(m)
        none = sps.multivariate_normal(np.zeros(m), cov).cdf(np.full(m, c), lower_limit=np.full(m, -c))
        assert mt.familywise_error_correlated(m, rho) == pytest.approx(1 - none, abs=2e-4)
    assert mt.familywise_error_correlated(10, 0.0) == pytest.approx(mt.familywise_error(10), abs=1e-10)
    assert mt.familywise_error_correlated(10, 1.0) == pytest.approx(0.05)
    rates = [mt.familywise_error_correlated(10, r) for r in np.linspace(0, 0.99, 12)]
    assert np.all(np.diff(rates) < 0)


def test_equicorrelated_z_is_elementwise_on_generator_draws():
    # Same numbers on every CPU: only Generator draws and elementwise arithmetic, no factorisation.
    z = mt.equicorrelated_z(4, 3, 0.25, rng=7, mean=[0.0, 1.0, 2.0])
    g = np.random.default_rng(7)
    common, own = g.standard_normal((4, 1)), g.standard_normal((4, 3))
    np.testing.assert_array_equal(z, np.array([0.0, 1.0, 2.0]) + 0.5 * common + np.sqrt(0.75) * own)
    big = mt.equicorrelated_z(200_000, 3, 0.3, rng=8, mean=[0.0, 0.5, -1.0])
    np.testing.assert_allclose(big.mean(axis=0), [0.0, 0.5, -1.0], atol=0.01)
    np.testing.assert_allclose(np.cov(big.T), 0.3 + 0.7 * np.eye(3), atol=0.01)


def test_simulated_correlated_fwer_matches_integral():
    n_sims, m, rho = 20_000, 10, 0.6
    z = mt.equicorrelated_z(n_sims, m, rho, rng=6)
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1] - rho) < 0.03
    fwer = (mt.two_sided_pvalues(z) <= 0.05).any(axis=1).mean()
    lo, hi = stats.binomial_band(mt.familywise_error_correlated(m, rho), n_sims, 0.999)
    assert lo <= fwer <= hi


@pytest.mark.parametrize("method, exact", [
    ("bonferroni", 1 - (1 - 0.05 / 10) ** 10),
    ("holm", 1 - (1 - 0.05 / 10) ** 10),     # under the global null Holm rejects iff min p <= alpha/m
    ("hochberg", 0.05),                       # Simes' test is exact for independent tests (Simes 1986)
    ("bh", 0.05),                             # FDR = FWER = alpha under the global null
    ("by", 0.05 / np.sum(1 / np.arange(1, 11))),
])
def test_aa_calibration_of_every_correction(method, exact):
    # A/A calibration: 20,000 families of 10 null tests, family-wise false-positive rate.
    n_sims = 20_000
    p = mt.two_sided_pvalues(np.random.default_rng(7).standard_normal((n_sims, 10)))
    fwer = mt.adjust_pvalues(p, method).reject.any(axis=1).mean()
    lo, hi = stats.binomial_band(exact, n_sims, 0.999)
    assert lo <= fwer <= hi


def test_uncorrected_aa_rate_matches_formula():
    n_sims, m = 20_000, 10
    p = mt.two_sided_pvalues(np.random.default_rng(8).standard_normal((n_sims, m)))
    lo, hi = stats.binomial_band(mt.familywise_error(m), n_sims, 0.999)
    assert lo <= (p <= 0.05).any(axis=1).mean() <= hi


def test_bh_fdr_equals_m0_over_m_alpha_under_independence():
    # Benjamini & Yekutieli (2001), Theorem 5.1 equality case: FDR = (m0/m) q for independent continuous tests.
    n_sims, m, m0 = 20_000, 10, 6
    mean = np.r_[np.zeros(m0), np.full(m - m0, 3.0)]
    z = np.random.default_rng(9).standard_normal((n_sims, m)) + mean
    rates = mt.error_rates(mt.adjust_pvalues(mt.two_sided_pvalues(z), "bh").reject, mean == 0)
    assert abs(rates.fdr.estimate - m0 / m * 0.05) < 4 * rates.fdr.se
    assert 0.5 < rates.power.estimate < 1


def test_error_rates_by_hand():
    reject = np.array([[True, True, False], [False, False, False], [True, False, True]])
    rates = mt.error_rates(reject, is_null=[True, False, False])
    assert rates.fwer.estimate == pytest.approx(2 / 3)
    assert rates.fdr.estimate == pytest.approx((1 / 2 + 0 + 1 / 2) / 3)
    assert rates.power.estimate == pytest.approx((1 / 2 + 0 + 1 / 2) / 3)
    assert np.isnan(mt.error_rates(reject, [True, True, True]).power.estimate)


def test_simpsons_paradox_detected_only_when_counts_reverse():
    # B wins both segments but loses pooled: B got mostly the low-converting segment.
    real = mt.compare_segments([40, 800], [2000, 8000], [200, 220], [8000, 2000])
    assert real.reverses and (real.rate_b > real.rate_a).all() and real.overall_b < real.overall_a
    # Same winning segments with the same segment mix in both arms: no reversal is possible.
    none = mt.compare_segments([100, 50], [1000, 1000], [120, 60], [1000, 1000])
    assert not none.reverses and none.overall_b > none.overall_a


def test_same_segment_mix_never_reverses():
    rng = np.random.default_rng(10)
    for _ in range(500):
        n = rng.integers(100, 1000, 4)
        res = mt.compare_segments(rng.binomial(n, 0.3), n, rng.binomial(n, 0.3), n)
        assert not res.reverses


def _metric(name, est, half=0.01, p=0.5, **kw):
    return mt.Metric(name, est, est - half, est + half, p, **kw)


WIN = _metric("ctr", 0.02, p=0.001)


def test_drop_in_higher_is_better_guardrail_is_flagged():
    revenue = _metric("revenue", -0.05, tolerance=0.01)  # CI [-0.06, -0.04]: a drop beyond 0.01
    assert mt.guardrail_status(revenue) == "fail"
    d = mt.decide(WIN, guardrails=[revenue])
    assert d.decision == "don't ship"
    assert any("revenue fails" in r and "drop" in r for r in d.reasons)


def test_rise_in_lower_is_better_guardrail_is_flagged():
    latency = _metric("latency", 30.0, half=10.0, higher_is_better=False, tolerance=5.0)
    assert mt.guardrail_status(latency) == "fail"
    d = mt.decide(WIN, guardrails=[latency])
    assert d.decision == "don't ship" and any("latency fails" in r and "rise" in r for r in d.reasons)


def test_improvements_in_either_direction_are_not_flagged():
    revenue_up = _metric("revenue", 0.05, tolerance=0.0)
    latency_down = _metric("latency", -30.0, half=10.0, higher_is_better=False, tolerance=0.0)
    assert mt.guardrail_status(revenue_up) == mt.guardrail_status(latency_down) == "pass"
    assert mt.decide(WIN, guardrails=[revenue_up, latency_down]).decision == "ship"


def test_guardrail_that_cannot_rule_out_harm_extends():
    revenue = _metric("revenue", 0.0, half=0.02, tolerance=0.01)  # CI [-0.02, 0.02]
    assert mt.guardrail_status(revenue) == "unclear"
    assert mt.decide(WIN, guardrails=[revenue]).decision == "extend"
    assert mt.guardrail_status(_metric("revenue", 0.0, half=0.02, tolerance=0.02)) == "pass"


def test_primary_rules():
    flat = _metric("ctr", 0.001, p=0.4)
    assert mt.decide(flat, powered=False).decision == "extend"
    assert mt.decide(flat, powered=True).decision == "don't ship"
    assert mt.decide(_metric("ctr", -0.02, p=0.001)).decision == "don't ship"
    faster = _metric("latency", -20.0, half=5.0, p=0.001, higher_is_better=False)
    assert mt.decide(faster).decision == "ship"
    assert mt.decide(_metric("latency", 20.0, half=5.0, p=0.001, higher_is_better=False)).decision \
        == "don't ship"


def test_secondary_metrics_are_corrected_and_do_not_change_the_decision():
    secondary = [_metric("cart", 0.01, p=0.02), _metric("dwell", 0.01, p=0.03)]
    holm = mt.decide(WIN, secondary=secondary, method="holm")  # Holm: 2 x 0.02 = 0.04, max(0.04, 0.03) = 0.04
    assert holm.decision == "ship"
    assert sum("0.04, significant" in r for r in holm.reasons) == 2
    bonf = mt.decide(WIN, secondary=secondary, method="bonferroni")  # 0.04 and 0.06
    assert bonf.decision == "ship"
    assert any("dwell" in r and "0.06, not significant" in r for r in bonf.reasons)
    assert mt.decide(_metric("ctr", 0.0, p=0.9), secondary=secondary).decision == "don't ship"


def test_metric_from_comparison_result():
    res = stats.two_proportion_ztest(1000, 10_000, 1100, 10_000)
    m = mt.Metric.from_result("ctr", res)
    assert (m.estimate, m.ci_low, m.ci_high, m.p_value) == (res.estimate, res.ci_low, res.ci_high, res.p_value)
    assert mt.decide(m).decision == "ship"


@pytest.mark.parametrize("call, arg", [
    (lambda: mt.adjust_pvalues([0.01, 1.2]), "pvalues"),
    (lambda: mt.adjust_pvalues([-0.1, 0.2]), "pvalues"),
    (lambda: mt.adjust_pvalues([0.1, np.nan]), "pvalues"),
    (lambda: mt.adjust_pvalues([]), "pvalues"),
    (lambda: mt.adjust_pvalues([0.1], method="fdr"), "method"),
    (lambda: mt.adjust_pvalues([0.1], alpha=1.5), "alpha"),
    (lambda: mt.familywise_error(0), "m"),
    (lambda: mt.familywise_error(3, alpha=0), "alpha"),
    (lambda: mt.familywise_error_correlated(3, rho=-0.2), "rho"),
    (lambda: mt.familywise_error_correlated(0, rho=0.2), "m"),
    (lambda: mt.equicorrelated_z(10, 3, 1.5, rng=1), "rho"),
    (lambda: mt.equicorrelated_z(0, 3, 0.5, rng=1), "n_sims"),
    (lambda: mt.error_rates([True, False], [True, False]), "reject"),
    (lambda: mt.error_rates([[True, False]], [True]), "is_null"),
    (lambda: mt.compare_segments([1, 2], [10, 10], [1], [10]), "same length"),
    (lambda: mt.compare_segments([11], [10], [1], [10]), "successes_a"),
    (lambda: mt.Metric("x", 0.0, 0.1, 0.2, 0.5), "ci_low"),
    (lambda: mt.Metric("x", float("nan"), 0.1, 0.2, 0.5), "estimate"),
    (lambda: mt.Metric("x", 0.0, -0.1, 0.1, 1.5), "p_value"),
    (lambda: mt.Metric("x", 0.0, -0.1, 0.1, 0.5, tolerance=-1), "tolerance"),
    (lambda: mt.Metric("x", 0.0, -0.1, 0.1, 0.5, higher_is_better="yes"), "higher_is_better"),
    (lambda: mt.decide("ctr"), "primary"),
    (lambda: mt.decide(WIN, guardrails=[0.1]), "guardrails"),
    (lambda: mt.decide(WIN, secondary=[0.1]), "secondary"),
    (lambda: mt.decide(WIN, powered="no"), "powered"),
    (lambda: mt.decide(WIN, method="fdr"), "method"),
])
def test_bad_input_names_the_argument(call, arg):
    with pytest.raises(ValueError, match=arg):
        call()


def test_reprs_are_readable():
    assert "4 of 15 rejected" in repr(mt.adjust_pvalues(BH1995, "bh"))
    assert "families" in repr(mt.adjust_pvalues(np.full((3, 4), 0.01), "bh"))
    assert repr(mt.decide(WIN)).startswith("Decision: SHIP")
    assert "reverses=True" in repr(mt.compare_segments([40, 800], [2000, 8000], [200, 220], [8000, 2000]))


def test_rejection_includes_an_adjusted_p_value_equal_to_alpha():
    # "Rejected when the adjusted p-value is <= alpha" (Holm 1979; Benjamini & Hochberg 1995 use <=).
    # Dyadic numbers, so every product below is exact: BH's line k q / m is 1/8, 2/8, 3/8, 4/8.
    p = np.array([0.125, 0.3, 0.375, 0.9])
    np.testing.assert_array_equal(mt.adjust_pvalues(p, "bh", 0.5).reject, [True, True, True, False])
    assert mt.adjust_pvalues([0.25], "bonferroni", 0.25).reject.all()
    np.testing.assert_array_equal(multipletests(p, 0.5, "fdr_bh")[0], [True, True, True, False])


def test_correlated_fwer_of_a_single_test_is_alpha_and_two_tests_match_scipy():
    for rho in (0.0, 0.3, 0.9):
        assert mt.familywise_error_correlated(1, rho, 0.05) == pytest.approx(0.05, abs=1e-9)
    c = sps.norm.ppf(1 - 0.1 / 2)
    for rho in (0.2, 0.7):
        none = sps.multivariate_normal(np.zeros(2), [[1, rho], [rho, 1]]).cdf([c, c], lower_limit=[-c, -c])
        assert mt.familywise_error_correlated(2, rho, 0.1) == pytest.approx(1 - none, abs=2e-4)


def test_error_rates_against_a_per_family_count():
    # Families chosen so that each convention differs: a family with only a TRUE rejection (no
    # false positive, so not a family-wise error), one with a single FALSE rejection (FDP = 1),
    # one with no rejection (FDP = 0, not 0 / 0).
    reject = np.array([[False, True, False, False],    # only a true rejection
                       [True, False, False, False],    # one false rejection
                       [False, False, False, False],   # nothing
                       [True, True, True, False]])     # two false, one true
    is_null = np.array([True, False, True, False])
    rates = mt.error_rates(reject, is_null)
    assert rates.fwer.estimate == pytest.approx(2 / 4)
    assert rates.fdr.estimate == pytest.approx((0 + 1 + 0 + 2 / 3) / 4)
    assert rates.power.estimate == pytest.approx((1 / 2 + 0 + 0 + 1 / 2) / 4)
    # an independent loop over families, on random rejections
    rng = np.random.default_rng(12)
    reject, is_null = rng.random((500, 6)) < 0.3, np.array([True, True, False, True, False, False])
    v_, r_ = (reject & is_null).sum(1), reject.sum(1)
    rates = mt.error_rates(reject, is_null)
    assert rates.fwer.estimate == pytest.approx(np.mean([v > 0 for v in v_]))
    assert rates.fdr.estimate == pytest.approx(np.mean([v / r if r else 0.0 for v, r in zip(v_, r_)]))


def test_a_pooled_tie_is_not_a_reversal():
    # B wins both segments (11% vs 10%, 91% vs 90%); pooled, both arms convert exactly 50%.
    tie = mt.compare_segments([10, 90], [100, 100], [451, 3549], [4100, 3900])
    assert (tie.rate_b > tie.rate_a).all() and tie.overall_a == tie.overall_b == 0.5
    assert not tie.reverses


def test_guardrail_harm_exactly_at_the_tolerance_is_tolerated():
    # Dyadic numbers, exact in floating point: harm CI [0.25, 0.5] with tolerance 0.25.
    reaches = mt.Metric("cart", -0.375, -0.5, -0.25, 0.01, tolerance=0.25)
    assert mt.guardrail_status(reaches) == "unclear"        # not wholly beyond the tolerance
    within = mt.Metric("cart", -0.125, -0.25, 0.0, 0.5, tolerance=0.25)
    assert mt.guardrail_status(within) == "pass"            # harm up to exactly the tolerance
    latency = mt.Metric("latency", 6.0, 4.0, 8.0, 0.01, higher_is_better=False, tolerance=4.0)
    assert mt.guardrail_status(latency) == "unclear"


def test_primary_p_value_equal_to_alpha_is_significant():
    assert mt.decide(mt.Metric("ctr", 0.5, 0.25, 0.75, 0.0625), alpha=0.0625).decision == "ship"


def test_secondary_metrics_are_corrected_at_the_given_alpha():
    secondary = [_metric("cart", 0.01, p=0.04), _metric("dwell", 0.01, p=0.06)]
    at_10 = mt.decide(_metric("ctr", 0.02, p=0.001), secondary=secondary, alpha=0.10)  # Holm: 0.08, 0.08
    assert sum("0.08, significant" in r for r in at_10.reasons) == 2
    at_05 = mt.decide(_metric("ctr", 0.02, p=0.001), secondary=secondary, alpha=0.05)
    assert sum("0.08, not significant" in r for r in at_05.reasons) == 2


def test_results_are_frozen():
    import dataclasses
    reject = np.array([[True, False], [False, False]])
    results = [mt.adjust_pvalues([0.01, 0.2]), mt.error_rates(reject, [True, False]),
               mt.compare_segments([1], [10], [2], [10]), WIN, mt.decide(WIN)]
    for result in results:
        field = dataclasses.fields(result)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(result, field, None)


def test_repr_of_batched_families():
    p = np.full((2, 3, 4), 0.5)
    p[..., 0] = 0.001                      # one rejection per family of 4
    assert repr(mt.adjust_pvalues(p, "bonferroni")) == \
        "Adjusted(bonferroni, alpha=0.05: (2, 3) families of 4, mean rejections 1)"


def test_error_rates_accept_zero_one_indicators():
    reject = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 0]])
    as_bool = mt.error_rates(reject.astype(bool), [True, False, False])
    for other in (mt.error_rates(reject, [1, 0, 0]), mt.error_rates(reject.astype(float), np.array([1.0, 0, 0]))):
        for a, b in zip((as_bool.fwer, as_bool.fdr, as_bool.power), (other.fwer, other.fdr, other.power)):
            assert (a.estimate, a.se, a.n) == pytest.approx((b.estimate, b.se, b.n))
    all_null = mt.error_rates(np.zeros((5, 3), dtype=bool), [True, True, True])
    assert np.isnan(all_null.power.estimate) and all_null.power.n == 5     # n counts the simulated families


def test_compare_segments_with_one_segment_and_single_trials():
    one = mt.compare_segments([30], [100], [40], [100])
    assert one.overall_b > one.overall_a and not one.reverses
    tiny = mt.compare_segments([0, 1], [1, 1], [1, 0], [1, 1])      # one trial per segment is allowed
    assert tiny.rate_a.tolist() == [0.0, 1.0] and not tiny.reverses


@pytest.mark.parametrize("args, name", [
    (([1, 2], [10], [1], [10]), "successes_a has 2"),
    (([1], [10, 10], [1], [10]), "trials_a has 2"),
    (([1], [10], [1, 2], [10]), "successes_b has 2"),
    (([1], [10], [1], [10, 10]), "trials_b has 2"),
    (([0], [0], [1], [10]), "trials_a"),
    (([1], [10], [0], [0]), "trials_b"),
])
def test_compare_segments_names_the_bad_argument(args, name):
    with pytest.raises(ValueError, match=name):
        mt.compare_segments(*args)


def test_decision_defaults():
    assert mt.Decision("ship").reasons == ()
    borderline = mt.Metric("ctr", 0.02, 0.0, 0.04, 0.052)
    assert mt.decide(borderline).decision == "don't ship"          # default alpha 0.05
    assert mt.decide(borderline, alpha=0.06).decision == "ship"


def test_primary_direction_at_zero_and_below_one():
    # A significant primary is a win only in its good direction: a zero estimate is not a win, and a
    # latency rise of half a millisecond is a loss.
    assert mt.decide(mt.Metric("ctr", 0.0, -0.001, 0.001, 0.01)).decision == "don't ship"
    assert mt.decide(mt.Metric("latency", 0.0, -0.1, 0.1, 0.01, higher_is_better=False)).decision == "don't ship"
    assert mt.decide(mt.Metric("latency", 0.5, 0.2, 0.8, 0.001, higher_is_better=False)).decision == "don't ship"


def test_correlated_fwer_against_an_independent_quadrature():
    # Simpson's rule on 400,001 points over [-12, 12], written out here: agreement to 1e-12.
    from scipy import integrate, special
    u = np.linspace(-12, 12, 400_001)
    for m, rho, alpha in ((10, 0.5, 0.05), (3, 0.9, 0.01), (50, 0.3, 0.1)):
        c = sps.norm.ppf(1 - alpha / 2)
        s, r = np.sqrt(rho), np.sqrt(1 - rho)
        inside = special.ndtr((c - s * u) / r) - special.ndtr((-c - s * u) / r)
        ref = 1 - integrate.simpson(np.exp(-u * u / 2) / np.sqrt(2 * np.pi) * inside**m, x=u)
        assert mt.familywise_error_correlated(m, rho, alpha) == pytest.approx(ref, abs=1e-12)
