"""The lesson 11 checks: a right answer passes, wrong ones get a hint (no traceback), stubs are "not done yet"."""

import itertools
import math

import numpy as np
from scipy import stats as sps

from checkhelpers import assert_try_again

from labsupport.checks import lesson11 as check


# ---- reference solutions, written independently of labsupport (numpy and scipy only) ----

def my_team_draft(ranking_a, ranking_b, length, rng):
    items, teams = [], []
    length = min(length, len(set(ranking_a) | set(ranking_b)))
    while len(items) < length:
        left_a = [x for x in ranking_a if x not in items]
        left_b = [x for x in ranking_b if x not in items]
        n_a, n_b = teams.count("A"), teams.count("B")
        if not left_b or (left_a and (n_a < n_b or (n_a == n_b and rng.random() < 0.5))):
            items.append(left_a[0])
            teams.append("A")
        else:
            items.append(left_b[0])
            teams.append("B")
    return items, teams


def joachims_credit(ranking_a, ranking_b, interleaved, clicked_positions):
    if not clicked_positions:
        return "tie"
    rank_a = {x: r for r, x in enumerate(ranking_a, start=1)}
    rank_b = {x: r for r, x in enumerate(ranking_b, start=1)}
    lowest = interleaved[max(clicked_positions)]
    k = min(rank_a.get(lowest, math.inf), rank_b.get(lowest, math.inf))
    clicked = [interleaved[p] for p in clicked_positions]
    h_a = sum(rank_a.get(x, math.inf) <= k for x in clicked)
    h_b = sum(rank_b.get(x, math.inf) <= k for x in clicked)
    return "A" if h_a > h_b else "B" if h_b > h_a else "tie"


def _balanced_lists(a, b):
    lists = []
    for a_first in (True, False):
        out, ka, kb = [], 0, 0
        while ka < len(a) or kb < len(b):
            if ka < len(a) and (kb >= len(b) or ka < kb or (ka == kb and a_first)):
                item, ka = a[ka], ka + 1
            else:
                item, kb = b[kb], kb + 1
            if item not in out:
                out.append(item)
        lists.append(out)
    return lists


def balanced_bias(ranking_a, ranking_b, click_prob):
    total = 0.0
    for shown in _balanced_lists(ranking_a, ranking_b):
        n = len(shown)
        for pattern in itertools.product((False, True), repeat=n):
            clicks = [j for j in range(n) if pattern[j]]
            prob = click_prob ** len(clicks) * (1 - click_prob) ** (n - len(clicks))
            winner = joachims_credit(ranking_a, ranking_b, shown, clicks)
            total += 0.5 * prob * ((winner == "B") - (winner == "A"))
    return total


def interleaving_power(ctr_a, ctr_b, n_sessions, n_sims, rng, slots=10):
    rho_a, rho_b = 1 - (1 - ctr_a) ** (1 / slots), 1 - (1 - ctr_b) ** (1 / slots)
    a_first = rng.random((n_sims, n_sessions, slots // 2)) < 0.5          # one coin per round of two slots
    is_b = np.empty((n_sims, n_sessions, slots), dtype=bool)
    is_b[..., 0::2], is_b[..., 1::2] = ~a_first, a_first
    would_click = rng.random(is_b.shape) < np.where(is_b, rho_b, rho_a)
    clicked = would_click.any(axis=-1)
    first = would_click.argmax(axis=-1)                                     # the user leaves after the first click
    b_wins = clicked & np.take_along_axis(is_b, first[..., None], axis=-1)[..., 0]
    wins_a, wins_b = (clicked & ~b_wins).sum(axis=1), b_wins.sum(axis=1)
    p_value = np.minimum(1.0, 2 * sps.binom.cdf(np.minimum(wins_a, wins_b), wins_a + wins_b, 0.5))
    return float(np.mean((p_value < 0.05) & (wins_b > wins_a)))


TASKS = [(check.task1, my_team_draft), (check.task2, joachims_credit), (check.task3, balanced_bias),
         (check.task4, interleaving_power)]


# ---- task 1 ----------------------------------------------------------------------

def test_task1_wrong_answers():
    def strict_alternation(a, b, length, rng):  # one coin, then A, B, A, B ...
        items, teams, turn = [], [], "A" if rng.random() < 0.5 else "B"
        length = min(length, len(set(a) | set(b)))
        while len(items) < length:
            own = [x for x in (a if turn == "A" else b) if x not in items]
            other = [x for x in (b if turn == "A" else a) if x not in items]
            if own:
                items.append(own[0])
                teams.append(turn)
            else:
                items.append(other[0])
                teams.append("B" if turn == "A" else "A")
            turn = "B" if turn == "A" else "A"
        return items, teams

    def lost_turn(a, b, length, rng):  # a team whose next item is shown adds nothing this round
        items, teams, ka, kb = [], [], 0, 0
        while len(items) < length and (ka < len(a) or kb < len(b)):
            for team in (("A", "B") if rng.random() < 0.5 else ("B", "A")):
                ranking, k = (a, ka) if team == "A" else (b, kb)
                if len(items) < length and k < len(ranking):
                    if ranking[k] not in items:
                        items.append(ranking[k])
                        teams.append(team)
                    ka, kb = (ka + 1, kb) if team == "A" else (ka, kb + 1)
        return items, teams

    def a_always_first(a, b, length, rng):
        class AlwaysA:
            def random(self):
                return 0.0
        return my_team_draft(a, b, length, AlwaysA())

    def ignores_length(a, b, length, rng):
        return my_team_draft(a, b, 100, rng)

    def coin_per_pick(a, b, length, rng):  # a coin for every pick, whoever is ahead
        items, teams = [], []
        while len(items) < min(length, len(set(a) | set(b))):
            left = {"A": [x for x in a if x not in items], "B": [x for x in b if x not in items]}
            team = "A" if rng.random() < 0.5 else "B"
            team = team if left[team] else ("B" if team == "A" else "A")
            items.append(left[team][0])
            teams.append(team)
        return items, teams

    def biased_coin(a, b, length, rng):
        class Biased:
            def random(self):
                return rng.random() * 0.7
        return my_team_draft(a, b, length, Biased())

    assert_try_again(check.task1(strict_alternation), "strict alternation", "EVERY")
    assert_try_again(check.task1(lost_turn), "lose its turn")
    assert_try_again(check.task1(a_always_first), "fair coin")
    assert_try_again(check.task1(ignores_length), "stop at length")
    assert_try_again(check.task1(coin_per_pick), "was behind")
    assert_try_again(check.task1(biased_coin), "fair")
    assert_try_again(check.task1(lambda a, b, n, rng: (list(a), ["A"] * len(a))), "was behind")
    assert_try_again(check.task1(lambda a, b, n, rng: list(a)), "two lists")


# ---- task 2 ----------------------------------------------------------------------

def _rank(ranking, item):
    return ranking.index(item) + 1 if item in ranking else math.inf


def test_task2_wrong_answers():
    def count_all(a, b, shown, clicks):
        h_a = sum(shown[p] in a for p in clicks)
        h_b = sum(shown[p] in b for p in clicks)
        return "A" if h_a > h_b else "B" if h_b > h_a else "tie"

    def highest_click(a, b, shown, clicks):
        if not clicks:
            return "tie"
        top = shown[min(clicks)]
        k = min(_rank(a, top), _rank(b, top))
        h_a = sum(_rank(a, shown[p]) <= k for p in clicks)
        h_b = sum(_rank(b, shown[p]) <= k for p in clicks)
        return "A" if h_a > h_b else "B" if h_b > h_a else "tie"

    def k_max(a, b, shown, clicks):
        if not clicks:
            return "tie"
        low = shown[max(clicks)]
        k = max(_rank(a, low), _rank(b, low))
        h_a = sum(_rank(a, shown[p]) <= k for p in clicks)
        h_b = sum(_rank(b, shown[p]) <= k for p in clicks)
        return "A" if h_a > h_b else "B" if h_b > h_a else "tie"

    def strictly_below_k(a, b, shown, clicks):
        if not clicks:
            return "tie"
        low = shown[max(clicks)]
        k = min(_rank(a, low), _rank(b, low))
        h_a = sum(_rank(a, shown[p]) < k for p in clicks)
        h_b = sum(_rank(b, shown[p]) < k for p in clicks)
        return "A" if h_a > h_b else "B" if h_b > h_a else "tie"

    def swapped(a, b, shown, clicks):
        return {"A": "B", "B": "A", "tie": "tie"}[joachims_credit(a, b, shown, clicks)]

    def missing_rank_as_zero(a, b, shown, clicks):  # an item missing from a ranking counted as in its top k
        if not clicks:
            return "tie"
        rank = lambda r, x: r.index(x) + 1 if x in r else 0
        low = shown[max(clicks)]
        k = min(_rank(a, low), _rank(b, low))
        h_a = sum(rank(a, shown[p]) <= k for p in clicks)
        h_b = sum(rank(b, shown[p]) <= k for p in clicks)
        return "A" if h_a > h_b else "B" if h_b > h_a else "tie"

    assert_try_again(check.task2(count_all), "within each ranking's top k")
    assert_try_again(check.task2(highest_click), "LOWEST clicked item")
    assert_try_again(check.task2(k_max), "SMALLER")
    assert_try_again(check.task2(strictly_below_k), "includes the item at rank k")
    assert_try_again(check.task2(swapped), "wrong way round")
    assert_try_again(check.task2(missing_rank_as_zero), "cases get the wrong winner")
    assert_try_again(check.task2(lambda a, b, s, c: "B"), "cases get the wrong winner")
    assert_try_again(check.task2(lambda a, b, s, c: True), "'A', 'B' or 'tie'")


# ---- task 3 ----------------------------------------------------------------------

def test_task3_wrong_answers():
    def sign_flipped(a, b, p):
        return -balanced_bias(a, b, p)

    def p_b_only(a, b, p):
        total = 0.0
        for shown in _balanced_lists(a, b):
            n = len(shown)
            for pattern in itertools.product((False, True), repeat=n):
                clicks = [j for j in range(n) if pattern[j]]
                if joachims_credit(a, b, shown, clicks) == "B":
                    total += 0.5 * p ** len(clicks) * (1 - p) ** (n - len(clicks))
        return total

    def team_draft_instead(a, b, p):  # team-draft has no bias under random clicks
        return 0.0

    def one_random_click(a, b, p):
        total = 0.0
        for shown in _balanced_lists(a, b):
            for j in range(len(shown)):
                w = joachims_credit(a, b, shown, [j])
                total += 0.5 / len(shown) * ((w == "B") - (w == "A"))
        return total

    def ignores_click_prob(a, b, p):
        return balanced_bias(a, b, 0.5)

    def monte_carlo(a, b, p):
        rng = np.random.default_rng()
        lists = _balanced_lists(a, b)
        total = 0
        for _ in range(4_000):
            shown = lists[rng.integers(2)]
            clicks = [j for j in range(len(shown)) if rng.random() < p]
            w = joachims_credit(a, b, shown, clicks)
            total += (w == "B") - (w == "A")
        return total / 4_000

    assert_try_again(check.task3(sign_flipped), "sign is reversed")
    assert_try_again(check.task3(p_b_only), "P(B wins) alone")
    assert_try_again(check.task3(team_draft_instead), "team-draft")
    assert_try_again(check.task3(one_random_click), "exactly one click")
    assert_try_again(check.task3(ignores_click_prob), "click_prob")
    assert_try_again(check.task3(monte_carlo), "sampling")
    assert_try_again(check.task3(lambda a, b, p: [0.1, 0.2]), "one number")


# ---- task 4 ----------------------------------------------------------------------

def _closed_form_probs(ctr_a, ctr_b, slots=10):
    # per round, A's and B's next results in random order; the first click decides
    rho_a, rho_b = 1 - (1 - ctr_a) ** (1 / slots), 1 - (1 - ctr_b) ** (1 / slots)
    x, y = 1 - rho_a, 1 - rho_b
    reach = (1 - (x * y) ** (slots // 2)) / (1 - x * y)
    return rho_a * (1 + y) / 2 * reach, rho_b * (1 + x) / 2 * reach


def _exact_power(ctr_a, ctr_b, n):
    p_a, p_b = _closed_form_probs(ctr_a, ctr_b)
    total = 0.0
    for m in range(n + 1):
        k = np.arange(m + 1)
        p = np.minimum(1, 2 * sps.binom.cdf(np.minimum(k, m - k), m, 0.5)) if m else np.ones(1)
        detect = (p < 0.05) & (k > m - k)                                   # k = wins of B
        total += sps.binom.pmf(m, n, p_a + p_b) * sps.binom.pmf(k, m, p_b / (p_a + p_b))[detect].sum()
    return total


def test_task4_reference_is_the_closed_form():
    for ctr_a, ctr_b, n, _, _ in check.POWER_CASES:
        probs = check.session_probabilities(ctr_a, ctr_b)
        assert np.allclose((probs.p_a, probs.p_b), _closed_form_probs(ctr_a, ctr_b), rtol=1e-12)
        assert np.isclose(check.power_reference(ctr_a, ctr_b, n), _exact_power(ctr_a, ctr_b, n), rtol=1e-9, atol=1e-15)


def test_task4_wrong_answers():
    def closed_form(ctr_a, ctr_b, n_sessions, n_sims, rng):
        return _exact_power(ctr_a, ctr_b, n_sessions)

    def two_sided(ctr_a, ctr_b, n_sessions, n_sims, rng):
        slots = 10
        rho = [1 - (1 - c) ** (1 / slots) for c in (ctr_a, ctr_b)]
        a_first = rng.random((n_sims, n_sessions, 5)) < 0.5
        is_b = np.empty((n_sims, n_sessions, slots), dtype=bool)
        is_b[..., 0::2], is_b[..., 1::2] = ~a_first, a_first
        would = rng.random(is_b.shape) < np.where(is_b, rho[1], rho[0])
        clicked, first = would.any(-1), would.argmax(-1)
        b_wins = clicked & np.take_along_axis(is_b, first[..., None], -1)[..., 0]
        wa, wb = (clicked & ~b_wins).sum(1), b_wins.sum(1)
        return float(np.mean(np.minimum(1, 2 * sps.binom.cdf(np.minimum(wa, wb), wa + wb, 0.5)) < 0.05))

    def rho_is_ctr(ctr_a, ctr_b, n_sessions, n_sims, rng):
        # solve 1 - (1 - rho)^10 = c for the c that gives rho = ctr, then reuse the reference
        to_ctr = lambda rho: 1 - (1 - rho) ** 10
        return interleaving_power(to_ctr(ctr_a), to_ctr(ctr_b), n_sessions, n_sims, rng)

    def independent_clicks(ctr_a, ctr_b, n_sessions, n_sims, rng):  # no cascade: count every click
        rho = [1 - (1 - c) ** 0.1 for c in (ctr_a, ctr_b)]
        a_first = rng.random((n_sims, n_sessions, 5)) < 0.5
        is_b = np.empty((n_sims, n_sessions, 10), dtype=bool)
        is_b[..., 0::2], is_b[..., 1::2] = ~a_first, a_first
        clicks = rng.random(is_b.shape) < np.where(is_b, rho[1], rho[0])
        cb, ca = (clicks & is_b).sum(-1), (clicks & ~is_b).sum(-1)
        wa, wb = (ca > cb).sum(1), (cb > ca).sum(1)
        p = np.minimum(1, 2 * sps.binom.cdf(np.minimum(wa, wb), wa + wb, 0.5))
        return float(np.mean((p < 0.05) & (wb > wa)))

    def ignores_n_sessions(ctr_a, ctr_b, n_sessions, n_sims, rng):
        return interleaving_power(ctr_a, ctr_b, 1_000, n_sims, rng)

    assert_try_again(check.task4(closed_form), "does not change with the seed")
    assert_try_again(check.task4(lambda *args: 0.45), "does not change with the seed")
    assert_try_again(check.task4(two_sided), "detect B's superiority")
    assert_try_again(check.task4(rho_is_ctr), "per-position click probability")
    assert_try_again(check.task4(independent_clicks), "FIRST click")
    assert_try_again(check.task4(ignores_n_sessions), "too")
    assert_try_again(check.task4(lambda *args: 1.5), "[0, 1]")
