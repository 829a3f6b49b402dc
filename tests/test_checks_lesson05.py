"""The lesson 05 checks: a right answer passes, wrong ones get a hint (no traceback), stubs are "not done yet"."""

import hashlib

import numpy as np
from scipy import stats as sps

from checkhelpers import assert_try_again

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


TASKS = [(check.task1, uniformity_pvalue), (check.task2, assign_variant), (check.task3, count_switches),
         (check.task4, double_assigned)]


def test_task1_wrong_answers():
    assert_try_again(check.task1(lambda b, n: float(sps.chisquare(np.unique(b, return_counts=True)[1]).pvalue)),
                     "empty buckets")
    assert_try_again(check.task1(lambda b, n: float(sps.chisquare(np.bincount(b)).pvalue)), "empty buckets")
    assert_try_again(check.task1(lambda b, n: float(sps.chisquare(np.bincount(b, minlength=n)).statistic)),
                     "statistic")
    assert_try_again(check.task1(lambda b, n: 1 - uniformity_pvalue(b, n)), "lower tail")
    assert_try_again(check.task1(lambda b, n: float(sps.chi2.sf(sps.chisquare(np.bincount(b, minlength=n)).statistic,
                                                                n))), "degrees of freedom")
    assert_try_again(check.task1(lambda b, n: float(sps.kstest(b, "randint", args=(0, n)).pvalue)),
                     "Kolmogorov-Smirnov")
    assert_try_again(check.task1(lambda b, n: np.bincount(b, minlength=n)), "single number")


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

    def traffic_gate_ignores_salt(unit_id, salt, traffic):  # issue 9: this one used to pass
        if _bucket(unit_id, "traffic") >= traffic * 10_000:
            return None
        return "A" if _bucket(unit_id, f"{salt}:variant") < 5_000 else "B"

    def variant_ignores_salt(unit_id, salt, traffic):
        if _bucket(unit_id, f"{salt}:traffic") >= traffic * 10_000:
            return None
        return "A" if _bucket(unit_id, "variant") < 5_000 else "B"

    def one_bucket_for_both(unit_id, salt, traffic):
        b = _bucket(unit_id, salt)
        return None if b >= traffic * 10_000 else ("A" if b < 5_000 else "B")

    def wrong_type(unit_id, salt, traffic):
        return 1 if assign_variant(unit_id, salt, traffic) == "B" else 0

    def never_b(unit_id, salt, traffic):
        return None if assign_variant(unit_id, salt, traffic) is None else "A"

    def percent_traffic(unit_id, salt, traffic):  # traffic read as a percentage of 10,000 buckets
        if _bucket(unit_id, f"{salt}:traffic") >= traffic * 100:
            return None
        return "A" if _bucket(unit_id, f"{salt}:variant") < 5_000 else "B"

    assert_try_again(check.task2(rescaled), "changed variant", "two independent")
    assert_try_again(check.task2(random_draw), "deterministic")
    assert_try_again(check.task2(ignores_salt), "traffic decision must use the salt")
    assert_try_again(check.task2(traffic_gate_ignores_salt), "traffic decision must use the salt")
    assert_try_again(check.task2(variant_ignores_salt), "salt argument must enter the hash")
    assert_try_again(check.task2(one_bucket_for_both), "share of B")
    assert_try_again(check.task2(wrong_type), "'A', 'B' or None")
    assert_try_again(check.task2(never_b), "share of B")
    assert_try_again(check.task2(percent_traffic), "users in traffic")


def test_task3_wrong_answers():
    def counts_new_users(assign, unit_ids, low, high):
        return sum(assign(u, low) != assign(u, high) for u in unit_ids)

    def ignores_exits(assign, unit_ids, low, high):
        return sum(assign(u, low) is not None and assign(u, high) is not None and assign(u, low) != assign(u, high)
                   for u in unit_ids)

    def among_high(assign, unit_ids, low, high):
        return count_switches(lambda u, t: assign(u, high if t == low else low), unit_ids, low, high)

    assert_try_again(check.task3(counts_new_users), "newly admitted")
    assert_try_again(check.task3(ignores_exits), "left the test")
    assert_try_again(check.task3(among_high), "HIGHER traffic")
    assert_try_again(check.task3(lambda assign, ids, low, high: 0), "too small")
    assert_try_again(check.task3(lambda assign, ids, low, high: count_switches(assign, ids, low, high) / len(ids)),
                     "as an int")
    assert_try_again(check.task3(lambda assign, ids, low, high: [0]), "as an int")


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

    assert_try_again(check.task4(across_layers), "different* layers")
    assert_try_again(check.task4(counts_rows), "too many")
    assert_try_again(check.task4(lambda u, e, layer_of: {"units": [1]}), "list of unit ids")
    assert_try_again(check.task4(lambda u, e, layer_of: double_assigned(u, e, layer_of) * 2), "repeats a unit")
