"""Checks for lesson 11, interleaving (solutions/11_interleaving_exercises.ipynb)."""

from __future__ import annotations

import functools
import itertools

import numpy as np

from .. import interleaving as _il
from .. import stats as _stats
from . import BAND_LEVEL, call, describe, expect_share, fail, same_seed_result, task

# ---- task 1: team-draft from scratch ------------------------------------------------

# (ranking_a, ranking_b, length): overlapping, disjoint (all shown, then a length below the union), B runs
# out, a length beyond the union, a rotation
DRAFT_CASES = [
    ((1, 2, 3, 4), (2, 1, 4, 3), 4),
    (("a", "b", "c"), ("x", "y", "z"), 6),
    ((1, 2, 3, 4, 5), (6, 7, 8, 9, 10), 5),
    ((1, 2, 3, 4, 5), (5, 9), 6),
    ((1, 2, 3), (3, 4), 9),
    ((1, 2, 3, 4), (2, 3, 4, 1), 4),
]
DRAWS = 2_000          # interleavings drawn per case to compare with the exact distribution
SEQUENCE = 40          # draws compared between two runs with the same seed


def _pair(out, case):
    a, b, length = case
    where = f"for ranking_a={list(a)}, ranking_b={list(b)}, length={length}"
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        fail(f"{where} your function returned {describe(out)}; return two lists: the items shown, and the "
             f"team of each position ('A' or 'B').")
    try:
        items, teams = list(out[0]), list(out[1])
    except TypeError:
        fail(f"{where} return two lists (items, teams); yours holds {describe(out[0])} and {describe(out[1])}.")
    if len(items) != len(teams):
        fail(f"{where} your lists of items ({len(items)}) and of teams ({len(teams)}) differ in length: "
             f"give one team per position.")
    if any(t not in ("A", "B") for t in teams):
        fail(f"{where} each team should be the string 'A' or 'B'.")
    return tuple(items), tuple(teams)


def _structure(items, teams, case):
    a, b, length = case
    where = f"for ranking_a={list(a)}, ranking_b={list(b)}, length={length}"
    union = set(a) | set(b)
    if len(set(items)) != len(items):
        fail(f"{where} your list shows an item twice: a team adds its highest-ranked item NOT YET SHOWN.")
    if any(x not in union for x in items):
        fail(f"{where} your list shows an item that is in neither ranking.")
    expected = min(length, len(union))
    if len(items) > expected:
        fail(f"{where} your list has {len(items)} items; it should stop at length, or when every item is shown.")
    if len(items) < expected:
        fail(f"{where} your list has {len(items)} items, fewer than min(length, number of distinct items). "
             f"Did a team lose its turn on a duplicate? A team whose next item is already shown skips it and "
             f"picks its next unshown item; when one ranking runs out, the other fills the remaining slots.")
    for pos, (item, team) in enumerate(zip(items, teams)):
        ranking = a if team == "A" else b
        if item not in ranking or item != next((x for x in ranking if x not in items[:pos]), None):
            fail(f"{where} position {pos} was picked by team {team}, but it is not that team's highest-ranked "
                 f"item not yet shown.")
    for pos in range(len(items)):
        before = items[:pos]
        both_left = any(x not in before for x in a) and any(x not in before for x in b)
        n_a, n_b = teams[:pos].count("A"), teams[:pos].count("B")
        behind = "A" if n_a < n_b else "B"
        if both_left and n_a != n_b and teams[pos] != behind:
            fail(f"{where} position {pos} went to team {teams[pos]} although team {behind} was behind and could "
                 f"still pick. In each round both teams pick once (a coin only decides who picks FIRST), and a team "
                 f"whose next item is already shown picks its next unshown item: it does not lose its turn.")


@task("task 1: team-draft interleaving from scratch")
def task1(fn):
    def sequence(rng):
        return [fn(*DRAFT_CASES[0], rng) for _ in range(SEQUENCE)]
    _pair(call(fn, *DRAFT_CASES[0], np.random.default_rng(0)), DRAFT_CASES[0])
    same_seed_result(sequence, seed=101, what="interleavings")
    for k, case in enumerate(DRAFT_CASES):
        rng = np.random.default_rng(1_000 + k)
        exact = {(o.items, o.teams): o.probability for o in _il.team_draft_outcomes(*case)}
        seen: dict = {}
        for _ in range(DRAWS):
            items, teams = _pair(call(fn, *case, rng), case)
            if (items, teams) not in exact:
                _structure(items, teams, case)
                fail(f"for ranking_a={list(case[0])}, ranking_b={list(case[1])}, length={case[2]} your function "
                     f"produced a list team-draft never produces.")
            seen[items, teams] = seen.get((items, teams), 0) + 1
        level = 1 - (1 - BAND_LEVEL) / len(exact)
        for key, p in exact.items():
            low, high = _stats.binomial_band(p, DRAWS, level)
            if not low <= seen.get(key, 0) / DRAWS <= high:
                where = f"for ranking_a={list(case[0])}, ranking_b={list(case[1])}, length={case[2]}"
                if len(seen) <= 2 < len(exact):
                    fail(f"{where} your function only ever produces {len(seen)} different lists. It looks like one "
                         f"coin flip followed by strict alternation: flip a new fair coin at the start of EVERY "
                         f"round to decide which team picks first.")
                if max(seen.values()) > 0.9 * DRAWS:
                    fail(f"{where} your function almost always produces the same list: a fair coin "
                         f"(probability 1/2, from rng) decides which team picks first in each round.")
                fail(f"{where} some lists come up too often and others too rarely: the coin must be fair and "
                     f"flipped once per round, only when both teams have picked equally often.")
    return "your team-draft produces every interleaving with its exact probability, for overlapping, disjoint, " \
           "unequal-length rankings and a length beyond their union."


# ---- task 2: Joachims' credit rule ----------------------------------------------------

def _rank(ranking, item):
    return ranking.index(item) + 1 if item in ranking else np.inf


def _verdict(h_a, h_b):
    return "A" if h_a > h_b else "B" if h_b > h_a else "tie"


def _variant(kind, a, b, shown, clicks):
    """The right rule (kind='right') and the neighbouring wrong ones, for diagnosis."""
    if not clicks:
        return "tie"
    clicked = [shown[p] for p in clicks]
    if kind == "count_all":
        return _verdict(sum(x in a for x in clicked), sum(x in b for x in clicked))
    anchor = shown[min(clicks)] if kind == "highest_click" else shown[max(clicks)]
    ranks = (_rank(a, anchor), _rank(b, anchor))
    k = max(ranks) if kind == "k_max" else min(ranks)
    if kind == "top_k_minus_one":
        h_a = sum(_rank(a, x) < k for x in clicked)
        h_b = sum(_rank(b, x) < k for x in clicked)
    else:
        h_a = sum(_rank(a, x) <= k for x in clicked)
        h_b = sum(_rank(b, x) <= k for x in clicked)
    verdict = _verdict(h_a, h_b)
    if kind == "swapped":
        verdict = {"A": "B", "B": "A", "tie": "tie"}[verdict]
    return verdict


CREDIT_HINTS = {
    "count_all": "you seem to count every clicked item in A and in B. Joachims' rule only counts the clicked items "
                 "within each ranking's top k, with k set by the lowest click.",
    "highest_click": "you seem to set k from the highest (first) clicked item; k comes from the LOWEST clicked item, "
                     "the click furthest down the list.",
    "k_max": "you seem to take the larger of the two ranks; k is the SMALLER of the lowest clicked item's ranks in "
             "A and in B.",
    "top_k_minus_one": "you seem to count ranks strictly below k; the top k includes the item at rank k "
                       "(ranks start at 1).",
    "swapped": "your winners are the wrong way round: A wins when A's top k holds MORE of the clicked items.",
}


@functools.lru_cache(maxsize=1)
def credit_cases():
    """Hand-picked cases, then random ones, each (ranking_a, ranking_b, shown, clicks)."""
    cases = [([1, 2], [2, 3], [2, 1, 3], c) for c in ([], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2])]
    cases += [([1, 2, 3], [2, 3, 1], [1, 2, 3], [j]) for j in range(3)]
    cases += [(["a", "b", "c", "d"], ["c", "a", "e"], ["a", "c", "b", "e", "d"], [1, 3]),
              (["a", "b", "c", "d"], ["c", "a", "e"], ["c", "a", "e", "b", "d"], [0, 4])]
    rng = np.random.default_rng(1111)
    while len(cases) < 250:
        a = [int(x) for x in rng.permutation(7)[:rng.integers(2, 6)]]
        b = [int(x) for x in rng.permutation(7)[:rng.integers(2, 6)]]
        shown = _il.balanced(a, b, rng)
        clicks = sorted(int(x) for x in rng.choice(len(shown), size=rng.integers(1, 4), replace=False))
        cases.append((a, b, shown, clicks))
    return tuple((tuple(a), tuple(b), tuple(s), tuple(c)) for a, b, s, c in cases)


@task("task 2: Joachims' credit rule")
def task2(fn):
    answers, expected = [], []
    for a, b, shown, clicks in credit_cases():
        answer = call(fn, list(a), list(b), list(shown), list(clicks))
        if not isinstance(answer, str) or answer not in ("A", "B", "tie"):
            fail(f"the result should be one of the strings 'A', 'B' or 'tie'; your function returned "
                 f"{answer!r} ({describe(answer)}).")
        answers.append(answer)
        expected.append(_variant("right", list(a), list(b), list(shown), list(clicks)))
    if answers == expected:
        return "your credit follows Joachims' rule on every case, including items missing from one ranking."
    for kind, hint in CREDIT_HINTS.items():
        if answers == [_variant(kind, list(a), list(b), list(s), list(c)) for a, b, s, c in credit_cases()]:
            fail(hint)
    wrong = sum(x != y for x, y in zip(answers, expected))
    fail(f"{wrong} of {len(expected)} cases get the wrong winner. Take the lowest clicked item; k is the smaller of "
         f"its ranks in A and in B (an item missing from a ranking has no rank there, so the other rank decides); "
         f"then compare the numbers of clicked items in A's top k and in B's top k.")


# ---- task 3: balanced interleaving's bias by enumeration ------------------------------

BIAS_CASES = [
    ((1, 2, 3), (2, 3, 1), 0.5),
    ((1, 2, 3), (2, 3, 1), 0.2),
    ((1, 2, 3, 4), (2, 3, 4, 1), 0.3),
    ((1, 2, 3, 4, 5), (3, 1, 2, 5, 4), 0.4),
    (("a", "b", "c", "d"), ("b", "a", "d", "c"), 0.7),
    ((1, 2, 3, 4), (5, 1, 6, 2), 0.6),
]


def _flat(a, b, p):
    return dict.fromkeys(set(a) | set(b), p)


def bias_reference(a, b, p):
    n = len(set(a) | set(b))
    return _il.preference_probabilities(a, b, _flat(a, b, p), "balanced", "pbm", np.ones(n)).delta


def _single_click_bias(a, b):
    total = 0.0
    for o in _il.balanced_outcomes(a, b):
        for j in range(len(o.items)):
            w = _il.balanced_credit(a, b, o.items, [j])
            total += o.probability / len(o.items) * ((w == "B") - (w == "A"))
    return total


def _bias_variants(a, b, p):
    n = len(set(a) | set(b))
    ones = np.ones(n)
    right = _il.preference_probabilities(a, b, _flat(a, b, p), "balanced", "pbm", ones)
    return {
        "the sign is reversed: return P(B wins) - P(A wins).": -right.delta,
        "that is P(B wins) alone: return P(B wins) - P(A wins).": right.p_b,
        "that matches team-draft interleaving; this task is about balanced interleaving credited by Joachims' rule.":
            _il.preference_probabilities(a, b, _flat(a, b, p), "team_draft", "pbm", ones).delta,
        "that matches exactly one click per session at a random position; here each position is clicked "
        "independently with probability click_prob, so sum over every subset of positions.": _single_click_bias(a, b),
        "your answer does not change with click_prob: each position is clicked with probability click_prob.":
            bias_reference(a, b, 0.5) if p != 0.5 else None,
    }


@task("task 3: balanced interleaving's bias by exact enumeration")
def task3(fn):
    for a, b, p in BIAS_CASES:
        what = f"the bias for ranking_a={list(a)}, ranking_b={list(b)}, click_prob={p}"
        first = call(fn, list(a), list(b), p)
        if isinstance(first, np.ndarray) and first.size == 1:
            first = first.item()
        if isinstance(first, bool) or not isinstance(first, (int, float, np.floating, np.integer)):
            fail(f"{what} should be one number, P(B wins) - P(A wins); your function returned {describe(first)}.")
        value = float(first)
        again = call(fn, list(a), list(b), p)
        if not np.isclose(float(np.asarray(again, dtype=float).ravel()[0]), value, rtol=0, atol=1e-15):
            fail(f"your function gives different answers for the same input: that is sampling. Enumerate both "
                 f"balanced lists and every click pattern exactly instead.")
        ref = bias_reference(a, b, p)
        if np.isclose(value, ref, rtol=1e-9, atol=1e-12):
            continue
        for hint, wrong in _bias_variants(a, b, p).items():
            if wrong is not None and not np.isclose(wrong, ref, rtol=1e-9, atol=1e-12) and \
                    np.isclose(value, wrong, rtol=1e-9, atol=1e-12):
                fail(f"{what}: {hint}")
        if abs(value - ref) < 0.03:
            fail(f"{what} is close but not exact: enumerate every case (2 lists x 2^n click patterns, each pattern "
                 f"with probability click_prob^clicks (1 - click_prob)^(n - clicks)) instead of estimating.")
        fail(f"{what} is {'too large' if value > ref else 'too small'}. For each of the two balanced lists "
             f"(probability 1/2 each) and each subset of clicked positions, add the pattern's probability to B's "
             f"or A's side according to Joachims' rule.")
    return "your enumeration reproduces balanced interleaving's bias exactly, for rotations and other pairs."


# ---- task 4: the power of 1,000 interleaved sessions -----------------------------------

SLOTS = 10


def _disjoint(ctr_a, ctr_b, rho=None):
    """The task's model: disjoint lists of SLOTS items, per-position click probability rho for each ranker."""
    if rho is None:
        rho = tuple(1 - (1 - c) ** (1 / SLOTS) for c in (ctr_a, ctr_b))
    a, b = [f"a{j}" for j in range(SLOTS)], [f"b{j}" for j in range(SLOTS)]
    relevance = {**dict.fromkeys(a, rho[0]), **dict.fromkeys(b, rho[1])}
    return a, b, relevance


@functools.lru_cache(maxsize=None)
def session_probabilities(ctr_a, ctr_b, model="cascade", rho=None):
    a, b, relevance = _disjoint(ctr_a, ctr_b, rho)
    return _il.preference_probabilities(a, b, relevance, "team_draft", model, np.ones(SLOTS), length=SLOTS)


def power_reference(ctr_a, ctr_b, n_sessions, direction="B", model="cascade", rho=None):
    probs = session_probabilities(ctr_a, ctr_b, model, rho)
    return _il.sign_test_power(probs.p_a, probs.p_b, n_sessions, 0.05, direction)


# (ctr_a, ctr_b, n_sessions, n_sims, seed): the course's question, B worse, high click-through, other sizes
POWER_CASES = [(0.20, 0.25, 1_000, 1_000, 1), (0.25, 0.20, 1_000, 1_000, 2), (0.70, 0.80, 200, 2_000, 3),
               (0.10, 0.15, 600, 1_000, 4)]
SMALL = (0.20, 0.25, 100, 2_000)


@task("task 4: the power of an interleaving experiment")
def task4(fn):
    seeded = expect_share(same_seed_result(fn, *SMALL, seed=7, what="power estimates"), "the power")
    others = [expect_share(call(fn, *SMALL, np.random.default_rng(s)), "the power") for s in (8, 9, 10)]
    if all(x == seeded for x in others):
        fail("your answer does not change with the seed: the task asks for a simulation (random coins and clicks "
             "from rng), not a formula.")
    for ctr_a, ctr_b, n, n_sims, seed in POWER_CASES:
        value = expect_share(call(fn, ctr_a, ctr_b, n, n_sims, np.random.default_rng(seed)), "the power")
        ref = power_reference(ctr_a, ctr_b, n)
        low, high = _stats.binomial_band(ref, n_sims, BAND_LEVEL)
        if low <= value <= high:
            continue
        what = f"the power for ctr_a={ctr_a}, ctr_b={ctr_b}, n_sessions={n}"
        diagnoses = [
            (power_reference(ctr_a, ctr_b, n, "two-sided"),
             "count an experiment only when the test rejects AND B has more wins: the goal is to detect B's "
             "superiority, not any difference."),
            (power_reference(ctr_a, ctr_b, n, rho=(ctr_a, ctr_b)),
             "ctr is the click-through of a whole list; the per-position click probability rho solves "
             "1 - (1 - rho)^10 = ctr."),
            (power_reference(ctr_a, ctr_b, n, model="pbm"),
             "your users seem to click every result independently; in this model a user reads from the top and "
             "leaves after the FIRST click, so a session has at most one click."),
        ]
        for wrong, hint in diagnoses:
            w_low, w_high = _stats.binomial_band(wrong, n_sims, BAND_LEVEL)
            if not (w_low <= ref <= w_high) and w_low <= value <= w_high:
                fail(f"{what}: {hint}")
        fail(f"{what} is {'too large' if value > high else 'too small'}. Check each step: one coin per round of "
             f"two slots decides whether A's or B's next result comes first; clicks from the top with probability "
             f"rho of the result's ranker, stopping at the first click; the winner is the clicked result's team; "
             f"the exact sign test on the sessions with a winner, at 5%.")
    return "your simulation agrees with the exact power of the interleaving experiment within Monte Carlo error."
