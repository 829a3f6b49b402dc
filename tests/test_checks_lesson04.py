"""The lesson 04 checks: a right answer passes, wrong ones get a hint (no traceback), stubs are "not done yet"."""

import numpy as np
from scipy import stats as sps

from checkhelpers import assert_try_again

from labsupport.checks import lesson04 as check


# Reference solutions, written independently of labsupport (numpy and scipy only).
def srm_p_value(counts, weights):
    counts = np.asarray(counts, dtype=float)
    expected = counts.sum() * np.asarray(weights)
    return float(sps.chi2.sf(((counts - expected) ** 2 / expected).sum(), len(counts) - 1))


def guilty_segment(counts_by_segment, weights):
    return min(counts_by_segment, key=lambda name: srm_p_value(counts_by_segment[name], weights))


def daily_false_alarm_rate(n_sims, days, users_per_day, threshold, rng):
    in_a = np.cumsum(rng.binomial(users_per_day, 0.5, size=(n_sims, days)), axis=1)
    total = users_per_day * np.arange(1, days + 1)
    chi2 = (2 * in_a - total) ** 2 / total
    return float(np.mean((2 * sps.norm.sf(np.sqrt(chi2)) < threshold).any(axis=1)))


TASKS = [(check.task1, srm_p_value), (check.task2, guilty_segment), (check.task3, daily_false_alarm_rate)]


def _pearson(counts, weights, correction=0.0, df=None):
    counts = np.asarray(counts, dtype=float)
    expected = counts.sum() * np.asarray(weights)
    chi2 = (np.maximum(np.abs(counts - expected) - correction, 0) ** 2 / expected).sum()
    return float(sps.chi2.sf(chi2, len(counts) - 1 if df is None else df))


def test_task1_wrong_answers():
    def statistic(counts, weights):
        counts = np.asarray(counts, dtype=float)
        expected = counts.sum() * np.asarray(weights)
        return float(((counts - expected) ** 2 / expected).sum())

    assert_try_again(check.task1(statistic), "statistic")
    assert_try_again(check.task1(lambda c, w: 1 - srm_p_value(c, w)), "UPPER tail")
    assert_try_again(check.task1(lambda c, w: srm_p_value(c, np.full(len(c), 1 / len(c)))), "PLANNED weights")
    assert_try_again(check.task1(lambda c, w: _pearson(c, w, df=len(c))), "degrees of freedom")
    assert_try_again(check.task1(lambda c, w: _pearson(c, w, df=1)), "degrees of freedom")
    assert_try_again(check.task1(lambda c, w: srm_p_value(100 * np.asarray(c) / np.sum(c), w)), "percentages")
    assert_try_again(check.task1(lambda c, w: srm_p_value(np.asarray(c) / np.sum(c), w)), "shares")
    assert_try_again(check.task1(lambda c, w: _pearson(c, w, correction=0.5)), "Yates")
    assert_try_again(check.task1(lambda c, w: float(sps.binomtest(c[0], sum(c), w[0]).pvalue) if len(c) == 2
                                 else srm_p_value(c, w)), "too")          # exact binomial: another test
    assert_try_again(check.task1(lambda c, w: (0.5, 0.5)), "single number")


def test_task2_wrong_answers():
    def largest_share_gap(counts_by_segment, weights):
        return max(counts_by_segment, key=lambda name: np.abs(
            np.asarray(counts_by_segment[name]) / sum(counts_by_segment[name]) - weights).max())

    def largest_count_gap(counts_by_segment, weights):
        return max(counts_by_segment, key=lambda name: np.abs(
            np.asarray(counts_by_segment[name]) - sum(counts_by_segment[name]) * np.asarray(weights)).max())

    def ignores_weights(counts_by_segment, weights):
        return guilty_segment(counts_by_segment, np.full(len(weights), 1 / len(weights)))

    def largest_p(counts_by_segment, weights):
        return max(counts_by_segment, key=lambda name: srm_p_value(counts_by_segment[name], weights))

    def biggest(counts_by_segment, weights):
        return max(counts_by_segment, key=lambda name: sum(counts_by_segment[name]))

    assert_try_again(check.task2(largest_share_gap), "gaps in share")
    assert_try_again(check.task2(largest_count_gap), "gaps in users")
    assert_try_again(check.task2(ignores_weights), "equal split")
    assert_try_again(check.task2(largest_p), "LARGEST p-value")
    assert_try_again(check.task2(biggest), "biggest segment")
    assert_try_again(check.task2(lambda c, w: "mobile"), "not one of the segments")
    assert_try_again(check.task2(lambda c, w: 0), "should be a str")


def _daily(n_sims, days, users_per_day, threshold, rng, variance=lambda total, users: total / 4,
           cumulative=True, tails=2, any_day=True):
    in_a = rng.binomial(users_per_day, 0.5, size=(n_sims, days))
    in_a = np.cumsum(in_a, axis=1) if cumulative else in_a
    total = users_per_day * (np.arange(1, days + 1) if cumulative else np.ones(days))
    z = (in_a - total / 2) / np.sqrt(variance(total, users_per_day))
    p = 2 * sps.norm.sf(np.abs(z)) if tails == 2 else sps.norm.sf(z)
    alarm = p < threshold
    return float(np.mean(alarm.any(axis=1) if any_day else alarm[:, -1]))


def test_task3_wrong_answers():
    def last_day_only(n_sims, days, users_per_day, threshold, rng):
        return _daily(n_sims, days, users_per_day, threshold, rng, any_day=False)

    def independent_days(n_sims, days, users_per_day, threshold, rng):
        return _daily(n_sims, days, users_per_day, threshold, rng, cumulative=False)

    def variance_n_over_2(n_sims, days, users_per_day, threshold, rng):  # .any() right, variance wrong
        return _daily(n_sims, days, users_per_day, threshold, rng, variance=lambda total, users: total / 2)

    def variance_of_one_day(n_sims, days, users_per_day, threshold, rng):  # right on day 1 only
        return _daily(n_sims, days, users_per_day, threshold, rng, variance=lambda total, users: users / 4)

    def one_sided(n_sims, days, users_per_day, threshold, rng):  # flags only a shortfall in B
        return _daily(n_sims, days, users_per_day, threshold, rng, tails=1)

    def exact_peeking(n_sims, days, users_per_day, threshold, rng):  # lesson 02's integral: no simulation
        from labsupport import sequential
        return sequential.peeking_type1_error(days, threshold) if days > 1 else threshold

    assert_try_again(check.task3(last_day_only), "ANY")
    assert_try_again(check.task3(independent_days), "CUMULATIVE")
    feedback = check.task3(variance_n_over_2)
    assert_try_again(feedback, "single daily check", "variance N/4")
    assert "ANY" not in feedback.message          # issue 9: the hint names the variance, not the looks
    assert_try_again(check.task3(variance_of_one_day), "after the first")
    assert_try_again(check.task3(one_sided), "two-sided")
    assert_try_again(check.task3(exact_peeking), "Simulate the experiments")
    assert_try_again(check.task3(lambda *a: 28.0), "[0, 1]")
