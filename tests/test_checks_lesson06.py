"""The lesson 06 checks: a right answer passes, each known wrong answer gets [try again] with a hint naming
its mistake (no traceback), stubs are "not done yet" (tests/test_checks_contract.py)."""

import numpy as np
import pytest
from scipy import stats as sps

from checkhelpers import assert_try_again

from labsupport import interference as itf
from labsupport.checks import PASSED
from labsupport.checks import lesson06 as check


# Reference solutions; tasks 1-3 and 5 use plain numpy/scipy (a loop over nodes), not labsupport.
def _neighbours(adjacency, i):
    return adjacency.tocsr()[[i]].indices


def fully_treated(adjacency, z):
    z = np.asarray(z, dtype=bool)
    out = np.zeros(z.size, dtype=bool)
    for i in range(z.size):
        nb = _neighbours(adjacency, i)
        out[i] = z[i] and nb.size > 0 and z[nb].all()
    return out


def fully_control(adjacency, z):
    return fully_treated(adjacency, ~np.asarray(z, dtype=bool))


def naive_and_ego(adjacency, z, y):
    t, c = fully_treated(adjacency, z), fully_control(adjacency, z)
    return y[z].mean() - y[~z].mean(), y[t].mean() - y[c].mean()


def design_effect(y, clusters, *, msw_df=None, msb_factor=None, icc_only=False, m_is_k=False):
    k = clusters.max() + 1
    m = y.size / k
    groups = [y[clusters == c] for c in range(k)]
    msb = (m if msb_factor is None else msb_factor) * sum((g.mean() - y.mean()) ** 2 for g in groups) / (k - 1)
    msw = sum(((g - g.mean()) ** 2).sum() for g in groups) / (y.size - k if msw_df is None else msw_df(y.size, k))
    icc = (msb - msw) / (msb + (m - 1) * msw)
    return icc if icc_only else 1 + ((k if m_is_k else m) - 1) * icc


def best_switchback(carryover, shock_rho, windows, rng, *, burn_ins=None, simulated_rho=None, score="rmse"):
    scores = {}
    for w in windows:
        for b in (sorted({0, carryover}) if burn_ins is None else burn_ins):
            if b < w:
                est = itf.simulate_switchback(1000, 336, w, carryover, 1.0, rng, burn_in=b,
                                              shock_rho=shock_rho if simulated_rho is None else simulated_rho)
                scores[w, b] = {"rmse": np.sqrt(np.mean((est - 1.0) ** 2)), "bias": abs(est.mean() - 1.0),
                                "se": est.std()}[score]
    return min(scores, key=scores.get)


def _welch(a_mean, a_var, n_a, b_mean, b_var, n_b):
    """Welch t statistic and degrees of freedom from arm means, variances and sizes (arrays)."""
    va, vb = a_var / n_a, b_var / n_b
    return (a_mean - b_mean) / np.sqrt(va + vb), (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))


def _arm_stats(values, in_arm):
    """Mean, variance (ddof 1) and size of the entries of each row that are in the arm."""
    n = in_arm.sum(axis=1)
    mean = np.where(in_arm, values, 0).sum(axis=1) / n
    var = np.where(in_arm, (values - mean[:, None]) ** 2, 0).sum(axis=1) / (n - 1)
    return mean, var, n


def aa_false_positive_rates(clusters, sd_cluster, sd_user, alpha, n_sims, rng, *, users_independent=False,
                            cluster_test="welch"):
    clusters = np.asarray(clusters)
    k, sizes = clusters.max() + 1, np.bincount(clusters)
    y = rng.normal(0, sd_cluster, (n_sims, k))[:, clusters] + rng.normal(0, sd_user, (n_sims, clusters.size))
    arm = np.argsort(rng.random((n_sims, k)), axis=1) < k // 2  # half the clusters treated
    z = rng.random((n_sims, clusters.size)) < 0.5 if users_independent else arm[:, clusters]
    t, df = _welch(*_arm_stats(y, z), *_arm_stats(y, ~z))
    user = 2 * sps.t.sf(np.abs(t), df) < alpha
    member = (clusters[:, None] == np.arange(k)).astype(float) / sizes
    means = y @ member
    t, df = _welch(*_arm_stats(means, arm), *_arm_stats(means, ~arm))
    if cluster_test == "welch":
        cluster = 2 * sps.t.sf(np.abs(t), df) < alpha
    else:  # the z test on cluster means
        cluster = np.abs(t) > sps.norm.ppf(1 - alpha / 2)
    return float(user.mean()), float(cluster.mean())


def test_task5_reference_agrees_with_scipy_on_one_experiment():
    rng = np.random.default_rng(5)
    clusters = np.repeat(np.arange(6), [3, 4, 5, 6, 7, 8])
    y = rng.normal(size=(1, clusters.size))
    arm = np.array([[True, False, True, False, True, False]])
    z = arm[:, clusters]
    t, df = _welch(*_arm_stats(y, z), *_arm_stats(y, ~z))
    assert t[0] == pytest.approx(sps.ttest_ind(y[0, z[0]], y[0, ~z[0]], equal_var=False).statistic)


TASKS = [(check.task1, fully_treated), (check.task2, naive_and_ego), (check.task3, design_effect),
         (check.task4, best_switchback), (check.task5, aa_false_positive_rates)]


def test_task1_wrong_answers():
    assert_try_again(check.task1(lambda a, z: np.flatnonzero(fully_treated(a, z))), "boolean numpy array")
    assert_try_again(check.task1(lambda a, z: fully_treated(a, z) | fully_control(a, z)), "user 8, who is in control")

    def counts_isolated(a, z):  # "no control neighbour" taken literally: isolated users slip in
        degree = np.asarray(a.sum(axis=1)).ravel()
        return np.asarray(z, bool) & (a @ np.asarray(z, float) == degree)
    assert_try_again(check.task1(counts_isolated), "user 3, who has no neighbours")

    def majority(a, z):
        degree = np.asarray(a.sum(axis=1)).ravel()
        return np.asarray(z, bool) & (a @ np.asarray(z, float) > degree / 2)
    assert_try_again(check.task1(majority), "user 4, whose neighbour 7 is in control")

    def any_treated_friend(a, z):
        return np.asarray(z, bool) & (a @ np.asarray(z, float) > 0)
    assert_try_again(check.task1(any_treated_friend), "user 1, whose neighbour 2 is in control")

    def needs_two_friends(a, z):  # an off-by-one on the degree
        degree = np.asarray(a.sum(axis=1)).ravel()
        return fully_treated(a, z) & (degree > 1)
    assert_try_again(check.task1(needs_two_friends), "you left out user 0")

    def ignores_own_arm(a, z):  # all neighbours treated, whatever the user's own arm
        degree = np.asarray(a.sum(axis=1)).ravel()
        return (degree > 0) & (a @ np.asarray(z, float) == degree)
    assert_try_again(check.task1(ignores_own_arm), "user 2, who is in control")


def test_task1_hint_describes_the_small_graph_truthfully():
    # issue 9: the old hint spoke of "a 4-node path" (it was 3 nodes and an isolated user)
    g = check._small_graph()
    assert g.number_of_nodes() == 10 and sorted(g.edges) == check.SMALL_EDGES
    assert "path 0 - 1 - 2" in check.SMALL_DESCRIPTION and "user 3 with no friends" in check.SMALL_DESCRIPTION
    assert [i for i in range(10) if check.SMALL_Z[i]] == [0, 1, 3, 4, 5, 6]


def test_task2_wrong_answers():
    assert_try_again(check.task2(lambda a, z, y: naive_and_ego(a, z, y)[1]), "tuple (naive, ego)")
    assert_try_again(check.task2(lambda a, z, y: (naive_and_ego(a, z, y)[0],) * 2), "equals the naive")
    assert_try_again(check.task2(lambda a, z, y: (-naive_and_ego(a, z, y)[0], 0.0)), "wrong sign")
    assert_try_again(check.task2(lambda a, z, y: naive_and_ego(a, z, y)[::-1]), "swapped")

    def with_isolated_controls(a, z, y):  # "no treated neighbour" taken literally
        degree = np.asarray(a.sum(axis=1)).ravel()
        treated_friends = a @ z.astype(float)
        control = ~z & (treated_friends == 0)
        return naive_and_ego(a, z, y)[0], y[fully_treated(a, z)].mean() - y[control].mean()
    assert_try_again(check.task2(with_isolated_controls), "no neighbours as fully control")

    def with_isolated_both(a, z, y):
        treated_friends = a @ z.astype(float)
        degree = np.asarray(a.sum(axis=1)).ravel()
        t, c = z & (treated_friends == degree), ~z & (treated_friends == 0)
        return naive_and_ego(a, z, y)[0], y[t].mean() - y[c].mean()
    assert_try_again(check.task2(with_isolated_both), "in both conditions")

    def treated_side_only(a, z, y):  # fully treated users against all control users
        naive, _ = naive_and_ego(a, z, y)
        return naive, y[fully_treated(a, z)].mean() - y[~z].mean()
    assert_try_again(check.task2(treated_side_only), "ALL control users")

    def majority(a, z, y):
        share = (a @ z.astype(float)) / np.maximum(np.asarray(a.sum(axis=1)).ravel(), 1)
        keep_t, keep_c = z & (share > 0.5), ~z & (share < 0.5)
        return naive_and_ego(a, z, y)[0], y[keep_t].mean() - y[keep_c].mean()
    assert_try_again(check.task2(majority), "MAJORITY")


def test_task2_cases_have_isolated_users_and_a_global_effect_of_three():
    # The task's text promises a global effect of 3.0; isolated users make the literal reading wrong.
    graph, z, y = check._graph_case(63, n_isolated=12)
    assert (graph.degree == 0).sum() == 12 and (~z & (graph.degree == 0)).any() and (z & (graph.degree == 0)).any()
    base = y - 1.0 * z - 2.0 * itf.exposure(graph, z)
    connected = np.mean(graph.degree > 0)
    assert itf.global_effect(itf.linear_outcomes, graph, base, direct=1.0, spill=2.0) == pytest.approx(1 + 2 * connected)


def test_task3_wrong_answers():
    def naive_icc(y, clusters):
        m = y.size / (clusters.max() + 1)
        return 1 + (m - 1) * np.var(np.bincount(clusters, weights=y) / m) / np.var(y)

    assert_try_again(check.task3(naive_icc), "var(cluster means) / var(y)")
    assert_try_again(check.task3(lambda y, c: design_effect(y, c) - 1), "1 PLUS")
    assert_try_again(check.task3(lambda y, c: design_effect(y, c, icc_only=True)), "the ICC itself")
    assert_try_again(check.task3(lambda y, c: design_effect(y, c, msw_df=lambda n, k: n)), "divides by n -")
    assert_try_again(check.task3(lambda y, c: design_effect(y, c, msw_df=lambda n, k: n - 1)), "n - 1")
    assert_try_again(check.task3(lambda y, c: design_effect(y, c, msb_factor=1.0)), "factor m")
    assert_try_again(check.task3(lambda y, c: design_effect(y, c, m_is_k=True)), "m = k")
    assert_try_again(check.task3(lambda y, c: (design_effect(y, c), 0.1)), "single number")


def test_task4_accepts_near_optimal_choices_and_rejects_poor_ones():
    def table(choices):
        return lambda carryover, shock_rho, windows, rng: choices[carryover, shock_rho]

    good = {(3, 0.9): (6, 3), (0, 0.9): (1, 0), (3, 0.0): (48, 3), (1, 0.99): (2, 1)}
    assert check.task4(table(good)).status == PASSED
    assert check.task4(table({**good, (3, 0.9): (8, 3)})).status == PASSED
    assert_try_again(check.task4(table({**good, (3, 0.9): (1, 0)})), "mostly BIASED")
    assert_try_again(check.task4(table({**good, (0, 0.9): (48, 0)})), "drifting demand")
    assert_try_again(check.task4(table({**good, (3, 0.9): (2, 3)})), "shorter than the window")
    assert_try_again(check.task4(table({**good, (3, 0.9): (5, 3)})), "candidate lengths")
    assert_try_again(check.task4(table({**good, (3, 0.9): (6.0, 3)})), "ints")
    assert_try_again(check.task4(lambda *a: 6), "tuple (window, burn_in)")


def test_task4_rules_of_thumb_and_ignored_arguments_are_rejected():
    def just_above_the_carryover(carryover, shock_rho, windows, rng):  # a rule of thumb, no simulation
        return min(w for w in windows if w > carryover), carryover
    assert_try_again(check.task4(just_above_the_carryover), "shock_rho = 0.0", "barely drifts")

    def twice_the_carryover(carryover, shock_rho, windows, rng):
        return (max(2 * carryover, 1), carryover)
    assert_try_again(check.task4(twice_the_carryover), "barely drifts")

    def longest_with_burn_in(carryover, shock_rho, windows, rng):
        return max(windows), carryover
    assert_try_again(check.task4(longest_with_burn_in), "drifting demand")

    def ignores_shock_rho(carryover, shock_rho, windows, rng):
        return best_switchback(carryover, shock_rho, windows, rng, simulated_rho=0.9)
    assert_try_again(check.task4(ignores_shock_rho), "Did you simulate with this shock_rho")

    def never_burns_in(carryover, shock_rho, windows, rng):
        return best_switchback(carryover, shock_rho, windows, rng, burn_ins=[0])
    assert_try_again(check.task4(never_burns_in), "RMSE")

    def least_bias(carryover, shock_rho, windows, rng):  # bias instead of RMSE: the longest windows win
        return best_switchback(carryover, shock_rho, windows, rng, score="bias")
    assert_try_again(check.task4(least_bias), "RMSE")


def test_task4_table_matches_a_fresh_simulation():
    # The check's precomputed RMSE, bias and SE of every candidate, against new draws.
    for (carryover, rho, window, burn_in), (rmse, bias, se) in check.SWITCHBACK_TABLE.items():
        new = check._switchback_reference(window, burn_in, carryover, rho, n_reps=3000, seed=7)
        assert new[0] == pytest.approx(rmse, rel=0.05), (carryover, rho, window, burn_in)
        assert abs(new[1] - bias) < 5 * se * np.sqrt(1 / 3000 + 1 / 20_000)
    cases = {(c, r) for c, r, _, _ in check.SWITCHBACK_TABLE}
    assert cases == set(check.TASK4_CASES)


def test_task4_best_window_moves_with_carryover_and_drift():
    best = {case: min(((w, b) for c, r, w, b in check.SWITCHBACK_TABLE if (c, r) == case),
                      key=lambda wb: check.SWITCHBACK_TABLE[(*case, *wb)][0]) for case in check.TASK4_CASES}
    assert len({w for w, _ in best.values()}) == len(best)  # a different window in every case


def test_task5_table_matches_a_fresh_simulation_and_the_closed_form():
    for i, (sizes, sd_c, sd_u, _) in enumerate(check.TASK5_CASES):
        for alpha in (0.05, 0.10):
            table = check.AA_TABLE[i, alpha]
            new = check._aa_clustered(sizes, sd_c, sd_u, alpha, n_sims=100_000, seed=99)
            for name, rate in table.items():
                assert abs(new[name] - rate) < 5 * np.sqrt(rate * (1 - rate) / 100_000), (i, alpha, name)
    # ... and with the normal approximation 2 Phi(-z / sqrt(deff)) for equal clusters
    sizes, sd_c, sd_u, alpha = check.TASK5_CASES[0]
    deff = 1 + (sizes[0] - 1) * sd_c**2 / (sd_c**2 + sd_u**2)
    approx = 2 * sps.norm.sf(sps.norm.ppf(1 - alpha / 2) / np.sqrt(deff))
    assert check.AA_TABLE[0, alpha]["user z"] == pytest.approx(approx, abs=0.02)
    assert check.AA_TABLE[0, alpha]["cluster pooled"] == pytest.approx(alpha, abs=0.002)  # exact for equal clusters


def test_task5_reference_agrees_with_a_direct_simulation():
    # The sufficient-statistics reference against this file's user-by-user simulation.
    sizes, sd_c, sd_u, alpha = check.TASK5_CASES[1]
    clusters = np.repeat(np.arange(len(sizes)), sizes)
    user, cluster = aa_false_positive_rates(clusters, sd_c, sd_u, alpha, 20_000, np.random.default_rng(3))
    ref = check.AA_TABLE[1, alpha]
    assert abs(user - ref["user welch"]) < 5 * np.sqrt(ref["user welch"] * (1 - ref["user welch"]) / 20_000)
    assert abs(cluster - ref["cluster welch"]) < 5 * np.sqrt(ref["cluster welch"] * (1 - ref["cluster welch"]) / 20_000)


def test_task5_wrong_answers():
    def closed_form(clusters, sd_cluster, sd_user, alpha, n_sims, rng):  # a formula where a simulation was asked
        m = np.bincount(clusters).mean()
        deff = 1 + (m - 1) * sd_cluster**2 / (sd_cluster**2 + sd_user**2)
        return 2 * sps.norm.sf(sps.norm.ppf(1 - alpha / 2) / np.sqrt(deff)), alpha
    assert_try_again(check.task5(closed_form), "not a share", "formula")

    def users_randomised(clusters, sd_c, sd_u, alpha, n_sims, rng):
        return aa_false_positive_rates(clusters, sd_c, sd_u, alpha, n_sims, rng, users_independent=True)
    assert_try_again(check.task5(users_randomised), "about alpha", "whole clusters")

    def no_cluster_effect(clusters, sd_c, sd_u, alpha, n_sims, rng):
        return aa_false_positive_rates(clusters, 0.0, sd_u, alpha, n_sims, rng)
    assert_try_again(check.task5(no_cluster_effect), "share the cluster's random effect")

    def z_on_cluster_means(clusters, sd_c, sd_u, alpha, n_sims, rng):
        return aa_false_positive_rates(clusters, sd_c, sd_u, alpha, n_sims, rng, cluster_test="z")
    assert_try_again(check.task5(z_on_cluster_means), "t distribution")

    def ignores_alpha(clusters, sd_c, sd_u, alpha, n_sims, rng):
        return aa_false_positive_rates(clusters, sd_c, sd_u, 0.05, n_sims, rng)
    assert_try_again(check.task5(ignores_alpha), "alpha argument")
    assert_try_again(check.task5(lambda *a: aa_false_positive_rates(*a)[::-1]), "swapped")
    assert_try_again(check.task5(lambda *a: 0.05), "tuple (user_rate, cluster_rate)")
