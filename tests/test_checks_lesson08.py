"""The lesson 08 checks: a correct answer passes, each known wrong answer gets [try again] with a hint
naming its mistake (never a traceback), stubs are 'not done yet' (tests/test_checks_contract.py)."""

import numpy as np
from scipy import stats

from checkhelpers import assert_try_again

from labsupport import always_valid as av
from labsupport.checks import PASSED
from labsupport.checks import lesson08 as check


# Reference solutions in plain numpy/scipy (the notation of the exercises notebook).
def _log_lambda(diffs, ns, big_v, tau2):
    return 0.5 * np.log(big_v / (big_v + ns * tau2)) + ns**2 * tau2 * diffs**2 / (2 * big_v * (big_v + ns * tau2))


def _streams(n_sims, n_max, effect, rng):
    ns = np.arange(1, n_max + 1)
    return ns, np.cumsum(rng.normal(effect, np.sqrt(2.0), size=(n_sims, n_max)), axis=1) / ns


def peeking_error_rates(n_sims, n_max, tau2, alpha, rng, *, se_factor=2.0, crit=None, big_v=2.0, last_only=False,
                        naive_last=False):
    ns, diffs = _streams(n_sims, n_max, 0.0, rng)
    z = np.abs(diffs) / np.sqrt(se_factor / ns)
    crit = stats.norm.ppf(1 - alpha / 2) if crit is None else crit(alpha)
    naive = (z[:, -1:] if naive_last else z) > crit
    crossed = _log_lambda(diffs, ns, big_v, tau2) >= np.log(1 / alpha)
    return float(naive.any(axis=1).mean()), float((crossed[:, -1] if last_only else crossed.any(axis=1)).mean())


def best_tau2(effect, n_max, tau2_grid, alpha, n_sims, rng, *, by="users"):
    ns, diffs = _streams(n_sims, n_max, effect, rng)
    scores = []
    for tau2 in tau2_grid:
        crossed = _log_lambda(diffs, ns, 2.0, tau2) >= np.log(1 / alpha)
        users = np.where(crossed.any(axis=1), ns[crossed.argmax(axis=1)], n_max)
        scores.append(users.mean() if by == "users" else -crossed.any(axis=1).mean())
    return float(tau2_grid[int(np.argmin(scores))])


def confidence_sequence(mean_diffs, ns, sigma2, tau2, alpha, *, big_v=None, log_alpha=None, running=True,
                        drop_log_term=False):
    big_v = 2 * sigma2 if big_v is None else big_v
    log_term = np.log(1 / alpha) if log_alpha is None else log_alpha
    extra = 0.0 if drop_log_term else 0.5 * np.log((big_v + ns * tau2) / big_v)
    half = np.sqrt(2 * big_v * (big_v + ns * tau2) / (ns**2 * tau2) * (log_term + extra))
    low, high = mean_diffs - half, mean_diffs + half
    if running:
        low, high = np.maximum.accumulate(low, axis=-1), np.minimum.accumulate(high, axis=-1)
    return low, high


def conversion_pvalues(successes_a, successes_b, ns, tau2, *, variance="pooled", counts=False, running=True):
    sa, sb, ns = (np.asarray(x, dtype=float) for x in (successes_a, successes_b, ns))
    pooled = (sa + sb) / (2 * ns)
    sigma2 = {"pooled": pooled * (1 - pooled), "one": np.ones_like(pooled),
              "unpooled": (sa / ns * (1 - sa / ns) + sb / ns * (1 - sb / ns)) / 2}[variance]
    diff = (sb - sa) if counts else (sb - sa) / ns
    p = np.minimum(1.0, np.exp(-_log_lambda(diff, ns, 2 * sigma2, tau2)))
    return np.minimum.accumulate(p, axis=-1) if running else p


TASKS = [(check.task1, peeking_error_rates), (check.task2, best_tau2), (check.task3, confidence_sequence),
         (check.task4, conversion_pvalues)]


def test_reference_solutions_agree_with_labsupport():
    rng = np.random.default_rng(1)
    ns = np.arange(1, 50)
    d = av.simulate_mean_diffs(3, ns, 0.2, 1.5, rng)
    assert np.allclose(confidence_sequence(d, ns, 1.5, 0.1, 0.05), av.confidence_sequence(d, ns, 1.5, 0.1, 0.05))
    sa, sb = av.simulate_conversions(2, np.arange(100, 1001, 100), 0.1, 0.12, rng)
    assert np.allclose(conversion_pvalues(sa, sb, np.arange(100, 1001, 100), 1e-3),
                       av.proportion_pvalues(sa, sb, np.arange(100, 1001, 100), 1e-3))


# Task 1

def test_task1_wrong_answers():
    def wrong(**kw):
        return lambda n_sims, n_max, tau2, alpha, rng: peeking_error_rates(n_sims, n_max, tau2, alpha, rng, **kw)

    assert_try_again(check.task1(wrong(naive_last=True)), "naive_rate", "ANY of its looks")
    assert_try_again(check.task1(wrong(se_factor=1.0)), "DIFFERENCE of two means")
    assert_try_again(check.task1(wrong(crit=lambda a: stats.norm.ppf(1 - a))), "two-sided")
    assert_try_again(check.task1(wrong(big_v=1.0)), "msprt_rate", "2 sigma2")
    assert_try_again(check.task1(wrong(last_only=True)), "RUNNING minimum")
    assert_try_again(check.task1(lambda n, m, tau2, a, rng: peeking_error_rates(n, m, 0.05, a, rng)), "tau2 argument")
    assert_try_again(check.task1(lambda n, m, t, a, rng: peeking_error_rates(n, m, t, 0.05, rng)), "alpha = 0.1")
    assert_try_again(check.task1(lambda *a: peeking_error_rates(*a)[::-1]), "swapped", "(naive_rate, msprt_rate)")

    def wrong_rejection_rule(n_sims, n_max, tau2, alpha, rng):  # rejects when Lambda >= alpha
        ns, diffs = _streams(n_sims, n_max, 0.0, rng)
        naive = (np.abs(diffs) * np.sqrt(ns / 2) > stats.norm.ppf(1 - alpha / 2)).any(axis=1)
        return float(naive.mean()), float((_log_lambda(diffs, ns, 2.0, tau2) >= np.log(alpha)).any(axis=1).mean())
    feedback = check.task1(wrong_rejection_rule)
    assert_try_again(feedback, "rejection rule", "1 / alpha")
    assert "order" not in feedback.message  # issue 9: it used to say "check the order"

    def exact_formula(n_sims, n_max, tau2, alpha, rng):  # the exact integral where a simulation was asked
        from labsupport.sequential import peeking_type1_error
        return peeking_type1_error(n_max, alpha), 0.01
    assert_try_again(check.task1(exact_formula), "not a share of your 4,000 simulated experiments")
    assert_try_again(check.task1(lambda *a: 0.3), "pair")
    assert_try_again(check.task1(lambda *a: (0.3, 0.01, 0.0)), "exactly two")


# Task 2

def test_task2_cases_have_different_answers_and_clear_gaps():
    answers = set()
    for effect, n_max, grid in check.TASK2_CASES:
        means, _ = check._mean_users(effect, n_max, grid)
        ranked = sorted(means.values())
        answers.add(min(means, key=means.get))
        assert ranked[1] > 1.06 * ranked[0], (effect, grid, means)  # a clear winner in every case
    assert len(answers) > 1


def test_task2_wrong_answers():
    assert_try_again(check.task2(lambda *a: 0.1), "not in tau2_grid")
    assert_try_again(check.task2(lambda effect, n_max, grid, *rest: 1.0), "sooner")  # right in two cases of three

    def nearest_effect_squared(effect, n_max, grid, *rest):
        return grid[int(np.argmin(np.abs(np.log(grid) - np.log(effect**2))))]
    assert_try_again(check.task2(nearest_effect_squared), "effect^2")

    def most_power(effect, n_max, grid, alpha, n_sims, rng):
        return best_tau2(effect, n_max, grid, alpha, n_sims, rng, by="power")
    assert_try_again(check.task2(most_power), "most power", "FEWEST users")

    def tuned_for_the_horizon(effect, n_max, grid, alpha, n_sims, rng):  # a closed form, no simulation
        target = av.tau2_for_horizon(n_max, 1.0, alpha)
        return grid[int(np.argmin(np.abs(np.log(grid) - np.log(target))))]
    assert_try_again(check.task2(tuned_for_the_horizon), "sooner")
    assert_try_again(check.task2(lambda effect, n_max, grid, *rest: grid[-1]), "sooner")
    assert_try_again(check.task2(lambda effect, n_max, grid, *rest: grid[0]), "sooner")

    def counts_never_as_zero(effect, n_max, grid, alpha, n_sims, rng):  # a stream that never decides costs 0 users
        ns, diffs = _streams(n_sims, n_max, effect, rng)
        means = []
        for tau2 in grid:
            crossed = _log_lambda(diffs, ns, 2.0, tau2) >= np.log(1 / alpha)
            means.append(np.where(crossed.any(axis=1), ns[crossed.argmax(axis=1)], 0).mean())
        return grid[int(np.argmin(means))]
    assert_try_again(check.task2(counts_never_as_zero), "FIRST look")
    assert_try_again(check.task2(lambda *a: "0.1"), "a number")


# Task 3

def test_task3_wrong_answers():
    def wrong(**kw):
        return lambda d, ns, s2, t2, a: confidence_sequence(d, ns, s2, t2, a, **kw)

    assert_try_again(check.task3(wrong(running=False)), "running maximum")
    assert_try_again(check.task3(lambda d, ns, s2, t2, a: wrong(big_v=s2)(d, ns, s2, t2, a)), "2 sigma2")
    assert_try_again(check.task3(lambda d, ns, s2, t2, a: wrong(log_alpha=np.log(2 / a))(d, ns, s2, t2, a)),
                     "log(2 / alpha)")
    assert_try_again(check.task3(wrong(drop_log_term=True)), "0.5 log(1 + n tau2 / V)")
    assert_try_again(check.task3(lambda *a: confidence_sequence(*a)[::-1]), "swapped")

    def fixed_ci(mean_diffs, ns, sigma2, tau2, alpha):
        half = stats.norm.ppf(1 - alpha / 2) * np.sqrt(2 * sigma2 / np.asarray(ns))
        return mean_diffs - half, mean_diffs + half
    assert_try_again(check.task3(fixed_ci), "low", "entries are off", "log Lambda_n")
    assert_try_again(check.task3(lambda d, *a: (np.zeros(3), np.zeros(3))), "shape")
    assert_try_again(check.task3(lambda *a: 1.0), "pair")


def test_task3_hints_do_not_give_the_formula():
    def fixed_ci(mean_diffs, ns, sigma2, tau2, alpha):
        return mean_diffs - 1.0, mean_diffs + 1.0
    assert "h_n^2" not in check.task3(fixed_ci).message


# Task 4

def test_task4_wrong_answers():
    def wrong(**kw):
        return lambda sa, sb, ns, tau2: conversion_pvalues(sa, sb, ns, tau2, **kw)

    assert_try_again(check.task4(wrong(running=False)), "running minimum")
    assert_try_again(check.task4(lambda sa, sb, ns, tau2: conversion_pvalues(sa, sb, ns, 1.0)), "tau2 argument")
    assert_try_again(check.task4(wrong(variance="unpooled")), "POOLED")
    assert_try_again(check.task4(wrong(variance="one")), "sigma2 = 1")
    assert_try_again(check.task4(wrong(counts=True)), "COUNTS")
    assert_try_again(check.task4(lambda sa, sb, ns, tau2: conversion_pvalues(sa, sb, ns, tau2)[0]), "shape")


def test_every_task_passes_its_reference():
    for task, solution in TASKS:
        assert task(solution).status == PASSED
