"""The lesson 14 find-the-bug checks: each rejects the buggy snippet and at least three known wrong fixes,
with a hint naming the mistake, and accepts a correct fix (the contract test runs the generic cases)."""

import functools
import hashlib

import numpy as np
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from checkhelpers import assert_try_again

from labsupport.checks import lesson14 as check
from labsupport.checks.lesson14 import _cuped_data


# ---------------------------------------------------------------- reference fixes (numpy, scipy, statsmodels)
def bucket(unit_id, salt, buckets):
    digest = hashlib.sha256(f"{salt}:{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % buckets


def assign(unit_ids, salt, traffic):
    n = 10_000
    in_test = np.array([bucket(u, salt + ":traffic", n) < traffic * n for u in unit_ids])
    variant = np.array([bucket(u, salt + ":variant", n) >= n // 2 for u in unit_ids]).astype(int)
    return np.where(in_test, variant, -1)


@functools.lru_cache(maxsize=None)
def per_look_level(looks, alpha):
    # Pocock's constant by simulation-free numerical integration: P(max_k |S_k/sqrt(k)| > c) = alpha,
    # computed here with scipy's multivariate normal CDF of the correlated z statistics (corr sqrt(j/k)).
    from scipy import optimize
    k = np.arange(1, looks + 1)
    corr = np.sqrt(np.minimum.outer(k, k) / np.maximum.outer(k, k))
    mvn = sps.multivariate_normal(mean=np.zeros(looks), cov=corr)

    def excess(c):
        return 1 - mvn.cdf(np.full(looks, c), lower_limit=np.full(looks, -c)) - alpha
    c = optimize.brentq(excess, 1.0, 5.0, xtol=1e-8)
    return float(2 * sps.norm.sf(c))


def sample_size(p_a, p_b, alpha, power):
    z = sps.norm.isf(alpha / 2) + sps.norm.ppf(power)
    return int(np.ceil(z**2 * (p_a * (1 - p_a) + p_b * (1 - p_b)) / (p_b - p_a) ** 2))


def bh_reject(pvalues, alpha):
    return multipletests(pvalues, alpha=alpha, method="fdr_bh")[0]


def guardrail_violated(ci_low, ci_high, tolerance, higher_is_better):
    harm_low = -ci_high if higher_is_better else ci_low          # smallest harm the interval allows
    return bool(harm_low > tolerance)


def thompson_update(alpha, beta, arm, reward):
    alpha, beta = alpha.copy(), beta.copy()
    alpha[arm] += reward
    beta[arm] += 1 - reward
    return alpha, beta


def _ols_effect(y_a, x_a, y_b, x_b):
    y = np.concatenate([y_a, y_b])
    t = np.r_[np.zeros(len(y_a)), np.ones(len(y_b))]
    x = np.concatenate([x_a, x_b])
    return float(sm.OLS(y, np.column_stack([np.ones_like(y), t, x])).fit().params[1])


def cuped_pre(y_a, pre_a, during_a, y_b, pre_b, during_b):
    return _ols_effect(y_a, pre_a, y_b, pre_b)


def cuped_two_arms(y_a, x_a, y_b, x_b):
    y, x = np.concatenate([y_a, y_b]), np.concatenate([x_a, x_b])
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    return float((y_b - theta * (x_b - x.mean())).mean() - (y_a - theta * (x_a - x.mean())).mean())


def running_pvalues(lambdas):
    return 1 / np.maximum(1, np.maximum.accumulate(lambdas, axis=-1))


def team_draft(ranking_a, ranking_b, coins):
    items, teams, coins = [], [], iter(coins)
    rankings = {"A": ranking_a, "B": ranking_b}
    while len(items) < len(set(ranking_a) | set(ranking_b)):
        order = ("A", "B") if next(coins) else ("B", "A")
        for team in order:
            unshown = [i for i in rankings[team] if i not in items]
            if unshown and len(items) < len(set(ranking_a) | set(ranking_b)):
                items.append(unshown[0])
                teams.append(team)
    return items, teams


def srm_p_value(counts, weights):
    counts = np.asarray(counts, dtype=float)
    return float(sps.chisquare(counts, counts.sum() * np.asarray(weights)).pvalue)


TASKS = [(check.task1, bucket), (check.task2, assign), (check.task3, per_look_level), (check.task4, sample_size),
         (check.task5, bh_reject), (check.task6, guardrail_violated), (check.task7, thompson_update),
         (check.task8, cuped_pre), (check.task9, cuped_two_arms), (check.task10, running_pvalues),
         (check.task11, team_draft), (check.task12, srm_p_value)]


# ---------------------------------------------------------------- other correct fixes pass too
def test_other_correct_fixes_pass():
    def bucket_shift(unit_id, salt, buckets):
        return int.from_bytes(hashlib.sha256(f"{salt}:{unit_id}".encode()).digest()[:8], "big") * buckets >> 64

    def cuped_lin(y_a, x_a, y_b, x_b):                 # Lin (2013): a slope per arm, centred at the pooled mean
        m = np.concatenate([x_a, x_b]).mean()
        return float((y_b.mean() - np.polyfit(x_b, y_b, 1)[0] * (x_b.mean() - m))
                     - (y_a.mean() - np.polyfit(x_a, y_a, 1)[0] * (x_a.mean() - m)))

    assert check.task1(bucket_shift).passed
    assert check.task9(cuped_lin).passed
    assert check.task9(lambda y_a, x_a, y_b, x_b: _ols_effect(y_a, x_a, y_b, x_b)).passed
    assert check.task8(lambda y_a, p_a, d_a, y_b, p_b, d_b: cuped_two_arms(y_a, p_a, y_b, p_b)).passed
    assert check.task10(lambda lam: np.minimum.accumulate(np.minimum(1, 1 / lam), axis=-1)).passed


# ---------------------------------------------------------------- the buggy snippets and wrong fixes
def test_task1_hash():
    assert_try_again(check.task1(lambda u, s, b: hash(f"{s}:{u}") % b), "built-in hash()")           # the bug
    assert_try_again(check.task1(lambda u, s, b: bucket(s, u, b)), "swapped")
    assert_try_again(check.task1(lambda u, s, b: int.from_bytes(hashlib.sha256(str(u).encode()).digest()[:8],
                                                                "big") % b), "salt is missing")
    assert_try_again(check.task1(lambda u, s, b: int.from_bytes(hashlib.md5(f"{s}:{u}".encode()).digest()[:8],
                                                                "big") % b), "MD5")
    assert_try_again(check.task1(lambda u, s, b: int(hashlib.sha256(f"{s}:{u}".encode()).hexdigest(), 16) % b),
                     "whole digest")
    assert_try_again(check.task1(lambda u, s, b: float(bucket(u, s, b))), "whole number")


def test_task2_ramp_up():
    n = 10_000

    def rescaled(ids, salt, traffic):                                                                 # the bug
        b = np.array([bucket(u, salt, n) for u in ids])
        return np.where(b < traffic * n, (b / (traffic * n) >= 0.5).astype(int), -1)

    def one_hash(ids, salt, traffic):
        b = np.array([bucket(u, salt, n) for u in ids])
        return np.where(b < traffic * n, (b >= n // 2).astype(int), -1)

    def no_salt(ids, salt, traffic):
        return assign(ids, "fixed", traffic)

    def random_variant(ids, salt, traffic):
        in_test = np.array([bucket(u, salt + ":traffic", n) < traffic * n for u in ids])
        return np.where(in_test, np.random.default_rng().integers(0, 2, len(ids)), -1)

    def ignores_traffic(ids, salt, traffic):
        return assign(ids, salt, 0.5)

    assert_try_again(check.task2(rescaled), "switched", "bucket / traffic")
    assert_try_again(check.task2(one_hash), "same hash as the traffic gate")
    assert_try_again(check.task2(no_salt), "salt is ignored")
    assert_try_again(check.task2(random_variant), "random draw")
    assert_try_again(check.task2(ignores_traffic), "traffic argument")


def test_task3_per_look_level():
    assert_try_again(check.task3(lambda k, a: a / np.sqrt(k)), "alpha / sqrt(looks)")               # the bug
    assert_try_again(check.task3(lambda k, a: a / k), "Bonferroni")
    assert_try_again(check.task3(lambda k, a: 1 - (1 - a) ** (1 / k)), "Sidak")
    assert_try_again(check.task3(lambda k, a: a), "no correction")
    assert_try_again(check.task3(lambda k, a: per_look_level(k, a) / 2), "two-sided")
    assert_try_again(check.task3(lambda k, a: 0.0158), "matches none")                             # a constant


def test_task4_sample_size():
    def formula(z_a, z_b, rounding=np.ceil):
        return lambda p_a, p_b, alpha, power: int(rounding(
            (z_a(alpha) + z_b(power)) ** 2 * (p_a * (1 - p_a) + p_b * (1 - p_b)) / (p_b - p_a) ** 2))

    two_sided, from_power = (lambda a: sps.norm.isf(a / 2)), (lambda p: sps.norm.ppf(p))
    assert_try_again(check.task4(formula(lambda a: 1.96, lambda p: 1.28)), "1.28")                    # the bug
    assert_try_again(check.task4(formula(two_sided, lambda p: 1.28)), "1.28, which is 90% power")
    assert_try_again(check.task4(formula(two_sided, lambda p: 0.84)), "hard-coded at 0.84")
    assert_try_again(check.task4(formula(lambda a: sps.norm.isf(a), from_power)), "one-sided")
    assert_try_again(check.task4(formula(two_sided, from_power, np.floor)), "round UP")
    assert_try_again(check.task4(lambda *args: float(sample_size(*args)) + 0.5), "whole number")


def test_task5_bh():
    def strict(p, alpha):                                                                              # the bug
        p = np.asarray(p)
        order, m = np.argsort(p), len(p)
        below = np.flatnonzero(p[order] < alpha * np.arange(1, m + 1) / m)
        reject = np.zeros(m, bool)
        if below.size:
            reject[order[: below.max() + 1]] = True
        return reject

    def no_step_up(p, alpha):
        p = np.asarray(p)
        order, m = np.argsort(p), len(p)
        reject = np.zeros(m, bool)
        reject[order] = p[order] <= alpha * np.arange(1, m + 1) / m
        return reject

    assert_try_again(check.task5(strict), "use <=, not <")
    assert_try_again(check.task5(no_step_up), "step-up")
    assert_try_again(check.task5(lambda p, a: np.asarray(p) <= a / len(p)), "Bonferroni")
    assert_try_again(check.task5(lambda p, a: np.asarray(p) <= a * np.arange(1, len(p) + 1) / len(p)), "SORTED")
    assert_try_again(check.task5(lambda p, a: multipletests(p, alpha=a, method="fdr_by")[0]), "differ from BH")


def test_task6_guardrail():
    assert_try_again(check.task6(lambda lo, hi, tol, hib: lo > tol), "only flags increases")          # the bug
    assert_try_again(check.task6(lambda lo, hi, tol, hib: (lo > tol) or (hi < -tol)), "including improvements")
    assert_try_again(check.task6(lambda lo, hi, tol, hib: (hi < tol) if hib else (lo > tol)), "-tolerance")
    assert_try_again(check.task6(lambda lo, hi, tol, hib: (-lo > tol) if hib else (hi > tol)), "PART")
    assert_try_again(check.task6(lambda lo, hi, tol, hib: 1 if hib else 0), "True (violated) or False")


def test_task7_thompson():
    def buggy(alpha, beta, arm, reward):                                                               # the bug
        alpha[arm] += reward
        beta[arm] += reward < 1
        return alpha, beta

    def whole_failure(alpha, beta, arm, reward):
        alpha[arm] += reward
        beta[arm] += 1
        return alpha, beta

    def rounded(alpha, beta, arm, reward):
        return thompson_update(alpha, beta, arm, round(reward))

    def every_arm(alpha, beta, arm, reward):
        return alpha + reward, beta + 1 - reward

    assert_try_again(check.task7(buggy), "WHOLE failure")
    assert_try_again(check.task7(whole_failure), "WHOLE failure")
    assert_try_again(check.task7(rounded), "rounded")
    assert_try_again(check.task7(every_arm), "only the arm that was played")
    assert_try_again(check.task7(lambda a, b, arm, r: thompson_update(a, b, arm, r)[0]), "pair")


def test_task8_cuped_covariate():
    def during(y_a, p_a, d_a, y_b, p_b, d_b):                                                          # the bug
        return cuped_two_arms(y_a, d_a, y_b, d_b)

    def both_inverted(y_a, p_a, d_a, y_b, p_b, d_b):
        y, x = np.concatenate([y_a, y_b]), np.concatenate([p_a, p_b])
        theta = np.cov(y, x)[0, 1] / np.var(y, ddof=1)
        return float((y_b - theta * (p_b - x.mean())).mean() - (y_a - theta * (p_a - x.mean())).mean())

    def plus(y_a, p_a, d_a, y_b, p_b, d_b):
        y, x = np.concatenate([y_a, y_b]), np.concatenate([p_a, p_b])
        theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
        return float((y_b + theta * (p_b - x.mean())).mean() - (y_a + theta * (p_a - x.mean())).mean())

    assert_try_again(check.task8(during), "in-experiment covariate")
    assert_try_again(check.task8(lambda y_a, p_a, d_a, y_b, p_b, d_b: float(y_b.mean() - y_a.mean())), "unadjusted")
    assert_try_again(check.task8(both_inverted), "inverted")
    assert_try_again(check.task8(plus), "sign is flipped")


def test_task9_cuped_theta():
    def per_arm(y_a, x_a, y_b, x_b):                                                                   # the bug
        adj = [y - np.cov(y, x)[0, 1] / np.var(x, ddof=1) * (x - x.mean()) for y, x in ((y_a, x_a), (y_b, x_b))]
        return float(adj[1].mean() - adj[0].mean())

    def pooled_theta_own_means(y_a, x_a, y_b, x_b):
        y, x = np.concatenate([y_a, y_b]), np.concatenate([x_a, x_b])
        theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
        return float((y_b - theta * (x_b - x_b.mean())).mean() - (y_a - theta * (x_a - x_a.mean())).mean())

    def inverted(y_a, x_a, y_b, x_b):
        y, x = np.concatenate([y_a, y_b]), np.concatenate([x_a, x_b])
        theta = np.cov(y, x)[0, 1] / np.var(y, ddof=1)
        return float((y_b - theta * (x_b - x.mean())).mean() - (y_a - theta * (x_a - x.mean())).mean())

    def plus(y_a, x_a, y_b, x_b):
        return 2 * float(y_b.mean() - y_a.mean()) - cuped_two_arms(y_a, x_a, y_b, x_b)

    assert_try_again(check.task9(per_arm), "own mean")
    assert_try_again(check.task9(pooled_theta_own_means), "POOLED mean")
    assert_try_again(check.task9(inverted), "inverted")
    assert_try_again(check.task9(plus), "sign is flipped")
    assert_try_again(check.task9(lambda *a: 0.3), "off")                                # the true effect, typed in


def test_task10_running_minimum():
    assert_try_again(check.task10(lambda lam: np.minimum(1, 1 / lam)), "RUNNING minimum")             # the bug
    assert_try_again(check.task10(lambda lam: np.minimum.accumulate(1 / lam, axis=-1)), "clip")
    assert_try_again(check.task10(lambda lam: np.minimum.accumulate(np.minimum(1, 1 / lam), axis=0)), "last axis")
    assert_try_again(check.task10(lambda lam: np.minimum(1, 1 / np.minimum.accumulate(lam, axis=-1))), "MAXIMUM")
    assert_try_again(check.task10(lambda lam: running_pvalues(lam)[..., -1]), "shape")


def test_task11_team_draft():
    from labsupport.checks.lesson14 import _team_draft

    def alternate(a, b, coins):                                                                        # the bug
        return _team_draft(a, b, coins, alternate=True)

    def lost_turn(a, b, coins):
        return _team_draft(a, b, coins, lose_turn=True)

    def coin_per_pick(a, b, coins):
        return _team_draft(a, b, coins, per_pick=True)

    def a_first(a, b, coins):
        return team_draft(a, b, [True] * len(coins))

    assert_try_again(check.task11(alternate), "strictly")
    assert_try_again(check.task11(lost_turn), "lost its turn")
    assert_try_again(check.task11(coin_per_pick), "one coin per pick")
    assert_try_again(check.task11(a_first), "differ from team-draft")
    assert_try_again(check.task11(lambda a, b, c: team_draft(a, b, c)[0]), "pair")


def test_task12_srm():
    def percent(counts, weights):                                                                      # the bug
        return srm_p_value(100 * np.asarray(counts) / np.sum(counts), weights)

    def yates(counts, weights):
        counts = np.asarray(counts, dtype=float)
        e = counts.sum() * np.asarray(weights)
        return float(sps.chi2.sf(((np.abs(counts - e) - 0.5) ** 2 / e).sum(), len(counts) - 1))

    assert_try_again(check.task12(percent), "percentages")
    assert_try_again(check.task12(lambda c, w: srm_p_value(c, np.full(len(c), 1 / len(c)))), "PLANNED")
    assert_try_again(check.task12(yates), "Yates")
    assert_try_again(check.task12(lambda c, w: float(sps.chisquare(c, np.sum(c) * np.asarray(w), ddof=-1).pvalue)),
                     "degrees of freedom")
    assert_try_again(check.task12(lambda c, w: 1 - srm_p_value(c, w)), "lower tail")
    assert_try_again(check.task12(lambda c, w: srm_p_value(np.asarray(c) / np.sum(c), w)), "shares")


def test_pocock_levels_match_the_published_constants():
    # Pocock constants C_P, two-sided alpha = 0.05, K = 2, 3, 5 looks: 2.178, 2.289, 2.413
    # (Jennison & Turnbull 2000, Table 2.1); the check's reference level is 2 * sf(C_P).
    for looks, constant in ((2, 2.178), (3, 2.289), (5, 2.413)):
        assert abs(sps.norm.isf(per_look_level(looks, 0.05) / 2) - constant) < 2e-3


def test_cuped_cases_have_a_leak_and_an_imbalance_large_enough_to_see():
    y_a, p_a, d_a, y_b, p_b, d_b = _cuped_data(1, leak=0.5)
    assert abs(cuped_two_arms(y_a, d_a, y_b, d_b) - cuped_two_arms(y_a, p_a, y_b, p_b)) > 0.1
    y_a, x_a, _, y_b, x_b, _ = _cuped_data(4, leak=0.0, imbalance=0.15)
    assert abs(float(y_b.mean() - y_a.mean()) - cuped_two_arms(y_a, x_a, y_b, x_b)) > 0.05
