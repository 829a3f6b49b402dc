"""Checks for lesson 05, assignment (solutions/05_assignment_exercises.ipynb)."""

from __future__ import annotations

import functools
import numbers

import numpy as np
from scipy import stats as _sps

from .. import assignment as _asg
from .. import stats as _stats
from . import BAND_LEVEL, call, describe, expect_int, expect_number, expect_real, fail, task

N_IDS = 10_000
_VARIANTS = ("A", "B")


@task("task 1: chi-square test of bucket uniformity")
def task1(fn):
    rng = np.random.default_rng(501)
    skewed = np.concatenate([rng.integers(0, 20, 3_000), np.zeros(60, dtype=int)])
    cases = [(rng.integers(0, 50, 5_000), 50), (skewed, 20), (rng.integers(0, 8, 40), 10),
             (rng.integers(3, 12, 400), 12)]
    for buckets, n_buckets in cases:
        p = expect_real(call(fn, buckets.copy(), n_buckets), "the p-value", "Return the p-value as a float.")
        counts = np.bincount(buckets, minlength=n_buckets)
        reference = _sps.chisquare(counts)
        seen = np.unique(buckets, return_counts=True)[1]
        mistakes = [
            (reference.statistic, "you returned the chi-square statistic; return its p-value, a number in [0, 1]."),
            (1 - reference.pvalue, "that looks like the lower tail; the p-value is the UPPER tail of the chi-square "
                                   "distribution."),
            (_sps.chisquare(seen).pvalue, "your test ignores the empty buckets: a bucket nobody hashed to still "
                                          "counts, with 0 users."),
            (_sps.chisquare(np.bincount(buckets)).pvalue, "your test ignores the empty buckets at the top: a "
                                                          "bucket nobody hashed to still counts, with 0 users."),
            (_sps.chi2.sf(reference.statistic, n_buckets), "check the degrees of freedom: number of buckets minus one."),
            (_sps.kstest(buckets, "randint", args=(0, n_buckets)).pvalue,
             "that is a Kolmogorov-Smirnov test of the bucket numbers; the task asks for the chi-square "
             "goodness-of-fit test of the bucket COUNTS."),
        ]
        for wrong, hint in mistakes:
            if np.isclose(p, wrong, rtol=1e-6) and not np.isclose(wrong, reference.pvalue, rtol=1e-6):
                fail(hint)
        expect_number(p, reference.pvalue, what=f"the p-value for {len(buckets):,} ids in {n_buckets} buckets",
                      rel=1e-6, hint="Under uniformity every bucket expects len(buckets) / n_buckets units.")
    return "your test matches scipy.stats.chisquare on the bucket counts."


def _variants(fn, ids, salt, traffic):
    out = [call(fn, u, salt, traffic) for u in ids]
    bad = [x for x in out if x is not None and not (isinstance(x, str) and x in _VARIANTS)]
    if bad:
        fail(f"each call should return 'A', 'B' or None; one returned {describe(bad[0])} ({bad[0]!r}).")
    return np.array(out, dtype=object)


def _in_band(share, p, n, what, hint):
    low, high = _stats.binomial_band(p, n, BAND_LEVEL)
    if not low <= share <= high:
        fail(f"{what} is outside the range a correct assigner falls in. {hint}")


@task("task 2: an assigner that survives ramp-up")
def task2(fn):
    ids = [f"user-{i}" for i in range(N_IDS)]
    low = _variants(fn, ids, "feed", 0.1)
    if not np.array_equal(low, _variants(fn, ids, "feed", 0.1)):
        fail("two calls with the same arguments gave different answers: assignment must be deterministic "
             "(no random draws), so derive everything from assignment.bucket.")
    high = _variants(fn, ids, "feed", 0.5)
    for traffic, got in ((0.1, low), (0.5, high)):
        _in_band(np.mean(got != None), traffic, N_IDS, f"the share of users in traffic at {traffic:.0%}",  # noqa: E711
                 "a user is in traffic when their traffic bucket is below traffic * buckets.")
    exposed = high != None  # noqa: E711
    _in_band(np.mean(high[exposed] == "B"), 0.5, int(exposed.sum()), "the share of B among exposed users",
             "split the variant buckets half and half.")
    was_in = low != None  # noqa: E711
    moved = int(np.sum(low[was_in] != high[was_in]))
    if moved:
        fail(f"{moved} of the {int(was_in.sum())} users exposed at 10% changed variant or left at 50%. "
             "Decide 'in traffic' and 'which variant' from two independent buckets (two different salts), "
             "so that the traffic share never enters the variant decision.")
    other_low = _variants(fn, ids, "button", 0.1)
    both_low = (low != None) & (other_low != None)  # noqa: E711
    lo, hi = _stats.binomial_band(0.1 * 0.1, N_IDS, BAND_LEVEL)
    if both_low.mean() > hi:
        fail(f"at 10% traffic, {int(both_low.sum())} of the {int((low != None).sum())} users of experiment "  # noqa: E711
             "'feed' are also in experiment 'button', about 1 in 10 would be chance: the traffic decision must "
             "use the salt too, or every experiment at 10% gets the same users.")
    _in_band(both_low.mean(), 0.01, N_IDS, "the share of users in both experiments at 10% traffic",
             "the traffic decision of each experiment should be independent of the other's.")
    other = _variants(fn, ids, "button", 0.5)
    both = exposed & (other != None)  # noqa: E711
    _in_band(np.mean(high[both] == other[both]), 0.5, int(both.sum()),
             "the agreement between experiments with salts 'feed' and 'button'",
             "the salt argument must enter the hash, so that two experiments are independent.")
    return "deterministic, balanced, independent across salts, and nobody switched when traffic went up."


def _good(unit_id, traffic):
    # the two-hash design of labsupport.assignment.Experiment, written with bucket() so that it is fast
    if _asg.bucket(unit_id, "check-good:traffic") >= traffic * _asg.BUCKETS:
        return None
    return "A" if _asg.bucket(unit_id, "check-good:variant") < _asg.BUCKETS // 2 else "B"


def _rescaled(unit_id, traffic):
    b = _asg.bucket(unit_id, "check-rescaled")
    if b >= traffic * _asg.BUCKETS:
        return None
    return "A" if b / (traffic * _asg.BUCKETS) < 0.5 else "B"


def _reshuffled(unit_id, traffic):
    # the traffic share enters the traffic hash: raising it lets some users in and pushes others out
    if _asg.bucket(unit_id, f"check-reshuffle:{traffic}") >= traffic * _asg.BUCKETS:
        return None
    return "A" if _asg.bucket(unit_id, "check-reshuffle:variant") < _asg.BUCKETS // 2 else "B"


@functools.lru_cache(maxsize=None)
def _answers(assign, n_ids, traffic):
    return tuple(assign(u, traffic) for u in range(n_ids))


def _switches(assign, ids, low, high, count_new=False, count_exits=True, among_high=False):
    before, after = _answers(assign, len(ids), low), _answers(assign, len(ids), high)
    if among_high:
        before, after = after, before
    return sum(a != b and (count_new or a is not None) and (count_exits or b is not None)
               for a, b in zip(before, after))


_SWITCH_CASES = (("a two-hash assigner", _good, 0.1, 0.5), ("the rescaling assigner", _rescaled, 0.1, 0.5),
                 ("the rescaling assigner", _rescaled, 0.2, 0.3),
                 ("an assigner that reshuffles its traffic", _reshuffled, 0.2, 0.4))
_SWITCH_MISTAKES = (
    (dict(count_new=True), "you also count users who were not exposed at the lower traffic: a newly admitted user "
                           "(None -> a variant) is the ramp-up working, not a switch."),
    (dict(count_exits=False), "a user who had a variant at the lower traffic and None at the higher one has left "
                              "the test: that counts as a switch too (their data now mixes exposed and unexposed days)."),
    (dict(among_high=True), "you count among the users exposed at the HIGHER traffic; count among those exposed at "
                            "the lower one."),
)


@task("task 3: a test that counts switching users")
def task3(fn):
    ids = list(range(3_000))
    answers = []
    for name, assign, low, high in _SWITCH_CASES:
        got = call(fn, assign, list(ids), low, high)
        if isinstance(got, np.integer):
            got = int(got)
        if not isinstance(got, numbers.Integral) or isinstance(got, bool):
            fail(f"return the number of switching users as an int; your function returned {describe(got)}.")
        answers.append(got)
    references = [_switches(assign, ids, low, high) for _, assign, low, high in _SWITCH_CASES]
    for changes, hint in _SWITCH_MISTAKES:
        theirs = [_switches(assign, ids, low, high, **changes) for _, assign, low, high in _SWITCH_CASES]
        if answers == theirs != references:
            fail(hint)
    for got, reference, (name, _, low, high) in zip(answers, references, _SWITCH_CASES):
        expect_int(got, reference, what=f"the count for {name} from {low:.0%} to {high:.0%}",
                   hint="Count each user once, among those with a variant at the lower traffic.")
    return "your test catches the rescaling recipe and passes the two-hash design."


def _plant(rng):
    """An exposure log with planted double exposures, decoys and duplicates."""
    layer_of = {"ranker-v2": "ranking", "ranker-v3": "ranking", "ranker-v4": "ranking",
                "card": "ui", "font": "ui", "price": "pricing"}
    names = list(layer_of)
    units = rng.integers(0, 400, 1_500)
    experiments = []
    for u in units:  # each unit's home experiment in every layer, so most units are clean
        layer = rng.choice(["ranking", "ui", "pricing"])
        home = {"ranking": names[u % 3], "ui": names[3 + u % 2], "pricing": "price"}[layer]
        experiments.append(home)
    planted = rng.choice(400, 12, replace=False)
    extra_units = np.repeat(planted, 2)
    extra = [names[(u + 1) % 3] if k % 2 == 0 else names[u % 3] for k, u in enumerate(extra_units)]
    units = np.concatenate([units, extra_units]).tolist()
    return units, experiments + extra, layer_of


def _reference_double(units, experiments, layer_of):
    seen = {}
    for u, e in zip(units, experiments):
        seen.setdefault((u, layer_of[e]), set()).add(e)
    return sorted({u for (u, _), exps in seen.items() if len(exps) > 1})


@task("task 4: find units exposed to two experiments of one layer")
def task4(fn):
    rng = np.random.default_rng(504)
    simple = ([1, 1, 2, 2, 3, 3, 4], ["r1", "r1", "r1", "u1", "r1", "r2", "u1"], {"r1": "rank", "r2": "rank", "u1": "ui"})
    for units, experiments, layer_of in (simple, _plant(rng)):
        got = call(fn, list(units), list(experiments), dict(layer_of))
        if not isinstance(got, (list, tuple, np.ndarray)) or np.ndim(got) != 1:
            fail(f"return a list of unit ids; your function returned {describe(got)}.")
        got = sorted(int(u) for u in got)
        reference = _reference_double(units, experiments, layer_of)
        if len(set(got)) < len(got):
            fail("your list repeats a unit: list each double-exposed unit once.")
        if got == sorted({u for u in units if len({e for uu, e in zip(units, experiments) if uu == u}) > 1}):
            if got != reference:
                fail("you flag units seen in two experiments of *different* layers: that overlap is by design. "
                     "Only two experiments of the same layer conflict.")
        if len(got) != len(reference):
            side = "too many" if len(got) > len(reference) else "too few"
            fail(f"your list has {side} units. A unit conflicts when it was logged in at least two *different* "
                 "experiments of the same layer (a repeated log row of one experiment is not a conflict).")
        if got != reference:
            fail("your list has the right length but not the right units. Group the log by unit and layer, "
                 "and count the distinct experiments.")
    return "you found every planted double exposure and no false alarm."
