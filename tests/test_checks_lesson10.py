"""The lesson 10 checks: a right answer passes, known wrong ones get a hint naming the mistake."""

import math

import numpy as np
import pytest
from checkhelpers import assert_try_again
from scipy import special

from labsupport import bandits
from labsupport.checks import lesson10 as check


# ---- reference solutions, written independently of labsupport (numpy and scipy only) ----------

def thompson_step(alpha, beta, rewards, rng):
    arms = rng.beta(alpha, beta).argmax(axis=1)
    played = np.eye(alpha.shape[1])[arms]
    return arms, alpha + played * rewards, beta + played * (1 - rewards)


def lai_robbins(means):
    mu = np.asarray(means, dtype=float)
    best = mu.max()
    sub = mu[mu < best]
    kl = (special.xlogy(sub, sub) - special.xlogy(sub, best)
          + special.xlogy(1 - sub, 1 - sub) - special.xlogy(1 - sub, 1 - best))
    return float(((best - sub) / kl).sum())


def ips_dr(actions, rewards, logging_probs, target_probs, reward_model):
    rows = np.arange(len(actions))
    w = target_probs[rows, actions] / logging_probs[rows, actions]
    ips = np.mean(w * rewards)
    dr = np.mean((target_probs * reward_model).sum(axis=1) + w * (rewards - reward_model[rows, actions]))
    return float(ips), float(dr)


def batched_thompson_regret(means, horizon, n_runs, batch, rng, *, mode="right"):
    means = np.asarray(means, dtype=float)
    k = len(means)
    alpha, beta = np.ones((n_runs, k)), np.ones((n_runs, k))
    frozen = (alpha.copy(), beta.copy())
    rows, regret = np.arange(n_runs), np.zeros(n_runs)
    arm = None
    for t in range(horizon):
        if t % batch == 0:
            frozen = (alpha.copy(), beta.copy())
        if mode == "no batch":
            frozen = (alpha, beta)
        if mode != "one draw per batch" or t % batch == 0:
            arm = rng.beta(*frozen).argmax(axis=1)
        reward = rng.random(n_runs) < means[arm]
        if mode != "last round only" or (t + 1) % batch == 0:
            alpha[rows, arm] += reward
            beta[rows, arm] += 1 - reward
        regret += means.max() - means[arm]
    return float(regret.mean())


def arm_mean_bias(means, horizon, epsilon):
    """Forward pass over the distribution of states (pulls, successes) after each round."""
    k = len(means)
    states = {((0,) * k, (0,) * k): 1.0}
    for t in range(horizon):
        following = {}
        for (n, s), prob in states.items():
            if t < k:
                choice = [1.0 if a == t else 0.0 for a in range(k)]
            else:
                rates = [s[a] / n[a] for a in range(k)]
                top = [a for a in range(k) if rates[a] == max(rates)]
                choice = [epsilon / k + ((1 - epsilon) / len(top) if a in top else 0.0) for a in range(k)]
            for a in range(k):
                for click in (0, 1):
                    p = prob * choice[a] * (means[a] if click else 1 - means[a])
                    if p > 0:
                        key = (tuple(n[i] + (i == a) for i in range(k)), tuple(s[i] + click * (i == a)
                                                                               for i in range(k)))
                        following[key] = following.get(key, 0.0) + p
        states = following
    expected = np.zeros(k)
    for (n, s), prob in states.items():
        expected += prob * np.array(s) / np.array(n)
    return expected - np.asarray(means)


TASKS = [(check.task1, thompson_step), (check.task2, lai_robbins), (check.task3, ips_dr),
         (check.task4, batched_thompson_regret), (check.task5, arm_mean_bias)]


# ---- the checks' own references -----------------------------------------------------------------

def test_the_tabulated_regret_references_reproduce():
    # each tabulated (mean, sd) against a fresh simulation of 20,000 runs on another seed
    for (means, horizon, batch), (mean, sd) in check.REFERENCE.items():
        final = bandits.simulate("thompson", means, horizon, 20_000, rng=99, batch=batch).regret[:, -1]
        assert abs(final.mean() - mean) < 4.5 * sd * math.sqrt(1 / 20_000 + 1 / check.REFERENCE_RUNS)
        assert final.std(ddof=1) == pytest.approx(sd, rel=0.05)
    for means, horizon, _, batch in check.TASK4_CASES:
        assert (tuple(means), horizon, batch) in check.REFERENCE and (tuple(means), horizon, 1) in check.REFERENCE


def test_exact_bias_reference_agrees_with_the_forward_pass():
    for means, horizon, epsilon in check.TASK5_CASES:
        assert np.allclose(check._exact_bias(means, horizon, epsilon), arm_mean_bias(means, horizon, epsilon),
                           atol=1e-12)
    # epsilon = 1 is uniform allocation: unbiased; the lesson's case is biased downward
    assert np.allclose(arm_mean_bias((0.5, 0.7), 6, 1.0), 0, atol=1e-12)
    assert (arm_mean_bias((0.5, 0.5), 6, 0.2) < -0.1).all()


def test_prob_best_by_quadrature_matches_a_large_sample():
    rng = np.random.default_rng(5)
    draws = rng.beta([2.0, 4.0, 3.0], [6.0, 5.0, 2.0], size=(400_000, 3)).argmax(axis=1)
    assert np.allclose(np.bincount(draws) / draws.size, check._prob_best((2.0, 4.0, 3.0), (6.0, 5.0, 2.0)),
                       atol=0.005)


# ---- task 1 -------------------------------------------------------------------------------------

def test_task1_wrong_answers():
    def fractional_bug(alpha, beta, rewards, rng):           # COURSE.md section 6: a whole failure to beta
        arms = rng.beta(alpha, beta).argmax(axis=1)
        played = np.eye(alpha.shape[1])[arms]
        return arms, alpha + played * rewards, beta + played * (rewards < 1)

    def greedy_mean(alpha, beta, rewards, rng):              # no sampling: the largest posterior mean
        arms = (alpha / (alpha + beta)).argmax(axis=1)
        played = np.eye(alpha.shape[1])[arms]
        return arms, alpha + played * rewards, beta + played * (1 - rewards)

    def updates_every_arm(alpha, beta, rewards, rng):
        return rng.beta(alpha, beta).argmax(axis=1), alpha + rewards, beta + 1 - rewards

    def swapped(alpha, beta, rewards, rng):
        arms = rng.beta(alpha, beta).argmax(axis=1)
        played = np.eye(alpha.shape[1])[arms]
        return arms, alpha + played * (1 - rewards), beta + played * rewards

    def one_draw_for_all_runs(alpha, beta, rewards, rng):
        arms = np.full(len(alpha), rng.beta(alpha[0], beta[0]).argmax())
        played = np.eye(alpha.shape[1])[arms]
        return arms, alpha + played * rewards, beta + played * (1 - rewards)

    def argmin(alpha, beta, rewards, rng):
        arms = rng.beta(alpha, beta).argmin(axis=1)
        played = np.eye(alpha.shape[1])[arms]
        return arms, alpha + played * rewards, beta + played * (1 - rewards)

    def no_update(alpha, beta, rewards, rng):                 # a constant answer
        return np.zeros(len(alpha), dtype=int), alpha, beta

    assert_try_again(check.task1(fractional_bug), "whole failure")
    assert_try_again(check.task1(greedy_mean), "same arm", "posterior mean")
    assert_try_again(check.task1(updates_every_arm), "every arm")
    assert_try_again(check.task1(swapped), "swapped")
    assert_try_again(check.task1(one_draw_for_all_runs), "same arm", "EACH run")
    assert_try_again(check.task1(argmin), "LARGEST draw")
    assert_try_again(check.task1(no_update), "not updated right")
    assert_try_again(check.task1(lambda a, b, r, rng: (np.zeros(3, dtype=int), a, b)), "shape")


# ---- task 2 -------------------------------------------------------------------------------------

def test_task2_wrong_answers():
    def kl(p, q, log=np.log):
        return p * log(p / q) + (1 - p) * log((1 - p) / (1 - q))

    def reversed_kl(means):
        mu = np.asarray(means, dtype=float)
        sub = mu[mu < mu.max()]
        return float(((mu.max() - sub) / kl(mu.max(), sub)).sum())

    def no_gap(means):
        mu = np.asarray(means, dtype=float)
        sub = mu[mu < mu.max()]
        return float((1 / kl(sub, mu.max())).sum())

    def pinsker(means):                                        # 2 gap^2 in place of the KL divergence
        mu = np.asarray(means, dtype=float)
        gaps = mu.max() - mu[mu < mu.max()]
        return float((gaps / (2 * gaps ** 2)).sum())

    def log2(means):
        mu = np.asarray(means, dtype=float)
        sub = mu[mu < mu.max()]
        return float(((mu.max() - sub) / kl(sub, mu.max(), np.log2)).sum())

    def includes_ties(means):                                  # every arm but the first best one
        mu = np.asarray(means, dtype=float)
        others = np.delete(mu, mu.argmax())
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(((mu.max() - others) / kl(others, mu.max())).sum())

    def naive_zero(means):                                     # 0 * log 0 computed as NaN
        mu = np.asarray(means, dtype=float)
        sub = mu[mu < mu.max()]
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(((mu.max() - sub) / kl(sub, mu.max())).sum())

    assert_try_again(check.task2(reversed_kl), "other way round")
    assert_try_again(check.task2(no_gap), "multiply each term")
    assert_try_again(check.task2(pinsker), "Pinsker")
    assert_try_again(check.task2(log2), "natural logarithm")
    assert_try_again(check.task2(includes_ties), "tie for the best")
    assert_try_again(check.task2(naive_zero), "0 * log(0)")
    assert_try_again(check.task2(lambda means: 7.52), "too")
    assert_try_again(check.task2(lambda means: [1.0, 2.0]), "single number")


# ---- task 3 -------------------------------------------------------------------------------------

def _parts(actions, logging, target, model):
    rows = np.arange(len(actions))
    return rows, target[rows, actions] / logging[rows, actions]


def test_task3_wrong_answers():
    def inverted(actions, rewards, logging, target, model):
        rows = np.arange(len(actions))
        w = logging[rows, actions] / target[rows, actions]
        return float(np.mean(w * rewards)), ips_dr(actions, rewards, logging, target, model)[1]

    def snips(actions, rewards, logging, target, model):
        rows, w = _parts(actions, logging, target, model)
        return float(np.sum(w * rewards) / np.sum(w)), ips_dr(actions, rewards, logging, target, model)[1]

    def correction_only(actions, rewards, logging, target, model):
        rows, w = _parts(actions, logging, target, model)
        return ips_dr(actions, rewards, logging, target, model)[0], float(np.mean(w * (rewards - model[rows, actions])))

    def dm_under_logging(actions, rewards, logging, target, model):
        rows, w = _parts(actions, logging, target, model)
        dr = np.mean((logging * model).sum(axis=1) + w * (rewards - model[rows, actions]))
        return ips_dr(actions, rewards, logging, target, model)[0], float(dr)

    def weights_the_reward(actions, rewards, logging, target, model):
        rows, w = _parts(actions, logging, target, model)
        dr = np.mean((target * model).sum(axis=1) + w * rewards)
        return ips_dr(actions, rewards, logging, target, model)[0], float(dr)

    def plain_mean(actions, rewards, logging, target, model):
        return float(np.mean(rewards)), ips_dr(actions, rewards, logging, target, model)[1]

    def direct_method_only(actions, rewards, logging, target, model):
        return ips_dr(actions, rewards, logging, target, model)[0], float((target * model).sum(axis=1).mean())

    assert_try_again(check.task3(inverted), "upside down")
    assert_try_again(check.task3(snips), "self-normalised")
    assert_try_again(check.task3(plain_mean), "plain mean")
    assert_try_again(check.task3(correction_only), "ADDS")
    assert_try_again(check.task3(dm_under_logging), "TARGET policy")
    assert_try_again(check.task3(weights_the_reward), "RESIDUAL")
    assert_try_again(check.task3(direct_method_only), "direct method alone")
    assert_try_again(check.task3(lambda *a: (0.3, 0.3)), "off")


# ---- task 4 -------------------------------------------------------------------------------------

def test_task4_wrong_answers():
    def no_batch(means, horizon, n_runs, batch, rng):
        return batched_thompson_regret(means, horizon, n_runs, batch, rng, mode="no batch")

    def one_draw_per_batch(means, horizon, n_runs, batch, rng):
        return batched_thompson_regret(means, horizon, n_runs, batch, rng, mode="one draw per batch")

    def last_round_only(means, horizon, n_runs, batch, rng):
        return batched_thompson_regret(means, horizon, n_runs, batch, rng, mode="last round only")

    def uniform_formula(means, horizon, n_runs, batch, rng):   # a closed form where a simulation is asked
        return horizon * (max(means) - np.mean(means))

    assert_try_again(check.task4(no_batch), "frozen within each batch")
    assert_try_again(check.task4(one_draw_per_batch), "too large", "EVERY round")
    assert_try_again(check.task4(last_round_only), "too large", "not only the last")
    assert_try_again(check.task4(uniform_formula), "does not change with the seed")
    assert_try_again(check.task4(lambda *a: 6.2), "does not change with the seed")
    assert_try_again(check.task4(lambda *a: "regret"), "single number")


# ---- task 5 -------------------------------------------------------------------------------------

def test_task5_wrong_answers():
    def unbiased(means, horizon, epsilon):
        return np.zeros(len(means))

    def flipped(means, horizon, epsilon):
        return -arm_mean_bias(means, horizon, epsilon)

    def expected_mean(means, horizon, epsilon):
        return arm_mean_bias(means, horizon, epsilon) + np.asarray(means)

    def lowest_index_ties(means, horizon, epsilon):
        return check._exact_bias(means, horizon, epsilon, ties="lowest")

    def explores_other_arms(means, horizon, epsilon):
        return check._exact_bias(means, horizon, epsilon, explore="others")

    def simulated(means, horizon, epsilon):                     # close, but a simulation is not exact
        res = bandits.simulate("epsilon-greedy", means, horizon, 50_000, rng=1, epsilon=epsilon)
        k = len(means)
        mean = np.stack([((res.arms == a) * res.rewards).sum(axis=1) / res.pulls[:, a] for a in range(k)], axis=1)
        return mean.mean(axis=0) - np.asarray(means)

    assert_try_again(check.task5(unbiased), "zero")
    assert_try_again(check.task5(flipped), "wrong sign")
    assert_try_again(check.task5(expected_mean), "subtract the true mean")
    assert_try_again(check.task5(lowest_index_ties), "lowest index")
    assert_try_again(check.task5(explores_other_arms), "ALL")
    assert_try_again(check.task5(simulated), "close but not exact")
    assert_try_again(check.task5(lambda m, h, e: 0.1), "shape")
