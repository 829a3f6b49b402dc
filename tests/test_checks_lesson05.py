"""The lesson 05 checks: a right answer passes, wrong ones get a hint (no traceback), stubs are "not done yet"."""

import hashlib

import numpy as np
import pytest
from scipy import stats as sps

from labsupport.checks import NOT_DONE, PASSED, TRY_AGAIN
from labsupport.checks import lesson05 as check


# Reference solutions, written independently of labsupport (hashlib, numpy and scipy only).
def uniformity_pvalue(buckets, n_buckets):
    return float(sps.chisquare(np.bincount(buckets, minlength=n_buckets)).pvalue)


def _bucket(unit_id, salt, buckets=10_000):
    return int(hashlib.sha256(f"{salt}:{unit_id}".encode()).hexdigest()[:16], 16) * buckets // 2**64


def assign_variant(unit_id, salt, traffic):
    if _bucket(unit_id, f"{salt}:traffic") >= traffic * 10_000:
        return None
    return "A" if _bucket(unit_id, f"{salt}:variant") < 5_000 else "B"


def count_switches(assign, unit_ids, low, high):
    before = {u: assign(u, low) for u in unit_ids}
    return sum(v is not None and assign(u, high) != v for u, v in before.items())


def double_assigned(unit_ids, experiments, layer_of):
    seen = {}
    for u, e in zip(unit_ids, experiments):
        seen.setdefault((u, layer_of[e]), set()).add(e)
    return sorted({u for (u, _), exps in seen.items() if len(exps) > 1})


def stub(*args, **kwargs):
    raise NotImplementedError("task: replace this line with your code")


TASKS = [(check.task1, uniformity_pvalue), (check.task2, assign_variant), (check.task3, count_switches),
         (check.task4, double_assigned)]


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


@pytest.mark.parametrize("task", [t for t, _ in TASKS])
def test_stub_is_not_done_yet(task):
    feedback = task(stub)
    assert feedback.status == NOT_DONE, feedback
    assert repr(feedback).startswith("[not done yet]")


@pytest.mark.parametrize("task", [t for t, _ in TASKS])
def test_passing_a_value_instead_of_a_function_gets_a_hint(task):
    _assert_try_again(task(0.5), "pass your function itself")


def test_task1_wrong_answers():
    _assert_try_again(check.task1(lambda b, n: float(sps.chisquare(np.unique(b, return_counts=True)[1]).pvalue)),
                      "empty buckets")
    _assert_try_again(check.task1(lambda b, n: float(sps.chisquare(np.bincount(b, minlength=n)).statistic)),
                      "p-value")
    _assert_try_again(check.task1(lambda b, n: np.bincount(b, minlength=n)), "single number")


def test_task2_wrong_answers():
    def rescaled(unit_id, salt, traffic):
        b = _bucket(unit_id, salt)
        if b >= traffic * 10_000:
            return None
        return "A" if b / (traffic * 10_000) < 0.5 else "B"

    def random_draw(unit_id, salt, traffic, rng=np.random.default_rng(1)):
        return None if rng.random() >= traffic else ("A" if rng.random() < 0.5 else "B")

    def ignores_salt(unit_id, salt, traffic):
        return assign_variant(unit_id, "fixed", traffic)

    def wrong_type(unit_id, salt, traffic):
        return 1 if assign_variant(unit_id, salt, traffic) == "B" else 0

    def never_b(unit_id, salt, traffic):
        return None if assign_variant(unit_id, salt, traffic) is None else "A"

    _assert_try_again(check.task2(rescaled), "changed variant", "two independent")
    _assert_try_again(check.task2(random_draw), "deterministic")
    _assert_try_again(check.task2(ignores_salt), "salt")
    _assert_try_again(check.task2(wrong_type), "'A', 'B' or None")
    _assert_try_again(check.task2(never_b), "share of B")


def test_task3_wrong_answers():
    def counts_new_users(assign, unit_ids, low, high):
        return sum(assign(u, low) != assign(u, high) for u in unit_ids)

    _assert_try_again(check.task3(counts_new_users), "newly admitted")
    _assert_try_again(check.task3(lambda assign, ids, low, high: 0), "too small")
    _assert_try_again(check.task3(lambda assign, ids, low, high: [0]), "as an int")


def test_task4_wrong_answers():
    def across_layers(unit_ids, experiments, layer_of):
        seen = {}
        for u, e in zip(unit_ids, experiments):
            seen.setdefault(u, set()).add(e)
        return sorted(u for u, exps in seen.items() if len(exps) > 1)

    def counts_rows(unit_ids, experiments, layer_of):
        seen = {}
        for u, e in zip(unit_ids, experiments):
            seen[(u, layer_of[e])] = seen.get((u, layer_of[e]), 0) + 1
        return sorted({u for (u, _), k in seen.items() if k > 1})

    _assert_try_again(check.task4(across_layers), "different* layers")
    _assert_try_again(check.task4(counts_rows), "too many")
    _assert_try_again(check.task4(lambda u, e, layer_of: {"units": [1]}), "list of unit ids")
    _assert_try_again(check.task4(lambda u, e, layer_of: double_assigned(u, e, layer_of) * 2), "repeats a unit")
