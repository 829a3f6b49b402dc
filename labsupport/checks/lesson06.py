"""Checks for lesson 06, interference (solutions/06_interference_exercises.ipynb)."""

from __future__ import annotations

import functools
import numbers

import networkx as nx
import numpy as np

from .. import interference as _itf
from . import describe, call, expect_array, expect_number, fail, task

N_PERIODS, SB_REPS = 336, 1000
# A chosen (window, burn-in) passes if its RMSE is within this factor of the best candidate's.
RMSE_SLACK = 1.10


def _graph_case(seed, n_nodes=300, n_communities=10):
    rng = np.random.default_rng(seed)
    graph = _itf.social_graph(n_nodes, n_communities, 0.3, 0.005, rng)
    z = _itf.cluster_assignment(_itf.find_communities(graph, rng), 1, 0.5, rng)[0]
    y = _itf.linear_outcomes(graph, z, _itf.baseline(graph, rng), direct=1.0, spill=2.0)
    return graph, z, y


def _mask(value, n, what):
    arr = np.asarray(value)
    if arr.shape != (n,) or arr.dtype != bool:
        fail(f"{what} should be a boolean numpy array of shape ({n},), one True/False per user; "
             f"your function returned {describe(value)} of dtype {getattr(arr, 'dtype', '?')}. "
             "Compare arrays elementwise (e.g. `z & (...)`) instead of collecting indices.")
    return arr


@task("task 1: treated users with no control neighbours")
def task1(fn):
    for seed in (61, 62):
        graph, z, _ = _graph_case(seed)
        mask = _mask(call(fn, graph.adjacency, z.copy()), graph.n_nodes, "the result")
        treated, _ = _itf.exposure_conditions(graph, z, threshold=1.0)
        if (mask & ~z).any():
            fail("your mask marks some control users; only treated users qualify.")
        expect_array(mask, treated, what="the mask of fully treated users",
                     hint="count each user's treated neighbours (adjacency @ z) and compare with the degree; "
                          "users with no neighbours at all do not qualify.")
    path = nx.path_graph(3)  # users 0 - 1 - 2, and user 3 with no friends
    path.add_node(3)
    z = np.array([True, True, False, True])
    mask = _mask(call(fn, nx.to_scipy_sparse_array(path, format="csr"), z), 4, "the result")
    if mask[3]:
        fail("an isolated treated user (no neighbours) was marked; require at least one neighbour.")
    expect_array(mask, np.array([True, False, False, False]), what="the mask on a 4-node path plus one isolated "
                 "user", hint="user 1 has a control neighbour (user 2), so it is not fully treated.")
    return "your mask matches the ego-network full-exposure condition."


def _pair(value):
    if isinstance(value, (tuple, list, np.ndarray)) and np.shape(value) == (2,):
        return value[0], value[1]
    fail(f"the result should be a tuple (naive, ego) of two numbers; your function returned {describe(value)}.")


@task("task 2: the contaminated estimate against the ego-network estimate")
def task2(fn):
    for seed in (63, 64):
        graph, z, y = _graph_case(seed)
        naive, ego = _pair(call(fn, graph.adjacency, z.copy(), y.copy()))
        treated, control = _itf.exposure_conditions(graph, z, threshold=1.0)
        expect_number(naive, _itf.difference_in_means(y, z), what="the naive estimate", rel=1e-9,
                      hint="mean outcome of all treated users minus mean outcome of all control users.")
        ref = _itf.difference_in_means(y, z, keep=treated | control)
        if np.isclose(float(ego), float(naive), rtol=1e-9):
            fail("your ego-network estimate equals the naive one: restrict both arms to users whose "
                 "neighbours are all in their own arm.")
        expect_number(ego, ref, what="the ego-network estimate", rel=1e-9,
                      hint="fully treated users (all neighbours treated) minus fully control users "
                           "(all neighbours in control); users with no neighbours are left out.")
    return "both estimates match; over many experiments the ego-network one targets the global effect."


def _balanced(seed, k, m, sd_between, sd_within):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(k), m)
    return rng.normal(0, sd_between, k)[labels] + rng.normal(5, sd_within, k * m), labels


def _reference_deff(y, labels):
    m = y.size / (labels.max() + 1)
    return 1 + (m - 1) * _itf.icc_anova(y, labels)


@task("task 3: the design effect")
def task3(fn):
    for seed, k, m, sb, sw in ((65, 40, 25, 1.0, 3.0), (66, 20, 10, 2.0, 2.0), (67, 50, 8, 0.5, 1.0)):
        y, labels = _balanced(seed, k, m, sb, sw)
        value = call(fn, y.copy(), labels.copy())
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            fail(f"the design effect should be a single number; your function returned {describe(value)}.")
        naive_icc = np.var(np.bincount(labels, weights=y) / m) / np.var(y)
        if np.isclose(value, 1 + (m - 1) * naive_icc, rtol=1e-6):
            fail("you used var(cluster means) / var(y) as the ICC; the cluster means also carry "
                 "within-cluster noise. Use the ANOVA estimator (MSB - MSW) / (MSB + (m - 1) MSW).")
        expect_number(value, _reference_deff(y, labels), what=f"the design effect ({k} clusters of {m})",
                      rel=1e-6, hint="1 + (m - 1) ICC, with the one-way ANOVA ICC; MSB divides by "
                                     "k - 1 and MSW by n - k.")
    return "your design effect matches 1 + (m - 1) ICC."


@functools.lru_cache(maxsize=None)  # seeded, so repeated checks reuse the reference runs
def _rmse(window, burn_in, carryover, seed):
    est = _itf.simulate_switchback(SB_REPS, N_PERIODS, window, carryover, 1.0, seed, burn_in=burn_in)
    return float(np.sqrt(np.mean((est - 1.0) ** 2)))


@task("task 4: choose a switchback window")
def task4(fn):
    windows = [1, 2, 4, 6, 8, 12, 24, 48]
    for carryover, seed in ((3, 68), (0, 69)):
        choice = call(fn, carryover, list(windows), np.random.default_rng(seed))
        if not (isinstance(choice, (tuple, list)) and len(choice) == 2):
            fail(f"the result should be a tuple (window, burn_in) of two ints; your function returned "
                 f"{describe(choice)}.")
        window, burn_in = (int(c) if isinstance(c, np.integer) else c for c in choice)
        if not all(isinstance(c, numbers.Integral) and not isinstance(c, bool) for c in (window, burn_in)):
            fail("window and burn_in should both be ints.")
        if window not in windows:
            fail("the window must be one of the candidate lengths you were given.")
        if burn_in not in (0, carryover) or burn_in >= window:
            fail("the burn-in must be 0 or the carryover, and shorter than the window.")
        candidates = [(w, b) for w in windows for b in sorted({0, carryover}) if b < w]
        best = min(_rmse(w, b, carryover, 1000 + i) for i, (w, b) in enumerate(candidates))
        if _rmse(window, burn_in, carryover, 999) > RMSE_SLACK * best:
            fail(f"with a carryover of {carryover} periods your choice has a clearly larger RMSE than the "
                 "best candidate. Compare every (window, burn-in) pair by RMSE = sqrt(mean((estimate - 1)^2)).")
    return "your window and burn-in keep the switchback's RMSE near its minimum."
