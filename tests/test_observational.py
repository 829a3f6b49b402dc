"""labsupport.observational against statsmodels, exact enumeration, brute force and quadrature;
A/A calibration and coverage of the DiD and pre-trend tests; bias where assumptions fail."""

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.stats.weightstats import DescrStatsW
from statsmodels.treatment.treatment_effects import TreatmentEffect

from labsupport import observational as ob
from labsupport import stats

DESIGN = ob.OptInDesign()
N_SIMS_BIAS, N_USERS = 400, 2000


def _one(seed=0, n=1500, design=DESIGN):
    return design.simulate(n, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def many():
    """400 opt-in data sets of 2,000 users each, with and without the hidden confounder."""
    out = {}
    for name, design in {"observed": DESIGN, "hidden": DESIGN.with_(hidden=1.0, hidden_level=4.0),
                         "trend": DESIGN.with_(hidden=1.0, hidden_level=4.0, hidden_trend=2.0)}.items():
        out[name] = design.simulate(N_USERS, np.random.default_rng([12, len(out)]), n_sims=N_SIMS_BIAS)
    return out


def _mean_se(x):
    x = np.asarray(x)
    return x.mean(), x.std(ddof=1) / np.sqrt(x.size)


def _unbiased(x, truth, k=4):
    m, se = _mean_se(x)
    return abs(m - truth) < k * se


def _bias(x, truth):
    m, se = _mean_se(x)
    return (m - truth) / se            # in standard errors


# ----------------------------------------------------------------------------- statsmodels references

def test_fit_logit_matches_statsmodels_for_each_data_set():
    data = DESIGN.simulate(800, np.random.default_rng(1), n_sims=3)
    beta = ob.fit_logit(data.treated, data.covariates)
    ps = ob.propensity_scores(data.treated, data.covariates)
    for i in range(3):
        exog = sm.add_constant(data.covariates[i])
        fit = sm.Logit(data.treated[i].astype(float), exog).fit(disp=0, tol=1e-12)
        np.testing.assert_allclose(beta[i], fit.params, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(ps[i], fit.predict(), rtol=1e-8)


def test_naive_difference_is_the_ols_coefficient():
    d = _one()
    fit = sm.OLS(d.y, sm.add_constant(d.treated.astype(float))).fit()
    assert np.isclose(ob.naive_difference(d.y, d.treated), fit.params[1], rtol=1e-10)


@pytest.mark.parametrize("estimand, group", [("ate", "all"), ("att", 1)])
def test_regression_adjustment_matches_statsmodels_treatment_effect(estimand, group):
    d = _one(2)
    exog = sm.add_constant(d.covariates)
    t = d.treated.astype(int)
    te = TreatmentEffect(sm.OLS(d.y, exog), t, results_select=sm.Logit(t, exog).fit(disp=0))
    ref = te.ra(return_results=False, effect_group=group)[0]   # the closed form, not the GMM refit
    assert np.isclose(ob.regression_adjustment(d.y, d.treated, d.covariates, estimand), ref, rtol=1e-9)


@pytest.mark.parametrize("estimand, group", [("ate", "all"), ("att", 1)])
def test_normalised_ipw_matches_statsmodels_treatment_effect(estimand, group):
    d = _one(3)
    exog = sm.add_constant(d.covariates)
    t = d.treated.astype(int)
    logit = sm.Logit(t, exog).fit(disp=0, tol=1e-12)
    te = TreatmentEffect(sm.OLS(d.y, exog), t, results_select=logit)
    ref = te.ipw(return_results=False, effect_group=group)[0]
    mine = ob.ipw_effect(d.y, d.treated, logit.predict(), estimand=estimand)
    assert np.isclose(mine, ref, rtol=1e-8)


def test_normalised_ipw_is_a_weighted_regression_coefficient():
    d = _one(4)
    ps = ob.propensity_scores(d.treated, d.covariates)
    for estimand in ob.ESTIMANDS:
        w = ob.ipw_weights(d.treated, ps, estimand)
        fit = sm.WLS(d.y, sm.add_constant(d.treated.astype(float)), weights=w).fit()
        assert np.isclose(ob.ipw_effect(d.y, d.treated, ps, estimand), fit.params[1], rtol=1e-10)


def test_horvitz_thompson_is_exactly_unbiased_by_enumeration():
    """E[HT] over all 2^10 Bernoulli(ps) assignments equals the units' true ATE."""
    rng = np.random.default_rng(5)
    ps = rng.uniform(0.15, 0.85, 10)
    y0 = rng.normal(10, 3, 10)
    y1 = y0 + rng.normal(2, 1, 10)
    expected, hajek = 0.0, 0.0
    for bits in itertools.product((0, 1), repeat=10):
        t = np.array(bits, bool)
        prob = np.prod(np.where(t, ps, 1 - ps))
        y = np.where(t, y1, y0)
        if t.all() or not t.any():                       # the function needs both arms; the formula does not
            ht = (np.where(t, y / ps, 0) - np.where(t, 0, y / (1 - ps))).mean()
            hj = 0.0
        else:
            ht = ob.ipw_effect(y, t, ps, normalized=False)
            hj = ob.ipw_effect(y, t, ps)
        expected += prob * ht
        hajek += prob * hj
    assert np.isclose(expected, (y1 - y0).mean(), rtol=1e-12)
    assert not np.isclose(hajek, (y1 - y0).mean(), rtol=1e-3)   # the normalised one is only consistent


def test_ht_att_and_ate_weights_by_hand():
    t = np.array([1, 1, 0, 0, 0], bool)
    ps = np.array([0.8, 0.5, 0.5, 0.2, 0.25])
    y = np.array([5.0, 3.0, 2.0, 1.0, 4.0])
    np.testing.assert_allclose(ob.ipw_weights(t, ps), [1.25, 2, 2, 1.25, 4 / 3])
    np.testing.assert_allclose(ob.ipw_weights(t, ps, "att"), [1, 1, 1, 0.25, 1 / 3])
    ate_ht = (5 / 0.8 + 3 / 0.5 - 2 / 0.5 - 1 / 0.8 - 4 / 0.75) / 5
    att_ht = (5 + 3 - 2 - 0.25 - 4 / 3) / 2
    assert np.isclose(ob.ipw_effect(y, t, ps, normalized=False), ate_ht)
    assert np.isclose(ob.ipw_effect(y, t, ps, "att", normalized=False), att_ht)
    att_hajek = 4 - (2 + 0.25 + 4 / 3) / (1 + 0.25 + 1 / 3)
    assert np.isclose(ob.ipw_effect(y, t, ps, "att"), att_hajek)


# ----------------------------------------------------------------------------- matching against brute force

def _brute_with_replacement(y, t, s, caliper=None):
    diffs, used = [], np.zeros(len(y))
    controls = [j for j in range(len(y)) if not t[j]]
    for i in range(len(y)):
        if not t[i]:
            continue
        j = min(controls, key=lambda c: (abs(s[c] - s[i]), s[c]))
        if caliper is not None and abs(s[j] - s[i]) > caliper:
            continue
        diffs.append(y[i] - y[j])
        used[j] += 1
        used[i] += 1
    return np.mean(diffs), used


def _brute_greedy(y, t, s, caliper=None):
    free = [j for j in range(len(y)) if not t[j]]
    order = sorted((i for i in range(len(y)) if t[i]), key=lambda i: -s[i])
    diffs = []
    for i in order:
        if not free:
            break
        j = min(free, key=lambda c: abs(s[c] - s[i]))
        if caliper is not None and abs(s[j] - s[i]) > caliper:
            continue
        free.remove(j)
        diffs.append(y[i] - y[j])
    return np.mean(diffs), len(diffs)


@pytest.mark.parametrize("caliper", [None, 0.05, 0.3])
def test_matching_with_replacement_matches_brute_force(caliper):
    data = DESIGN.simulate(300, np.random.default_rng(6), n_sims=3)
    ps = ob.propensity_scores(data.treated, data.covariates)
    score = np.log(ps / (1 - ps))
    res = ob.match_effect(data.y, data.treated, score, caliper=caliper)
    for i in range(3):
        est, used = _brute_with_replacement(data.y[i], data.treated[i], score[i], caliper)
        assert np.isclose(res.estimate[i], est, rtol=1e-12)
        np.testing.assert_array_equal(res.weights[i], used)
        one = ob.match_effect(data.y[i], data.treated[i], score[i], caliper=caliper)
        assert np.isclose(one.estimate, est, rtol=1e-12) and one.n_matched == used[data.treated[i]].sum()


def test_matching_with_replacement_is_a_weighted_regression():
    d = _one(7, 600)
    ps = ob.propensity_scores(d.treated, d.covariates)
    res = ob.match_effect(d.y, d.treated, ps)
    keep = res.weights > 0
    fit = sm.WLS(d.y[keep], sm.add_constant(d.treated[keep].astype(float)), weights=res.weights[keep]).fit()
    assert np.isclose(res.estimate, fit.params[1], rtol=1e-10)


@pytest.mark.parametrize("caliper", [None, 0.1])
def test_greedy_matching_without_replacement_matches_brute_force(caliper):
    d = _one(8, 400)
    ps = ob.propensity_scores(d.treated, d.covariates)
    res = ob.match_effect(d.y, d.treated, ps, replace=False, caliper=caliper)
    est, n = _brute_greedy(d.y, d.treated, ps, caliper)
    assert np.isclose(res.estimate, est, rtol=1e-12) and res.n_matched == n
    assert res.weights.max() == 1                               # each control used at most once


def test_greedy_matching_runs_out_of_controls():
    t = np.array([1, 1, 1, 0], bool)
    y = np.array([3.0, 2.0, 1.0, 0.0])
    res = ob.match_effect(y, t, np.array([0.9, 0.5, 0.1, 0.4]), replace=False)
    assert res.n_matched == 1 and res.estimate == 3.0          # the highest score takes the only control


# ----------------------------------------------------------------------------- balance

def test_standardized_differences_by_hand_and_with_descrstatsw():
    d = _one(9, 500)
    w = np.random.default_rng(0).uniform(0.2, 3.0, 500)
    smd = ob.standardized_differences(d.covariates, d.treated, w)
    raw = ob.standardized_differences(d.covariates, d.treated)
    frame = pd.DataFrame(d.covariates)
    for j in range(3):
        x1, x0 = frame[j][d.treated], frame[j][~d.treated]
        sd = np.sqrt((x1.var() + x0.var()) / 2)                # pandas: ddof=1
        assert np.isclose(raw[j], (x1.mean() - x0.mean()) / sd, rtol=1e-12)
        m1 = DescrStatsW(x1.to_numpy(), weights=w[d.treated]).mean
        m0 = DescrStatsW(x0.to_numpy(), weights=w[~d.treated]).mean
        assert np.isclose(smd[j], (m1 - m0) / sd, rtol=1e-12)


def test_matching_and_weighting_restore_balance_on_observed_covariates():
    d = _one(10, 3000)
    ps = ob.propensity_scores(d.treated, d.covariates)
    before = ob.standardized_differences(d.covariates, d.treated)
    score = np.log(ps / (1 - ps))
    matched = ob.match_effect(d.y, d.treated, score, caliper=0.2 * score.std(ddof=1))
    after_match = ob.standardized_differences(d.covariates, d.treated, matched.weights)
    after_ipw = ob.standardized_differences(d.covariates, d.treated, ob.ipw_weights(d.treated, ps))
    assert np.abs(before).max() > 0.5
    assert np.abs(after_match).max() < 0.1 and np.abs(after_ipw).max() < 0.1


def test_effective_sample_size():
    assert np.isclose(ob.effective_sample_size(np.ones(50)), 50)
    assert np.isclose(ob.effective_sample_size([0, 0, 4.0, 0]), 1)
    assert np.isclose(ob.effective_sample_size([1.0, 3.0]), 16 / 10)
    np.testing.assert_allclose(ob.effective_sample_size(np.ones((2, 7))), [7, 7])


# ----------------------------------------------------------------------------- difference-in-differences

def _stacked(pre, post, treated):
    g = len(pre)
    return pd.DataFrame({"y": np.r_[pre, post], "treated": np.r_[treated, treated].astype(int),
                         "post": np.repeat([0, 1], g), "unit": np.r_[np.arange(g), np.arange(g)]})


@pytest.mark.parametrize("seed, units", [(1, 30), (2, 200)])
def test_did_2x2_matches_statsmodels_cluster_ols(seed, units):
    panel = ob.simulate_panel(units, 6, 3, np.random.default_rng(seed))
    pre, post = panel.pre_post_means()
    res = ob.did_2x2(pre, post, panel.treated)
    fit = smf.ols("y ~ treated * post", _stacked(pre, post, panel.treated)).fit(
        cov_type="cluster", cov_kwds={"groups": np.r_[np.arange(units), np.arange(units)]}, use_t=True)
    assert np.isclose(res.estimate, fit.params["treated:post"], rtol=1e-10)
    assert np.isclose(res.se, fit.bse["treated:post"], rtol=1e-10)
    assert np.isclose(res.p_value, fit.pvalues["treated:post"], rtol=1e-8)
    np.testing.assert_allclose([res.ci_low, res.ci_high], fit.conf_int().loc["treated:post"], rtol=1e-10)


def test_did_2x2_is_vectorised_over_data_sets():
    panel = ob.simulate_panel(40, 4, 2, np.random.default_rng(3), n_sims=5)
    pre, post = panel.pre_post_means()
    res = ob.did_2x2(pre, post, panel.treated)
    for i in range(5):
        one = ob.did_2x2(pre[i], post[i], panel.treated[i])
        assert np.isclose(res.estimate[i], one.estimate) and np.isclose(res.se[i], one.se)


def test_event_study_matches_statsmodels_two_way_fixed_effects():
    units, periods, first = 50, 7, 4
    panel = ob.simulate_panel(units, periods, first, np.random.default_rng(4), trend_gap=0.2)
    df = panel.long()
    ref = first - 1
    terms = [f"I(treated * (period == {k}))" for k in range(periods) if k != ref]
    fit = smf.ols("y ~ C(unit) + C(period) + " + " + ".join(terms), df).fit(
        cov_type="cluster", cov_kwds={"groups": df["unit"], "use_correction": False})
    res = ob.event_study(panel.y, panel.treated, first)
    np.testing.assert_allclose(res.estimate, fit.params[terms], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.se, fit.bse[terms] * np.sqrt(units / (units - 1)), rtol=1e-8)
    np.testing.assert_array_equal(res.relative_period, [-4, -3, -2, 0, 1, 2])
    leads = [t for t, r in zip(terms, res.relative_period) if r < -1]
    wald0 = fit.wald_test(", ".join(f"{t} = 0" for t in leads), scalar=True, use_f=False).statistic
    assert np.isclose(res.pretrend_statistic, wald0 * (units - 1) / units, rtol=1e-8)
    # the p-value: statsmodels' F test with the same covariance and G - 1 denominator degrees of freedom
    fit_t = smf.ols("y ~ C(unit) + C(period) + " + " + ".join(terms), df).fit(
        cov_type="cluster", cov_kwds={"groups": df["unit"], "use_correction": False}, use_t=True)
    names = list(fit_t.params.index)
    restriction = np.zeros((len(leads), len(names)))
    for row, term in enumerate(leads):
        restriction[row, names.index(term)] = 1
    f_test = fit_t.f_test(restriction, cov_p=fit_t.cov_params().to_numpy() * units / (units - 1))
    assert f_test.df_denom == units - 1
    assert np.isclose(res.pretrend_p, f_test.pvalue, rtol=1e-8)
    assert np.isclose(res.pretrend_statistic / len(leads), f_test.fvalue, rtol=1e-8)


def test_event_study_coefficients_are_2x2_dids_against_the_reference_period():
    panel = ob.simulate_panel(60, 6, 3, np.random.default_rng(5), effect=1.5)
    res = ob.event_study(panel.y, panel.treated, 3)
    for k, rel in zip([0, 1, 3, 4, 5], res.relative_period):
        did = ob.did_2x2(panel.y[:, 2], panel.y[:, k], panel.treated)
        assert np.isclose(res.estimate[rel + 3 if rel < 0 else rel + 2], did.estimate)
    assert np.isnan(ob.event_study(panel.y, panel.treated, 1).pretrend_p)   # no lead to test


def _aa_panels(n_chunks=4, per_chunk=5000, units=200, **kw):
    for chunk in range(n_chunks):
        yield ob.simulate_panel(units, 6, 3, np.random.default_rng([1212, chunk]), effect=0.0,
                                n_sims=per_chunk, rho=0.6, **kw)


def test_did_2x2_aa_calibration_and_coverage():
    rejected, covered = [], []
    for panel in _aa_panels():
        res = ob.did_2x2(*panel.pre_post_means(), panel.treated)
        rejected.append(res.p_value < 0.05)
        covered.append((res.ci_low <= 0) & (0 <= res.ci_high))
    rejected, covered = np.concatenate(rejected), np.concatenate(covered)
    low, high = stats.binomial_band(0.05, rejected.size, 0.999)
    assert low <= rejected.mean() <= high
    low, high = stats.binomial_band(0.95, covered.size, 0.999)
    assert low <= covered.mean() <= high


def test_pretrend_test_aa_calibration_and_event_study_coverage():
    rejected, covered = [], []
    for panel in _aa_panels():
        res = ob.event_study(panel.y, panel.treated, panel.first_post)
        rejected.append(res.pretrend_p < 0.05)
        covered.append((res.ci_low <= 0) & (0 <= res.ci_high))
    rejected, covered = np.concatenate(rejected), np.concatenate(covered)
    low, high = stats.binomial_band(0.05, rejected.size, 0.999)
    assert low <= rejected.mean() <= high
    low, high = stats.binomial_band(0.95, covered.shape[0], 0.999)
    assert ((low <= covered.mean(0)) & (covered.mean(0) <= high)).all()


def test_a_trend_gap_biases_did_upward_and_the_pretrend_test_sees_it():
    panel = ob.simulate_panel(200, 6, 3, np.random.default_rng(6), effect=0.0, trend_gap=0.3, n_sims=2000)
    did = ob.did_2x2(*panel.pre_post_means(), panel.treated)
    # treated drift +0.3 a period; post mean period 4, pre mean period 1 -> bias 0.3 x 3 = 0.9
    m, se = _mean_se(did.estimate)
    assert abs(m - 0.9) < 4 * se
    power = (ob.event_study(panel.y, panel.treated, 3).pretrend_p < 0.05).mean()
    steeper = ob.simulate_panel(200, 6, 3, np.random.default_rng(8), effect=0.0, trend_gap=0.6, n_sims=2000)
    assert 0.2 < power < (ob.event_study(steeper.y, steeper.treated, 3).pretrend_p < 0.05).mean() > 0.9
    parallel = ob.simulate_panel(200, 6, 3, np.random.default_rng(7), effect=1.0, n_sims=2000)
    assert _unbiased(ob.did_2x2(*parallel.pre_post_means(), parallel.treated).estimate, 1.0)


# ----------------------------------------------------------------------------- the opt-in feed: truth and bias

def test_population_quadrature_agrees_with_a_large_simulation():
    for design in (DESIGN, DESIGN.with_(hidden=1.0, hidden_level=4.0, hidden_trend=1.0)):
        pop = design.population()
        data = design.simulate(20_000, np.random.default_rng(11), n_sims=20)
        share = data.treated.mean()
        assert abs(share - pop["share_treated"]) < 4 * np.sqrt(share * (1 - share) / data.treated.size)
        assert _unbiased(ob.naive_difference(data.y, data.treated), pop["naive"])
        y0_gap = ob.naive_difference(data.y0, data.treated)
        assert _unbiased(y0_gap, pop["selection_bias"])
    assert np.isclose(pop["naive"] - pop["selection_bias"], design.effect)
    rand = DESIGN.with_(randomized=True).population()
    assert np.isclose(rand["share_treated"], 0.5) and np.isclose(rand["selection_bias"], 0, atol=1e-12)
    assert np.isclose(DESIGN.population(nodes=60)["naive"], DESIGN.population()["naive"], rtol=1e-10)


def test_simulated_potential_outcomes_have_the_stated_effect(many):
    d = many["observed"]
    np.testing.assert_allclose(d.y1 - d.y0, DESIGN.effect)
    np.testing.assert_array_equal(d.y, np.where(d.treated, d.y1, d.y0))
    sessions_lift = ob.naive_difference(d.sessions, d.treated) - 0.8 * ob.naive_difference(
        d.covariates[..., 0], d.treated)
    assert _unbiased(sessions_lift, ob.SESSION_LIFT)
    assert _unbiased(ob.did_2x2(d.y_pre, d.y0, d.treated).estimate, 0.0)    # Y(0) trends are parallel


def test_where_assumptions_hold_the_adjusted_estimators_are_unbiased(many):
    d = many["observed"]
    X2 = np.concatenate([d.covariates, d.covariates[..., :1] ** 2], axis=-1)
    ps = ob.propensity_scores(d.treated, d.covariates)
    score = np.log(ps / (1 - ps))
    cal = 0.2 * score.std(-1, ddof=1).mean()
    assert _unbiased(ob.regression_adjustment(d.y, d.treated, X2), 2.0)
    assert _unbiased(ob.regression_adjustment(d.y, d.treated, X2, "att"), 2.0)
    assert _unbiased(ob.ipw_effect(d.y, d.treated, ps), 2.0)
    assert _unbiased(ob.ipw_effect(d.y, d.treated, ps, "att"), 2.0)
    assert _unbiased(ob.ipw_effect(d.y, d.treated, ps, normalized=False), 2.0)
    assert _unbiased(ob.match_effect(d.y, d.treated, score, caliper=cal).estimate, 2.0)
    assert _unbiased(ob.did_2x2(d.y_pre, d.y, d.treated).estimate, 2.0)


def test_where_assumptions_fail_the_estimators_are_biased_in_the_stated_direction(many):
    d = many["observed"]
    assert _bias(ob.naive_difference(d.y, d.treated), 2.0) > 10                # heavy users opt in: upward
    assert _bias(ob.regression_adjustment(d.y, d.treated, d.covariates), 2.0) < -4   # missing a^2: downward
    with_sessions = np.concatenate([d.covariates, d.sessions[..., None]], axis=-1)
    post = ob.ipw_effect(d.y, d.treated, ob.propensity_scores(d.treated, with_sessions))
    assert _bias(post, 2.0) < -10                                              # post-treatment covariate: toward 0
    assert _unbiased(post, ob.OptInDesign().effect - ob.MINUTES_PER_SESSION * ob.SESSION_LIFT, k=6)
    no_tenure = ob.propensity_scores(d.treated, d.covariates[..., [0, 2]])
    assert _bias(ob.ipw_effect(d.y, d.treated, no_tenure), 2.0) > 10          # an omitted confounder: upward

    h = many["hidden"]                                                         # u raises opt-in and minutes
    X2 = np.concatenate([h.covariates, h.covariates[..., :1] ** 2], axis=-1)
    ps = ob.propensity_scores(h.treated, h.covariates)
    assert _bias(ob.regression_adjustment(h.y, h.treated, X2), 2.0) > 10
    assert _bias(ob.ipw_effect(h.y, h.treated, ps), 2.0) > 10
    assert _bias(ob.match_effect(h.y, h.treated, np.log(ps / (1 - ps))).estimate, 2.0) > 10
    assert _unbiased(ob.did_2x2(h.y_pre, h.y, h.treated).estimate, 2.0)       # a level confounder differences out
    tr = many["trend"]
    assert _bias(ob.did_2x2(tr.y_pre, tr.y, tr.treated).estimate, 2.0) > 10  # ...a trend confounder does not


def test_a_randomized_design_is_unbiased_even_with_the_hidden_confounder():
    design = DESIGN.with_(hidden=1.0, hidden_level=4.0, hidden_trend=2.0, randomized=True)
    d = design.simulate(N_USERS, np.random.default_rng(13), n_sims=N_SIMS_BIAS)
    assert _unbiased(ob.naive_difference(d.y, d.treated), 2.0)
    assert _unbiased(d.treated.mean(-1), 0.5)


def test_panel_noise_is_a_stationary_ar1_with_the_stated_sd():
    rho, sd = 0.7, 1.5
    panel = ob.simulate_panel(500, 6, 3, np.random.default_rng(16), rho=rho, noise_sd=sd, level_gap=0.0,
                              effect=0.0, n_sims=400)
    control = panel.y[:, ~panel.treated[0], :]
    dev = control - control.mean(axis=1, keepdims=True)      # removes the week shocks of each data set
    n = control.shape[1]
    var = (dev**2).sum(axis=1) / (n - 1)                       # (data sets, periods): 2^2 + sd^2 each period
    cov1 = (dev[..., 1:] * dev[..., :-1]).sum(axis=1) / (n - 1)   # 2^2 + rho sd^2 at lag one
    for k in range(6):
        assert _unbiased(var[:, k], 4 + sd**2)
    for k in range(5):
        assert _unbiased(cov1[:, k], 4 + rho * sd**2)


def test_panel_simulation_has_the_stated_structure():
    panel = ob.simulate_panel(400, 5, 2, np.random.default_rng(14), effect=0.7, level_gap=3.0, rho=0.8,
                              n_sims=200)
    assert panel.treated[0].sum() == 160 and panel.y.shape == (200, 400, 5)
    pre, post = panel.pre_post_means()
    assert _unbiased(ob.did_2x2(pre, post, panel.treated).estimate, 0.7)
    level = panel.y[..., 0]
    assert _unbiased(ob.naive_difference(level, panel.treated), 3.0)
    noise = panel.y[..., 1] - panel.y[..., 0]                   # differences remove the market effect
    corr = np.corrcoef(panel.y[:, 200:, 3].ravel() - panel.y[:, 200:, 2].ravel(),
                       panel.y[:, 200:, 4].ravel() - panel.y[:, 200:, 3].ravel())[0, 1]
    assert corr < 0 and noise.shape == (200, 400)               # AR(1) increments are negatively correlated


# ----------------------------------------------------------------------------- bad input

def test_bad_input_raises_value_error_naming_the_argument():
    y, t, x = np.arange(6.0), np.array([1, 0, 1, 0, 1, 0]), np.arange(6.0)
    ps = np.full(6, 0.5)
    for bad_t in (np.ones(6), np.zeros(6)):
        with pytest.raises(ValueError, match="treated"):
            ob.naive_difference(y, bad_t)
        with pytest.raises(ValueError, match="treated"):
            ob.ipw_effect(y, bad_t, ps)
        with pytest.raises(ValueError, match="treated"):
            ob.did_2x2(y, y, bad_t)
    with pytest.raises(ValueError, match="treated"):
        ob.naive_difference(y, [2, 0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="treated"):
        ob.naive_difference(y, 1)
    for bad in (0.0, 1.0):
        with pytest.raises(ValueError, match="ps"):
            ob.ipw_effect(y, t, np.r_[bad, ps[1:]])
        with pytest.raises(ValueError, match="ps"):
            ob.ipw_weights(t, np.r_[ps[:-1], bad])
    with pytest.raises(ValueError, match="y and treated"):
        ob.naive_difference(y[:5], t)
    with pytest.raises(ValueError, match="ps and treated"):
        ob.ipw_effect(y, t, ps[:5])
    with pytest.raises(ValueError, match="y and treated and score"):
        ob.match_effect(y, t, x[:4])
    with pytest.raises(ValueError, match="y_pre and y_post"):
        ob.did_2x2(y, y[:5], t)
    with pytest.raises(ValueError, match="X"):
        ob.standardized_differences(np.ones((5, 2)), t)
    with pytest.raises(ValueError, match="estimand"):
        ob.ipw_effect(y, t, ps, estimand="atc")
    with pytest.raises(ValueError, match="caliper"):
        ob.match_effect(y, t, x, caliper=0)
    with pytest.raises(ValueError, match="caliper"):
        ob.match_effect(y, t, np.array([0.0, 5, 10, 15, 20, 25]), caliper=1)
    with pytest.raises(ValueError, match="replace"):
        ob.match_effect(y, t, x, replace="no")
    with pytest.raises(ValueError, match="replace=False"):
        ob.match_effect(np.ones((2, 6)), np.tile(t, (2, 1)), np.ones((2, 6)), replace=False)
    with pytest.raises(ValueError, match="weights"):
        ob.standardized_differences(x, t, weights=-np.ones(6))
    with pytest.raises(ValueError, match="weights"):
        ob.standardized_differences(x, t, weights=np.array([0, 1, 0, 1, 0, 1.0]))
    with pytest.raises(ValueError, match="weights"):
        ob.effective_sample_size(np.zeros(3))
    with pytest.raises(ValueError, match="X"):
        ob.fit_logit(t, np.array([5, 0, 5, 0, 5, 0.0]))                # perfect separation
    with pytest.raises(ValueError, match="treated"):
        ob.regression_adjustment(y, t, np.c_[x, x, x])                # 3 units per arm, 4 parameters
    with pytest.raises(ValueError, match="treated"):
        ob.did_2x2(y, y, [1, 0, 0, 0, 0, 0])                          # one treated unit: no clustered SE


def test_bad_panel_input_raises_value_error_naming_the_argument():
    y = np.random.default_rng(0).normal(size=(10, 4))
    t = np.arange(10) < 4
    with pytest.raises(ValueError, match="y must have"):
        ob.event_study(y[:, :1], t, 1)                                # a single period
    with pytest.raises(ValueError, match="y must have"):
        ob.event_study(y[:, 0], t, 1)
    for first in (0, 4):
        with pytest.raises(ValueError, match="first_post"):
            ob.event_study(y, t, first)
        with pytest.raises(ValueError, match="first_post"):
            ob.simulate_panel(10, 4, first, 0)
    with pytest.raises(ValueError, match="treated"):
        ob.event_study(y, t[:9], 2)
    with pytest.raises(ValueError, match="treated"):
        ob.event_study(y, np.ones(10), 2)
    with pytest.raises(ValueError, match="n_periods"):
        ob.simulate_panel(10, 1, 1, 0)
    with pytest.raises(ValueError, match="share_treated"):
        ob.simulate_panel(10, 4, 2, 0, share_treated=0.1)
    with pytest.raises(ValueError, match="rho"):
        ob.simulate_panel(10, 4, 2, 0, rho=1.0)
    with pytest.raises(ValueError, match="trend_gap"):
        ob.simulate_panel(10, 4, 2, 0, trend_gap=np.nan)
    with pytest.raises(ValueError, match="n_units"):
        ob.OptInDesign().simulate(3, 0)
    with pytest.raises(ValueError, match="hidden"):
        ob.OptInDesign(hidden=np.inf)
    with pytest.raises(ValueError, match="single data set"):
        ob.OptInDesign().simulate(10, 0, n_sims=2).frame()
    with pytest.raises(ValueError, match="single data set"):
        ob.simulate_panel(10, 4, 2, 0, n_sims=2).long()


def test_results_have_readable_reprs():
    d = _one(15, 400)
    assert repr(d).startswith("OptInData(data sets=1, units=400")
    ps = ob.propensity_scores(d.treated, d.covariates)
    assert "with replacement, caliper=none" in repr(ob.match_effect(d.y, d.treated, ps))
    panel = ob.simulate_panel(20, 4, 2, 0)
    assert "clustered SE=" in repr(ob.did_2x2(*panel.pre_post_means(), panel.treated))
    assert "1 leads" in repr(ob.event_study(panel.y, panel.treated, 2))
    assert repr(panel).startswith("PanelData(data sets=1, units=20, periods=4")
    assert list(d.frame().columns) == ["activity", "tenure", "mobile", "treated", "sessions", "y_pre", "y"]
    assert len(panel.long()) == 80
