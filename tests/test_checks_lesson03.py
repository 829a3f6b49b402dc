"""The lesson 03 checks: a right answer passes, wrong ones get a hint (no traceback), stubs are "not done yet"."""

import numpy as np
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from checkhelpers import assert_try_again

from labsupport import multiple as mt
from labsupport.checks import lesson03 as check


# Reference solutions: statsmodels and plain numpy, independent of labsupport.multiple where possible.
def holm(p):
    return multipletests(p, method="holm")[1]


def bh(p, q):
    return multipletests(p, alpha=q, method="fdr_bh")[0]


SM = {"bonferroni": "bonferroni", "holm": "holm", "hochberg": "simes-hochberg", "bh": "fdr_bh", "by": "fdr_by"}


def counts(p, alpha):
    return {k: int(multipletests(p, alpha=alpha, method=v)[0].sum()) for k, v in SM.items()}


def guardrail(est, lo, hi, higher_is_better, tol):
    return bool((-hi if higher_is_better else lo) > tol)


def decide_launch(ctr, cart, latency):
    return mt.decide(mt.Metric("ctr", *ctr), guardrails=[
        mt.Metric("cart", *cart, tolerance=0.002),
        mt.Metric("latency", *latency, higher_is_better=False, tolerance=5.0)])


def simulate_fwer(m, rho, n_sims, rng):
    z = np.sqrt(rho) * rng.standard_normal((n_sims, 1)) + np.sqrt(1 - rho) * rng.standard_normal((n_sims, m))
    return float((np.abs(z) >= sps.norm.ppf(0.975)).any(axis=1).mean())


TASKS = [(check.task1, holm), (check.task2, bh), (check.task3, counts), (check.task4, guardrail),
         (check.task5, decide_launch), (check.task6, simulate_fwer)]


def test_task1_wrong_answers():
    assert_try_again(check.task1(lambda p: np.minimum(len(p) * np.asarray(p), 1)), "entries are off")  # Bonferroni, not Holm
    assert_try_again(check.task1(lambda p: np.sort(holm(p))), "sorted order")
    def no_running_max(p):
        p = np.asarray(p)
        order = np.argsort(p)
        out = np.empty(len(p))
        out[order] = np.minimum((len(p) - np.arange(len(p))) * p[order], 1)
        return out
    assert_try_again(check.task1(no_running_max), "running maximum")
    assert_try_again(check.task1(lambda p: 0.5), "array of length")       # wrong type
    assert_try_again(check.task1(lambda p: holm(p)[:-1]), "shape")          # wrong shape


def test_task2_wrong_answers():
    def shortcut(p, q):
        p = np.asarray(p)
        ranks = np.argsort(np.argsort(p)) + 1
        return p <= ranks * q / len(p)
    assert_try_again(check.task2(shortcut), "step-up")
    assert_try_again(check.task2(lambda p, q: np.asarray(p) <= q), "entries differ")
    assert_try_again(check.task2(lambda p, q: bh(p, q).astype(int)), "boolean")
    assert_try_again(check.task2(lambda p, q: list(bh(p, q))[:1] if len(p) > 1 else [True, False]), "shape")


def test_task3_wrong_answers():
    assert_try_again(check.task3(lambda p, a: [1, 2, 3, 4, 5]), "dict")
    assert_try_again(check.task3(lambda p, a: {"bonferroni": 1}), "keys")
    assert_try_again(check.task3(lambda p, a: {k: v + 1 for k, v in counts(p, a).items()}), "too large")
    assert_try_again(check.task3(lambda p, a: {k: float(v) for k, v in counts(p, a).items()}), "whole number")


def test_task4_wrong_answers():
    assert_try_again(check.task4(lambda e, lo, hi, hib, tol: bool(lo > tol)), "drop", "higher-is-better")  # only rises
    assert_try_again(check.task4(lambda e, lo, hi, hib, tol: bool(abs(e) > tol)), "wrong verdict")  # ignores direction
    assert_try_again(check.task4(lambda e, lo, hi, hib, tol: "fail"), "True or False")


def test_task5_wrong_answers():
    def ignores_guardrails(ctr, cart, latency):
        return mt.decide(mt.Metric("ctr", *ctr))
    assert_try_again(check.task5(ignores_guardrails), "not right")
    def cart_lower_is_better(ctr, cart, latency):
        return mt.decide(mt.Metric("ctr", *ctr), guardrails=[
            mt.Metric("cart", *cart, higher_is_better=False, tolerance=0.002),
            mt.Metric("latency", *latency, higher_is_better=False, tolerance=5.0)])
    assert_try_again(check.task5(cart_lower_is_better), "not right")
    assert_try_again(check.task5(lambda c, k, l: decide_launch(c, k, l).decision), "Decision")


def test_task6_wrong_answers():
    assert_try_again(check.task6(lambda m, rho, n, rng: mt.familywise_error(m)), "rho = 0.8")  # ignores correlation
    assert_try_again(check.task6(lambda m, rho, n, rng: simulate_fwer(m, rho, n, rng) * 100), "[0, 1]")
    assert_try_again(check.task6(lambda m, rho, n, rng: np.zeros(3)), "single number")


