"""labsupport.interference: graphs, spillover models, designs, estimators and switchbacks."""

import networkx as nx
import numpy as np
import pytest
from scipy import stats as sps

from labsupport import interference as itf
from labsupport.stats import binomial_band


@pytest.fixture(scope="module")
def graph():
    return itf.social_graph(600, 20, 0.3, 0.003, rng=1)


@pytest.fixture(scope="module")
def clusters(graph):
    return itf.find_communities(graph, rng=2)


def test_social_graph_is_a_simple_undirected_block_model():
    g = itf.social_graph(60, 4, 1.0, 0.0, rng=0)  # p_in=1, p_out=0: four disjoint cliques of 15
    adj = g.adjacency.toarray()
    assert (adj == adj.T).all() and (np.diag(adj) == 0).all()
    same = g.communities[:, None] == g.communities[None, :]
    assert np.array_equal(adj == 1, same & ~np.eye(60, dtype=bool))
    assert np.array_equal(g.degree, np.full(60, 14))
    a, b = itf.social_graph(200, 5, 0.2, 0.01, rng=7), itf.social_graph(200, 5, 0.2, 0.01, rng=7)
    assert (a.adjacency != b.adjacency).nnz == 0
    assert "200 nodes" in repr(a)


def test_louvain_recovers_well_separated_communities(graph, clusters):
    table = np.zeros((clusters.max() + 1, graph.communities.max() + 1))
    np.add.at(table, (clusters, graph.communities), 1)
    purity = table.max(axis=1).sum() / graph.n_nodes
    assert purity > 0.95


def test_exposure_matches_a_loop_over_networkx_neighbours():
    g = nx.gnp_random_graph(40, 0.1, seed=3)
    g.add_node(40)  # an isolated node
    sg = itf.from_networkx(g)
    z = np.random.default_rng(4).random((3, 41)) < 0.5
    expected = np.array([[np.mean([z[r, j] for j in g[i]]) if len(g[i]) else 0.0 for i in g.nodes]
                         for r in range(3)])
    closed = np.array([[np.mean([z[r, j] for j in [i, *g[i]]]) for i in g.nodes] for r in range(3)])
    assert np.allclose(itf.exposure(sg, z), expected)
    assert np.allclose(itf.exposure(sg, z, closed=True), closed)
    assert np.allclose(itf.exposure(sg, z[0]), expected[0])


def test_global_effect_matches_the_analytic_value():
    g = itf.social_graph(300, 30, 0.05, 0.0, rng=5)  # sparse enough to leave isolated nodes
    base = itf.baseline(g, rng=6)
    connected = np.mean(g.degree > 0)
    assert connected < 1
    # Linear model: everyone treated gives exposure 1 to every non-isolated node.
    assert itf.global_effect(itf.linear_outcomes, g, base, direct=1.0, spill=2.0) == pytest.approx(1 + 2 * connected)
    # Marketplace: closed-neighbourhood share is 1 for all, so y = base (1 + lift) / (1 + s lift).
    expected = base.mean() * ((1 + 0.3) / (1 + 0.5 * 0.3) - 1)
    assert itf.global_effect(itf.marketplace_outcomes, g, base, lift=0.3, scarcity=0.5) == pytest.approx(expected)
    assert itf.global_effect(itf.marketplace_outcomes, g, base, lift=0.3, scarcity=1.0) == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("spill, sign", [(2.0, -1), (-2.0, +1)])
def test_user_level_estimate_is_biased_against_the_global_effect(graph, spill, sign):
    base = itf.baseline(graph, rng=8)
    truth = itf.global_effect(itf.linear_outcomes, graph, base, direct=1.0, spill=spill)
    z = itf.bernoulli_assignment(graph.n_nodes, 400, 0.5, rng=9)
    s = itf.summarise(itf.difference_in_means(itf.linear_outcomes(graph, z, base, 1.0, spill), z), truth)
    assert sign * s.bias > 5 * s.bias_se  # amplification underestimates, competition overestimates
    assert abs(s.mean - 1.0) < 4 * s.bias_se  # E[exposure | z_i] = p: the naive estimate targets `direct`


def test_marketplace_user_level_estimate_overstates_the_effect(graph):
    base = itf.baseline(graph, rng=10)
    truth = itf.global_effect(itf.marketplace_outcomes, graph, base, lift=0.2, scarcity=0.8)
    z = itf.bernoulli_assignment(graph.n_nodes, 400, 0.5, rng=11)
    s = itf.summarise(itf.difference_in_means(itf.marketplace_outcomes(graph, z, base, 0.2, 0.8), z), truth)
    assert s.bias > 5 * s.bias_se


def test_cluster_randomisation_keeps_whole_clusters_together(clusters):
    k = clusters.max() + 1
    for design in ("complete", "bernoulli"):
        z = itf.cluster_assignment(clusters, 500, 0.5, rng=12, design=design)
        per_cluster = np.stack([z[:, clusters == c] for c in range(k)], axis=0)
        assert (per_cluster.all(axis=2) | ~per_cluster.any(axis=2)).all()
    z = itf.cluster_assignment(clusters, 5, 0.5, rng=13)
    treated = np.array([[z[r, clusters == c][0] for c in range(k)] for r in range(5)])
    assert (treated.sum(axis=1) == round(0.5 * k)).all()


def test_cluster_randomisation_cuts_the_bias_and_ego_exposure_removes_it(graph, clusters):
    base = itf.baseline(graph, rng=14)
    truth = itf.global_effect(itf.linear_outcomes, graph, base, direct=1.0, spill=2.0)
    zu = itf.bernoulli_assignment(graph.n_nodes, 400, 0.5, rng=15)
    zc = itf.cluster_assignment(clusters, 400, 0.5, rng=16)
    user = itf.summarise(itf.difference_in_means(itf.linear_outcomes(graph, zu, base, 1.0, 2.0), zu), truth)
    yc = itf.linear_outcomes(graph, zc, base, 1.0, 2.0)
    cluster = itf.summarise(itf.difference_in_means(yc, zc), truth)
    ego = itf.summarise(itf.ego_estimate(graph, yc, zc), truth)
    assert abs(cluster.bias) < abs(user.bias) / 3 and cluster.se > user.se
    assert abs(ego.bias) < 4 * ego.bias_se


def test_full_exposure_probability_matches_ugander_et_al():
    # Ugander, Karrer, Backstrom & Kleinberg (2013, KDD), "Graph cluster randomization":
    # with clusters treated independently with probability p, node i is fully exposed with
    # probability p ** (number of clusters meeting i's closed neighbourhood); with
    # independent unit randomisation, p ** (degree + 1).
    g = itf.social_graph(200, 10, 0.25, 0.01, rng=17)
    cl = itf.find_communities(g, rng=18)
    adj = g.adjacency.toarray().astype(bool) | np.eye(200, dtype=bool)
    n_clusters_met = np.array([len(np.unique(cl[adj[i]])) for i in range(200)])
    p, n = 0.5, 40_000
    for z, power in ((itf.cluster_assignment(cl, n, p, rng=19, design="bernoulli"), n_clusters_met),
                     (itf.bernoulli_assignment(200, n, p, rng=20), g.degree + 1)):
        full = z & (itf.exposure(g, z) == 1)
        expected = p ** power
        se = np.sqrt(expected * (1 - expected) / n)
        assert (np.abs(full.mean(axis=0) - expected) < 4.5 * se + 1e-12).all()


def test_design_effect_formula_matches_simulation():
    # Kish (1965), Survey Sampling: clustering inflates the variance by 1 + (m - 1) ICC.
    g = itf.social_graph(1000, 50, 0.1, 0.0, rng=21)  # 50 communities of m = 20
    icc = 1.0 / (1.0 + 9.0)  # sd_community = 1, sd_unit = 3
    base = itf.baseline(g, rng=22, sd_community=1.0, sd_unit=3.0, n_reps=4000)
    zu = itf.bernoulli_assignment(1000, 4000, 0.5, rng=23)
    zc = itf.cluster_assignment(g.communities, 4000, 0.5, rng=24)
    ratio = itf.difference_in_means(base, zc).var() / itf.difference_in_means(base, zu).var()
    assert ratio == pytest.approx(itf.kish_design_effect(20, icc), rel=0.1)
    assert itf.kish_design_effect(20, icc) == pytest.approx(2.9)


def test_icc_anova_matches_statsmodels_mixedlm():
    import pandas as pd
    import statsmodels.formula.api as smf
    rng = np.random.default_rng(25)
    labels = np.repeat(np.arange(30), 10)
    y = rng.normal(0, 1, 30)[labels] + rng.normal(0, 2, 300)
    fit = smf.mixedlm("y ~ 1", pd.DataFrame({"y": y, "g": labels}), groups="g").fit(reml=True)
    between, within = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
    # Balanced one-way layout: REML variance components equal the ANOVA ones.
    assert itf.icc_anova(y, labels) == pytest.approx(between / (between + within), rel=1e-3)


def test_cluster_ttest_matches_scipy_on_cluster_means(graph, clusters):
    rng = np.random.default_rng(26)
    y = itf.baseline(graph, rng, n_reps=3)
    z = itf.cluster_assignment(clusters, 3, 0.5, rng)
    res = itf.cluster_ttest(y, z, clusters)
    for r in range(3):
        means = np.array([y[r, clusters == c].mean() for c in range(clusters.max() + 1)])
        treated = np.array([z[r, clusters == c][0] for c in range(clusters.max() + 1)])
        ref = sps.ttest_ind(means[treated], means[~treated], equal_var=False)
        assert res.statistic[r] == pytest.approx(ref.statistic)
        assert res.p_value[r] == pytest.approx(ref.pvalue)
        ci = ref.confidence_interval(0.95)
        assert (res.ci_low[r], res.ci_high[r]) == pytest.approx((ci.low, ci.high))
    one = itf.cluster_ttest(y[0], z[0], clusters)
    assert one.p_value == pytest.approx(res.p_value[0])


def test_cluster_ttest_is_calibrated_in_an_aa_test(graph, clusters):
    n_sims, alpha = 20_000, 0.05
    rng = np.random.default_rng(27)
    y = itf.baseline(graph, rng, sd_community=1.0, sd_unit=3.0, n_reps=n_sims)
    z = itf.cluster_assignment(clusters, n_sims, 0.5, rng)
    fpr = itf.cluster_ttest(y, z, clusters, alpha).reject.mean()
    low, high = binomial_band(alpha, n_sims, 0.999)
    assert low <= fpr <= high


def test_difference_in_means_by_hand():
    y = np.array([[1.0, 2.0, 3.0, 4.0]])
    z = np.array([[True, False, True, False]])
    assert itf.difference_in_means(y, z)[0] == pytest.approx(-1.0)
    assert itf.difference_in_means(y[0], z[0], keep=[True, True, False, True]) == pytest.approx(1 - 3)
    assert np.isnan(itf.difference_in_means(y[0], np.ones(4, bool)))


def test_switchback_without_carryover_is_unbiased():
    for window in (1, 6, 24):
        s = itf.summarise(itf.simulate_switchback(4000, 240, window, 0, 1.0, rng=window), 1.0)
        assert abs(s.bias) < 4 * s.bias_se


def test_switchback_carryover_biases_towards_zero_and_burn_in_fixes_it():
    naive = itf.summarise(itf.simulate_switchback(4000, 240, 6, 2, 1.0, rng=28), 1.0)
    burnt = itf.summarise(itf.simulate_switchback(4000, 240, 6, 2, 1.0, rng=29, burn_in=2), 1.0)
    assert naive.bias < -5 * naive.bias_se
    assert abs(burnt.bias) < 4 * burnt.bias_se
    assert burnt.se > naive.se  # dropping periods costs precision


def test_summary_repr_and_values():
    s = itf.summarise([1.0, 3.0], 1.0, name="x")
    assert (s.bias, s.rmse) == (pytest.approx(1.0), pytest.approx(np.sqrt(2)))
    assert repr(s).startswith("x: bias +1.0000")


@pytest.mark.parametrize("call, name", [
    (lambda: itf.social_graph(10, 11, 0.5, 0.1, 0), "n_communities"),
    (lambda: itf.social_graph(10, 2, 1.5, 0.1, 0), "p_in"),
    (lambda: itf.social_graph(10, 2, 0.5, -0.1, 0), "p_out"),
    (lambda: itf.social_graph(1, 1, 0.5, 0.1, 0), "n_nodes"),
    (lambda: itf.from_networkx(nx.Graph()), "graph"),
    (lambda: itf.find_communities(nx.Graph(), 0), "graph"),
    (lambda: itf.find_communities(nx.path_graph(4), 0, resolution=0), "resolution"),
    (lambda: itf.bernoulli_assignment(10, 5, 1.2, 0), "p"),
    (lambda: itf.cluster_assignment([0, 0, 1, 1], 5, 0.1, 0), "p"),
    (lambda: itf.cluster_assignment([0, 0, 1, 1], 5, -0.1, 0, design="bernoulli"), "p"),
    (lambda: itf.cluster_assignment([0, 1], 5, 0.5, 0, design="pairs"), "design"),
    (lambda: itf.cluster_assignment([], 5, 0.5, 0), "clusters"),
    (lambda: itf.exposure(nx.path_graph(3), np.ones((2, 4))), "Z"),
    (lambda: itf.exposure(nx.path_graph(3), [0, 2, 1]), "Z"),
    (lambda: itf.marketplace_outcomes(nx.path_graph(3), [0, 1, 1], 1.0, 0.2, 1.5), "scarcity"),
    (lambda: itf.marketplace_outcomes(nx.path_graph(3), [0, 1, 1], 1.0, -0.2, 0.5), "lift"),
    (lambda: itf.exposure_conditions(nx.path_graph(3), [0, 1, 1], threshold=0), "threshold"),
    (lambda: itf.baseline(nx.path_graph(3), 0, sd_unit=-1), "sd_unit"),
    (lambda: itf.cluster_ttest(np.ones(6), [1, 0, 1, 0, 1, 0], [0, 0, 1, 1, 2, 2]), "constant within"),
    (lambda: itf.cluster_ttest(np.ones(6), [1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 2, 2]), "two clusters"),
    (lambda: itf.cluster_ttest(np.ones(6), [1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 2]), "clusters"),
    (lambda: itf.cluster_ttest(np.ones(4), [1, 1, 0, 0], [0, 0, 1, 1], alpha=1), "alpha"),
    (lambda: itf.icc_anova([1.0, 2.0, 3.0], [0, 0, 0]), "clusters"),
    (lambda: itf.kish_design_effect(0.5, 0.1), "mean_cluster_size"),
    (lambda: itf.kish_design_effect(10, 1.1), "icc"),
    (lambda: itf.simulate_switchback(10, 24, 4, 1, 1.0, 0, burn_in=4), "burn_in"),
    (lambda: itf.simulate_switchback(10, 24, 13, 1, 1.0, 0), "window"),
    (lambda: itf.simulate_switchback(10, 24, 4, -1, 1.0, 0), "carryover"),
    (lambda: itf.simulate_switchback(10, 24, 4, 1, 1.0, 0, shock_rho=1.0), "shock_rho"),
    (lambda: itf.summarise([1.0, np.nan], 0.0), "estimates"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# --- references for the gaps a review found (issue 9, section 4) ------------------

def _anova_mean_squares(y, labels):
    """MSB and MSW from statsmodels' one-way ANOVA table (independent of labsupport)."""
    import pandas as pd
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm
    table = anova_lm(smf.ols("y ~ C(g)", pd.DataFrame({"y": y, "g": labels})).fit())
    return float(table.loc["C(g)", "mean_sq"]), float(table.loc["Residual", "mean_sq"])


def _n0_from_expected_mean_squares(labels):
    """The n0 with E[MSB] = var_w + n0 var_b, from the trace of the between-cluster projection.

    E[y'Qy] = tr(Q Sigma) for Sigma = var_b Z Z' + var_w I, so n0 = tr(Q Z Z') / (k - 1).
    """
    k, n = labels.max() + 1, labels.size
    member = (labels[:, None] == np.arange(k)[None, :]).astype(float)
    proj = member @ np.diag(1 / member.sum(0)) @ member.T - np.full((n, n), 1 / n)
    return np.trace(proj @ member @ member.T) / (k - 1)


@pytest.mark.parametrize("sizes", [(3, 5, 8, 12, 20, 2), (10, 10, 40), (1, 2, 3, 4, 5, 6, 7, 50)])
def test_icc_anova_with_unequal_sizes_uses_donners_n0(sizes):
    # Donner (1986), Int Stat Rev 54: ICC = (MSB - MSW) / (MSB + (n0 - 1) MSW), with n0 the
    # coefficient of the between-cluster variance in E[MSB]; here n0 comes from the trace above
    # and MSB, MSW from statsmodels, so neither depends on labsupport.
    rng = np.random.default_rng(sum(sizes))
    labels = np.repeat(np.arange(len(sizes)), sizes)
    y = rng.normal(0, 1.0, len(sizes))[labels] + rng.normal(3, 1.5, labels.size)
    msb, msw = _anova_mean_squares(y, labels)
    n0 = _n0_from_expected_mean_squares(labels)
    assert n0 < labels.size / len(sizes)  # unequal sizes: n0 is below the mean size
    assert itf.icc_anova(y, labels) == pytest.approx((msb - msw) / (msb + (n0 - 1) * msw), rel=1e-9)
    assert itf.icc_anova(y, labels + 5) == pytest.approx(itf.icc_anova(y, labels))  # labels need not start at 0


def test_icc_anova_can_be_negative_and_kish_accepts_it():
    # Clusters whose means vary less than chance: every cluster holds the same values.
    y = np.tile([1.0, 2.0, 3.0, 4.0], 10)
    labels = np.repeat(np.arange(10), 4)
    icc = itf.icc_anova(y, labels)
    assert icc == pytest.approx(-1 / 3)  # MSB = 0: the lower limit -1/(m - 1)
    assert itf.kish_design_effect(4, icc) == pytest.approx(0.0, abs=1e-12)
    rng = np.random.default_rng(31)
    labels = np.repeat(np.arange(40), 5)
    negatives = 0
    for _ in range(20):  # with no cluster effect about half the estimates are below 0
        y = rng.normal(size=200)
        icc = itf.icc_anova(y, labels)
        deff = itf.kish_design_effect(5, icc)
        assert deff == pytest.approx(1 + 4 * icc) and deff > 0
        negatives += icc < 0
    assert negatives > 0
    with pytest.raises(ValueError, match="icc"):
        itf.kish_design_effect(5, -0.3)
    assert itf.kish_design_effect(1, -0.9) == 1.0


@pytest.mark.parametrize("k, p, expected", [(5, 0.5, 3), (7, 0.5, 4), (3, 0.5, 2), (9, 1 / 3, 3),
                                            (7, 0.3, 2), (11, 0.25, 3), (10, 0.5, 5)])
def test_complete_cluster_design_treats_round_p_k_clusters_with_halves_up(k, p, expected):
    labels = np.repeat(np.arange(k), 3)
    z = itf.cluster_assignment(labels, 2000, p, rng=k)
    treated = z[:, ::3]  # one node per cluster
    assert (treated.sum(axis=1) == expected).all()
    # every cluster is equally likely to be the treated one
    share = treated.mean(axis=0)
    assert np.all(np.abs(share - expected / k) < 5 * np.sqrt(expected / k * (1 - expected / k) / 2000))


def test_bernoulli_cluster_design_treats_each_cluster_with_probability_p():
    labels = np.repeat(np.arange(9), [1, 2, 3, 4, 5, 6, 7, 8, 9])
    z = itf.cluster_assignment(labels, 20_000, 0.3, rng=32, design="bernoulli")
    first = np.r_[0, np.cumsum([1, 2, 3, 4, 5, 6, 7, 8])]
    low, high = binomial_band(0.3, 20_000, 0.999)
    assert ((z[:, first].mean(axis=0) >= low) & (z[:, first].mean(axis=0) <= high)).all()
    low, high = binomial_band(0.3 * 0.3, 20_000, 0.999)  # two clusters are treated independently
    both = (z[:, 0] & z[:, 1]).mean()
    assert low <= both <= high


def test_user_level_assignment_treats_each_user_with_probability_p():
    z = itf.bernoulli_assignment(50, 20_000, 0.2, rng=33)
    low, high = binomial_band(0.2, 20_000, 0.999)
    assert ((z.mean(axis=0) >= low) & (z.mean(axis=0) <= high)).all()


def test_cluster_ttest_with_an_odd_number_of_unequal_clusters_matches_scipy():
    rng = np.random.default_rng(34)
    sizes = [3, 9, 4, 12, 6, 2, 8]
    labels = np.repeat(np.arange(7), sizes)
    y = rng.normal(0, 1, 7)[labels] + rng.normal(0, 2, labels.size)
    arm = np.array([1, 0, 1, 1, 0, 0, 0], dtype=bool)  # three treated clusters, four in control
    res = itf.cluster_ttest(y, arm[labels], labels, alpha=0.1)
    means = np.bincount(labels, weights=y) / sizes
    ref = sps.ttest_ind(means[arm], means[~arm], equal_var=False)
    ci = ref.confidence_interval(0.9)
    assert (res.estimate, res.statistic, res.p_value) == pytest.approx(
        (means[arm].mean() - means[~arm].mean(), ref.statistic, ref.pvalue))
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high))


def test_exposure_conditions_by_hand():
    # 0 - 1 - 2 - 3 a path, 4 - 5 an edge, 6 isolated and treated, 7 isolated in control
    g = nx.path_graph(4)
    g.add_edge(4, 5)
    g.add_nodes_from([6, 7])
    z = np.array([1, 1, 1, 0, 0, 0, 1, 0], dtype=bool)
    treated, control = itf.exposure_conditions(g, z)
    assert treated.tolist() == [True, True, False, False, False, False, False, False]
    assert control.tolist() == [False, False, False, False, True, True, False, False]
    treated, control = itf.exposure_conditions(g, z, threshold=0.5)  # node 2: half its friends treated
    assert treated.tolist() == [True, True, True, False, False, False, False, False]
    assert control.tolist() == [False, False, False, False, True, True, False, False]
    y = np.array([5.0, 7.0, 9.0, 1.0, 2.0, 4.0, 100.0, -50.0])
    assert itf.ego_estimate(g, y, z) == pytest.approx(6.0 - 3.0)
    assert itf.ego_estimate(g, y, z, threshold=0.5) == pytest.approx(7.0 - 3.0)


def test_difference_in_means_keeps_only_the_kept_units_in_both_arms():
    y = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    z = np.array([True, True, False, False, False])
    assert itf.difference_in_means(y, z, keep=[True, False, True, False, True]) == pytest.approx(1 - 11.5)
    assert itf.difference_in_means(np.vstack([y, 2 * y]), z).tolist() == pytest.approx([1.5 - 11, 3 - 22])


@pytest.mark.parametrize("window, carryover, burn_in", [(4, 3, 0), (6, 2, 0), (6, 3, 1), (8, 3, 3), (12, 1, 0)])
def test_noiseless_switchback_matches_the_closed_form_bias(window, carryover, burn_in):
    # Without noise, a window that follows a window of the other arm (or the first window, if
    # treated: the periods before the start are control) loses sum_{j=burn_in}^{c-1} (c-j)/(c+1)
    # treated-periods' worth of effect; there are on average (W + 1) / 2 such windows out of W,
    # each arm has (window - burn_in) W / 2 kept periods. So E[estimate] = 1 - K (W + 1) / ((w - b) W)
    # with K = (c - b)(c - b + 1) / (2 (c + 1)), and each estimate is 1 - K S / ((w - b) W / 2), S whole.
    n_periods = 240
    w_count = n_periods // window
    est = itf.simulate_switchback(4000, n_periods, window, carryover, 1.0, rng=window + carryover,
                                  burn_in=burn_in, noise_sd=0.0, shock_sd=0.0)
    k_loss = (carryover - burn_in) * (carryover - burn_in + 1) / (2 * (carryover + 1))
    step = k_loss / ((window - burn_in) * w_count / 2)
    switches = (1 - est) / step if step else np.zeros_like(est)
    assert np.allclose(switches, np.round(switches), atol=1e-9)
    expected = 1 - k_loss * (w_count + 1) / ((window - burn_in) * w_count)
    assert abs(est.mean() - expected) < 5 * est.std() / np.sqrt(est.size) + 1e-12
    if burn_in == carryover:
        assert np.allclose(est, 1.0)


def test_switchback_shock_is_a_stationary_ar1_with_sd_shock_sd():
    # Two windows (one per arm), no carryover, no noise: the estimate is +-(mean of one half minus
    # the other) of an AR(1) path with corr rho^|i-j| and sd 1, whose variance is a' Sigma a exactly.
    n_periods, rho = 40, 0.8
    lag = np.abs(np.subtract.outer(np.arange(n_periods), np.arange(n_periods)))
    a = np.r_[np.full(n_periods // 2, 2 / n_periods), np.full(n_periods // 2, -2 / n_periods)]
    exact = a @ (2.0**2 * rho**lag) @ a
    est = itf.simulate_switchback(40_000, n_periods, n_periods // 2, 0, 0.0, rng=35, noise_sd=0.0,
                                  shock_sd=2.0, shock_rho=rho)
    assert est.var() == pytest.approx(exact, rel=5 * np.sqrt(2 / est.size))
    noise_only = itf.simulate_switchback(40_000, n_periods, 4, 0, 0.0, rng=36, noise_sd=3.0, shock_sd=0.0)
    assert noise_only.var() == pytest.approx(9.0 * 4 / n_periods, rel=5 * np.sqrt(2 / noise_only.size))


@pytest.mark.parametrize("call, name", [
    (lambda: itf.linear_outcomes(nx.path_graph(3), [0, 1, 1], 1.0, np.nan, 1.0), "direct"),
    (lambda: itf.linear_outcomes(nx.path_graph(3), [0, 1, 1], 1.0, 1.0, np.inf), "spill"),
    (lambda: itf.kish_design_effect(5, -0.26), "icc"),
    (lambda: itf.kish_design_effect([5, 6], 0.1), "mean_cluster_size and icc"),
    (lambda: itf.icc_anova([1.0, 2.0, 3.0, 4.0], [0, 0, 1]), "clusters"),
    (lambda: itf.icc_anova([[1.0, 2.0], [3.0, 4.0]], [0, 1]), "y"),
    (lambda: itf.cluster_ttest(np.ones((2, 4)), np.ones((2, 5)), [0, 0, 1, 1]), "Z"),
    (lambda: itf.simulate_switchback(10, 24, 4, 1, 1.0, 0, noise_sd=-1.0), "noise_sd"),
    (lambda: itf.simulate_switchback(10, 24, 0, 1, 1.0, 0), "window"),
])
def test_more_bad_inputs_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_global_effect_runs_any_outcome_model_in_both_worlds():
    # The lesson's "constant leak" model: untreated users gain `leak` whatever their friends do,
    # so everyone treated vs nobody treated differs by direct - leak, not by direct.
    g = nx.path_graph(5)
    base = np.arange(5.0)

    def constant_leak(graph, z, base, direct, leak):
        z = np.asarray(z, dtype=float)
        return base + direct * z + leak * (1 - z)

    assert itf.global_effect(constant_leak, g, base, direct=1.0, leak=0.4) == pytest.approx(0.6)


def test_baseline_defaults_mean_10_community_sd_1_unit_sd_3():
    """Each variance component alone (the other set to 0), on 2,000 communities of 10 users."""
    from scipy import sparse as _sparse
    labels = np.repeat(np.arange(2_000), 10)
    graph = itf.SocialGraph(_sparse.csr_array((labels.size, labels.size)), labels)
    rng = np.random.default_rng(12)
    only_c = itf.baseline(graph, rng, sd_unit=0.0)
    per_community = only_c.reshape(2_000, 10)
    assert np.ptp(per_community, axis=1).max() == 0            # no unit noise: one value per community
    c = per_community[:, 0]
    only_u = itf.baseline(graph, rng, sd_community=0.0)
    for x, sd in ((c, 1.0), (only_u, 3.0)):
        n = x.size
        assert abs(x.mean() - 10.0) < 4.5 * sd / np.sqrt(n)
        lo, hi = sps.chi2.ppf([1e-5, 1 - 1e-5], n - 1) / (n - 1)   # sample variance / sigma^2
        assert lo < x.var(ddof=1) / sd**2 < hi
