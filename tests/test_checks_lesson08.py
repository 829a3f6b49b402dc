"""The lesson 08 checks: a correct answer passes, wrong ones get a hint (never a traceback), stubs are 'not done yet'."""

import numpy as np
from scipy import stats

from checkhelpers import assert_try_again

from labsupport import always_valid as av
from labsupport.checks import lesson08 as check


def peeking_error_rates(n_sims, n_max, tau2, alpha, rng):
    ns = np.arange(1, n_max + 1)
    diffs = av.simulate_mean_diffs(n_sims, ns, 0.0, 1.0, rng)
    naive = (np.abs(diffs) / np.sqrt(2 / ns) > stats.norm.ppf(1 - alpha / 2)).any(axis=1)
    return naive.mean(), (av.always_valid_pvalues(diffs, ns, 1.0, tau2)[:, -1] <= alpha).mean()


def best_tau2(effect, n_max, tau2_grid, alpha, n_sims, rng):
    ns = np.arange(1, n_max + 1)
    diffs = av.simulate_mean_diffs(n_sims, ns, effect, 1.0, rng)
    means = []
    for t2 in tau2_grid:
        first = av.first_true(av.always_valid_pvalues(diffs, ns, 1.0, t2) <= alpha)
        means.append(np.where(first >= 0, ns[first], n_max).mean())
    return tau2_grid[int(np.argmin(means))]


def confidence_sequence(mean_diffs, ns, sigma2, tau2, alpha):
    return av.confidence_sequence(mean_diffs, ns, sigma2, tau2, alpha)


def conversion_pvalues(successes_a, successes_b, ns, tau2):
    return av.proportion_pvalues(successes_a, successes_b, ns, tau2)


TASKS = [(check.task1, peeking_error_rates), (check.task2, best_tau2), (check.task3, confidence_sequence),
         (check.task4, conversion_pvalues)]


# Task 1

def test_task1_only_looking_at_the_end_is_wrong():
    def last_look_only(n_sims, n_max, tau2, alpha, rng):
        diffs = av.simulate_mean_diffs(n_sims, [n_max], 0.0, 1.0, rng)[:, 0]
        naive = np.abs(diffs) / np.sqrt(2 / n_max) > stats.norm.ppf(1 - alpha / 2)
        return naive.mean(), 0.01
    assert_try_again(check.task1(last_look_only), "naive_rate", "ANY look")


def test_task1_swapped_order_gets_a_hint():
    assert_try_again(check.task1(lambda *a: peeking_error_rates(*a)[::-1]), "order")


def test_task1_wrong_type_gets_a_hint():
    assert_try_again(check.task1(lambda *a: 0.3), "pair")
    assert_try_again(check.task1(lambda *a: (0.3, 0.01, 0.0)), "exactly two")


# Task 2

def test_task2_picking_the_largest_tau_is_wrong():
    assert_try_again(check.task2(lambda effect, n_max, grid, *rest: grid[-1]), "sooner")


def test_task2_a_value_outside_the_grid_gets_a_hint():
    assert_try_again(check.task2(lambda *a: 0.05), "tau2_grid")
    assert_try_again(check.task2(lambda *a: "0.1"), "tau2_grid")


# Task 3

def test_task3_no_running_intersection_gets_a_specific_hint():
    def not_running(mean_diffs, ns, sigma2, tau2, alpha):
        return av.confidence_sequence(mean_diffs, ns, sigma2, tau2, alpha, running=False)
    assert_try_again(check.task3(not_running), "running maximum")


def test_task3_a_fixed_horizon_interval_is_wrong():
    def fixed_ci(mean_diffs, ns, sigma2, tau2, alpha):
        half = stats.norm.ppf(1 - alpha / 2) * np.sqrt(2 * sigma2 / np.asarray(ns))
        return mean_diffs - half, mean_diffs + half
    assert_try_again(check.task3(fixed_ci), "low", "entries are off")


def test_task3_wrong_shape_gets_a_hint():
    assert_try_again(check.task3(lambda d, *a: (np.zeros(3), np.zeros(3))), "shape")
    assert_try_again(check.task3(lambda *a: 1.0), "pair")


# Task 4

def test_task4_not_a_running_minimum_gets_a_specific_hint():
    def raw(successes_a, successes_b, ns, tau2):
        pooled = (successes_a + successes_b) / (2 * ns)
        lam = av.msprt_lambda((successes_b - successes_a) / ns, ns, pooled * (1 - pooled), tau2)
        return np.minimum(1, 1 / lam)
    assert_try_again(check.task4(raw), "running minimum")


def test_task4_tau2_of_one_is_wrong():
    assert_try_again(check.task4(lambda sa, sb, ns, tau2: av.proportion_pvalues(sa, sb, ns, 1.0)), "p-values")


def test_task4_wrong_shape_gets_a_hint():
    assert_try_again(check.task4(lambda sa, sb, ns, tau2: av.proportion_pvalues(sa, sb, ns, tau2)[0]), "shape")
