"""The lesson 06 checks: a right answer passes, wrong ones get a hint (no traceback), stubs are "not done yet"."""

import numpy as np
import pytest

from checkhelpers import assert_try_again

from labsupport import interference as itf
from labsupport.checks import PASSED
from labsupport.checks import lesson06 as check


# Reference solutions; tasks 1-3 use plain numpy/scipy (a loop over nodes), not labsupport.
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


def design_effect(y, clusters):
    k = clusters.max() + 1
    m = y.size / k
    groups = [y[clusters == c] for c in range(k)]
    msb = m * sum((g.mean() - y.mean()) ** 2 for g in groups) / (k - 1)
    msw = sum(((g - g.mean()) ** 2).sum() for g in groups) / (y.size - k)
    return 1 + (m - 1) * (msb - msw) / (msb + (m - 1) * msw)


def best_switchback(carryover, windows, rng):
    scores = {}
    for w in windows:
        for b in sorted({0, carryover}):
            if b < w:
                est = itf.simulate_switchback(1000, 336, w, carryover, 1.0, rng, burn_in=b)
                scores[w, b] = np.sqrt(np.mean((est - 1.0) ** 2))
    return min(scores, key=scores.get)


TASKS = [(check.task1, fully_treated), (check.task2, naive_and_ego), (check.task3, design_effect),
         (check.task4, best_switchback)]


def test_task1_wrong_answers():
    assert_try_again(check.task1(lambda a, z: np.flatnonzero(fully_treated(a, z))), "boolean numpy array")
    assert_try_again(check.task1(lambda a, z: fully_treated(a, z) | fully_control(a, z)), "control users")

    def counts_isolated(a, z):  # "no control neighbour" taken literally: isolated users slip in
        degree = np.asarray(a.sum(axis=1)).ravel()
        return np.asarray(z, bool) & (a @ np.asarray(z, float) == degree)
    assert_try_again(check.task1(counts_isolated), "isolated")

    def majority(a, z):
        degree = np.asarray(a.sum(axis=1)).ravel()
        return np.asarray(z, bool) & (a @ np.asarray(z, float) > degree / 2)
    assert_try_again(check.task1(majority), "entries differ")


def test_task2_wrong_answers():
    assert_try_again(check.task2(lambda a, z, y: naive_and_ego(a, z, y)[1]), "tuple (naive, ego)")
    assert_try_again(check.task2(lambda a, z, y: (naive_and_ego(a, z, y)[0],) * 2), "equals the naive")
    assert_try_again(check.task2(lambda a, z, y: (-naive_and_ego(a, z, y)[0], 0.0)), "naive estimate")

    def treated_side_only(a, z, y):  # fully treated users against all control users
        naive, _ = naive_and_ego(a, z, y)
        return naive, y[fully_treated(a, z)].mean() - y[~z].mean()
    assert_try_again(check.task2(treated_side_only), "ego-network estimate")


def test_task2_cases_are_cluster_randomised_amplification():
    # The check's prose promises a global effect of 3.0 in its cases.
    graph, z, y = check._graph_case(63)
    base = y - 1.0 * z - 2.0 * itf.exposure(graph, z)
    assert itf.global_effect(itf.linear_outcomes, graph, base, direct=1.0, spill=2.0) == pytest.approx(3.0, abs=0.02)


def test_task3_wrong_answers():
    def naive_icc(y, clusters):
        m = y.size / (clusters.max() + 1)
        return 1 + (m - 1) * np.var(np.bincount(clusters, weights=y) / m) / np.var(y)

    assert_try_again(check.task3(naive_icc), "ANOVA")
    assert_try_again(check.task3(lambda y, c: design_effect(y, c) - 1), "too small")
    assert_try_again(check.task3(lambda y, c: (design_effect(y, c), 0.1)), "single number")


def test_task4_accepts_near_optimal_choices_and_rejects_poor_ones():
    def constant(choice_with_carry, choice_without):
        return lambda carryover, windows, rng: choice_with_carry if carryover else choice_without

    for good in ((4, 3), (6, 3), (8, 3)):
        assert check.task4(constant(good, (1, 0))).status == PASSED, good
    assert_try_again(check.task4(constant((8, 0), (1, 0))), "larger RMSE")  # ignores the carryover
    assert_try_again(check.task4(constant((1, 0), (1, 0))), "larger RMSE")
    assert_try_again(check.task4(constant((6, 3), (48, 0))), "carryover of 0")
    assert_try_again(check.task4(constant((2, 3), (1, 0))), "shorter than the window")
    assert_try_again(check.task4(constant((5, 3), (1, 0))), "candidate lengths")
    assert_try_again(check.task4(constant((6.0, 3), (1, 0))), "ints")
    assert_try_again(check.task4(lambda *a: 6), "tuple (window, burn_in)")
