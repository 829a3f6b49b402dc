"""Interleaving: compare two rankers inside one result list, by where the clicks land.

Per query (the fixed API):

- ``team_draft`` (Radlinski, Kurup & Joachims 2008, CIKM): each round a fair coin decides
  which team picks first; each team then adds its highest-ranked item not yet shown. An item
  already shown is skipped, never a lost turn. ``team_draft_credit``: more clicks on one team's
  items wins.
- ``balanced`` (Joachims 2003): a coin decides which ranking leads, then the two rankings are
  merged rank by rank. ``balanced_credit``: Joachims' rule (k = the smaller rank of the lowest
  clicked item in A and in B; compare the clicks in each ranking's top k).

Conventions: items are any hashable ids; positions are 0-based indices into the interleaved
list; a preference is "A", "B" or "tie"; scores are +1 (B wins), -1 (A wins), 0 (tie), so a
mean score is B minus A. When one ranking runs out, the other fills the remaining slots (the
original algorithms stop there instead); ``length`` defaults to the union of both rankings.

For simulations: ``team_draft_outcomes`` / ``balanced_outcomes`` enumerate every possible
interleaving of a pair with its exact probability (all coin sequences); ``simulate_clicks``
draws clicks under a position-based or a cascade click model; ``preference_probabilities``
gives the exact P(A wins), P(B wins), P(tie) of a session; ``simulate_preferences`` draws
sessions vectorised; ``preference_test`` is the sign test across sessions and
``sign_test_power`` its exact power.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import stats as _sps

from . import _validate as v

METHODS = ("team_draft", "balanced")
MODELS = ("pbm", "cascade")
MAX_COINS = 20          # exact enumeration runs 2**coins sequences
MAX_PBM_POSITIONS = 16  # exact PBM preference enumerates 2**length click patterns


class TeamDraft(NamedTuple):
    """A team-draft interleaving: the list shown and the team ("A"/"B") of each position."""

    items: list
    teams: list


@dataclass(frozen=True)
class Outcome:
    """One possible interleaved list (with its teams, for team-draft) and its exact probability."""

    items: tuple
    teams: tuple | None
    probability: float

    def __repr__(self) -> str:
        teams = "" if self.teams is None else f", teams={''.join(self.teams)}"
        return f"Outcome(items={self.items}{teams}, p={self.probability:.6g})"


@dataclass(frozen=True)
class PreferenceProbabilities:
    """Exact chances that one session prefers A, prefers B, or ties."""

    p_a: float
    p_b: float
    p_tie: float

    @property
    def delta(self) -> float:
        """P(B wins) - P(A wins): the expected score of a session (B minus A)."""
        return self.p_b - self.p_a

    def __repr__(self) -> str:
        return (f"PreferenceProbabilities(P(A wins)={self.p_a:.6g}, P(B wins)={self.p_b:.6g}, "
                f"P(tie)={self.p_tie:.6g})")


@dataclass(frozen=True)
class PreferenceTest:
    """Sign test across sessions: wins, ties, the share statistic and the exact two-sided p-value."""

    wins_a: int | np.ndarray
    wins_b: int | np.ndarray
    ties: int | np.ndarray
    delta: float | np.ndarray
    p_value: float | np.ndarray
    alpha: float

    @property
    def reject(self):
        """True where the hypothesis 'no preference' is rejected at ``alpha``."""
        return np.asarray(self.p_value) < self.alpha

    @property
    def winner(self):
        """'B' or 'A' where the test rejects (the side with more wins), else 'none'."""
        side = np.where(np.asarray(self.wins_b) > np.asarray(self.wins_a), "B", "A")
        out = np.where(self.reject, side, "none")
        return str(out) if out.ndim == 0 else out

    def __repr__(self) -> str:
        from .stats import format_value
        return (f"PreferenceTest(wins A={format_value(self.wins_a)}, wins B={format_value(self.wins_b)}, "
                f"ties={format_value(self.ties)}, delta={format_value(self.delta)}, "
                f"p={format_value(self.p_value)}, winner={self.winner if np.ndim(self.p_value) == 0 else '...'})")


# ---- validation -------------------------------------------------------------

def _ranking(name, ranking) -> list:
    try:
        items = list(ranking)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of item ids; got {ranking!r}") from None
    if not items:
        raise ValueError(f"{name} must hold at least one item")
    try:
        distinct = len(set(items))
    except TypeError:
        raise ValueError(f"{name} must hold hashable item ids") from None
    if distinct != len(items):
        raise ValueError(f"{name} must not repeat an item; got {items!r}")
    return items


def _length(length, union_size) -> int:
    if length is None:
        return union_size
    return min(v.positive_int("length", length), union_size)


def _union_size(a, b) -> int:
    return len(set(a) | set(b))


def _positions(name, clicked_positions, size) -> list:
    try:
        arr = np.asarray(clicked_positions)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of 0-based positions") from None
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a 1-d sequence of 0-based positions; got shape {arr.shape}")
    arr = arr.ravel()
    if arr.size and (arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must hold integer positions in [0, {size}); got {clicked_positions!r}")
    positions = [int(p) for p in arr]
    if any(p < 0 or p >= size for p in positions):
        raise ValueError(f"{name} must hold positions in [0, {size}) of the interleaved list; "
                         f"got {clicked_positions!r}")
    if len(set(positions)) != len(positions):
        raise ValueError(f"{name} must not repeat a position; got {clicked_positions!r}")
    return positions


def _teams(teams) -> list:
    teams = list(teams)
    if not teams or any(t not in ("A", "B") for t in teams):
        raise ValueError(f"teams must be a non-empty sequence of 'A' and 'B'; got {teams!r}")
    return teams


# ---- interleaving, per query --------------------------------------------------

def _draft(a, b, length, coin):
    """Team-draft from a coin source: ``coin()`` -> True means A picks first this round."""
    items, teams, shown = [], [], set()
    count = {"A": 0, "B": 0}
    pointer = {"A": 0, "B": 0}
    lists = {"A": a, "B": b}

    def next_item(team):
        ranking, k = lists[team], pointer[team]
        while k < len(ranking) and ranking[k] in shown:
            k += 1                      # already shown: skip it, the turn is not lost
        pointer[team] = k
        return ranking[k] if k < len(ranking) else None

    while len(items) < length:
        has = {t: next_item(t) is not None for t in ("A", "B")}
        if not (has["A"] or has["B"]):
            break
        if not has["B"]:
            team = "A"
        elif not has["A"]:
            team = "B"
        elif count["A"] != count["B"]:
            team = "A" if count["A"] < count["B"] else "B"
        else:
            team = "A" if coin() else "B"   # a new round: a fair coin decides who picks first
        item = next_item(team)
        items.append(item)
        teams.append(team)
        shown.add(item)
        count[team] += 1
    return items, teams


def team_draft(ranking_a, ranking_b, rng, length=None) -> TeamDraft:
    """Team-draft interleaving of one query's two rankings: (interleaved list, team of each position)."""
    a, b = _ranking("ranking_a", ranking_a), _ranking("ranking_b", ranking_b)
    rng = v.as_rng(rng)
    length = _length(length, _union_size(a, b))
    items, teams = _draft(a, b, length, lambda: bool(rng.random() < 0.5))
    return TeamDraft(items, teams)


def _merge(a, b, length, a_first):
    items, shown, ka, kb = [], set(), 0, 0
    while len(items) < length and (ka < len(a) or kb < len(b)):
        take_a = kb >= len(b) or (ka < len(a) and (ka < kb or (ka == kb and a_first)))
        if take_a:
            item, ka = a[ka], ka + 1
        else:
            item, kb = b[kb], kb + 1
        if item not in shown:
            items.append(item)
            shown.add(item)
    return items


def balanced(ranking_a, ranking_b, rng, length=None) -> list:
    """Balanced interleaving (Joachims 2003) of one query's rankings; a fair coin decides which leads."""
    a, b = _ranking("ranking_a", ranking_a), _ranking("ranking_b", ranking_b)
    rng = v.as_rng(rng)
    length = _length(length, _union_size(a, b))
    return _merge(a, b, length, bool(rng.random() < 0.5))


def team_draft_credit(teams, clicked_positions) -> str:
    """'A', 'B' or 'tie': the team whose items got more of the clicks."""
    teams = _teams(teams)
    positions = _positions("clicked_positions", clicked_positions, len(teams))
    clicks_a = sum(teams[p] == "A" for p in positions)
    clicks_b = len(positions) - clicks_a
    return "A" if clicks_a > clicks_b else "B" if clicks_b > clicks_a else "tie"


def _rank_of(ranking):
    return {item: r for r, item in enumerate(ranking, start=1)}


def balanced_credit(ranking_a, ranking_b, interleaved, clicked_positions) -> str:
    """'A', 'B' or 'tie' by Joachims' rule.

    k = min(rank in A, rank in B) of the lowest clicked item (1-based ranks; an item missing
    from a ranking has no rank there); each ranking scores the clicked items in its own top k.
    """
    a, b = _ranking("ranking_a", ranking_a), _ranking("ranking_b", ranking_b)
    shown = _ranking("interleaved", interleaved)
    rank_a, rank_b = _rank_of(a), _rank_of(b)
    stray = [item for item in shown if item not in rank_a and item not in rank_b]
    if stray:
        raise ValueError(f"interleaved holds items in neither ranking: {stray!r}")
    positions = _positions("clicked_positions", clicked_positions, len(shown))
    if not positions:
        return "tie"
    lowest = shown[max(positions)]
    k = min(rank_a.get(lowest, math.inf), rank_b.get(lowest, math.inf))
    clicked = [shown[p] for p in positions]
    h_a = sum(rank_a.get(item, math.inf) <= k for item in clicked)
    h_b = sum(rank_b.get(item, math.inf) <= k for item in clicked)
    return "A" if h_a > h_b else "B" if h_b > h_a else "tie"


# ---- exact enumeration ----------------------------------------------------------

def enumerate_coins(interleave, n_coins) -> tuple:
    """Every outcome of a coin-driven interleaver with its exact probability.

    ``interleave(coins)`` gets a tuple of ``n_coins`` fair coins (True = A first) and returns an
    interleaved list, or an (items, teams) pair; each of the 2**n_coins sequences has probability
    2**-n_coins, and identical outcomes are merged (in order of first appearance).
    """
    n_coins = v.positive_int("n_coins", n_coins, minimum=0)
    if n_coins > MAX_COINS:
        raise ValueError(f"n_coins must be <= {MAX_COINS} (2**n_coins sequences); got {n_coins}")
    weights: dict = {}
    for coins in itertools.product((True, False), repeat=n_coins):
        out = interleave(coins)
        if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], (list, tuple)):
            key = (tuple(out[0]), tuple(out[1]))
        else:
            key = (tuple(out), None)
        weights[key] = weights.get(key, 0) + 1
    total = 2 ** n_coins
    return tuple(Outcome(items, teams, count / total) for (items, teams), count in weights.items())


def team_draft_outcomes(ranking_a, ranking_b, length=None) -> tuple:
    """Every team-draft interleaving of the pair with its exact probability (all coin sequences)."""
    a, b = _ranking("ranking_a", ranking_a), _ranking("ranking_b", ranking_b)
    length = _length(length, _union_size(a, b))
    n_coins = (length + 1) // 2            # at most one coin per round of two picks
    if n_coins > MAX_COINS:
        raise ValueError(f"length must be <= {2 * MAX_COINS} for exact enumeration; got {length}")

    def interleave(coins):
        source = iter(coins)
        return _draft(a, b, length, lambda: next(source))
    return enumerate_coins(interleave, n_coins)


def balanced_outcomes(ranking_a, ranking_b, length=None) -> tuple:
    """Both balanced interleavings of the pair (A leads, B leads), each with probability 1/2."""
    a, b = _ranking("ranking_a", ranking_a), _ranking("ranking_b", ranking_b)
    length = _length(length, _union_size(a, b))
    return enumerate_coins(lambda coins: _merge(a, b, length, coins[0]), 1)


def _outcomes(method, a, b, length):
    v.choice("method", method, METHODS)
    return team_draft_outcomes(a, b, length) if method == "team_draft" else balanced_outcomes(a, b, length)


# ---- click models -------------------------------------------------------------

def reciprocal_examination(length) -> np.ndarray:
    """Examination probability 1 / rank at ranks 1..length (a common position-bias curve)."""
    return 1.0 / np.arange(1, v.positive_int("length", length) + 1)


def _examination(examination, length, model):
    if model == "cascade":
        return np.ones(length)
    if examination is None:
        return reciprocal_examination(length)
    e = np.ravel(v.probability("examination", examination))
    if e.size < length:
        raise ValueError(f"examination must give a probability for each of the {length} positions; "
                         f"got {e.size}")
    return e[:length]


def attractiveness(items, relevance) -> np.ndarray:
    """Click probability of each item when examined: ``relevance[item]`` (a mapping or an array by id)."""
    try:
        values = [relevance[item] for item in items]
    except (KeyError, IndexError, TypeError):
        raise ValueError("relevance must give a value for every item shown (a mapping, or an array "
                         "indexed by integer item ids)") from None
    return np.asarray(v.probability("relevance", np.asarray(values, dtype=float)), dtype=float)


def simulate_clicks(attract, rng, model="pbm", examination=None) -> np.ndarray:
    """Clicks (bool, same shape) on lists whose positions have click-when-examined probabilities ``attract``.

    ``pbm``: position j is examined with probability ``examination[j]`` (default 1/(j+1)) and
    clicked, independently of the others, with probability examination x attractiveness.
    ``cascade`` (Craswell et al. 2008): the user reads top-down, clicks position j with probability
    attract[j] and leaves after the first click. The last axis is the position.
    """
    rng = v.as_rng(rng)
    v.choice("model", model, MODELS)
    attract = np.asarray(v.probability("attract", attract), dtype=float)
    if attract.ndim == 0:
        raise ValueError("attract must have a last axis of positions")
    e = _examination(examination, attract.shape[-1], model)
    clicks = rng.random(attract.shape) < e * attract
    if model == "cascade":
        first = np.cumsum(clicks, axis=-1) == 1
        clicks &= first
    return clicks


def click_through(ranking, relevance, model="pbm", examination=None, length=None) -> float:
    """Exact P(at least one click) when ``ranking`` (its first ``length`` items) is shown alone."""
    items = _ranking("ranking", ranking)
    items = items[:_length(length, len(items))]
    v.choice("model", model, MODELS)
    q = _examination(examination, len(items), model) * attractiveness(items, relevance)
    return float(1 - np.prod(1 - q))


# ---- credit, vectorised over sessions ------------------------------------------

def _team_scores(clicks, is_b):
    b = (clicks & is_b).sum(axis=-1)
    a = (clicks & ~is_b).sum(axis=-1)
    return np.sign(b - a).astype(np.int8)


def _balanced_scores(clicks, rank_a, rank_b):
    """Joachims' rule on rows of clicks; rank_a/rank_b: 1-based rank of each position's item (inf if absent)."""
    any_click = clicks.any(axis=-1)
    length = clicks.shape[-1]
    lowest = length - 1 - np.argmax(clicks[..., ::-1], axis=-1)
    ra = np.take_along_axis(np.broadcast_to(rank_a, clicks.shape), lowest[..., None], axis=-1)
    rb = np.take_along_axis(np.broadcast_to(rank_b, clicks.shape), lowest[..., None], axis=-1)
    k = np.minimum(ra, rb)
    h_a = (clicks & (rank_a <= k)).sum(axis=-1)
    h_b = (clicks & (rank_b <= k)).sum(axis=-1)
    return np.where(any_click, np.sign(h_b - h_a), 0).astype(np.int8)


def _outcome_arrays(outcomes, a, b, relevance):
    attract = np.array([attractiveness(o.items, relevance) for o in outcomes])
    if outcomes[0].teams is not None:
        is_b = np.array([[t == "B" for t in o.teams] for o in outcomes])
        return attract, {"is_b": is_b}
    rank_a, rank_b = _rank_of(a), _rank_of(b)
    ra = np.array([[rank_a.get(i, np.inf) for i in o.items] for o in outcomes], dtype=float)
    rb = np.array([[rank_b.get(i, np.inf) for i in o.items] for o in outcomes], dtype=float)
    return attract, {"rank_a": ra, "rank_b": rb}


def _scores(clicks, arrays):
    if "is_b" in arrays:
        return _team_scores(clicks, arrays["is_b"])
    return _balanced_scores(clicks, arrays["rank_a"], arrays["rank_b"])


def _click_patterns(length, model):
    """All click patterns a session can produce under ``model``: (patterns, bool array)."""
    if model == "cascade":
        return np.vstack([np.zeros(length, bool), np.eye(length, dtype=bool)])
    if length > MAX_PBM_POSITIONS:
        raise ValueError(f"length must be <= {MAX_PBM_POSITIONS} for the exact PBM enumeration "
                         f"(2**length click patterns); got {length}")
    codes = np.arange(2 ** length)
    return (codes[:, None] >> np.arange(length)) & 1 == 1


def _pattern_probabilities(patterns, q, model):
    if model == "cascade":
        reach = np.concatenate([[1.0], np.cumprod(1 - q)])       # P(no click before position j)
        return np.concatenate([[reach[-1]], reach[:-1] * q])       # no click at all, then first click at j
    return np.prod(np.where(patterns, q, 1 - q), axis=-1)


def _outcome_table(outcomes, method, a, b, length):
    """The outcomes given (from ``enumerate_coins``, say) or those of ``method``."""
    if outcomes is None:
        return _outcomes(method, a, b, length)
    outcomes = tuple(outcomes)
    if not outcomes or not all(isinstance(o, Outcome) for o in outcomes):
        raise ValueError("outcomes must be a non-empty sequence of Outcome (from enumerate_coins)")
    if len({len(o.items) for o in outcomes}) > 1 or len({o.teams is None for o in outcomes}) > 1:
        raise ValueError("outcomes must all have the same length, and all or none of them teams")
    if not np.isclose(sum(o.probability for o in outcomes), 1.0, rtol=0, atol=1e-12):
        raise ValueError("outcomes' probabilities must sum to 1")
    return outcomes


def preference_probabilities(ranking_a, ranking_b, relevance, method="team_draft", model="pbm",
                             examination=None, length=None, outcomes=None) -> PreferenceProbabilities:
    """Exact P(A wins), P(B wins), P(tie) of one session: every interleaving x every click pattern.

    ``outcomes`` (optional) replaces ``method``'s interleavings by another table, e.g. a variant's
    from ``enumerate_coins``; outcomes with teams get team-draft credit, without, Joachims' rule.
    """
    a, b = _ranking("ranking_a", ranking_a), _ranking("ranking_b", ranking_b)
    v.choice("model", model, MODELS)
    outcomes = _outcome_table(outcomes, method, a, b, length)
    attract, arrays = _outcome_arrays(outcomes, a, b, relevance)
    size = attract.shape[1]
    e = _examination(examination, size, model)
    patterns = _click_patterns(size, model)
    p_a = p_b = 0.0
    for k, outcome in enumerate(outcomes):
        prob = _pattern_probabilities(patterns, e * attract[k], model)
        score = _scores(patterns, {name: arr[k] for name, arr in arrays.items()})
        p_a += outcome.probability * float(prob[score < 0].sum())
        p_b += outcome.probability * float(prob[score > 0].sum())
    return PreferenceProbabilities(p_a, p_b, 1.0 - p_a - p_b)


def simulate_preferences(ranking_a, ranking_b, relevance, n_sessions, rng, method="team_draft",
                         model="pbm", examination=None, length=None, outcomes=None) -> np.ndarray:
    """Scores of ``n_sessions`` simulated sessions of one query (+1 B wins, -1 A wins, 0 tie), vectorised.

    Each session draws its interleaving from the exact outcome distribution (``method``'s, or the
    ``outcomes`` given), then its clicks from the click model.
    """
    a, b = _ranking("ranking_a", ranking_a), _ranking("ranking_b", ranking_b)
    rng = v.as_rng(rng)
    n_sessions = v.positive_int("n_sessions", n_sessions, minimum=0)
    v.choice("model", model, MODELS)
    outcomes = _outcome_table(outcomes, method, a, b, length)
    attract, arrays = _outcome_arrays(outcomes, a, b, relevance)
    probs = np.array([o.probability for o in outcomes])
    pick = rng.choice(len(outcomes), size=n_sessions, p=probs)
    clicks = simulate_clicks(attract[pick], rng, model, examination)
    return _scores(clicks, {name: arr[pick] for name, arr in arrays.items()})


# ---- the test across sessions -----------------------------------------------------

def preference_test(wins_a, wins_b, ties=0, alpha=0.05) -> PreferenceTest:
    """Exact two-sided sign test of 'no preference' on the sessions with a winner (ties dropped).

    p = min(1, 2 P(Bin(m, 1/2) <= min(wins_a, wins_b))), m = wins_a + wins_b; m = 0 gives p = 1.
    ``delta`` = (wins_b + ties/2) / sessions - 1/2 (Chapelle et al. 2012 state it from A's side).
    Broadcasts over arrays of counts (one entry per simulated experiment).
    """
    alpha = v.unit_open("alpha", alpha)
    wa, wb, t = v.counts("wins_a", wins_a), v.counts("wins_b", wins_b), v.counts("ties", ties)
    v.broadcastable(wins_a=wa, wins_b=wb, ties=t)
    m = wa + wb
    p = np.minimum(1.0, 2 * _sps.binom.cdf(np.minimum(wa, wb), m, 0.5))
    p = np.where(m == 0, 1.0, p)
    n = m + t
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = np.where(n > 0, (wb + t / 2) / np.where(n > 0, n, 1) - 0.5, 0.0)

    def out(x, kind=float):
        arr = np.asarray(x)
        return kind(arr) if arr.ndim == 0 else arr
    return PreferenceTest(out(wa, int), out(wb, int), out(t, int), out(delta), out(p), alpha)


def _critical(m, alpha):
    """Largest c with 2 P(Bin(m, 1/2) <= c) < alpha (-1 if none), for each m."""
    m = np.asarray(m)
    c = _sps.binom.ppf(alpha / 2, m, 0.5).astype(np.int64) - 1
    # guard the last bits of ppf: step c until 2 cdf(c) < alpha <= 2 cdf(c + 1)
    for _ in range(3):
        too_big = (c >= 0) & (2 * _sps.binom.cdf(c, m, 0.5) >= alpha)
        c = np.where(too_big, c - 1, c)
        too_small = 2 * _sps.binom.cdf(c + 1, m, 0.5) < alpha
        c = np.where(too_small, c + 1, c)
    return c


def sign_test_power(p_a, p_b, n_sessions, alpha=0.05, direction="two-sided") -> float:
    """Exact power of ``preference_test`` over ``n_sessions`` sessions with per-session P(A wins), P(B wins).

    ``direction="B"`` counts only rejections with B ahead (detecting B's superiority), ``"A"`` likewise.
    """
    p_a, p_b = v.probability("p_a", p_a), v.probability("p_b", p_b)
    if p_a + p_b > 1 + 1e-12:
        raise ValueError(f"p_a + p_b must be <= 1; got {p_a + p_b}")
    n = v.positive_int("n_sessions", n_sessions)
    alpha = v.unit_open("alpha", alpha)
    v.choice("direction", direction, ("two-sided", "A", "B"))
    decisive = p_a + p_b
    if decisive == 0:
        return 0.0
    theta = p_b / decisive
    m = np.arange(n + 1)
    c = _critical(m, alpha)
    low = np.where(c >= 0, _sps.binom.cdf(c, m, theta), 0.0)                 # wins_b <= c: A ahead
    high = np.where(c >= 0, _sps.binom.sf(m - c - 1, m, theta), 0.0)         # wins_b >= m - c: B ahead
    reject = {"two-sided": low + high, "A": low, "B": high}[direction]
    return float(np.sum(_sps.binom.pmf(m, n, min(decisive, 1.0)) * reject))


def sessions_for_power(p_a, p_b, power=0.8, alpha=0.05, direction="two-sided") -> int:
    """Smallest number of sessions whose exact sign-test power reaches ``power`` (bisection)."""
    power = v.unit_open("power", power)
    p_a, p_b = v.probability("p_a", p_a), v.probability("p_b", p_b)
    if p_a == p_b:
        raise ValueError("p_a and p_b must differ: with no preference no sample size has power")
    high = 16
    while sign_test_power(p_a, p_b, high, alpha, direction) < power:
        high *= 2
        if high > 2 ** 26:
            raise ValueError("p_a and p_b are too close for this power (more than 67 million sessions)")
    low = high // 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if sign_test_power(p_a, p_b, mid, alpha, direction) < power else (low, mid)
    return high
