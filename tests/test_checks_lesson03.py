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


def _sorted_apply(p, transform):
    """Apply ``transform`` to the sorted p-values and put the result back in the input order."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    out = np.empty(len(p), dtype=object)
    out[order] = list(transform(p[order], np.arange(1, len(p) + 1), len(p)))
    return np.array(out.tolist())


def test_task1_wrong_answers():
    assert_try_again(check.task1(lambda p: np.minimum(len(p) * np.asarray(p), 1)), "Bonferroni")
    assert_try_again(check.task1(lambda p: np.sort(holm(p))), "sorted order")
    assert_try_again(check.task1(lambda p: _sorted_apply(
        p, lambda ps, i, m: np.minimum((m - i + 1) * ps, 1))), "running maximum")
    assert_try_again(check.task1(lambda p: _sorted_apply(
        p, lambda ps, i, m: np.minimum(np.maximum.accumulate((m - i) * ps), 1))), "off by one")
    assert_try_again(check.task1(lambda p: multipletests(p, method="simes-hochberg")[1]), "Hochberg")
    assert_try_again(check.task1(lambda p: _sorted_apply(
        p, lambda ps, i, m: np.maximum.accumulate((m - i + 1) * ps))), "cap them at 1")
    assert_try_again(check.task1(lambda p: 0.5), "array of length")       # wrong type
    assert_try_again(check.task1(lambda p: holm(p)[:-1]), "shape")          # wrong shape


def _bh_with(condition):
    """BH's step-up with another comparison of the sorted p-values with their line."""
    def bh_variant(p, q):
        p = np.asarray(p, dtype=float)
        m, order = len(p), np.argsort(p, kind="stable")
        under = np.nonzero(condition(p[order], np.arange(1, m + 1) * q / m))[0]
        reject = np.zeros(m, dtype=bool)
        if under.size:
            reject[order[: under[-1] + 1]] = True
        return reject
    return bh_variant


def test_task2_wrong_answers():
    def shortcut(p, q):
        p = np.asarray(p)
        ranks = np.argsort(np.argsort(p)) + 1
        return p <= ranks * q / len(p)

    def step_down(p, q):
        p = np.asarray(p)
        order = np.argsort(p, kind="stable")
        above = p[order] > np.arange(1, len(p) + 1) * q / len(p)
        reject = np.zeros(len(p), dtype=bool)
        reject[order[: np.argmax(above) if above.any() else len(p)]] = True
        return reject

    assert_try_again(check.task2(_bh_with(lambda ps, line: ps < line)), "not <")              # strict <
    assert_try_again(check.task2(shortcut), "step-up")
    assert_try_again(check.task2(step_down), "LARGEST k")
    assert_try_again(check.task2(lambda p, q: np.sort(bh(p, q))[::-1]), "sorted order")
    assert_try_again(check.task2(lambda p, q: np.asarray(p) <= q), "no correction")
    assert_try_again(check.task2(lambda p, q: np.asarray(p) <= q / len(p)), "Bonferroni")
    assert_try_again(check.task2(lambda p, q: multipletests(p, alpha=q, method="fdr_by")[0]), "Yekutieli")
    assert_try_again(check.task2(_bh_with(lambda ps, line: ps <= line - line[0])), "off by one")  # 0-based ranks
    assert_try_again(check.task2(lambda p, q: bh(p, q).astype(int)), "boolean")
    assert_try_again(check.task2(lambda p, q: list(bh(p, q))[:1] if len(p) > 1 else [True, False]), "shape")


def test_task3_wrong_answers():
    assert_try_again(check.task3(lambda p, a: [1, 2, 3, 4, 5]), "dict")
    assert_try_again(check.task3(lambda p, a: {"bonferroni": 1}), "keys")
    assert_try_again(check.task3(lambda p, a: {k: v + 1 for k, v in counts(p, a).items()}), "too large")
    assert_try_again(check.task3(lambda p, a: {k: float(v) for k, v in counts(p, a).items()}), "whole number")
    assert_try_again(check.task3(lambda p, a: counts(p, 0.05)), "pass alpha on")               # ignores alpha
    assert_try_again(check.task3(lambda p, a: {k: int((np.asarray(p) <= a).sum()) for k in SM}), "raw p-values")
    assert_try_again(check.task3(lambda p, a: {k: len(p) - v for k, v in counts(p, a).items()}), "NOT rejected")
    assert_try_again(check.task3(lambda p, a: {k: multipletests(p, alpha=a, method=v)[0] for k, v in SM.items()}),
                     "count the rejections")


def test_task4_wrong_answers():
    assert_try_again(check.task4(lambda e, lo, hi, hib, tol: bool(lo > tol)), "only flag rises", "DROP")
    assert_try_again(check.task4(lambda e, lo, hi, hib, tol: bool(abs(e) > tol)), "improvement is never")
    assert_try_again(check.task4(lambda e, lo, hi, hib, tol: bool((-e if hib else e) > tol)), "point estimate")
    assert_try_again(check.task4(lambda e, lo, hi, hib, tol: bool((-lo if hib else hi) > tol)), "'unclear'")
    assert_try_again(check.task4(lambda e, lo, hi, hib, tol: bool((-hi if hib else lo) > 0)), "ignore the tolerance")
    assert_try_again(check.task4(lambda e, lo, hi, hib, tol: bool((lo if hib else -hi) > tol)), "swapped")
    assert_try_again(check.task4(lambda e, lo, hi, hib, tol: bool((-hi if hib else lo) >= tol)), "wrong verdict")
    assert_try_again(check.task4(lambda e, lo, hi, hib, tol: "fail"), "True or False")


def _launch(cart_tol=0.002, latency_tol=5.0, cart_hib=True, latency_hib=False, guardrails=True, powered=True):
    def decide_variant(ctr, cart, latency):
        rails = [mt.Metric("cart", *cart, higher_is_better=cart_hib, tolerance=cart_tol),
                 mt.Metric("latency", *latency, higher_is_better=latency_hib, tolerance=latency_tol)]
        return mt.decide(mt.Metric("ctr", *ctr), guardrails=rails if guardrails else (), powered=powered)
    return decide_variant


def test_task5_wrong_answers():
    assert_try_again(check.task5(_launch(guardrails=False)), "ignore the guardrails")
    assert_try_again(check.task5(_launch(cart_hib=False)), "add-to-cart is higher-is-better")
    assert_try_again(check.task5(_launch(latency_hib=True)), "latency is lower-is-better")
    assert_try_again(check.task5(_launch(cart_tol=5.0, latency_tol=0.002)), "swapped")
    assert_try_again(check.task5(_launch(powered=False)), "planned sample")
    # wrong tolerances, one at a time: each case that probes a tolerance names the guardrail
    for cart_tol in (0.001, 0.005, 0.0, 0.02):
        assert_try_again(check.task5(_launch(cart_tol=cart_tol)), "add-to-cart guardrail's direction and tolerance")
    for latency_tol in (0.0, 0.005, 10.0, 50.0):
        assert_try_again(check.task5(_launch(latency_tol=latency_tol)), "latency guardrail's direction and tolerance")
    def primary_is_cart(ctr, cart, latency):
        return mt.decide(mt.Metric("cart", *cart), guardrails=[
            mt.Metric("ctr", *ctr, tolerance=0.002),
            mt.Metric("latency", *latency, higher_is_better=False, tolerance=5.0)])
    assert_try_again(check.task5(primary_is_cart), "not right")
    assert_try_again(check.task5(lambda c, k, l: decide_launch(c, k, l).decision), "Decision")


def test_task6_wrong_answers():
    exact = lambda m, rho, n, rng: mt.familywise_error_correlated(m, rho)  # noqa: E731  closed form
    assert_try_again(check.task6(exact), "Simulate the families")
    def exact_plus_noise(m, rho, n, rng):  # changes with the seed, but is not a share of n families
        return min(1.0, mt.familywise_error_correlated(m, rho) + 1e-4 * rng.random())
    assert_try_again(check.task6(exact_plus_noise), "k / 40")
    assert_try_again(check.task6(lambda m, rho, n, rng: simulate_fwer(m, 0.0, n, rng)), "correlation of your z")
    def unit_weights(m, rho, n, rng):  # rho * common + (1 - rho) * own: variance below 1
        z = rho * rng.standard_normal((n, 1)) + (1 - rho) * rng.standard_normal((n, m))
        return float((np.abs(z) >= sps.norm.ppf(0.975)).any(axis=1).mean())
    assert_try_again(check.task6(unit_weights), "correlation of your z")
    def one_tail(m, rho, n, rng):  # rejects only z >= 1.96
        z = np.sqrt(rho) * rng.standard_normal((n, 1)) + np.sqrt(1 - rho) * rng.standard_normal((n, m))
        return float((z >= sps.norm.ppf(0.975)).any(axis=1).mean())
    assert_try_again(check.task6(one_tail), "both tails")
    def share_of_tests(m, rho, n, rng):
        z = np.sqrt(rho) * rng.standard_normal((n, 1)) + np.sqrt(1 - rho) * rng.standard_normal((n, m))
        return float((np.abs(z) >= sps.norm.ppf(0.975)).mean())
    assert_try_again(check.task6(share_of_tests), "at least one")
    assert_try_again(check.task6(lambda m, rho, n, rng: simulate_fwer(m, rho, n, rng) * 100), "[0, 1]")
    assert_try_again(check.task6(lambda m, rho, n, rng: np.zeros(3)), "single number")
