"""Checks for lesson 10, multi-armed bandits and off-policy evaluation (solutions/10_bandits_exercises.ipynb)."""

from __future__ import annotations

import functools

import numpy as np
from scipy import integrate
from scipy import stats as _sps

from .. import bandits as _bandits
from . import BAND_LEVEL, Z_BAND, call, describe, expect_number, expect_real, expect_type, fail, task



def _repeatable(fn, make_args, seed, what):
    """Call fn(*make_args(), rng) three times with generators of one seed (fresh inputs each time)."""
    results = [call(fn, *make_args(), np.random.default_rng(seed)) for _ in range(3)]

    def same(r1, r2):
        parts1 = r1 if isinstance(r1, (tuple, list)) else (r1,)
        parts2 = r2 if isinstance(r2, (tuple, list)) else (r2,)
        if len(parts1) != len(parts2):
            return False
        for a, b in zip(parts1, parts2):
            try:
                if not np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True):
                    return False
            except (TypeError, ValueError):
                try:
                    if not np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)):
                        return False
                except (TypeError, ValueError):
                    return False
        return True

    if not all(same(results[0], other) for other in results[1:]):
        fail(f"two calls with the same seed gave different {what}: draw every random number from "
             "the `rng` argument, not from np.random.")
    return results[0]


# ---- task 1: a vectorised Thompson step --------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _prob_best(alpha, beta):
    """P(arm a's Beta draw is the largest), by numerical integration (independent Beta posteriors)."""
    dists = [_sps.beta(a, b) for a, b in zip(alpha, beta)]
    out = []
    for a, d in enumerate(dists):
        others = [o for i, o in enumerate(dists) if i != a]
        value, _ = integrate.quad(lambda x: d.pdf(x) * np.prod([o.cdf(x) for o in others]), 0, 1, limit=200)
        out.append(value)
    return tuple(out)


def _step_parts(result, n_runs, k):
    expect_type(result, (tuple, list), what="the result",
                hint="return a tuple (arms, new_alpha, new_beta).")
    if len(result) != 3:
        fail(f"return three things, (arms, new_alpha, new_beta); yours has {len(result)}.")
    arms, new_a, new_b = result
    try:
        arms = np.asarray(arms)
    except (TypeError, ValueError):
        fail(f"arms should be an array of arm indices; yours is {describe(arms)}.")
    if arms.shape != (n_runs,):
        fail(f"arms should have shape ({n_runs},), one arm per run; yours has shape {arms.shape}.")
    if not np.issubdtype(arms.dtype, np.integer):
        if not (np.issubdtype(arms.dtype, np.floating) and np.all(arms == np.round(arms))):
            fail("arms should hold whole numbers, the index of the arm each run plays (argmax gives them).")
        arms = arms.astype(int)
    if (arms < 0).any() or (arms >= k).any():
        fail(f"arms should be indices from 0 to {k - 1}.")
    for name, value in (("new_alpha", new_a), ("new_beta", new_b)):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            fail(f"{name} should be an array of numbers; yours is {describe(value)}.")
        if arr.shape != (n_runs, k):
            fail(f"{name} should have the shape of alpha, {(n_runs, k)}; yours has shape {arr.shape}.")
    return arms, np.asarray(new_a, dtype=float), np.asarray(new_b, dtype=float)


@task("task 1: a vectorised Thompson step")
def task1(fn):
    # the update, with fractional rewards (a watched fraction) and whole ones
    rng = np.random.default_rng(101)
    n_runs, k = 8, 3
    alpha = 1 + rng.integers(0, 6, (n_runs, k)).astype(float)
    beta = 1 + rng.integers(0, 6, (n_runs, k)).astype(float)
    rewards = np.round(rng.uniform(0, 1, (n_runs, k)), 2)
    rewards[:, 0] = rng.random(n_runs) < 0.5                          # arm 0 pays clicks (0 or 1)

    def make_args():
        return alpha.copy(), beta.copy(), rewards.copy()

    arms, new_a, new_b = _step_parts(_repeatable(fn, make_args, 7, "arms or posteriors"), n_runs, k)
    played = np.eye(k)[arms]
    right_a, right_b = alpha + played * rewards, beta + played * (1 - rewards)
    if np.allclose(new_a, right_a) and not np.allclose(new_b, right_b):
        if np.allclose(new_b, beta + played * (rewards < 1)):
            fail("new_beta adds a whole failure (1) for a fractional reward: a reward r counts as r of a "
                 "success and 1 - r of a failure, so beta grows by 1 - r.")
        fail("new_alpha is right but new_beta is not: the played arm's beta grows by 1 - reward.")
    if np.allclose(new_a, alpha + played * (1 - rewards)) and np.allclose(new_b, beta + played * rewards):
        fail("alpha and beta are swapped: alpha counts successes (grows by the reward), beta failures.")
    if np.allclose(new_a, alpha + rewards) or np.allclose(new_b, beta + 1 - rewards):
        fail("you updated every arm: update only the arm each run played (its reward is rewards[run, arm]).")
    if not (np.allclose(new_a, right_a) and np.allclose(new_b, right_b)):
        fail("the posteriors are not updated right: for the arm each run played, alpha += reward and "
             "beta += 1 - reward; the other arms stay as they were.")
    # the choice: each run draws its own sample from every arm's posterior and plays the largest
    groups = [((3.0, 5.0), (5.0, 3.0)), ((2.0, 4.0, 3.0), (6.0, 5.0, 2.0))]
    for g, (a_par, b_par) in enumerate(groups):
        n, kk = 20_000, len(a_par)
        a_mat, b_mat = np.tile(a_par, (n, 1)), np.tile(b_par, (n, 1))
        zero = np.zeros((n, kk))
        result = call(fn, a_mat.copy(), b_mat.copy(), zero, np.random.default_rng(200 + g))
        chosen, _, _ = _step_parts(result, n, kk)
        p = _prob_best(a_par, b_par)
        share = np.bincount(chosen, minlength=kk) / n
        what = f"with posteriors Beta{tuple(zip(a_par, b_par))} the share of runs playing each arm"
        if np.isclose(share.max(), 1.0):
            fail(f"{what}: every run played the same arm. Thompson sampling draws, for EACH run, one random "
                 "value from each arm's Beta posterior (rng.beta with the (runs, arms) arrays) and plays the "
                 "largest draw; playing the largest posterior mean never explores.")
        for arm in range(kk):
            low, high = _sps.binom.interval(BAND_LEVEL, n, p[arm])
            if not low / n <= share[arm] <= high / n:
                fail(f"{what} is not what Thompson sampling gives: play the arm with the LARGEST draw "
                     "(argmax over arms, axis=1), drawing from Beta(alpha, beta) as given.")
    return "each run draws from its own posteriors and only the played arm learns, fractional rewards included."


# ---- task 2: the Lai-Robbins constant ---------------------------------------------------------

TASK2_CASES = [(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), (0.5, 0.6), (0.2, 0.3, 0.4, 0.6),
               (0.05, 0.04, 0.02), (0.30, 0.45, 0.45, 0.10), (0.0, 0.25, 0.5)]


def _kl(p, q, log=np.log):
    with np.errstate(divide="ignore", invalid="ignore"):
        return p * log(p / q) + (1 - p) * log((1 - p) / (1 - q))


@task("task 2: the Lai-Robbins constant")
def task2(fn):
    for means in TASK2_CASES:
        value = call(fn, list(means))
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        what = f"the constant for means {list(means)}"
        if isinstance(value, float) and np.isnan(value):
            if means.count(max(means)) > 1:
                fail(f"{what} is NaN: two arms tie for the best, and a tied arm has gap 0 and KL 0. Sum only "
                     "over arms strictly below the best.")
            fail(f"{what} is NaN: an arm with mean 0 gives 0 * log(0); that term is 0 by convention "
                 "(scipy.special.xlogy handles it).")
        value = expect_real(value, what, "Return the constant as a float.")
        ref = _bandits.lai_robbins_constant(means)
        mu = np.asarray(means, dtype=float)
        best = mu.max()
        sub = mu[mu < best]
        gaps = best - sub
        if np.isclose(ref, value, rtol=1e-6):
            continue
        safe = sub[sub > 0]
        if sub.size == safe.size:
            if np.isclose(value, (gaps / _kl(best, sub)).sum(), rtol=1e-6):
                fail(f"{what}: the KL divergence is taken the other way round. It is KL(mean_i, best): how "
                     "well rewards of arm i can be told apart from the best arm's.")
            if np.isclose(value, (1 / _kl(sub, best)).sum(), rtol=1e-6):
                fail(f"{what}: sum of 1 / KL counts the pulls of each arm, not the regret: multiply each term "
                     "by the arm's gap.")
            for log in (np.log2, np.log10):
                if np.isclose(value, (gaps / _kl(sub, best, log)).sum(), rtol=1e-6):
                    fail(f"{what}: use the natural logarithm in the KL divergence (regret is measured against "
                         "ln t).")
        if np.isclose(value, (1 / (2 * gaps)).sum(), rtol=1e-6) or np.isclose(value, (gaps / (2 * gaps ** 2)).sum()):
            fail(f"{what}: 2 gap^2 is Pinsker's lower bound on the KL divergence, not the divergence itself: use "
                 "KL(p, q) = p ln(p/q) + (1 - p) ln((1 - p)/(1 - q)).")
        expect_number(value, ref, what=what, rel=1e-6,
                      hint="C(mu) = sum over arms below the best of gap_i / KL(mean_i, best) for Bernoulli arms.")
    return "your constant matches: 7.52 for the published nine-arm problem."


# ---- task 3: IPS and doubly robust ------------------------------------------------------------

def _task3_cases():
    rng = np.random.default_rng(303)
    cases = []
    for n, k in ((50, 2), (200, 3), (400, 4)):
        logging = rng.dirichlet(np.ones(k) * 2, size=n)
        target = rng.dirichlet(np.ones(k) * 0.7, size=n)
        actions = (rng.random((n, 1)) > np.cumsum(logging, axis=1)).sum(axis=1)
        rewards = np.round(rng.random(n) < 0.2 + 0.15 * actions, 0) * rng.uniform(0.5, 1.0, n)
        model = np.round(rng.uniform(0.1, 0.9, (n, k)), 2)
        cases.append((actions, rewards, logging, target, model))
    return cases


@task("task 3: IPS and doubly robust estimates")
def task3(fn):
    for actions, rewards, logging, target, model in _task3_cases():
        n, k = logging.shape
        result = call(fn, actions.copy(), rewards.copy(), logging.copy(), target.copy(), model.copy())
        expect_type(result, (tuple, list), what="the result", hint="return a pair (ips, dr).")
        if len(result) != 2:
            fail(f"return two numbers, (ips, dr); yours has {len(result)}.")
        what = f"for {n} records and {k} arms"
        ips = expect_real(result[0], f"ips {what}")
        dr = expect_real(result[1], f"dr {what}")
        rows = np.arange(n)
        mu_a, pi_a, rhat_a = logging[rows, actions], target[rows, actions], model[rows, actions]
        w = pi_a / mu_a
        ref_ips = float(_bandits.off_policy_value(actions, rewards, logging, target, "ips").value)
        ref_dr = float(_bandits.off_policy_value(actions, rewards, logging, target, "dr", model).value)
        if not np.isclose(ips, ref_ips, rtol=1e-6):
            if np.isclose(ips, np.mean(mu_a / pi_a * rewards), rtol=1e-6):
                fail(f"ips {what}: the weight is upside down. It is target probability / logging probability "
                     "of the logged action.")
            if np.isclose(ips, np.sum(w * rewards) / np.sum(w), rtol=1e-6):
                fail(f"ips {what}: you divided by the sum of the weights, which is self-normalised IPS. "
                     "IPS divides by the number of records.")
            if np.isclose(ips, np.mean(rewards), rtol=1e-6):
                fail(f"ips {what} is the plain mean reward, the LOGGING policy's value: weight each reward.")
            fail(f"ips {what} is off: the mean over records of w * reward, with w = target[i, a_i] / "
                 "logging[i, a_i] for the action a_i logged in record i.")
        if not np.isclose(dr, ref_dr, rtol=1e-6):
            dm_target = (target * model).sum(axis=1)
            if np.isclose(dr, np.mean(w * (rewards - rhat_a)), rtol=1e-6):
                fail(f"dr {what}: you kept only the correction term; doubly robust ADDS it to the model's "
                     "estimate, sum over actions of target * model, for each record.")
            if np.isclose(dr, np.mean((logging * model).sum(axis=1) + w * (rewards - rhat_a)), rtol=1e-6):
                fail(f"dr {what}: the model's part must be averaged over the TARGET policy's actions, "
                     "not the logging policy's.")
            if np.isclose(dr, np.mean(dm_target), rtol=1e-6):
                fail(f"dr {what} is the direct method alone: add the weighted residual w * (reward - "
                     "model[i, a_i]).")
            if np.isclose(dr, np.mean(dm_target + w * rewards), rtol=1e-6):
                fail(f"dr {what}: the correction weights the RESIDUAL, reward - model[i, a_i], not the reward.")
            fail(f"dr {what} is off: per record, sum_a target[i, a] model[i, a] + w_i (reward_i - "
                 "model[i, a_i]), then the mean.")
    return "your IPS and doubly robust estimates match, with per-record policies and any number of arms."


# ---- task 4: batched Thompson sampling ---------------------------------------------------------

TASK4_CASES = [((0.3, 0.5), 300, 1_000, 1), ((0.3, 0.5), 300, 1_000, 60), ((0.2, 0.3, 0.5), 200, 1_000, 25),
               ((0.45, 0.55), 150, 1_000, 150)]
# (means, horizon, batch): (mean, standard deviation) of Thompson sampling's final regret over 100,000 runs of
# bandits.simulate("thompson", means, horizon, 100_000, rng=2024, batch=batch); tests/test_checks_lesson10.py
# re-simulates them. Tabulated so that a check takes seconds.
REFERENCE_RUNS = 100_000
REFERENCE = {
    ((0.3, 0.5), 300, 1): (6.1958, 5.2076),
    ((0.3, 0.5), 300, 60): (9.1203, 4.1439),
    ((0.2, 0.3, 0.5), 200, 1): (9.6518, 5.5090),
    ((0.2, 0.3, 0.5), 200, 25): (11.2205, 5.3744),
    ((0.45, 0.55), 150, 1): (4.4291, 3.3596),
    ((0.45, 0.55), 150, 150): (7.5019, 0.6145),
}


def _regret_reference(means, horizon, batch):
    return REFERENCE[tuple(means), horizon, batch]


@task("task 4: Thompson sampling with batched updates")
def task4(fn):
    def make_args(case=TASK4_CASES[1]):
        means, horizon, n_runs, batch = case
        return list(means), horizon, n_runs, batch

    first = _repeatable(fn, make_args, 41, "regrets")
    other = call(fn, *make_args(), np.random.default_rng(977))
    hint = "Return the mean over runs of the final cumulative regret (a float)."
    if expect_real(other, "the mean regret", hint) == expect_real(first, "the mean regret", hint):
        fail("your answer does not change with the seed: it should come from simulated runs drawn from `rng` "
             "(a formula, or a fixed number, cannot tell batched from unbatched feedback).")
    for i, (means, horizon, n_runs, batch) in enumerate(TASK4_CASES):
        value = first if i == 1 else call(fn, list(means), horizon, n_runs, batch, np.random.default_rng(41 + i))
        what = f"the mean regret for means {list(means)}, {horizon} rounds, batch {batch}"
        value = expect_real(value, what, "Return the mean over runs of the final cumulative regret (a float).")
        ref, sd = _regret_reference(means, horizon, batch)
        half = Z_BAND * sd * np.sqrt(1 / n_runs + 1 / REFERENCE_RUNS)
        if abs(value - ref) <= half:
            continue
        if batch > 1:
            free, _ = _regret_reference(means, horizon, 1)
            if abs(value - free) <= half:
                fail(f"{what} is what Thompson sampling gives when it updates after every round: keep the "
                     "Beta parameters frozen within each batch of `batch` rounds and add the batch's successes "
                     "and failures at its end.")
        if value > ref:
            fail(f"{what} is too large. Draw fresh Beta samples EVERY round (from the parameters frozen at the "
                 "batch start), and at each batch end add all of the batch's observations, not only the last "
                 "round's. Regret per round is best mean minus the played arm's mean.")
        fail(f"{what} is too small. Regret per round is the best mean minus the played arm's MEAN, summed over "
             "all rounds; the policy may only use the rewards of rounds before its last update.")
    return "Thompson sampling loses little to short batches; a batch as long as the experiment is an A/B test."


# ---- task 5: the exact bias of the sample means (goal only) -----------------------------------

def _exact_bias(means, horizon, epsilon, ties="random", explore="all"):
    """E[sample mean] - mean for each arm of epsilon-greedy (each arm once first), over all histories."""
    means = tuple(float(m) for m in means)
    k = len(means)

    @functools.lru_cache(maxsize=None)
    def value(n, s):
        t = sum(n)
        if t == horizon:
            return np.array([s[a] / n[a] for a in range(k)])
        if t < k:
            choice = np.eye(k)[t]
        else:
            mean = np.array(s) / np.array(n)
            top = mean == mean.max()
            if ties == "lowest":
                top = np.eye(k, dtype=bool)[int(mean.argmax())]
            if explore == "others" and top.sum() < k:
                choice = np.where(top, (1 - epsilon) / top.sum(), epsilon / (k - top.sum()))
            else:
                choice = epsilon / k + (1 - epsilon) * top / top.sum()
        total = np.zeros(k)
        for a in range(k):
            if choice[a] == 0:
                continue
            for click, p in ((1, means[a]), (0, 1 - means[a])):
                if p == 0:
                    continue
                n2 = n[:a] + (n[a] + 1,) + n[a + 1:]
                s2 = s[:a] + (s[a] + click,) + s[a + 1:]
                total = total + choice[a] * p * value(n2, s2)
        return total

    return value((0,) * k, (0,) * k) - np.array(means)


TASK5_CASES = [((0.5, 0.5), 6, 0.2), ((0.3, 0.6), 7, 0.1), ((0.2, 0.5, 0.7), 6, 0.3), ((0.4, 0.4), 5, 0.0),
               ((0.6, 0.3), 2, 0.5), ((0.5, 0.7), 6, 1.0)]


@task("task 5: the exact bias of a bandit's arm means")
def task5(fn):
    for means, horizon, epsilon in TASK5_CASES:
        k = len(means)
        what = f"the bias for means {list(means)}, horizon {horizon}, epsilon {epsilon}"
        result = call(fn, list(means), horizon, epsilon)
        try:
            arr = np.asarray(result, dtype=float)
        except (TypeError, ValueError):
            fail(f"{what} should be an array of {k} numbers, one per arm; yours is {describe(result)}.")
        if arr.shape != (k,):
            fail(f"{what} should have shape ({k},), one bias per arm; yours has shape {arr.shape}.")
        ref = _exact_bias(means, horizon, epsilon)
        if np.allclose(arr, ref, rtol=0, atol=1e-9):
            continue
        if np.allclose(arr, 0) and not np.allclose(ref, 0, atol=1e-9):
            fail(f"{what} is zero, as if the sample means were unbiased. They are not when the policy chooses "
                 "from the data: find E[sample mean] over all the ways the experiment can unfold.")
        if np.allclose(arr, -ref, atol=1e-9):
            fail(f"{what} has the wrong sign: the bias is E[sample mean] - true mean.")
        if np.allclose(arr, ref + np.asarray(means), atol=1e-9):
            fail(f"{what} is the expected sample mean itself: subtract the true mean.")
        if np.allclose(arr, _exact_bias(means, horizon, epsilon, ties="lowest"), atol=1e-9):
            fail(f"{what}: when observed means tie, the greedy choice splits evenly between the tied arms; "
                 "yours always takes the lowest index.")
        if np.allclose(arr, _exact_bias(means, horizon, epsilon, explore="others"), atol=1e-9):
            fail(f"{what}: with probability epsilon the policy plays an arm uniformly at random among ALL "
                 "arms (the greedy one included).")
        if np.allclose(arr, ref, atol=0.01):
            fail(f"{what} is close but not exact (a simulation?). The experiment has few rounds: every history "
                 "of (arm, click) pairs can be listed with its probability.")
        fail(f"{what} is off. The first {k} rounds play arms 0, 1, ... once each; then with probability epsilon "
             "an arm uniformly at random, otherwise the best observed mean (ties split evenly).")
    return "exact: adaptive sampling biases every arm's sample mean downward, and epsilon = 1 (uniform) removes it."


__all__ = ["task1", "task2", "task3", "task4", "task5"]
