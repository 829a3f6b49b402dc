"""Checks for lesson 06, interference (solutions/06_interference_exercises.ipynb)."""

from __future__ import annotations

import numbers

import networkx as nx
import numpy as np
from scipy import sparse
from scipy import stats as _sps

from .. import interference as _itf
from . import (call, describe, share_band, expect_array, expect_between, expect_number, expect_real, fail,
               is_count_share, same_seed_result, task)

N_PERIODS = 336
# A chosen (window, burn-in) passes if its RMSE is within this factor of the best candidate's.
RMSE_SLACK = 1.10


def _graph_case(seed, n_nodes=300, n_communities=10, n_isolated=0):
    """A cluster-randomised experiment on a community graph (plus ``n_isolated`` users with no friends)."""
    rng = np.random.default_rng(seed)
    graph = _itf.social_graph(n_nodes, n_communities, 0.3, 0.005, rng)
    if n_isolated:
        adjacency = sparse.block_diag([graph.adjacency, sparse.csr_array((n_isolated, n_isolated))], format="csr")
        labels = np.r_[graph.communities, rng.integers(0, n_communities, n_isolated)]
        graph = _itf.SocialGraph(sparse.csr_array(adjacency), labels)
    z = _itf.cluster_assignment(graph.communities, 1, 0.5, rng)[0]
    y = _itf.linear_outcomes(graph, z, _itf.baseline(graph, rng), direct=1.0, spill=2.0)
    return graph, z, y


def _mask(value, n, what):
    arr = np.asarray(value)
    if arr.shape != (n,) or arr.dtype != bool:
        fail(f"{what} should be a boolean numpy array of shape ({n},), one True/False per user; "
             f"your function returned {describe(value)} of dtype {getattr(arr, 'dtype', '?')}. "
             "Compare arrays elementwise (e.g. `z & (...)`) instead of collecting indices.")
    return arr


# task 1's small graph: a path 0 - 1 - 2, user 3 with no friends, a star with centre 4 and leaves 5, 6, 7,
# and a pair 8 - 9 in control
SMALL_EDGES = [(0, 1), (1, 2), (4, 5), (4, 6), (4, 7), (8, 9)]
SMALL_Z = np.array([True, True, False, True, True, True, True, False, False, False])
SMALL_DESCRIPTION = ("on a 10-user graph (a path 0 - 1 - 2, user 3 with no friends, a star with centre 4 "
                     "and leaves 5, 6, 7, and a pair 8 - 9; users 0, 1, 3, 4, 5 and 6 treated)")


def _small_graph():
    g = nx.Graph()
    g.add_nodes_from(range(SMALL_Z.size))
    g.add_edges_from(SMALL_EDGES)
    return g


def _why(g, z, i, marked):
    """Why user i of the small graph is (not) fully treated: the reason a learner's mask is wrong there."""
    friends = sorted(g[i])
    if marked:
        if not z[i]:
            return f"you marked user {i}, who is in control"
        if not friends:
            return f"you marked user {i}, who has no neighbours at all (no neighbour is not 'all neighbours treated')"
        control = [j for j in friends if not z[j]]
        return f"you marked user {i}, whose neighbour {control[0]} is in control"
    return f"you left out user {i}: treated, and every neighbour ({', '.join(map(str, friends))}) is treated"


@task("task 1: treated users with no control neighbours")
def task1(fn):
    g = _small_graph()
    n = SMALL_Z.size
    mask = _mask(call(fn, nx.to_scipy_sparse_array(g, nodelist=range(n), format="csr"), SMALL_Z.copy()), n,
                 "the result")
    expected = np.array([z and len(g[i]) > 0 and all(SMALL_Z[j] for j in g[i]) for i, z in enumerate(SMALL_Z)])
    wrong = np.flatnonzero(mask != expected)
    if wrong.size:
        fail(f"{SMALL_DESCRIPTION} {_why(g, SMALL_Z, int(wrong[0]), bool(mask[wrong[0]]))}.")
    for seed in (61, 62):
        graph, z, _ = _graph_case(seed, n_isolated=5)
        mask = _mask(call(fn, graph.adjacency.copy(), z.copy()), graph.n_nodes, "the result")
        treated, _ = _itf.exposure_conditions(graph, z, threshold=1.0)
        expect_array(mask, treated, what="the mask of fully treated users on a 305-user graph",
                     hint="it passed the small graph, so look for what differs at scale (e.g. integer "
                          "division, or the adjacency's dtype).")
    return "your mask matches the ego-network full-exposure condition."


def _pair(value, what="(naive, ego)"):
    if isinstance(value, (tuple, list, np.ndarray)) and np.shape(value) == (2,):
        return value[0], value[1]
    fail(f"the result should be a tuple {what} of two numbers; your function returned {describe(value)}.")


@task("task 2: the contaminated estimate against the ego-network estimate")
def task2(fn):
    for seed in (63, 64):
        graph, z, y = _graph_case(seed, n_isolated=12)
        naive, ego = (expect_real(v, name) for v, name in zip(_pair(call(fn, graph.adjacency.copy(), z.copy(),
                                                                          y.copy())), ("naive", "ego")))
        treated, control = _itf.exposure_conditions(graph, z, threshold=1.0)
        ref_naive = _itf.difference_in_means(y, z)
        ref = _itf.difference_in_means(y, z, keep=treated | control)
        if np.isclose(naive, ref, rtol=1e-9) and np.isclose(ego, ref_naive, rtol=1e-9):
            fail("your two estimates look swapped: return (naive, ego).")
        if np.isclose(naive, -ref_naive, rtol=1e-9):
            fail("your naive estimate has the wrong sign: treated minus control.")
        expect_number(naive, ref_naive, what="the naive estimate", rel=1e-9,
                      hint="it is the plain A/B difference over ALL users of each arm.")
        if np.isclose(ego, naive, rtol=1e-9):
            fail("your ego-network estimate equals the naive one: restrict both arms to users whose "
                 "neighbours are all in their own arm.")
        isolated = graph.degree == 0
        share = _itf.exposure(graph, z)
        variants = {
            "you counted users with no neighbours as fully control: with no neighbours they are in neither "
            "exposure condition (a launch would change nothing around them).": treated | control | (isolated & ~z),
            "you counted users with no neighbours as fully treated: with no neighbours they are in neither "
            "exposure condition.": treated | control | (isolated & z),
            "you counted users with no neighbours in both conditions; leave them out.": treated | control | isolated,
            "your control side holds ALL control users; keep only control users with no treated neighbour.":
                treated | ~z,
            "your treated side holds ALL treated users; keep only treated users whose neighbours are all "
            "treated.": z | control,
            "you kept users with a MAJORITY of neighbours in their arm; the condition is ALL of them.":
                (z & (share > 0.5)) | (~z & (share < 0.5)),
        }
        for hint, keep in variants.items():
            if np.isclose(ego, _itf.difference_in_means(y, z, keep=keep), rtol=1e-9) and not np.isclose(ego, ref):
                fail(hint)
        expect_number(ego, ref, what="the ego-network estimate", rel=1e-9,
                      hint="check each side against task 1's condition (and its mirror image for control).")
    return "both estimates match; over many experiments the ego-network one targets the global effect."


def _balanced(seed, k, m, sd_between, sd_within):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(k), m)
    return rng.normal(0, sd_between, k)[labels] + rng.normal(5, sd_within, k * m), labels


def _anova(y, labels, k, m, msb_factor=None, msw_df=None):
    means = np.bincount(labels, weights=y) / m
    msb = (m if msb_factor is None else msb_factor) * np.sum((means - y.mean()) ** 2) / (k - 1)
    msw = np.sum((y - means[labels]) ** 2) / (y.size - k if msw_df is None else msw_df)
    return (msb - msw) / (msb + (m - 1) * msw)


@task("task 3: the design effect")
def task3(fn):
    for seed, k, m, sb, sw in ((65, 40, 25, 1.0, 3.0), (66, 20, 10, 2.0, 2.0), (67, 50, 8, 0.5, 1.0)):
        y, labels = _balanced(seed, k, m, sb, sw)
        value = call(fn, y.copy(), labels.copy())
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            fail(f"the design effect should be a single number; your function returned {describe(value)}.")
        icc = _anova(y, labels, k, m)
        reference = 1 + (m - 1) * icc
        if np.isclose(value, reference, rtol=1e-6):
            continue
        where = f"for {k} clusters of {m} users"
        mistakes = {
            "you returned the ICC itself; the design effect is 1 + (m - 1) ICC.": icc,
            "that is (m - 1) ICC: the design effect is 1 PLUS (m - 1) ICC.": (m - 1) * icc,
            "you used var(cluster means) / var(y) as the ICC; the cluster means also carry within-cluster "
            "noise. Use the ANOVA estimator of the task.":
                1 + (m - 1) * np.var(np.bincount(labels, weights=y) / m) / np.var(y),
            "you used m = k: m is the cluster SIZE, n / k (here k clusters of m users).":
                1 + (k - 1) * _anova(y, labels, k, m) if k != m else np.nan,
            "your MSB lacks the factor m: MSB = m sum_c (mean_c - mean)^2 / (k - 1).":
                1 + (m - 1) * _anova(y, labels, k, m, msb_factor=1),
            "your MSW divides by n; it divides by n - k, the within-cluster degrees of freedom.":
                1 + (m - 1) * _anova(y, labels, k, m, msw_df=y.size),
            "your MSW divides by n - 1; it divides by n - k, the within-cluster degrees of freedom.":
                1 + (m - 1) * _anova(y, labels, k, m, msw_df=y.size - 1),
            "you used m instead of m - 1: the design effect is 1 + (m - 1) ICC.": 1 + m * icc,
        }
        for hint, wrong in mistakes.items():
            if np.isclose(value, wrong, rtol=1e-6):
                fail(f"{where} {hint}")
        expect_number(value, reference, what=f"the design effect {where}", rel=1e-6,
                      hint="compute MSB, MSW and the ICC separately and compare each with the formulas of the task.")
    return "your design effect matches 1 + (m - 1) ICC."


TASK4_CASES = [(3, 0.9), (0, 0.9), (3, 0.0), (1, 0.99)]  # (carryover, shock_rho): the best window moves
TASK4_WINDOWS = (1, 2, 4, 6, 8, 12, 24, 48)


# The reference behaviour of every candidate, from 20,000 simulated experiments each (precomputed so that
# a check takes a moment; tests/test_checks_lesson06.py re-simulates the table and the one of task 5).
SWITCHBACK_TABLE = {  # (carryover, shock_rho, window, burn_in): (rmse, bias, se), 20,000 simulated experiments each
    (3, 0.9, 1, 0): (0.7681, -0.7526, 0.1532),
    (3, 0.9, 2, 0): (0.6561, -0.6285, 0.1882),
    (3, 0.9, 4, 0): (0.4447, -0.3805, 0.2302),
    (3, 0.9, 4, 3): (0.3057, 0.0016, 0.3057),
    (3, 0.9, 6, 0): (0.3651, -0.2546, 0.2616),
    (3, 0.9, 6, 3): (0.2942, -0.0002, 0.2942),
    (3, 0.9, 8, 0): (0.3449, -0.1913, 0.287),
    (3, 0.9, 8, 3): (0.3082, -0.0019, 0.3082),
    (3, 0.9, 12, 0): (0.3508, -0.13, 0.3258),
    (3, 0.9, 12, 3): (0.3444, -0.0012, 0.3444),
    (3, 0.9, 24, 0): (0.3947, -0.0672, 0.3889),
    (3, 0.9, 24, 3): (0.402, -0.0031, 0.402),
    (3, 0.9, 48, 0): (0.4367, -0.0314, 0.4356),
    (3, 0.9, 48, 3): (0.4456, -0.0012, 0.4456),
    (0, 0.9, 1, 0): (0.1526, -0.0003, 0.1526),
    (0, 0.9, 2, 0): (0.1835, 0.0002, 0.1835),
    (0, 0.9, 4, 0): (0.2277, 0.0022, 0.2277),
    (0, 0.9, 6, 0): (0.2598, -0.0011, 0.2598),
    (0, 0.9, 8, 0): (0.2857, -0.0034, 0.2857),
    (0, 0.9, 12, 0): (0.3239, -0.0011, 0.3239),
    (0, 0.9, 24, 0): (0.3868, -0.0003, 0.3868),
    (0, 0.9, 48, 0): (0.4397, -0.0009, 0.4397),
    (3, 0.0, 1, 0): (0.7685, -0.7524, 0.1565),
    (3, 0.0, 2, 0): (0.6494, -0.6298, 0.1583),
    (3, 0.0, 4, 0): (0.4117, -0.3798, 0.1588),
    (3, 0.0, 4, 3): (0.3067, 0.0008, 0.3067),
    (3, 0.0, 6, 0): (0.2997, -0.2544, 0.1585),
    (3, 0.0, 6, 3): (0.2181, -0.0014, 0.2181),
    (3, 0.0, 8, 0): (0.2489, -0.1923, 0.158),
    (3, 0.0, 8, 3): (0.1958, 0.0, 0.1958),
    (3, 0.0, 12, 0): (0.2039, -0.1307, 0.1565),
    (3, 0.0, 12, 3): (0.1781, 0.0009, 0.1781),
    (3, 0.0, 24, 0): (0.1691, -0.0661, 0.1557),
    (3, 0.0, 24, 3): (0.1649, 0.0012, 0.1649),
    (3, 0.0, 48, 0): (0.1612, -0.0351, 0.1573),
    (3, 0.0, 48, 3): (0.1603, 0.0003, 0.1603),
    (1, 0.99, 1, 0): (0.5208, -0.5019, 0.1391),
    (1, 0.99, 2, 0): (0.2997, -0.2529, 0.161),
    (1, 0.99, 2, 1): (0.1939, -0.0017, 0.1939),
    (1, 0.99, 4, 0): (0.2366, -0.127, 0.1996),
    (1, 0.99, 4, 1): (0.2108, -0.0011, 0.2108),
    (1, 0.99, 6, 0): (0.2463, -0.0894, 0.2295),
    (1, 0.99, 6, 1): (0.2341, 0.0008, 0.2341),
    (1, 0.99, 8, 0): (0.2659, -0.0648, 0.2578),
    (1, 0.99, 8, 1): (0.2625, -0.0045, 0.2624),
    (1, 0.99, 12, 0): (0.3055, -0.043, 0.3024),
    (1, 0.99, 12, 1): (0.3054, -0.0013, 0.3054),
    (1, 0.99, 24, 0): (0.4082, -0.0226, 0.4076),
    (1, 0.99, 24, 1): (0.4137, -0.0031, 0.4136),
    (1, 0.99, 48, 0): (0.5601, -0.012, 0.56),
    (1, 0.99, 48, 1): (0.5543, -0.0047, 0.5542),
}


def _switchback_reference(window, burn_in, carryover, shock_rho, n_reps=20_000, seed=606):
    """(rmse, bias, se) of one candidate by simulation, as SWITCHBACK_TABLE holds them."""
    est = _itf.simulate_switchback(n_reps, N_PERIODS, window, carryover, 1.0,
                                   np.random.default_rng([seed, window, burn_in, carryover, int(100 * shock_rho)]),
                                   burn_in=burn_in, shock_rho=shock_rho)
    return float(np.sqrt(np.mean((est - 1.0) ** 2))), float(est.mean() - 1.0), float(est.std())


@task("task 4: choose a switchback window")
def task4(fn):
    for carryover, shock_rho in TASK4_CASES:
        choice = call(fn, carryover, shock_rho, list(TASK4_WINDOWS), np.random.default_rng(68 + carryover))
        if not (isinstance(choice, (tuple, list)) and len(choice) == 2):
            fail(f"the result should be a tuple (window, burn_in) of two ints; your function returned "
                 f"{describe(choice)}.")
        window, burn_in = (int(c) if isinstance(c, np.integer) else c for c in choice)
        if not all(isinstance(c, numbers.Integral) and not isinstance(c, bool) for c in (window, burn_in)):
            fail("window and burn_in should both be ints.")
        if window not in TASK4_WINDOWS:
            fail("the window must be one of the candidate lengths you were given.")
        if burn_in not in (0, carryover) or burn_in >= window:
            fail("the burn-in must be 0 or the carryover, and shorter than the window.")
        candidates = [(w, b) for w in TASK4_WINDOWS for b in sorted({0, carryover}) if b < w]
        best = min(SWITCHBACK_TABLE[carryover, shock_rho, w, b][0] for w, b in candidates)
        rmse, bias, se = SWITCHBACK_TABLE[carryover, shock_rho, window, burn_in]
        if rmse <= RMSE_SLACK * best:
            continue
        where = f"with a carryover of {carryover} and shock_rho = {shock_rho}, your ({window}, {burn_in})"
        if bias**2 > se**2:
            fail(f"{where} is mostly BIASED (carryover contaminates the start of its windows): its RMSE is "
                 "clearly above the best candidate's. Did you simulate each candidate with this carryover?")
        if shock_rho < 0.5:
            fail(f"{where} is unbiased but noisy: with demand that barely drifts (shock_rho = {shock_rho}), "
                 "windows do not need to be short. Did you simulate with this shock_rho?")
        fail(f"{where} is unbiased but noisy: with drifting demand (shock_rho = {shock_rho}), few long windows "
             "give few independent comparisons. Compare the candidates by RMSE, which counts both bias and SE.")
    return "your window and burn-in keep the switchback's RMSE near its minimum, whatever the carryover and drift."


TASK5_REFERENCE_SIMS = 1_000_000  # the experiments behind each rate of AA_TABLE
TASK5_CASES = [  # (cluster sizes, sd_cluster, sd_user, alpha): the ICC is 0.1, 0.06 and 0
    ((25,) * 20, 1.0, 3.0, 0.05),
    ((5, 12, 20, 30, 40, 60, 25, 10), 0.5, 2.0, 0.10),
    ((16,) * 30, 0.0, 1.0, 0.05),
]


AA_TABLE = {  # (case, alpha): A/A rejection rates, 1,000,000 exact-distribution experiments each (_aa_clustered)
    (0, 0.05): {'user z': 0.29026, 'user welch': 0.28906, 'cluster welch': 0.04841, 'cluster pooled': 0.04982, 'cluster z': 0.06549},
    (0, 0.1): {'user z': 0.37468, 'user welch': 0.37385, 'cluster welch': 0.09802, 'cluster pooled': 0.09964, 'cluster z': 0.11687},
    (1, 0.05): {'user z': 0.25199, 'user welch': 0.24831, 'cluster welch': 0.03888, 'cluster pooled': 0.04782, 'cluster z': 0.09592},
    (1, 0.1): {'user z': 0.33567, 'user welch': 0.33275, 'cluster welch': 0.0863, 'cluster pooled': 0.09812, 'cluster z': 0.15001},
    (2, 0.05): {'user z': 0.05043, 'user welch': 0.04988, 'cluster welch': 0.049, 'cluster pooled': 0.04966, 'cluster z': 0.05962},
    (2, 0.1): {'user z': 0.10032, 'user welch': 0.09968, 'cluster welch': 0.09889, 'cluster pooled': 0.09959, 'cluster z': 0.11084},
}


def _aa_clustered(sizes, sd_cluster, sd_user, alpha, n_sims=200_000, seed=6060):
    """Exact-distribution A/A simulation from per-cluster sufficient statistics.

    Each cluster's mean is N(0, sd_cluster^2 + sd_user^2 / m) and its within-cluster sum of squares
    sd_user^2 chi2(m - 1), so one experiment needs 2k draws however many users it has. Returns the
    rates of: a user-level z test, a user-level Welch test, Welch and pooled t tests on cluster means
    and a z test on cluster means.
    """
    rng = np.random.default_rng(seed)
    m = np.asarray(sizes, dtype=float)
    k = m.size
    means = rng.normal(0.0, 1.0, (n_sims, k)) * np.sqrt(sd_cluster**2 + sd_user**2 / m)
    within = sd_user**2 * rng.chisquare(m - 1, (n_sims, k))
    treated = np.argsort(rng.random((n_sims, k)), axis=1) < k // 2
    out = {}
    n_arm = [np.where(arm, m, 0).sum(1) for arm in (treated, ~treated)]
    arm_mean = [np.where(arm, m * means, 0).sum(1) / n for arm, n in zip((treated, ~treated), n_arm)]
    arm_var = [(np.where(arm, within + m * (means - mu[:, None]) ** 2, 0).sum(1)) / (n - 1)
               for arm, mu, n in zip((treated, ~treated), arm_mean, n_arm)]
    se2 = [v / n for v, n in zip(arm_var, n_arm)]
    z_user = (arm_mean[0] - arm_mean[1]) / np.sqrt(se2[0] + se2[1])
    out["user z"] = (np.abs(z_user) > _sps.norm.ppf(1 - alpha / 2)).mean()
    df_user = (se2[0] + se2[1]) ** 2 / (se2[0] ** 2 / (n_arm[0] - 1) + se2[1] ** 2 / (n_arm[1] - 1))
    out["user welch"] = (2 * _sps.t.sf(np.abs(z_user), df_user) < alpha).mean()
    kt, kc = k // 2, k - k // 2
    cm = [np.where(arm, means, 0).sum(1) / kk for arm, kk in ((treated, kt), (~treated, kc))]
    cv = [np.where(arm, (means - mu[:, None]) ** 2, 0).sum(1) / (kk - 1)
          for arm, mu, kk in ((treated, cm[0], kt), (~treated, cm[1], kc))]
    s2 = [v / kk for v, kk in zip(cv, (kt, kc))]
    t_welch = (cm[0] - cm[1]) / np.sqrt(s2[0] + s2[1])
    df = (s2[0] + s2[1]) ** 2 / (s2[0] ** 2 / (kt - 1) + s2[1] ** 2 / (kc - 1))
    out["cluster welch"] = (2 * _sps.t.sf(np.abs(t_welch), df) < alpha).mean()
    pooled = ((kt - 1) * cv[0] + (kc - 1) * cv[1]) / (k - 2)
    t_pooled = (cm[0] - cm[1]) / np.sqrt(pooled * (1 / kt + 1 / kc))
    out["cluster pooled"] = (2 * _sps.t.sf(np.abs(t_pooled), k - 2) < alpha).mean()
    out["cluster z"] = (np.abs(t_welch) > _sps.norm.ppf(1 - alpha / 2)).mean()
    return {name: float(rate) for name, rate in out.items()}


def _band(references, n_learner):
    """[low, high] covering every accepted reference rate, widened by Z_BAND combined standard errors."""
    lows, highs = [], []
    for r in references:
        low, high = share_band(r, n_learner, TASK5_REFERENCE_SIMS)
        lows.append(low - 0.5 / n_learner)
        highs.append(high + 0.5 / n_learner)
    return min(lows), max(highs)


@task("task 5: false positives of user-level and cluster-level tests")
def task5(fn):
    n_sims = 4_000
    answers = []
    for i, (sizes, sd_c, sd_u, alpha) in enumerate(TASK5_CASES):
        clusters = np.repeat(np.arange(len(sizes)), sizes)
        args = (clusters.copy(), sd_c, sd_u, alpha, n_sims)
        result = (same_seed_result(fn, *args, seed=95, what="rates") if i == 0
                  else call(fn, *args, np.random.default_rng(95 + i)))
        rates = [expect_real(r, name, "return a pair of rates.") for r, name in
                 zip(_pair(result, "(user_rate, cluster_rate)"), ("user_rate", "cluster_rate"))]
        for value, name in zip(rates, ("user_rate", "cluster_rate")):
            expect_between(value, 0.0, 1.0, what=name, hint="a rate is a share of simulated experiments.")
            if not is_count_share(value, n_sims):
                fail(f"{name} is not a share of your {n_sims:,} simulated experiments (a whole number of them "
                     "divided by n_sims): simulate the experiments rather than using a formula such as "
                     "2 Phi(-z / sqrt(deff)).")
        answers.append((clusters, rates))
    other = call(fn, answers[0][0].copy(), *TASK5_CASES[0][1:], n_sims, np.random.default_rng(1995))
    if np.allclose(np.asarray(other, dtype=float), answers[0][1]):
        fail("another seed gave exactly the same rates: a simulation's rates move a little with the seed. "
             "Draw every number from `rng`.")
    for (sizes, sd_c, sd_u, alpha), (clusters, (user, cluster)) in zip(TASK5_CASES, answers):
        ref = AA_TABLE[TASK5_CASES.index((sizes, sd_c, sd_u, alpha)), alpha]
        where = (f"with {len(sizes)} clusters of {'sizes ' + str(min(sizes)) + ' to ' + str(max(sizes)) if len(set(sizes)) > 1 else str(sizes[0]) + ' users'}, "
                 f"sd_cluster = {sd_c}, sd_user = {sd_u} and alpha = {alpha},")
        user_band = _band([ref["user z"], ref["user welch"]], n_sims)
        cluster_band = _band([ref["cluster welch"], ref["cluster pooled"]], n_sims)
        in_user, in_cluster = user_band[0] <= user <= user_band[1], cluster_band[0] <= cluster <= cluster_band[1]
        if not in_user and not in_cluster and user_band[0] <= cluster <= user_band[1] \
                and cluster_band[0] <= user <= cluster_band[1]:
            fail("your two rates look swapped: return (user_rate, cluster_rate).")
        if not in_user:
            alpha_band = _band([alpha], n_sims)
            if sd_c > 0 and alpha_band[0] <= user <= alpha_band[1]:
                fail(f"{where} your user-level rate is about alpha, as if users were independent. Did every "
                     "user of a cluster share the cluster's random effect, and did whole clusters go to one arm?")
            other_alpha = 0.05 if alpha != 0.05 else 0.10
            low, high = _band([AA_TABLE[TASK5_CASES.index((sizes, sd_c, sd_u, alpha)), other_alpha]["user z"]], n_sims)
            if low <= user <= high:
                fail(f"{where} your user-level rate fits alpha = {other_alpha}: use the alpha argument.")
            side = "high" if user > user_band[1] else "low"
            fail(f"{where} your user-level rate is too {side}. It should treat the users as independent "
                 "observations (the mistake this task measures), on cluster-randomised, clustered data.")
        if not in_cluster:
            z_band = _band([ref["cluster z"]], n_sims)
            if z_band[0] <= cluster <= z_band[1] and cluster > cluster_band[1]:
                fail(f"{where} your cluster-level rate is above alpha: with only {len(sizes)} cluster means, "
                     "compare the statistic with the t distribution, not the normal.")
            side = "high" if cluster > cluster_band[1] else "low"
            fail(f"{where} your cluster-level rate is too {side}: test the cluster MEANS, one observation per "
                 "cluster, with a two-sample t test.")
    return ("clustered outcomes make a user-level test cry wolf far more often than alpha; the test on cluster "
            "means holds its level.")
