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


def test_task1_wrong_answers():
    def statistic(counts, weights):
        counts = np.asarray(counts, dtype=float)
        expected = counts.sum() * np.asarray(weights)
        return float(((counts - expected) ** 2 / expected).sum())

    def lower_tail(counts, weights):
        return 1 - srm_p_value(counts, weights)

    def equal_split(counts, weights):
        return srm_p_value(counts, np.full(len(counts), 1 / len(counts)))

    def df_is_arms(counts, weights):
        counts = np.asarray(counts, dtype=float)
        expected = counts.sum() * np.asarray(weights)
        return float(sps.chi2.sf(((counts - expected) ** 2 / expected).sum(), len(counts)))

    def on_shares(counts, weights):  # the percentages mistake from the lesson
        shares = 100 * np.asarray(counts) / np.sum(counts)
        return srm_p_value(shares, weights)

    assert_try_again(check.task1(statistic), "statistic")
    assert_try_again(check.task1(lower_tail), "UPPER tail")
    assert_try_again(check.task1(equal_split), "PLANNED weights")
    assert_try_again(check.task1(df_is_arms), "degrees of freedom")
    assert_try_again(check.task1(on_shares), "too large")
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

    for wrong in (largest_share_gap, largest_count_gap, ignores_weights):
        assert_try_again(check.task2(wrong), "strongest evidence")
    assert_try_again(check.task2(lambda c, w: "mobile"), "not one of the segments")
    assert_try_again(check.task2(lambda c, w: 0), "should be a str")


def test_task3_wrong_answers():
    def last_day_only(n_sims, days, users_per_day, threshold, rng):
        in_a = rng.binomial(users_per_day * days, 0.5, size=n_sims)
        total = users_per_day * days
        return float(np.mean(2 * sps.norm.sf(np.abs(2 * in_a - total) / np.sqrt(total)) < threshold))

    def independent_days(n_sims, days, users_per_day, threshold, rng):
        in_a = rng.binomial(users_per_day, 0.5, size=(n_sims, days))
        chi2 = (2 * in_a - users_per_day) ** 2 / users_per_day
        return float(np.mean((2 * sps.norm.sf(np.sqrt(chi2)) < threshold).any(axis=1)))

    def one_sided(n_sims, days, users_per_day, threshold, rng):  # flags only a shortfall in B
        in_a = np.cumsum(rng.binomial(users_per_day, 0.5, size=(n_sims, days)), axis=1)
        total = users_per_day * np.arange(1, days + 1)
        z = (2 * in_a - total) / np.sqrt(total)
        return float(np.mean((sps.norm.sf(z) < threshold / 2).any(axis=1)))

    assert_try_again(check.task3(last_day_only), "ANY")
    assert_try_again(check.task3(independent_days), "CUMULATIVE")
    assert_try_again(check.task3(lambda *a: 28.0), "[0, 1]")
    assert_try_again(check.task3(one_sided), "outside the range")
