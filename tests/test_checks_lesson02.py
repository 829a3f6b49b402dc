"""The lesson 02 checks: a right answer passes, wrong ones get a hint (no traceback), stubs are "not done yet"."""

import math

import numpy as np
from scipy import stats as sps

from checkhelpers import assert_try_again

from labsupport import power, sequential
from labsupport.checks import lesson02 as check

Z = sps.norm.isf(0.025)


# Reference solutions for the simulation tasks, written with numpy and scipy only.
def z_paths(n_sims, looks, per_look, p, rng):
    a = np.cumsum(rng.binomial(per_look, p, size=(n_sims, looks)), axis=1)
    b = np.cumsum(rng.binomial(per_look, p, size=(n_sims, looks)), axis=1)
    n = per_look * np.arange(1, looks + 1)
    pooled = (a + b) / (2 * n)
    se = np.sqrt(pooled * (1 - pooled) * 2 / n)
    return np.divide((b - a) / n, se, out=np.zeros(a.shape), where=se > 0)


def peeking_fpr(n_sims, days, users_per_day, p, rng):
    return float((np.abs(z_paths(n_sims, days, users_per_day, p, rng)) > Z).any(axis=1).mean())


def first_significant_day(n_sims, days, users_per_day, p, rng):
    crossed = np.abs(z_paths(n_sims, days, users_per_day, p, rng)) > Z
    return np.where(crossed.any(axis=1), crossed.argmax(axis=1) + 1, 0)


# The design task's reference uses the library, itself tested against Jennison & Turnbull in test_sequential.py.
def obf_design(p_control, p_treatment, looks, alpha, pw):
    bounds = sequential.group_sequential_bounds(looks, alpha, "obf")
    n_fixed = power.sample_size_proportions(p_control, p_treatment, alpha, pw)
    return bounds, math.ceil(sequential.inflation_factor(bounds, alpha, pw) * n_fixed / looks)


def simulated_level(bounds, n_per_look, p, n_sims, rng):
    z = z_paths(n_sims, len(bounds), n_per_look, p, rng)
    return float((np.abs(z) > np.asarray(bounds)).any(axis=1).mean())


TASKS = [(check.task1, peeking_fpr), (check.task2, first_significant_day), (check.task3, obf_design),
         (check.task4, simulated_level)]


def test_task1_wrong_answers():
    def last_day_only(n_sims, days, users_per_day, p, rng):  # no peeking: about 0.05 whatever the days
        return float((np.abs(z_paths(n_sims, days, users_per_day, p, rng)[:, -1]) > Z).mean())

    def one_sided(n_sims, days, users_per_day, p, rng):
        return float((z_paths(n_sims, days, users_per_day, p, rng) > Z).any(axis=1).mean())

    assert_try_again(check.task1(last_day_only), "20 daily looks", "outside the range")
    assert_try_again(check.task1(one_sided), "outside the range")
    assert_try_again(check.task1(lambda *a: 28.0), "[0, 1]")
    assert_try_again(check.task1(lambda *a: np.zeros(3)), "single number")


def test_task2_wrong_answers():
    def zero_based(*args):
        days = first_significant_day(*args)
        return np.where(days > 0, days - 1, 0)

    def last_crossing(n_sims, days, users_per_day, p, rng):
        crossed = np.abs(z_paths(n_sims, days, users_per_day, p, rng)) > Z
        last = days - np.argmax(crossed[:, ::-1], axis=1)
        return np.where(crossed.any(axis=1), last, 0)

    assert_try_again(check.task2(zero_based), "day 1")
    assert_try_again(check.task2(last_crossing), "first* significant day")
    assert_try_again(check.task2(lambda *a: first_significant_day(*a).astype(float)), "integer array")
    assert_try_again(check.task2(lambda *a: first_significant_day(*a)[:10]), "shape")
    assert_try_again(check.task2(lambda *a: [1, 2]), "numpy array")


def test_task3_wrong_answers():
    def shortcut(pc, pt, looks, alpha, pw):  # z_{alpha/2} / sqrt(t)
        bounds, n = obf_design(pc, pt, looks, alpha, pw)
        return Z * np.sqrt(looks / np.arange(1, looks + 1)), n

    def pocock(pc, pt, looks, alpha, pw):
        return sequential.group_sequential_bounds(looks, alpha, "pocock"), obf_design(pc, pt, looks, alpha, pw)[1]

    def no_inflation(pc, pt, looks, alpha, pw):
        bounds, _ = obf_design(pc, pt, looks, alpha, pw)
        return bounds, math.ceil(power.sample_size_proportions(pc, pt, alpha, pw) / looks)

    def maximum_n(*a):
        bounds, n = obf_design(*a)
        return bounds, n * a[2]

    assert_try_again(check.task3(shortcut), "wrong constant")
    assert_try_again(check.task3(pocock), "Pocock")
    assert_try_again(check.task3(no_inflation), "inflation factor")
    assert_try_again(check.task3(maximum_n), "maximum n")
    assert_try_again(check.task3(lambda *a: (obf_design(*a)[0][:2], 10)), "shape")
    assert_try_again(check.task3(lambda *a: (obf_design(*a)[0], float(obf_design(*a)[1]))), "whole number")
    assert_try_again(check.task3(lambda *a: obf_design(*a)[0]), "tuple (bounds, n_per_look)")


def test_task4_wrong_answers():
    def final_look_only(bounds, n, p, n_sims, rng):
        return float((np.abs(z_paths(n_sims, len(bounds), n, p, rng)[:, -1]) > bounds[-1]).mean())

    def ignores_bounds(bounds, n, p, n_sims, rng):
        return float((np.abs(z_paths(n_sims, len(bounds), n, p, rng)) > Z).any(axis=1).mean())

    assert_try_again(check.task4(final_look_only), "outside the range")
    assert_try_again(check.task4(ignores_bounds), "O'Brien-Fleming bounds")
    assert_try_again(check.task4(lambda *a: -0.1), "[0, 1]")


def test_allowance_covers_the_z_test_at_the_checked_designs():
    """APPROX covers the gap between the discrete z test's level and the normal-theory value.

    Independent reference: 200,000 simulated experiments per design (SE ~ 0.0007).
    """
    rng = np.random.default_rng(1)
    obf = sequential.group_sequential_bounds(4, kind="obf")
    assert abs(simulated_level(obf, 1000, 0.3, 200_000, rng) - 0.05) < check.APPROX / 2
    assert abs(peeking_fpr(200_000, 20, 500, 0.5, rng) - sequential.peeking_type1_error(20)) < check.APPROX
