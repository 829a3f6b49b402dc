"""The lesson 06 checks: a right answer passes, wrong ones get a hint (no traceback), stubs are "not done yet"."""

import numpy as np
import pytest

from labsupport import interference as itf
from labsupport.checks import NOT_DONE, PASSED, TRY_AGAIN
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


def stub(*args, **kwargs):
    raise NotImplementedError("task: replace this line with your code")


TASKS = [(check.task1, fully_treated), (check.task2, naive_and_ego), (check.task3, design_effect),
         (check.task4, best_switchback)]


def _assert_try_again(feedback, *fragments):
    assert feedback.status == TRY_AGAIN, feedback
    assert "Traceback" not in feedback.message
    for fragment in fragments:
        assert fragment in feedback.message, feedback


@pytest.mark.parametrize("task, solution", TASKS, ids=lambda x: getattr(x, "__name__", ""))
def test_reference_solution_passes(task, solution):
    feedback = task(solution)
    assert feedback.status == PASSED, feedback
    assert repr(feedback).startswith("[passed]")


@pytest.mark.parametrize("task", [t for t, _ in TASKS], ids=lambda t: t.__name__)
def test_stub_is_not_done_yet(task):
    feedback = task(stub)
    assert feedback.status == NOT_DONE, feedback
    assert repr(feedback).startswith("[not done yet]")


@pytest.mark.parametrize("task", [t for t, _ in TASKS], ids=lambda t: t.__name__)
def test_passing_a_non_function_gets_a_hint(task):
    _assert_try_again(task(42), "pass your function itself")


@pytest.mark.parametrize("task", [t for t, _ in TASKS], ids=lambda t: t.__name__)
def test_wrong_type_gets_a_hint(task):
    _assert_try_again(task(lambda *args: "an answer"), "should be")


def test_task1_wrong_answers():
    _assert_try_again(check.task1(lambda a, z: np.flatnonzero(fully_treated(a, z))), "boolean numpy array")
    _assert_try_again(check.task1(lambda a, z: fully_treated(a, z) | fully_control(a, z)), "control users")

    def counts_isolated(a, z):  # "no control neighbour" taken literally: isolated users slip in
        degree = np.asarray(a.sum(axis=1)).ravel()
        return np.asarray(z, bool) & (a @ np.asarray(z, float) == degree)
    _assert_try_again(check.task1(counts_isolated), "isolated")

    def majority(a, z):
        degree = np.asarray(a.sum(axis=1)).ravel()
        return np.asarray(z, bool) & (a @ np.asarray(z, float) > degree / 2)
    _assert_try_again(check.task1(majority), "entries differ")


def test_task2_wrong_answers():
    _assert_try_again(check.task2(lambda a, z, y: naive_and_ego(a, z, y)[1]), "tuple (naive, ego)")
    _assert_try_again(check.task2(lambda a, z, y: (naive_and_ego(a, z, y)[0],) * 2), "equals the naive")
    _assert_try_again(check.task2(lambda a, z, y: (-naive_and_ego(a, z, y)[0], 0.0)), "naive estimate")

    def treated_side_only(a, z, y):  # fully treated users against all control users
        naive, _ = naive_and_ego(a, z, y)
        return naive, y[fully_treated(a, z)].mean() - y[~z].mean()
    _assert_try_again(check.task2(treated_side_only), "ego-network estimate")


def test_task2_cases_are_cluster_randomised_amplification():
    # The check's prose promises a global effect of 3.0 in its cases.
    graph, z, y = check._graph_case(63)
    base = y - 1.0 * z - 2.0 * itf.exposure(graph, z)
    assert itf.global_effect(itf.linear_outcomes, graph, base, direct=1.0, spill=2.0) == pytest.approx(3.0, abs=0.02)


def test_task3_wrong_answers():
    def naive_icc(y, clusters):
        m = y.size / (clusters.max() + 1)
        return 1 + (m - 1) * np.var(np.bincount(clusters, weights=y) / m) / np.var(y)

    _assert_try_again(check.task3(naive_icc), "ANOVA")
    _assert_try_again(check.task3(lambda y, c: design_effect(y, c) - 1), "too small")
    _assert_try_again(check.task3(lambda y, c: (design_effect(y, c), 0.1)), "single number")


def test_task4_accepts_near_optimal_choices_and_rejects_poor_ones():
    def constant(choice_with_carry, choice_without):
        return lambda carryover, windows, rng: choice_with_carry if carryover else choice_without

    for good in ((4, 3), (6, 3), (8, 3)):
        assert check.task4(constant(good, (1, 0))).status == PASSED, good
    _assert_try_again(check.task4(constant((8, 0), (1, 0))), "larger RMSE")  # ignores the carryover
    _assert_try_again(check.task4(constant((1, 0), (1, 0))), "larger RMSE")
    _assert_try_again(check.task4(constant((6, 3), (48, 0))), "carryover of 0")
    _assert_try_again(check.task4(constant((2, 3), (1, 0))), "shorter than the window")
    _assert_try_again(check.task4(constant((5, 3), (1, 0))), "candidate lengths")
    _assert_try_again(check.task4(constant((6.0, 3), (1, 0))), "ints")
    _assert_try_again(check.task4(lambda *a: 6), "tuple (window, burn_in)")
