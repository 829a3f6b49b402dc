"""labsupport.interleaving against independent references: brute-force enumeration written here
from the published algorithms, hand-worked credits, scipy's binomial test, and A/A calibration."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from labsupport import interleaving as il
from labsupport import stats

N_SIMS = 20_000


def _in_band(rate, p, n, level=0.999):
    low, high = stats.binomial_band(p, n, level)
    return low <= rate <= high


# ---- independent references ----------------------------------------------------

def reference_team_draft(a, b, length, coins):
    """Radlinski, Kurup & Joachims (2008), Algorithm 2, written from the paper, with one change
    shared by the module: when one ranking has no unshown item left, the other fills the slots.
    ``coins`` is consumed one flip whenever the teams are level and both can pick."""
    shown, team_a, team_b = [], [], []
    flips = iter(coins)
    while len(shown) < length:
        left_a = [x for x in a if x not in shown]
        left_b = [x for x in b if x not in shown]
        if not left_a and not left_b:
            break
        if left_a and (not left_b or len(team_a) < len(team_b)
                       or (len(team_a) == len(team_b) and next(flips))):
            shown.append(left_a[0])
            team_a.append(left_a[0])
        else:
            shown.append(left_b[0])
            team_b.append(left_b[0])
    return tuple(shown), tuple("A" if x in team_a else "B" for x in shown)


def reference_team_draft_distribution(a, b, length):
    """Exact distribution by brute force over every sequence of `length` coins."""
    dist = {}
    for coins in itertools.product((True, False), repeat=length):
        key = reference_team_draft(a, b, length, coins)
        dist[key] = dist.get(key, 0) + 0.5 ** length
    return dist


def reference_balanced(a, b, length, a_first):
    """Joachims (2003), balanced interleaving, written from the paper (two pointers), with the
    remaining ranking filling the slots once the other runs out."""
    out, ka, kb = [], 0, 0
    while len(out) < length and (ka < len(a) or kb < len(b)):
        if ka < len(a) and (kb >= len(b) or ka < kb or (ka == kb and a_first)):
            if a[ka] not in out:
                out.append(a[ka])
            ka += 1
        else:
            if b[kb] not in out:
                out.append(b[kb])
            kb += 1
    return tuple(out)


def reference_joachims_credit(a, b, shown, clicks):
    """Chapelle et al. (2012), eq. for balanced interleaving: k = min{j: i_cmax = a_j or b_j}."""
    if not clicks:
        return "tie"
    lowest = shown[max(clicks)]
    ks = [j + 1 for j, x in enumerate(a) if x == lowest] + [j + 1 for j, x in enumerate(b) if x == lowest]
    k = min(ks)
    h_a = len([c for c in clicks if shown[c] in a[:k]])
    h_b = len([c for c in clicks if shown[c] in b[:k]])
    return "A" if h_a > h_b else "B" if h_b > h_a else "tie"


def reference_preference(outcomes, credit, attract_of, exam, model):
    """Exact (P(A), P(B)) by brute force over every click subset (PBM) or first click (cascade)."""
    p_a = p_b = 0.0
    for items, teams, prob in outcomes:
        n = len(items)
        q = [exam[j] * attract_of(items[j]) for j in range(n)] if model == "pbm" else \
            [attract_of(items[j]) for j in range(n)]
        if model == "pbm":
            patterns = [(tuple(j for j in range(n) if bits[j]),
                         math.prod(q[j] if bits[j] else 1 - q[j] for j in range(n)))
                        for bits in itertools.product((0, 1), repeat=n)]
        else:
            patterns = [((), math.prod(1 - x for x in q))]
            patterns += [((j,), math.prod(1 - x for x in q[:j]) * q[j]) for j in range(n)]
        for clicks, pr in patterns:
            winner = credit(items, teams, list(clicks))
            p_a += prob * pr * (winner == "A")
            p_b += prob * pr * (winner == "B")
    return p_a, p_b


PAIRS = [  # (ranking_a, ranking_b, length): overlapping, disjoint, unequal lengths, beyond the union
    ((1, 2, 3, 4), (2, 1, 4, 3), 4),
    ((1, 2, 3), (2, 3, 1), 3),
    (("a", "b", "c"), ("x", "y", "z"), 6),
    ((1, 2, 3, 4, 5), (5, 9), 6),
    ((1, 2, 3), (3, 4), 9),
    ((1, 2, 3, 4), (1, 2, 3, 4), 4),
    ((7, 1, 4, 2, 9), (4, 7, 3, 9, 5), 5),
    ((1, 2), (3, 4, 5, 6, 7), 3),
]


# ---- team-draft ----------------------------------------------------------------

@pytest.mark.parametrize("a, b, length", PAIRS)
def test_team_draft_outcomes_equal_brute_force_enumeration(a, b, length):
    ref = reference_team_draft_distribution(a, b, min(length, len(set(a) | set(b))))
    got = {(o.items, o.teams): o.probability for o in il.team_draft_outcomes(a, b, length)}
    assert got.keys() == ref.keys()
    for key, p in ref.items():
        assert got[key] == pytest.approx(p, abs=1e-15)
    assert sum(got.values()) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("a, b, length", PAIRS)
def test_team_draft_frequencies_match_exact_enumeration(a, b, length):
    ref = reference_team_draft_distribution(a, b, min(length, len(set(a) | set(b))))
    rng = np.random.default_rng(11)
    n = 6_000
    seen = {}
    for _ in range(n):
        items, teams = il.team_draft(a, b, rng, length)
        assert len(items) == len(set(items)) == len(teams)       # no duplicates in any output
        key = (tuple(items), tuple(teams))
        seen[key] = seen.get(key, 0) + 1
    assert set(seen) <= set(ref), "team_draft produced an interleaving the algorithm cannot"
    level = 1 - 0.001 / len(ref)                                   # Bonferroni over outcomes
    for key, p in ref.items():
        assert _in_band(seen.get(key, 0) / n, p, n, level), (key, seen.get(key, 0) / n, p)


@pytest.mark.parametrize("a, b, length", PAIRS)
def test_team_draft_structure(a, b, length):
    union = len(set(a) | set(b))
    rng = np.random.default_rng(5)
    for _ in range(200):
        items, teams = il.team_draft(a, b, rng, length)
        assert len(items) == min(length, union)
        for team, ranking in (("A", a), ("B", b)):
            picked = [x for x, t in zip(items, teams) if t == team]
            assert all(x in ranking for x in picked)
            # each pick is the team's highest-ranked item not shown before it
            for pos, (x, t) in enumerate(zip(items, teams)):
                if t == team:
                    assert x == next(y for y in ranking if y not in items[:pos])
        # while both teams can pick, their sizes never differ by more than one
        for k in range(1, len(items) + 1):
            both_left = any(y not in items[:k] for y in a) and any(y not in items[:k] for y in b)
            if both_left:
                assert abs(teams[:k].count("A") - teams[:k].count("B")) <= 1


def test_team_draft_default_length_is_the_union_and_one_slot_works():
    items, teams = il.team_draft([1, 2, 3], [3, 4], 0)
    assert sorted(items) == [1, 2, 3, 4]
    items, teams = il.team_draft([1, 2, 3], [4, 5], 0, length=1)
    assert len(items) == 1 and teams[0] in ("A", "B")


def test_team_draft_is_reproducible_and_uses_rng():
    a, b = list(range(10)), list(range(10, 20))
    first = il.team_draft(a, b, np.random.default_rng(3))
    assert first == il.team_draft(a, b, np.random.default_rng(3))
    draws = {tuple(il.team_draft(a, b, np.random.default_rng(s)).teams) for s in range(20)}
    assert len(draws) > 10


def test_enumerate_coins_on_a_hand_written_interleaver():
    # one coin: A's list or B's list, each with probability 1/2; two coins: four equal outcomes merged to two
    out = il.enumerate_coins(lambda c: [1, 2] if c[0] else [2, 1], 1)
    assert [(o.items, o.probability) for o in out] == [((1, 2), 0.5), ((2, 1), 0.5)]
    out = il.enumerate_coins(lambda c: ([1], ["A"]) if c[0] else ([1], ["B"]), 2)
    assert [(o.items, o.teams, o.probability) for o in out] == [((1,), ("A",), 0.5), ((1,), ("B",), 0.5)]
    assert il.enumerate_coins(lambda c: [1], 0)[0].probability == 1.0


# ---- balanced --------------------------------------------------------------------

@pytest.mark.parametrize("a, b, length", PAIRS)
def test_balanced_outcomes_equal_the_two_merges(a, b, length):
    length_ = min(length, len(set(a) | set(b)))
    ref = {}
    for a_first in (True, False):
        key = reference_balanced(a, b, length_, a_first)
        ref[key] = ref.get(key, 0) + 0.5
    got = {o.items: o.probability for o in il.balanced_outcomes(a, b, length)}
    assert got == ref


def test_balanced_worked_examples():
    # The cases of mpkato/interleaving's tests, whose merges stop at an exhausted ranking; where
    # they differ, our convention fills the slot from the other ranking.
    def merges(a, b, n):
        return {o.items for o in il.balanced_outcomes(a, b, n)}
    assert merges([1, 2], [2, 3], 2) == {(1, 2), (2, 1)}
    assert merges([1, 2], [3, 4], 2) == {(1, 3), (3, 1)}
    assert merges([1, 2], [3, 4], 3) == {(1, 3, 2), (3, 1, 4)}
    assert merges([1, 2], [2, 3], 3) == {(1, 2, 3), (2, 1, 3)}
    assert merges([1, 2, 3], [2, 3, 1], 3) == {(1, 2, 3), (2, 1, 3)}


def test_balanced_frequencies_and_prefix_property():
    rng = np.random.default_rng(2)
    a, b = [1, 2, 3, 4], [4, 3, 2, 1]
    leads = np.mean([il.balanced(a, b, rng)[0] == 1 for _ in range(N_SIMS)])
    assert _in_band(leads, 0.5, N_SIMS)
    # Joachims (2003): every prefix of the merge is the union of a top-ka of A and a top-kb of B
    # with |ka - kb| <= 1, checked over every pair of permutations of 5 items.
    for pa in itertools.permutations(range(5)):
        for pb in itertools.permutations(range(5)):
            if pa[0] != 0:
                continue
            for o in il.balanced_outcomes(pa, pb):
                for k in range(1, 6):
                    prefix = set(o.items[:k])
                    assert any(prefix == set(pa[:ka]) | set(pb[:kb])
                               for ka in range(6) for kb in range(6) if abs(ka - kb) <= 1)


# ---- credit ----------------------------------------------------------------------

def test_team_draft_credit_hand_worked():
    teams = ["A", "B", "B", "A", "B"]
    assert il.team_draft_credit(teams, []) == "tie"
    assert il.team_draft_credit(teams, [0]) == "A"
    assert il.team_draft_credit(teams, [1]) == "B"
    assert il.team_draft_credit(teams, [0, 1]) == "tie"
    assert il.team_draft_credit(teams, [0, 3, 4]) == "A"
    assert il.team_draft_credit(teams, [1, 2, 3]) == "B"
    assert il.team_draft_credit(teams, np.array([4, 0])) == "tie"
    # mpkato/interleaving README: a = [1..5], b = [4, 3, 5, 1, 2], shown [1, 4, 2, 3, 5] as A, B, A, B, A
    readme = ["A", "B", "A", "B", "A"]
    assert il.team_draft_credit(readme, [0, 2]) == "A" and il.team_draft_credit(readme, [1, 3]) == "B"


@pytest.mark.parametrize("shown, clicks, expected", [
    # A = (1, 2), B = (2, 3); worked by hand (the same cases as mpkato/interleaving's tests)
    ((1, 2), [0, 1], "tie"), ((1, 2), [0], "A"), ((1, 2), [1], "B"), ((1, 2), [], "tie"),
    ((2, 1, 3), [0, 1, 2], "tie"), ((2, 1, 3), [0, 1], "tie"), ((2, 1, 3), [0, 2], "B"),
    ((2, 1, 3), [1, 2], "tie"), ((2, 1, 3), [0], "B"), ((2, 1, 3), [1], "A"), ((2, 1, 3), [2], "B"),
])
def test_balanced_credit_hand_worked(shown, clicks, expected):
    assert il.balanced_credit([1, 2], [2, 3], shown, clicks) == expected


def test_balanced_credit_rotation_by_hand():
    # A = (1, 2, 3), B = (2, 3, 1), shown (1, 2, 3): a click on 1 -> k = 1, A; on 2 -> k = 1, B;
    # on 3 -> k = 2 (its rank in B), B's top 2 holds it, A's does not: B. So B wins 2 of 3 single clicks.
    a, b = [1, 2, 3], [2, 3, 1]
    assert [il.balanced_credit(a, b, [1, 2, 3], [p]) for p in range(3)] == ["A", "B", "B"]
    assert [il.balanced_credit(a, b, [2, 1, 3], [p]) for p in range(3)] == ["B", "A", "B"]


def test_balanced_credit_matches_reference_rule_on_random_cases():
    rng = np.random.default_rng(8)
    for _ in range(3_000):
        a = list(rng.permutation(8)[:rng.integers(1, 7)])
        b = list(rng.permutation(8)[:rng.integers(1, 7)])
        shown = il.balanced(a, b, rng)
        clicks = sorted(rng.choice(len(shown), size=rng.integers(0, len(shown) + 1), replace=False).tolist())
        assert il.balanced_credit(a, b, shown, clicks) == reference_joachims_credit(a, b, shown, clicks)


# ---- click models and exact preferences ---------------------------------------------

def test_simulate_clicks_pbm_rates_and_cascade_first_click():
    rng = np.random.default_rng(4)
    attract = np.array([0.9, 0.5, 0.2, 0.6])
    exam = il.reciprocal_examination(4)
    clicks = il.simulate_clicks(np.broadcast_to(attract, (N_SIMS, 4)), rng, "pbm")
    for j in range(4):
        assert _in_band(clicks[:, j].mean(), exam[j] * attract[j], N_SIMS)
    clicks = il.simulate_clicks(np.broadcast_to(attract, (N_SIMS, 4)), rng, "cascade")
    assert clicks.sum(axis=1).max() == 1
    reach = np.concatenate([[1.0], np.cumprod(1 - attract)[:-1]])
    for j in range(4):
        assert _in_band(clicks[:, j].mean(), reach[j] * attract[j], N_SIMS)
    assert il.click_through([0, 1, 2, 3], attract, "cascade") == pytest.approx(1 - np.prod(1 - attract))
    assert il.click_through([0, 1, 2, 3], attract, "pbm") == pytest.approx(1 - np.prod(1 - exam * attract))
    custom = np.array([1.0, 0.5, 0.5, 0.25])
    assert il.click_through([0, 1, 2, 3], attract, "pbm", custom, length=2) == \
        pytest.approx(1 - (1 - 0.9) * (1 - 0.25))


def _credit_for(method, a, b):
    if method == "team_draft":
        return lambda items, teams, clicks: il.team_draft_credit(teams, clicks)
    return lambda items, teams, clicks: reference_joachims_credit(list(a), list(b), list(items), clicks)


def _reference_outcomes(method, a, b, length):
    length = min(length, len(set(a) | set(b)))
    if method == "team_draft":
        return [(items, teams, p) for (items, teams), p in reference_team_draft_distribution(a, b, length).items()]
    merged = {}
    for a_first in (True, False):
        key = reference_balanced(a, b, length, a_first)
        merged[key] = merged.get(key, 0) + 0.5
    return [(items, None, p) for items, p in merged.items()]


@pytest.mark.parametrize("method", il.METHODS)
@pytest.mark.parametrize("model", il.MODELS)
@pytest.mark.parametrize("a, b, length", PAIRS)
def test_preference_probabilities_equal_brute_force(method, model, a, b, length):
    rng = np.random.default_rng(len(a) + 10 * len(b))
    items = sorted(set(a) | set(b), key=str)
    relevance = {x: float(r) for x, r in zip(items, rng.uniform(0.05, 0.95, len(items)))}
    exam = np.linspace(1.0, 0.4, 12)
    got = il.preference_probabilities(a, b, relevance, method, model, exam, length)
    ref_a, ref_b = reference_preference(_reference_outcomes(method, a, b, length), _credit_for(method, a, b),
                                        relevance.get, exam, model)
    assert got.p_a == pytest.approx(ref_a, abs=1e-12) and got.p_b == pytest.approx(ref_b, abs=1e-12)
    assert got.p_tie == pytest.approx(1 - ref_a - ref_b, abs=1e-12)


@pytest.mark.parametrize("method", il.METHODS)
@pytest.mark.parametrize("model", il.MODELS)
def test_simulated_sessions_match_exact_preferences(method, model):
    a, b = (7, 1, 4, 2, 9), (4, 7, 3, 9, 5)
    relevance = {7: 0.6, 1: 0.2, 4: 0.7, 2: 0.1, 9: 0.4, 3: 0.5, 5: 0.3}
    exact = il.preference_probabilities(a, b, relevance, method, model, length=5)
    scores = il.simulate_preferences(a, b, relevance, N_SIMS, np.random.default_rng(6), method, model, length=5)
    assert scores.shape == (N_SIMS,) and set(np.unique(scores)) <= {-1, 0, 1}
    assert _in_band((scores < 0).mean(), exact.p_a, N_SIMS) and _in_band((scores > 0).mean(), exact.p_b, N_SIMS)


def test_rotation_bias_of_balanced_and_none_for_team_draft():
    # Random clicks: each shown item clicked with probability 1/2 whatever it is. Brute force by hand
    # above: for one uniformly random click B wins 2/3 of the time under balanced interleaving.
    a, b = (1, 2, 3), (2, 3, 1)
    flat = {1: 0.5, 2: 0.5, 3: 0.5}
    bal = il.preference_probabilities(a, b, flat, "balanced", "pbm", np.ones(3))
    td = il.preference_probabilities(a, b, flat, "team_draft", "pbm", np.ones(3))
    # 2 outcomes x 8 click sets, counted by hand: B wins 6 of 16, A wins 2 of 16
    assert (bal.p_a, bal.p_b) == (pytest.approx(2 / 16), pytest.approx(6 / 16))
    assert td.p_a == pytest.approx(td.p_b)


def test_outcomes_argument_replaces_the_method():
    a, b = (1, 2, 3, 4), (2, 3, 4, 1)
    rel = {1: 0.5, 2: 0.5, 3: 0.5, 4: 0.5}
    td = il.team_draft_outcomes(a, b)
    assert il.preference_probabilities(a, b, rel, outcomes=td) == il.preference_probabilities(a, b, rel)
    always_a_first = il.enumerate_coins(lambda c: reference_team_draft(a, b, 4, [True] * 4), 1)
    ref_a, ref_b = reference_preference([(o.items, o.teams, o.probability) for o in always_a_first],
                                        _credit_for("team_draft", a, b), rel.get,
                                        il.reciprocal_examination(4), "pbm")
    got = il.preference_probabilities(a, b, rel, outcomes=always_a_first)
    assert (got.p_a, got.p_b) == (pytest.approx(ref_a), pytest.approx(ref_b))
    scores = il.simulate_preferences(a, b, rel, N_SIMS, 1, outcomes=always_a_first)
    assert _in_band((scores > 0).mean(), ref_b, N_SIMS)


# ---- the sign test -----------------------------------------------------------------

def test_preference_test_matches_scipy_binomtest():
    for wa in range(0, 25):
        for wb in range(0, 25):
            res = il.preference_test(wa, wb, ties=3)
            ref = sps.binomtest(wb, wa + wb, 0.5).pvalue if wa + wb else 1.0
            assert res.p_value == pytest.approx(ref, rel=1e-10)
            assert res.delta == pytest.approx((wb + 1.5) / (wa + wb + 3) - 0.5)
    big = il.preference_test(4_120, 4_400, 1_000)
    assert big.p_value == pytest.approx(sps.binomtest(4_400, 8_520).pvalue, rel=1e-8)
    assert big.winner == "B" and il.preference_test(60, 40).winner == "none"
    arr = il.preference_test(np.array([10, 30, 50]), np.array([30, 10, 50]), np.array([0, 5, 1]))
    assert arr.p_value.shape == (3,) and arr.winner.tolist() == ["B", "A", "none"]
    assert arr.p_value[0] == pytest.approx(sps.binomtest(30, 40).pvalue)


def _reference_power(p_a, p_b, n, alpha, direction="two-sided"):
    """Brute force: every (wins_a, wins_b) outcome, its multinomial probability and scipy's p-value."""
    total = 0.0
    for wa in range(n + 1):
        for wb in range(n + 1 - wa):
            p = sps.binomtest(wb, wa + wb).pvalue if wa + wb else 1.0
            if p < alpha and (direction == "two-sided" or (direction == "B") == (wb > wa)):
                total += sps.multinomial.pmf([wa, wb, n - wa - wb], n, [p_a, p_b, 1 - p_a - p_b])
    return total


@pytest.mark.parametrize("p_a, p_b, n, direction", [(0.3, 0.45, 30, "two-sided"), (0.2, 0.2, 40, "two-sided"),
                                                    (0.1, 0.3, 25, "B"), (0.35, 0.15, 30, "A"),
                                                    (0.35, 0.15, 30, "B"), (0.5, 0.5, 20, "two-sided")])
def test_sign_test_power_equals_brute_force(p_a, p_b, n, direction):
    assert il.sign_test_power(p_a, p_b, n, 0.05, direction) == \
        pytest.approx(_reference_power(p_a, p_b, n, 0.05, direction), abs=1e-12)


def test_sign_test_power_matches_simulation_and_sessions_for_power_is_the_first_n():
    p_a, p_b, n = 0.22, 0.28, 600
    rng = np.random.default_rng(9)
    counts = rng.multinomial(n, [p_a, p_b, 1 - p_a - p_b], size=N_SIMS)
    rate = il.preference_test(counts[:, 0], counts[:, 1], counts[:, 2]).reject.mean()
    assert _in_band(rate, il.sign_test_power(p_a, p_b, n), N_SIMS)
    needed = il.sessions_for_power(0.3, 0.4, 0.8)
    assert il.sign_test_power(0.3, 0.4, needed) >= 0.8
    assert all(il.sign_test_power(0.3, 0.4, m) < 0.8 for m in range(needed - 150, needed))
    assert il.sessions_for_power(0.3, 0.4, 0.8, direction="B") <= needed


# ---- calibration: identical rankers -----------------------------------------------

def _exact_size(p_tie, n, alpha):
    """Size of the sign test with no preference, computed here from scipy's binomial distribution."""
    m = np.arange(n + 1)
    reject = np.zeros(n + 1)
    for i, mm in enumerate(m):
        k = np.arange(mm + 1)
        pv = np.minimum(1, 2 * sps.binom.cdf(np.minimum(k, mm - k), mm, 0.5)) if mm else np.ones(1)
        reject[i] = sps.binom.pmf(k, mm, 0.5)[pv < alpha].sum() if mm else 0.0
    return float((sps.binom.pmf(m, n, 1 - p_tie) * reject).sum())


@pytest.mark.parametrize("method, model", [("team_draft", "pbm"), ("team_draft", "cascade"), ("balanced", "pbm")])
def test_identical_rankers_false_preference_rate_in_band(method, model):
    ranking = (3, 1, 4, 2)
    relevance = {1: 0.7, 2: 0.2, 3: 0.5, 4: 0.4}
    n_sessions, alpha = 60, 0.05
    exact = il.preference_probabilities(ranking, ranking, relevance, method, model)
    assert exact.p_a == pytest.approx(exact.p_b)
    scores = il.simulate_preferences(ranking, ranking, relevance, N_SIMS * n_sessions, np.random.default_rng(12),
                                     method, model).reshape(N_SIMS, n_sessions)
    test = il.preference_test((scores < 0).sum(1), (scores > 0).sum(1), (scores == 0).sum(1), alpha)
    size = _exact_size(exact.p_tie, n_sessions, alpha)
    assert _in_band(test.reject.mean(), size, N_SIMS)
    assert size <= alpha


def test_rotated_rankers_under_random_clicks_fool_balanced_not_team_draft():
    a, b = (1, 2, 3), (2, 3, 1)
    flat = {1: 0.5, 2: 0.5, 3: 0.5}
    n_sessions = 60
    rates = {}
    for method in il.METHODS:
        scores = il.simulate_preferences(a, b, flat, N_SIMS * n_sessions, np.random.default_rng(13), method,
                                         examination=np.ones(3)).reshape(N_SIMS, n_sessions)
        rates[method] = il.preference_test((scores < 0).sum(1), (scores > 0).sum(1)).reject.mean()
    td = il.preference_probabilities(a, b, flat, "team_draft", examination=np.ones(3))
    assert _in_band(rates["team_draft"], _exact_size(td.p_tie, n_sessions, 0.05), N_SIMS)
    assert rates["balanced"] > 0.5


# ---- reprs and bad input -------------------------------------------------------------

def test_reprs_are_readable():
    assert "teams=AB" in repr(il.team_draft_outcomes([1], [2])[0])
    assert "P(B wins)" in repr(il.preference_probabilities([1], [2], {1: 0.5, 2: 0.5}))
    assert "winner=B" in repr(il.preference_test(10, 40))
    assert "winner=..." in repr(il.preference_test([10, 20], [40, 20]))


@pytest.mark.parametrize("call, match", [
    (lambda: il.team_draft([], [1, 2], 0), "ranking_a"),
    (lambda: il.team_draft([1, 2], [], 0), "ranking_b"),
    (lambda: il.team_draft([1, 2, 1], [3], 0), "ranking_a"),
    (lambda: il.balanced([1], [2, 2], 0), "ranking_b"),
    (lambda: il.team_draft([1, 2], [3], 0, length=0), "length"),
    (lambda: il.balanced([1, 2], [3], 0, length=-2), "length"),
    (lambda: il.team_draft_outcomes([1, 2], [3], length=0), "length"),
    (lambda: il.team_draft([[1], [2]], [3], 0), "ranking_a"),
    (lambda: il.team_draft(5, [3], 0), "ranking_a"),
    (lambda: il.team_draft([1], [2], "seed"), "rng"),
    (lambda: il.team_draft_credit(["A", "B"], [2]), "clicked_positions"),
    (lambda: il.team_draft_credit(["A", "B"], [-1]), "clicked_positions"),
    (lambda: il.team_draft_credit(["A", "B"], [0, 0]), "clicked_positions"),
    (lambda: il.team_draft_credit(["A", "B"], [0.5]), "clicked_positions"),
    (lambda: il.team_draft_credit(["A", "B"], [True]), "clicked_positions"),
    (lambda: il.team_draft_credit(["A", "B"], [[0]]), "clicked_positions"),
    (lambda: il.team_draft_credit(["A", "C"], [0]), "teams"),
    (lambda: il.team_draft_credit([], []), "teams"),
    (lambda: il.balanced_credit([1, 2], [2, 3], [1, 2, 3], [3]), "clicked_positions"),
    (lambda: il.balanced_credit([1, 2], [2, 3], [1, 4], [0]), "interleaved"),
    (lambda: il.balanced_credit([1, 2], [2, 3], [1, 1], [0]), "interleaved"),
    (lambda: il.enumerate_coins(lambda c: [1], 21), "n_coins"),
    (lambda: il.team_draft_outcomes(list(range(30)), list(range(30, 60))), "length"),
    (lambda: il.preference_probabilities(list(range(9)), list(range(9, 18)), np.full(18, 0.5)), "length"),
    (lambda: il.preference_probabilities([1], [2], {1: 0.5}), "relevance"),
    (lambda: il.preference_probabilities([1], [2], {1: 0.5, 2: 1.5}), "relevance"),
    (lambda: il.preference_probabilities([1], [2], {1: 0.5, 2: 0.5}, method="probabilistic"), "method"),
    (lambda: il.preference_probabilities([1], [2], {1: 0.5, 2: 0.5}, model="dbn"), "model"),
    (lambda: il.preference_probabilities([1], [2], {1: 0.5, 2: 0.5}, examination=[1.0]), "examination"),
    (lambda: il.preference_probabilities([1], [2], {1: 0.5, 2: 0.5}, examination=[1.0, 2.0]), "examination"),
    (lambda: il.preference_probabilities([1], [2], {1: 0.5, 2: 0.5}, outcomes=[]), "outcomes"),
    (lambda: il.preference_probabilities([1], [2], {1: 0.5, 2: 0.5},
                                         outcomes=[il.Outcome((1,), None, 0.4)]), "outcomes"),
    (lambda: il.simulate_preferences([1], [2], {1: 0.5, 2: 0.5}, -1, 0), "n_sessions"),
    (lambda: il.simulate_clicks([0.5, 1.2], 0), "attract"),
    (lambda: il.simulate_clicks(0.5, 0), "attract"),
    (lambda: il.simulate_clicks([0.5], 0, model="ubm"), "model"),
    (lambda: il.click_through([], [0.5]), "ranking"),
    (lambda: il.reciprocal_examination(0), "length"),
    (lambda: il.preference_test(-1, 3), "wins_a"),
    (lambda: il.preference_test(1, 2.5), "wins_b"),
    (lambda: il.preference_test(1, 2, ties=-1), "ties"),
    (lambda: il.preference_test(1, 2, alpha=1.5), "alpha"),
    (lambda: il.preference_test([1, 2], [1, 2, 3]), "wins_a, wins_b"),
    (lambda: il.sign_test_power(0.6, 0.5, 100), "p_a \\+ p_b"),
    (lambda: il.sign_test_power(0.2, 0.3, 0), "n_sessions"),
    (lambda: il.sign_test_power(0.2, 1.3, 10), "p_b"),
    (lambda: il.sign_test_power(0.2, 0.3, 10, direction="up"), "direction"),
    (lambda: il.sessions_for_power(0.3, 0.3), "differ"),
    (lambda: il.sessions_for_power(0.3, 0.4, power=1.0), "power"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_zero_decisive_sessions_and_degenerate_cases():
    assert il.preference_test(0, 0, 10).p_value == 1.0
    assert il.sign_test_power(0.0, 0.0, 50) == 0.0
    # the same single item in both rankings: the coin decides whose team it joins
    assert [(o.teams, o.probability) for o in il.team_draft_outcomes([1], [1])] == [(("A",), 0.5), (("B",), 0.5)]
    assert [(o.items, o.probability) for o in il.balanced_outcomes([1, 2], [1, 2])] == [((1, 2), 1.0)]
