"""Tests for labsupport.capstone: the simulated experiment and the analysis helpers."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from labsupport import capstone, stats


@pytest.fixture(scope="module")
def data():
    return capstone.simulate_experiment(capstone.Scenario(users_per_day=2000), np.random.default_rng(5))


def _welch_ref(y, t, mask):
    a, b = y[mask & ~t & ~np.isnan(y)], y[mask & t & ~np.isnan(y)]
    r = sps.ttest_ind(b, a, equal_var=False)
    return b.mean() - a.mean(), r.pvalue


def test_welch_by_group_matches_scipy():
    gen = np.random.default_rng(1)
    y = gen.exponential(2.0, 500)
    y[gen.random(500) < 0.1] = np.nan
    t = gen.random(500) < 0.4
    masks = np.stack([gen.random(500) < 0.5, np.ones(500, bool)])
    est, se, p, na, nb = capstone.welch_by_group(y, t, masks)
    for g in range(2):
        e_ref, p_ref = _welch_ref(y, t, masks[g])
        assert est[g] == pytest.approx(e_ref, rel=1e-10) and p[g] == pytest.approx(p_ref, rel=1e-8)
        assert na[g] == (masks[g] & ~t & ~np.isnan(y)).sum() and nb[g] == (masks[g] & t & ~np.isnan(y)).sum()


def test_welch_by_group_aa_calibration():
    gen = np.random.default_rng(2)
    sims = gen.poisson(1.5, size=(20_000, 120)).astype(float)
    arm = np.broadcast_to(np.arange(120) % 3 == 0, sims.shape)
    _, _, p, _, _ = capstone.welch_by_group(sims, arm, np.ones((1,) + sims.shape, bool))
    low, high = stats.binomial_band(0.05, 20_000, 0.999)
    assert low <= (p[0] < 0.05).mean() <= high


def test_exposure_day_effects_match_a_loop(data):
    u, c = data.users, data.clicks
    t = (u.variant == "treatment").to_numpy()
    res = capstone.exposure_day_effects(c, u.enroll_day, t, max_day=5)
    for k in range(6):
        col = u.enroll_day.to_numpy() + k
        has = col < c.shape[1]
        vals = np.array([c[i, col[i]] for i in np.flatnonzero(has)])
        r = sps.ttest_ind(vals[t[has]], vals[~t[has]], equal_var=False)
        assert res.estimate[k] == pytest.approx(vals[t[has]].mean() - vals[~t[has]].mean(), rel=1e-10)
        assert res.p_value[k] == pytest.approx(r.pvalue, rel=1e-6, abs=1e-300)
        assert res.n_treatment[k] == t[has].sum()
    assert res.labels == (0, 1, 2, 3, 4, 5)


def test_the_planted_novelty_fades(data):
    u = data.users
    res = capstone.exposure_day_effects(data.clicks, u.enroll_day, (u.variant == "treatment").to_numpy(), 6)
    # planted: relative lift 0.03 + 0.15 exp(-k / 2) on 2 clicks a day
    expected = 2.0 * (0.03 + 0.15 * np.exp(-np.arange(7) / 2))
    assert (np.abs(res.estimate - expected) < 4.5 * res.se).all()
    assert res.estimate[0] - res.estimate[5] > 4 * np.hypot(res.se[0], res.se[5])


def test_segment_effects_holm_matches_statsmodels():
    gen = np.random.default_rng(3)
    seg = np.asarray(list("abcdef"))[gen.integers(6, size=3000)]
    t = gen.random(3000) < 0.5
    y = gen.standard_normal(3000) + 0.3 * t * (seg == "b")
    eff, adj = capstone.segment_effects(y, t, seg)
    assert eff.labels == tuple("abcdef")
    ref = [_welch_ref(y, t, seg == s)[1] for s in eff.labels]
    np.testing.assert_allclose(eff.p_value, ref, rtol=1e-8)
    np.testing.assert_allclose(adj, multipletests(ref, method="holm")[1], rtol=1e-8)
    _, bonf = capstone.segment_effects(y, t, seg, method="bonferroni")
    np.testing.assert_allclose(bonf, multipletests(ref, method="bonferroni")[1], rtol=1e-8)


def test_srm_by_matches_scipy_chisquare():
    users = pd.DataFrame({"browser": ["x"] * 300 + ["y"] * 200,
                          "variant": ["control"] * 180 + ["treatment"] * 120 + ["control"] * 95 + ["treatment"] * 105})
    out = capstone.srm_by(users, "browser")
    assert out.loc["x", "p_value"] == pytest.approx(sps.chisquare([180, 120]).pvalue, rel=1e-10)
    assert out.loc["y", "p_value"] == pytest.approx(sps.chisquare([95, 105]).pvalue, rel=1e-10)
    assert out.loc["x", "treatment_share"] == 0.4 and out.mismatch.tolist() == [True, False]
    weighted = capstone.srm_by(users, "browser", weights=(0.6, 0.4))
    assert weighted.loc["x", "p_value"] == pytest.approx(1.0)


def test_the_planted_srm_is_in_the_redirect_browser_from_its_day(data):
    by = capstone.srm_by(data.users, "browser")
    assert by.index[by.mismatch].tolist() == ["safari"]
    before = data.users[(data.users.browser == "safari") & (data.users.enroll_day < 5)]
    assert not capstone.srm_by(before, "browser").mismatch.any()
    clean = capstone.simulate_experiment(capstone.Scenario(users_per_day=2000, redirect_browser=None),
                                         np.random.default_rng(5))
    assert not capstone.srm_by(clean.users, "browser").mismatch.any()


def test_ramp_shares_and_no_user_before_enrolment(data):
    s = data.scenario
    per_day = data.users.groupby("enroll_day").size().to_numpy()
    no_redirect = capstone.simulate_experiment(capstone.Scenario(users_per_day=2000, redirect_browser=None),
                                               np.random.default_rng(6))
    per_day = no_redirect.users.groupby("enroll_day").size().to_numpy()
    for d, share in enumerate(s.ramp):
        low, high = stats.binomial_band(share, 2000, 0.9999)
        assert low <= per_day[d] / 2000 <= high
    k = np.arange(s.n_days)[None, :] - data.users.enroll_day.to_numpy()[:, None]
    assert np.isnan(data.clicks[k < 0]).all() and not np.isnan(data.clicks[k >= 0]).any()


def test_conversions_are_faster_not_more_in_treatment(data):
    u = data.users
    t = (u.variant == "treatment").to_numpy()
    ct = u.conversion_time.to_numpy()
    assert (ct[np.isfinite(ct)] < data.scenario.n_days).all()
    mat = capstone.matured(u.enroll_day, data.scenario.n_days, 7)
    conv = capstone.converted_within(u.enroll_day, ct, 7)
    matured = stats.two_proportion_ztest(conv[mat & ~t].sum(), (mat & ~t).sum(), conv[mat & t].sum(), (mat & t).sum())
    assert abs(matured.estimate) < 4.5 * (matured.ci_high - matured.ci_low) / (2 * 1.96)


def test_matured_and_converted_within_by_enumeration():
    enroll = np.array([0, 3, 7, 8, 9])
    assert capstone.matured(enroll, 10, 2).tolist() == [True, True, True, True, False]
    assert capstone.matured(enroll, 10, 3).tolist() == [True, True, True, False, False]
    t = np.array([0.5, 6.0, np.inf, 8.0, 9.5])
    assert capstone.converted_within(enroll, t, 3).tolist() == [True, True, False, True, True]
    assert capstone.converted_within(enroll, t, 2.9).tolist() == [True, False, False, True, True]


def test_same_seed_same_data_other_seed_other_data():
    s = capstone.Scenario(users_per_day=300)
    a, b = (capstone.simulate_experiment(s, np.random.default_rng(9)) for _ in range(2))
    c = capstone.simulate_experiment(s, np.random.default_rng(10))
    pd.testing.assert_frame_equal(a.users, b.users)
    assert not a.users.pre_clicks.equals(c.users.pre_clicks)
    assert a.users.user_id.is_unique and "ExperimentData" in repr(a)


@pytest.mark.parametrize("kwargs, arg", [
    ({"users_per_day": 5}, "users_per_day"), ({"ramp": (0.5,)}, "ramp"), ({"ramp": (0.5, 1.2)}, "ramp"),
    ({"browser_shares": (0.5, 0.5)}, "browser_shares"), ({"redirect_browser": "opera"}, "redirect_browser"),
    ({"redirect_loss": 1.5}, "redirect_loss"), ({"conversion": -0.1}, "conversion"),
    ({"delay_days": 0}, "delay_days"), ({"other_days": (5, 2)}, "other_days"),
    ({"other_share": 2.0}, "other_share"), ({"segment_lift": (("zz", 0.1),)}, "segment_lift"),
    ({"redirect_day": -2}, "redirect_day"),
])
def test_scenario_validation(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        capstone.Scenario(**kwargs)


def test_helper_validation():
    with pytest.raises(ValueError, match="scenario"):
        capstone.simulate_experiment({"users_per_day": 10}, 1)
    with pytest.raises(ValueError, match="treated"):
        capstone.welch_by_group(np.ones(5), np.ones(4, bool), np.ones((1, 5), bool))
    with pytest.raises(ValueError, match="masks"):
        capstone.welch_by_group(np.arange(6.0), np.arange(6) < 1, np.ones((1, 6), bool))
    with pytest.raises(ValueError, match="clicks"):
        capstone.exposure_day_effects(np.ones(5), [0] * 5, [True] * 5)
    with pytest.raises(ValueError, match="enroll_day"):
        capstone.exposure_day_effects(np.ones((5, 3)), [0, 1, -1, 0, 0], [True] * 5)
    with pytest.raises(ValueError, match="max_day"):
        capstone.exposure_day_effects(np.ones((4, 3)), [0] * 4, [True, False] * 2, max_day=-3)
    with pytest.raises(ValueError, match="segment"):
        capstone.segment_effects(np.arange(6.0), np.arange(6) % 2 == 0, ["a"] * 6)
    with pytest.raises(ValueError, match="y"):
        capstone.segment_effects([1.0, np.inf], [True, False], ["a", "b"])
    with pytest.raises(ValueError, match="users"):
        capstone.srm_by(pd.DataFrame({"x": [1]}), "browser")
    with pytest.raises(ValueError, match="window"):
        capstone.matured([0, 1], 5, 0)
    with pytest.raises(ValueError, match="n_days"):
        capstone.matured([0, 1], 0, 2)
    with pytest.raises(ValueError, match="conversion_time"):
        capstone.converted_within([0, 1], [np.nan, 1.0], 2)
