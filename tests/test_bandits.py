"""labsupport.bandits against published values, exact enumeration, independent re-implementations
and calibration by simulation."""

import itertools
import math

import numpy as np
import pytest
from scipy import integrate
from scipy import stats as sps

from labsupport import bandits, stats

STANDARD = (0.30, 0.35, 0.40, 0.45)      # the lesson's four feed layouts


def _kl(p, q):
    # independent reference: scipy's relative entropy of the two Bernoulli distributions
    return sps.entropy([p, 1 - p], [q, 1 - q])


def _z_band(estimate, expected, se, k=4.5):
    return abs(estimate - expected) <= k * se


# ---- Lai-Robbins constant and UCB1 bound ------------------------------------------------

def test_lai_robbins_constant_of_the_published_problem():
    # SMPyBandits (Besson 2018), Bernoulli arms 0.1, 0.2, ..., 0.9: "lower bound on the regret ...
    # C(mu) = 7.52" (the constant its Environment/MAB.py prints for this problem).
    assert round(bandits.lai_robbins_constant(np.arange(1, 10) / 10), 2) == 7.52


@pytest.mark.parametrize("means", [(0.5, 0.6), (0.1, 0.5, 0.9), STANDARD, (0.02, 0.03, 0.05, 0.04),
                                   (0.0, 0.3), (0.7, 0.2, 0.7)])
def test_lai_robbins_constant_matches_scipy_entropy(means):
    best = max(means)
    expected = sum((best - m) / _kl(m, best) for m in means if m < best)
    assert bandits.lai_robbins_constant(means) == pytest.approx(expected, rel=1e-12)


def test_lai_robbins_constant_by_hand():
    # (0.5, 0.6): KL(0.5 || 0.6) = 0.5 ln(0.5 / 0.6) + 0.5 ln(0.5 / 0.4) = 0.5 ln(25 / 24)
    assert bandits.lai_robbins_constant([0.5, 0.6]) == pytest.approx(0.1 / (0.5 * math.log(25 / 24)))
    assert bandits.lai_robbins_constant([0.4, 0.4]) == 0.0                      # no suboptimal arm
    assert bandits.lai_robbins_constant([0.3, 1.0]) == 0.0                      # KL infinite: term 0
    assert bandits.lai_robbins_constant([0.3, 0.6, 1.0]) == 0.0


def test_bernoulli_kl_matches_scipy_and_is_asymmetric():
    for p, q in [(0.1, 0.9), (0.5, 0.6), (0.0, 0.4), (0.99, 0.5)]:
        assert bandits.bernoulli_kl(p, q) == pytest.approx(_kl(p, q), rel=1e-12)
    assert bandits.bernoulli_kl(0.2, 0.2) == 0.0
    assert bandits.bernoulli_kl(0.5, 1.0) == np.inf
    assert bandits.bernoulli_kl(0.1, 0.3) != pytest.approx(bandits.bernoulli_kl(0.3, 0.1))


def test_ucb1_regret_bound_by_hand():
    # Auer, Cesa-Bianchi & Fischer (2002), Theorem 1, for (0.5, 0.6) after 1000 rounds:
    # 8 ln(1000) / 0.1 + (1 + pi^2 / 3) * 0.1
    assert bandits.ucb1_regret_bound([0.5, 0.6], 1000) == pytest.approx(
        80 * math.log(1000) + 0.1 * (1 + math.pi ** 2 / 3), rel=1e-12)
    t = np.array([10, 100, 1000])
    gaps = np.array([0.15, 0.10, 0.05])
    assert bandits.ucb1_regret_bound(STANDARD, t) == pytest.approx(
        8 * np.log(t) * (1 / gaps).sum() + (1 + np.pi ** 2 / 3) * gaps.sum())


def test_ucb1_regret_stays_below_its_bound():
    res = bandits.simulate("ucb1", STANDARD, 2000, 500, rng=3)
    t = np.array([10, 100, 1000, 2000])
    assert (res.regret[:, t - 1].mean(axis=0) < bandits.ucb1_regret_bound(STANDARD, t)).all()


# ---- simulate: bookkeeping ---------------------------------------------------------------

@pytest.mark.parametrize("policy, params", [("uniform", {}), ("epsilon-greedy", {"epsilon": 0.2}),
                                            ("epsilon-greedy", {"decay": 2.0}), ("ucb1", {}),
                                            ("thompson", {}), ("thompson", {"uniform_share": 0.3})])
@pytest.mark.parametrize("batch", [1, 7])
def test_simulate_bookkeeping(policy, params, batch):
    res = bandits.simulate(policy, STANDARD, 300, 50, rng=11, batch=batch, **params)
    assert res.arms.shape == res.rewards.shape == res.regret.shape == (50, 300)
    assert res.pulls.shape == (50, 4)
    assert (res.pulls.sum(axis=1) == 300).all()
    assert ((res.arms >= 0) & (res.arms < 4)).all()
    assert set(np.unique(res.rewards)) <= {0, 1}
    for a in range(4):
        assert (res.pulls[:, a] == (res.arms == a).sum(axis=1)).all()
    gaps = 0.45 - np.asarray(STANDARD)
    assert np.allclose(res.regret, np.cumsum(gaps[res.arms], axis=1))
    assert (np.diff(res.regret, axis=1) >= 0).all()
    assert f"policy={policy!r}" in repr(res) and "final regret" in repr(res)


def test_same_seed_same_runs_other_seed_other_runs():
    one = bandits.simulate("thompson", STANDARD, 200, 20, rng=5)
    two = bandits.simulate("thompson", STANDARD, 200, 20, rng=np.random.default_rng(5))
    other = bandits.simulate("thompson", STANDARD, 200, 20, rng=6)
    assert np.array_equal(one.arms, two.arms) and np.array_equal(one.rewards, two.rewards)
    assert not np.array_equal(one.arms, other.arms)


def test_rewards_are_bernoulli_with_the_arm_means():
    res = bandits.simulate("uniform", STANDARD, 2000, 200, rng=8)
    for a, m in enumerate(STANDARD):
        n = int((res.arms == a).sum())
        rate = res.rewards[res.arms == a].mean()
        low, high = stats.binomial_band(m, n, 0.999)
        assert low <= rate <= high


def test_first_rounds_play_each_arm_once():
    for policy in ("ucb1", "epsilon-greedy"):
        res = bandits.simulate(policy, STANDARD, 10, 30, rng=2, batch=3)
        assert (res.arms[:, :4] == np.arange(4)).all()


# ---- simulate: regret ---------------------------------------------------------------------

def test_uniform_allocation_expected_regret_is_exact():
    # Each round the gap of a uniformly drawn arm: E[R_t] = t * mean(gap), Var[R_t] = t * var(gap).
    n_runs, horizon = 4000, 500
    res = bandits.simulate("uniform", STANDARD, horizon, n_runs, rng=21)
    gaps = 0.45 - np.asarray(STANDARD)
    for t in (1, 10, 100, 500):
        expected, se = t * gaps.mean(), math.sqrt(t * gaps.var() / n_runs)
        assert _z_band(res.regret[:, t - 1].mean(), expected, se)


def test_thompson_and_ucb1_regret_grow_like_log_t():
    # Logarithmic growth: the regret added in each tenfold stretch of time stays about the same
    # (linear growth would multiply it by ten). Lai & Robbins: at least C(mu) ln t in the limit.
    for policy in ("thompson", "ucb1"):
        res = bandits.simulate(policy, (0.3, 0.6), 10_000, 400, rng=31)
        r = res.regret.mean(axis=0)
        decade_2, decade_3 = r[999] - r[99], r[9999] - r[999]
        assert 0.5 * decade_2 < decade_3 < 2 * decade_2
    uniform = bandits.simulate("uniform", (0.3, 0.6), 10_000, 50, rng=31).regret.mean(axis=0)
    assert uniform[9999] - uniform[999] > 8 * (uniform[999] - uniform[99])


def test_thompson_approaches_the_lai_robbins_slope():
    means = (0.3, 0.6)
    res = bandits.simulate("thompson", means, 10_000, 400, rng=32)
    slope = (res.regret[:, 9999] - res.regret[:, 999]).mean() / math.log(10)
    c = bandits.lai_robbins_constant(means)
    assert 0.7 * c < slope < 1.5 * c
    ucb = bandits.simulate("ucb1", means, 10_000, 400, rng=32)
    assert (ucb.regret[:, 9999] - ucb.regret[:, 999]).mean() / math.log(10) > 2 * c


def test_ordering_thompson_ucb1_uniform_on_the_standard_problem():
    final = {}
    for policy in ("thompson", "ucb1", "uniform"):
        r = bandits.simulate(policy, STANDARD, 3000, 1000, rng=41).regret[:, -1]
        final[policy] = (r.mean(), r.std(ddof=1) / math.sqrt(r.size))

    def clearly_below(a, b):
        return final[a][0] + 5 * math.hypot(final[a][1], final[b][1]) < final[b][0]

    assert clearly_below("thompson", "ucb1") and clearly_below("ucb1", "uniform")


def test_greedy_locks_onto_a_worse_arm_in_some_runs():
    res = bandits.simulate("epsilon-greedy", (0.5, 0.6), 500, 2000, rng=4, epsilon=0.0)
    locked = (res.pulls[:, 1] <= 2).mean()
    # locked for ever when the first pulls give arm 0 a success and arm 1 a failure: 0.5 * 0.4 = 0.2,
    # plus later lock-ins; an exploring policy almost never does it
    assert locked > 0.18
    explore = bandits.simulate("epsilon-greedy", (0.5, 0.6), 500, 2000, rng=4, epsilon=0.1)
    assert (explore.pulls[:, 1] <= 2).mean() < 0.005


# ---- simulate: the policies' rules, re-implemented -------------------------------------

def _frozen_stats(res, t, batch, k):
    start = batch * (t // batch)
    arms, rewards = res.arms[:, :start], res.rewards[:, :start]
    n = np.stack([(arms == a).sum(axis=1) for a in range(k)], axis=1)
    s = np.stack([((arms == a) * rewards).sum(axis=1) for a in range(k)], axis=1)
    return n, s, start


@pytest.mark.parametrize("batch", [1, 25])
def test_ucb1_plays_the_largest_index_of_the_frozen_statistics(batch):
    k = len(STANDARD)
    res = bandits.simulate("ucb1", STANDARD, 300, 100, rng=51, batch=batch)
    checked = 0
    for t in range(k, 300):
        n, s, observed = _frozen_stats(res, t, batch, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            index = np.where(n == 0, np.inf, s / n + np.sqrt(2 * np.log(max(observed, 1)) / n))
        top = index.max(axis=1, keepdims=True)
        unique = (np.isclose(index, top, rtol=1e-12) | (index == top)).sum(axis=1) == 1
        assert (res.arms[unique, t] == index[unique].argmax(axis=1)).all()
        checked += unique.sum()
    assert checked > 0.9 * 100 * (300 - k)


def test_greedy_plays_the_best_observed_mean():
    k = len(STANDARD)
    res = bandits.simulate("epsilon-greedy", STANDARD, 200, 100, rng=52, epsilon=0.0, batch=10)
    for t in range(k, 200):
        n, s, _ = _frozen_stats(res, t, 10, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(n == 0, np.inf, s / n)
        best = mean.max(axis=1, keepdims=True)
        assert (mean[np.arange(100), res.arms[:, t]] == best[:, 0]).all()


def test_batch_freezes_the_policy_between_updates():
    # With one batch as long as the horizon the policy never learns: Thompson draws from Beta(1, 1)
    # every round (uniform allocation), UCB1 plays every arm once and then picks at random.
    for policy in ("thompson", "ucb1"):
        res = bandits.simulate(policy, STANDARD, 400, 500, rng=53, batch=400)
        share = res.pulls[:, 3].sum() / res.pulls.sum()
        low, high = stats.binomial_band(0.25, res.pulls.sum(), 0.999)
        assert low <= share <= high
    # ...and a UCB1 batch of 50 plays one arm for the whole batch when its index is unique
    res = bandits.simulate("ucb1", STANDARD, 1000, 200, rng=54, batch=50)
    blocks = res.arms[:, 100:].reshape(200, -1, 50)
    assert (blocks == blocks[..., :1]).all(axis=2).mean() > 0.95
    once = bandits.simulate("ucb1", STANDARD, 1000, 200, rng=54, batch=1)
    assert (once.arms[:, 100:].reshape(200, -1, 50) == once.arms[:, 100:].reshape(200, -1, 50)[..., :1]
            ).all(axis=2).mean() < 0.8


def test_thompson_second_round_probabilities_are_exact():
    # After one success on arm a: P(Beta(2, 1) > Beta(1, 1)) = integral of 2x * x = 2/3; after a failure
    # P(Beta(1, 2) > Beta(1, 1)) = integral of 2(1 - x) x = 1/3. Means 0.5, so either happens often.
    n = 40_000
    res = bandits.simulate("thompson", (0.5, 0.5), 2, n, rng=55)
    repeat = res.arms[:, 1] == res.arms[:, 0]
    win = res.rewards[:, 0] == 1
    p_after_win = integrate.quad(lambda x: 2 * x * x, 0, 1)[0]
    for flags, p in ((repeat[win], p_after_win), (repeat[~win], 1 - p_after_win)):
        low, high = stats.binomial_band(p, flags.size, 0.999)
        assert low <= flags.mean() <= high
    first = stats.binomial_band(0.5, n, 0.999)
    assert first[0] <= (res.arms[:, 0] == 0).mean() <= first[1]


def test_thompson_batch_keeps_the_posterior_of_the_batch_start():
    # batch = 2: round 1 still uses Beta(1, 1) for both arms, whatever round 0 gave
    res = bandits.simulate("thompson", (0.9, 0.1), 2, 40_000, rng=56, batch=2)
    low, high = stats.binomial_band(0.5, 40_000, 0.999)
    assert low <= (res.arms[:, 1] == 0).mean() <= high


def test_decaying_epsilon_explores_less_over_time():
    res = bandits.simulate("epsilon-greedy", STANDARD, 2000, 500, rng=57, decay=5.0)
    early, late = (res.arms[:, 20:100] != 3).mean(), (res.arms[:, 1500:] != 3).mean()
    assert late < early / 2
    fixed = bandits.simulate("epsilon-greedy", STANDARD, 2000, 500, rng=57, epsilon=0.1)
    # a fixed epsilon keeps paying epsilon * (k - 1) / k of the rounds on other arms
    assert (fixed.arms[:, 1500:] != 3).mean() > 0.1 * 3 / 4 * 0.9


# ---- propensities and the uniform slice --------------------------------------------------

def test_propensities_give_unbiased_inverse_propensity_means():
    # (1/T) sum 1{A_t = a} R_t / pi_t(a) is unbiased for the mean of arm a under any adaptive policy
    # with known propensities; the sample mean of arm a is not (Nie et al. 2018).
    n_runs, horizon = 4000, 100
    means = np.array([0.4, 0.5])
    res = bandits.simulate("epsilon-greedy", means, horizon, n_runs, rng=61, epsilon=0.2)
    for a, m in enumerate(means):
        est = ((res.arms == a) * res.rewards / res.propensities).mean(axis=1)
        assert _z_band(est.mean(), m, est.std(ddof=1) / math.sqrt(n_runs))
    uniform = bandits.simulate("uniform", STANDARD, 10, 5, rng=1)
    assert np.allclose(uniform.propensities, 0.25)
    ucb = bandits.simulate("ucb1", STANDARD, 50, 5, rng=1)
    assert ((ucb.propensities > 0) & (ucb.propensities <= 1)).all()
    assert bandits.simulate("thompson", STANDARD, 10, 5, rng=1).propensities is None


def test_propensities_with_a_uniform_slice_mix_in_its_share():
    # with a uniform slice of share u, P(arm) = u / k + (1 - u) * P(policy picks the arm)
    res = bandits.simulate("epsilon-greedy", (0.2, 0.8), 30, 200, rng=66, epsilon=0.3, uniform_share=0.4)
    later = res.propensities[:, 2:]
    policy_part = np.array([0.7 + 0.15, 0.15, 0.5])
    assert np.isclose(later[..., None], 0.4 / 2 + 0.6 * policy_part).any(axis=-1).all()
    first = res.propensities[:, :2]                       # each arm once by rule, unless the slice overrides
    assert np.isin(np.round(first, 12), [round(0.2 + 0.6, 12), 0.2]).all()
    n_runs = 4000
    res = bandits.simulate("ucb1", (0.4, 0.5), 100, n_runs, rng=67, uniform_share=0.3)
    for a, m in enumerate((0.4, 0.5)):
        est = ((res.arms == a) * res.rewards / res.propensities).mean(axis=1)
        assert _z_band(est.mean(), m, est.std(ddof=1) / math.sqrt(n_runs))


def test_eps_greedy_propensities_by_hand():
    res = bandits.simulate("epsilon-greedy", (0.2, 0.8), 30, 200, rng=62, epsilon=0.3)
    assert (res.propensities[:, :2] == 1).all()                     # each arm once, by rule
    later = res.propensities[:, 2:]
    greedy_unique = np.isclose(later, 0.7 + 0.15) | np.isclose(later, 0.15)
    tie = np.isclose(later, 0.5)
    assert (greedy_unique | tie).all()


def test_sample_means_are_biased_downward_under_adaptive_allocation():
    res = bandits.simulate("epsilon-greedy", (0.5, 0.5), 50, 20_000, rng=63, epsilon=0.1)
    for a in range(2):
        mean = ((res.arms == a) * res.rewards).sum(axis=1) / res.pulls[:, a]
        assert mean.mean() + 4 * mean.std(ddof=1) / math.sqrt(mean.size) < 0.5


def test_uniform_slice_share_and_aa_calibration():
    # The z test on the uniformly allocated slice of a Thompson bandit is an A/B test: under A/A
    # it rejects at its nominal level (20,000 runs).
    n_runs = 20_000
    res = bandits.simulate("thompson", (0.5, 0.5), 400, n_runs, rng=64, uniform_share=0.25)
    low, high = stats.binomial_band(0.25, res.uniform_slice.size, 0.999)
    assert low <= res.uniform_slice.mean() <= high
    in_b = res.uniform_slice & (res.arms == 1)
    in_a = res.uniform_slice & (res.arms == 0)
    test = stats.two_proportion_ztest((res.rewards * in_a).sum(1), in_a.sum(1),
                                      (res.rewards * in_b).sum(1), in_b.sum(1))
    rate = test.reject.mean()
    low, high = stats.binomial_band(0.05, n_runs, 0.999)
    assert low <= rate <= high
    # the same test on all the bandit's data does not hold its level
    all_a, all_b = res.arms == 0, res.arms == 1
    naive = stats.two_proportion_ztest((res.rewards * all_a).sum(1), all_a.sum(1),
                                       (res.rewards * all_b).sum(1), all_b.sum(1))
    assert naive.reject.mean() > high


def test_time_varying_means_use_each_rounds_gap():
    horizon = 100
    means = np.tile([0.2, 0.6], (horizon, 1))
    means[50:] = [0.7, 0.3]
    res = bandits.simulate("uniform", means, horizon, 300, rng=65)
    gaps = means.max(axis=1, keepdims=True) - means
    step = np.take_along_axis(gaps, res.arms.T, axis=1).T
    assert np.allclose(res.regret, np.cumsum(step, axis=1))
    late = res.rewards[:, 50:][res.arms[:, 50:] == 0].mean()
    assert late > 0.6


# ---- contextual bandits ---------------------------------------------------------------

# the lesson's feed: intercept, mobile, new user; popular items, a video carousel, personalised picks
COEFS = [[0.31, 0.00, 0.00], [0.18, 0.22, 0.00], [0.34, 0.00, -0.26]]
FEATURES = [0.5, 0.3]


def test_click_probabilities_are_the_linear_model():
    x = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1]], dtype=float)
    assert np.allclose(bandits.click_probabilities(COEFS, x), x @ np.asarray(COEFS).T)


def _linucb_reference(coefs, feature_probs, horizon, n_runs, seed, alpha):
    """LinUCB written per run with explicit matrix inverses (Li et al. 2010, Algorithm 1)."""
    rng = np.random.default_rng(seed)
    coefs = np.asarray(coefs)
    k, d = coefs.shape
    a_mat = np.broadcast_to(np.eye(d), (n_runs, k, d, d)).copy()
    b = np.zeros((n_runs, k, d))
    arms = np.empty((n_runs, horizon), dtype=int)
    for t in range(horizon):
        x = np.ones((n_runs, d))
        x[:, 1:] = rng.random((n_runs, d - 1)) < feature_probs
        index = np.empty((n_runs, k))
        for r in range(n_runs):
            for a in range(k):
                inv = np.linalg.inv(a_mat[r, a])
                index[r, a] = inv @ b[r, a] @ x[r] + alpha * math.sqrt(x[r] @ inv @ x[r])
        tied = np.isclose(index, index.max(axis=1, keepdims=True), rtol=1e-9, atol=1e-12)
        arm = index.argmax(axis=1)
        ties = tied.sum(axis=1) > 1
        if ties.any():
            arm[ties] = np.where(tied[ties], rng.random((int(ties.sum()), k)), -1).argmax(axis=1)
        p = x @ coefs.T
        reward = rng.random(n_runs) < p[np.arange(n_runs), arm]
        for r in range(n_runs):
            a_mat[r, arm[r]] += np.outer(x[r], x[r])
            b[r, arm[r]] += reward[r] * x[r]
        arms[:, t] = arm
    return arms


def test_linucb_matches_a_per_run_implementation_with_matrix_inverses():
    res = bandits.simulate_contextual("linucb", COEFS, FEATURES, 120, 6, rng=71, alpha=0.8)
    ref = _linucb_reference(COEFS, FEATURES, 120, 6, 71, 0.8)
    assert np.array_equal(res.arms, ref)


def test_linucb_beats_context_blind_thompson():
    final = {p: bandits.simulate_contextual(p, COEFS, FEATURES, 2000, 300, rng=72).regret[:, -1]
             for p in ("linucb", "thompson", "uniform")}
    assert final["linucb"].mean() < 0.5 * final["thompson"].mean() < final["uniform"].mean()
    # blind to the context, Thompson cannot serve each user's best arm: its regret grows linearly
    th = bandits.simulate_contextual("thompson", COEFS, FEATURES, 2000, 100, rng=73).regret.mean(axis=0)
    assert th[1999] - th[999] > 0.8 * th[999]


def test_contextual_regret_is_against_each_users_best_arm():
    res = bandits.simulate_contextual("uniform", COEFS, FEATURES, 3000, 200, rng=74)
    corners = [(f1, f2) for f1 in (0, 1) for f2 in (0, 1)]
    w = [(FEATURES[0] if f1 else 1 - FEATURES[0]) * (FEATURES[1] if f2 else 1 - FEATURES[1])
         for f1, f2 in corners]
    p = np.array([bandits.click_probabilities(COEFS, np.array([1.0, f1, f2])) for f1, f2 in corners])
    expected = sum(wi * (pi.max() - pi.mean()) for wi, pi in zip(w, p))
    per_round = res.regret[:, -1] / 3000
    assert _z_band(per_round.mean(), expected, per_round.std(ddof=1) / math.sqrt(200))


def test_contextual_batch_and_repr():
    res = bandits.simulate_contextual("linucb", COEFS, FEATURES, 100, 20, rng=75, batch=100)
    assert (res.pulls.sum(axis=1) == 100).all() and res.batch == 100
    assert "linucb" in repr(res)


# ---- off-policy evaluation ---------------------------------------------------------------

def _enumerate_logs(logging, reward_means, n):
    """Every data set of n records (action, 0/1 reward) and its probability, for fixed per-record policies."""
    logging, reward_means = np.asarray(logging), np.asarray(reward_means)
    k = logging.shape[-1]
    outcomes = list(itertools.product(range(k), (0, 1)))
    actions, rewards, probs = [], [], []
    for combo in itertools.product(outcomes, repeat=n):
        a = np.array([c[0] for c in combo])
        r = np.array([c[1] for c in combo])
        pl = logging[np.arange(n), a] if logging.ndim == 2 else logging[a]
        m = reward_means[np.arange(n), a] if reward_means.ndim == 2 else reward_means[a]
        probs.append(np.prod(pl * np.where(r == 1, m, 1 - m)))
        actions.append(a)
        rewards.append(r)
    return np.array(actions), np.array(rewards, dtype=float), np.array(probs)


LOGGING = np.array([0.7, 0.2, 0.1])
TARGET = np.array([0.1, 0.3, 0.6])
MEANS = np.array([0.3, 0.5, 0.8])
MODEL = np.array([0.4, 0.4, 0.6])                 # a wrong reward model


def _exact(method, n=3, logging=LOGGING, target=TARGET, means=MEANS, model=MODEL):
    acts, rews, probs = _enumerate_logs(logging, means, n)
    assert probs.sum() == pytest.approx(1.0)
    est = bandits.off_policy_value(acts, rews, logging, target, method, reward_model=model)
    values = np.asarray(est.value)
    mean = (probs * values).sum()
    return mean, (probs * (values - mean) ** 2).sum()


def test_ips_and_dr_are_unbiased_by_exact_enumeration():
    truth = (TARGET * MEANS).sum()
    for method in ("ips", "dr"):
        assert _exact(method)[0] == pytest.approx(truth, abs=1e-12)


def test_snips_is_biased_at_small_n_and_consistent():
    truth = (TARGET * MEANS).sum()
    bias_3 = _exact("snips", 3)[0] - truth
    bias_5 = _exact("snips", 5)[0] - truth
    assert abs(bias_3) > 1e-3 and abs(bias_5) < abs(bias_3)
    # ...with less variance than IPS
    assert _exact("snips", 3)[1] < _exact("ips", 3)[1]


def test_direct_method_bias_is_its_model_error():
    truth = (TARGET * MEANS).sum()
    mean, var = _exact("dm")
    assert mean - truth == pytest.approx((TARGET * (MODEL - MEANS)).sum(), abs=1e-12)
    assert var == pytest.approx(0.0, abs=1e-15)                   # a fixed model: no variance at all
    assert _exact("dr", model=MEANS)[1] < _exact("ips")[1]        # the right model cuts DR's variance


def test_per_record_policies_by_exact_enumeration():
    logging = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    target = np.array([[1.0, 0.0], [0.3, 0.7], [0.5, 0.5]])
    means = np.array([[0.2, 0.6], [0.5, 0.1], [0.9, 0.4]])
    model = np.array([[0.3, 0.3], [0.3, 0.3], [0.6, 0.6]])
    truth = (target * means).sum(axis=1).mean()
    for method in ("ips", "dr"):
        assert _exact(method, 3, logging, target, means, model)[0] == pytest.approx(truth, abs=1e-12)
    dm = _exact("dm", 3, logging, target, means, model)[0]
    assert dm - truth == pytest.approx((target * (model - means)).sum(axis=1).mean(), abs=1e-12)


def test_formulas_on_a_small_log():
    acts = np.array([0, 1, 1, 0])
    rews = np.array([1.0, 0.0, 1.0, 1.0])
    logging, target, model = [0.5, 0.5], [0.2, 0.8], [0.6, 0.3]
    w = np.array([0.4, 1.6, 1.6, 0.4])
    assert float(bandits.off_policy_value(acts, rews, logging, target, "ips")) == pytest.approx((w * rews).mean())
    assert bandits.off_policy_value(acts, rews, logging, target, "snips").value == pytest.approx(
        (w * rews).sum() / w.sum())
    dm = 0.2 * 0.6 + 0.8 * 0.3
    assert bandits.off_policy_value(acts, rews, logging, target, "dm", model).value == pytest.approx(dm)
    dr = dm + (w * (rews - np.array([0.6, 0.3, 0.3, 0.6]))).mean()
    est = bandits.off_policy_value(acts, rews, logging, target, "dr", model)
    assert est.value == pytest.approx(dr)
    assert est.effective_sample_size == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    assert "dr" in repr(est) and "ESS" in repr(est)


def test_ips_interval_coverage():
    # 20,000 logged data sets of 1,000 records: the 95% interval value ± 1.96 SE covers the truth
    n_sims, n = 20_000, 1000
    rng = np.random.default_rng(81)
    logging, target, means = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5]), np.array([0.3, 0.5, 0.6])
    acts = (rng.random((n_sims, n))[..., None] > np.cumsum(logging)).sum(axis=-1)
    rews = (rng.random((n_sims, n)) < means[acts]).astype(float)
    truth = (target * means).sum()
    for method in ("ips", "dr", "snips"):
        est = bandits.off_policy_value(acts, rews, logging, target, method, reward_model=[0.4, 0.4, 0.4])
        covered = np.abs(est.value - truth) <= 1.96 * est.se
        low, high = stats.binomial_band(0.95, n_sims, 0.999)
        assert low <= covered.mean() <= high, method


def test_no_overlap_is_reported_and_biases_ips():
    # a deterministic logging policy never shows arm 1: IPS sees only arm 0's rewards
    acts = np.zeros(500, dtype=int)
    rews = (np.random.default_rng(82).random(500) < 0.3).astype(float)
    est = bandits.off_policy_value(acts, rews, [1.0, 0.0], [0.5, 0.5], "ips")
    assert est.unsupported_mass == pytest.approx(0.5)
    assert est.value == pytest.approx(0.5 * rews.mean())
    assert bandits.off_policy_value(acts, rews, [0.5, 0.5], [0.5, 0.5]).unsupported_mass == 0.0


# ---- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: bandits.lai_robbins_constant([0.2, 1.2]), "means"),
    (lambda: bandits.lai_robbins_constant([0.2]), "means"),
    (lambda: bandits.lai_robbins_constant([[0.2, 0.3]]), "means"),
    (lambda: bandits.ucb1_regret_bound([0.2, 0.3], 0), "t"),
    (lambda: bandits.bernoulli_kl(-0.1, 0.5), "p"),
    (lambda: bandits.simulate("thompson", [0.5, -0.1], 10, 5), "means"),
    (lambda: bandits.simulate("thompson", [0.5], 10, 5), "means"),
    (lambda: bandits.simulate("thompson", np.full((3, 2), 0.5), 10, 5), "means"),
    (lambda: bandits.simulate("thompson", [0.5, 0.4], 0, 5), "horizon"),
    (lambda: bandits.simulate("thompson", [0.5, 0.4], 10, 0), "n_runs"),
    (lambda: bandits.simulate("thompson", [0.5, 0.4], 10, 5, batch=0), "batch"),
    (lambda: bandits.simulate("softmax", [0.5, 0.4], 10, 5), "policy"),
    (lambda: bandits.simulate("ucb1", [0.5, 0.4], 10, 5, epsilon=0.1), "epsilon"),
    (lambda: bandits.simulate("epsilon-greedy", [0.5, 0.4], 10, 5, epsilon=1.5), "epsilon"),
    (lambda: bandits.simulate("epsilon-greedy", [0.5, 0.4], 10, 5, decay=-1.0), "decay"),
    (lambda: bandits.simulate("epsilon-greedy", [0.5, 0.4], 10, 5, epsilon=0.1, decay=1.0), "decay"),
    (lambda: bandits.simulate("thompson", [0.5, 0.4], 10, 5, uniform_share=1.0), "uniform_share"),
    (lambda: bandits.simulate("thompson", [0.5, 0.4], 10, 5, rng="seed"), "rng"),
    (lambda: bandits.simulate_contextual("greedy", COEFS, FEATURES, 10, 5), "policy"),
    (lambda: bandits.simulate_contextual("linucb", [[0.9, 0.2, 0.0], [0.1, 0.0, 0.0]], FEATURES, 10, 5),
     "coefs"),
    (lambda: bandits.simulate_contextual("linucb", [[0.5, 0.1], [0.1, 0.0]], FEATURES, 10, 5), "coefs"),
    (lambda: bandits.simulate_contextual("linucb", [[0.5, 0.1, 0.1]], FEATURES, 10, 5), "coefs"),
    (lambda: bandits.simulate_contextual("linucb", COEFS, [0.5, 1.5], 10, 5), "feature_probs"),
    (lambda: bandits.simulate_contextual("linucb", COEFS, FEATURES, 10, 5, alpha=-1), "alpha"),
    (lambda: bandits.simulate_contextual("linucb", COEFS, FEATURES, 0, 5), "horizon"),
    (lambda: bandits.off_policy_value([0, 1], [1, 0], [0.5, 0.6], [0.5, 0.5]), "logging_policy"),
    (lambda: bandits.off_policy_value([0, 1], [1, 0], [0.5, 0.5], [0.9, 0.5]), "target_policy"),
    (lambda: bandits.off_policy_value([0, 1], [1, 0], [1.0, 0.0], [0.5, 0.5]), "logging_policy"),
    (lambda: bandits.off_policy_value([0, 1], [1, 0], [0.5, 0.5], [0.5, 0.5], method="magic"), "method"),
    (lambda: bandits.off_policy_value([0, 1], [1, 0], [0.5, 0.5], [0.5, 0.5], method="dr"), "reward_model"),
    (lambda: bandits.off_policy_value([0, 1], [1, 0], [0.5, 0.5], [0.5, 0.5], "dm", [0.1, 0.2, 0.3]),
     "reward_model"),
    (lambda: bandits.off_policy_value([0, 2], [1, 0], [0.5, 0.5], [0.5, 0.5]), "actions"),
    (lambda: bandits.off_policy_value([0, -1], [1, 0], [0.5, 0.5], [0.5, 0.5]), "actions"),
    (lambda: bandits.off_policy_value([0, 1], [1, 0, 1], [0.5, 0.5], [0.5, 0.5]), "rewards"),
    (lambda: bandits.off_policy_value([0, 1], [1, 0], [0.5, 0.5], [1 / 3] * 3), "target_policy"),
    (lambda: bandits.off_policy_value([0, 1], [1, 0], [[0.5, 0.5]] * 3, [0.5, 0.5]), "logging_policy"),
    (lambda: bandits.off_policy_value([0, 1], [1, 0], [1.0], [1.0]), "logging_policy"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
