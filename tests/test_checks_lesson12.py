"""The lesson 12 checks: a right answer passes, wrong ones get a hint (no traceback), stubs are "not done yet"."""

import numpy as np
from scipy import stats as sps

from checkhelpers import assert_try_again

from labsupport.checks import lesson12 as check


# Reference solutions, written independently of labsupport.observational (numpy and scipy only).
def did_estimate(y_pre, y_post, treated):
    t = np.asarray(treated, bool)
    change = np.asarray(y_post) - np.asarray(y_pre)
    return float(change[t].mean() - change[~t].mean())


def standardized_difference(x, treated, weights):
    t = np.asarray(treated, bool)
    diff = np.average(x[t], weights=weights[t]) - np.average(x[~t], weights=weights[~t])
    return float(diff / np.sqrt((x[t].var(ddof=1) + x[~t].var(ddof=1)) / 2))


def ipw_ate(y, treated, ps):
    t = np.asarray(treated, bool)
    return float(np.average(y[t], weights=1 / ps[t]) - np.average(y[~t], weights=1 / (1 - ps[~t])))


def matched_att(y, treated, score, caliper):
    t = np.asarray(treated, bool)
    diffs = []
    for i in np.flatnonzero(t):
        dist = np.where(t, np.inf, np.abs(score - score[i]))
        j = int(np.argmin(dist))
        if dist[j] <= caliper:
            diffs.append(y[i] - y[j])
    return float(np.mean(diffs))


def parallel_pretrends(y, treated, first_post):
    """Joint test of the event-study leads: each pre period's DiD against the last pre period."""
    t = np.asarray(treated, bool)
    ref = first_post - 1
    d = y[:, :ref] - y[:, ref:ref + 1]                     # changes to the reference period, per unit
    lead = d[t].mean(0) - d[~t].mean(0)
    psi = np.vstack([(d[t] - d[t].mean(0)) / t.sum(), -(d[~t] - d[~t].mean(0)) / (~t).sum()])
    g = len(t)
    cov = g / (g - 1) * psi.T @ psi
    wald = lead @ np.linalg.solve(cov, lead)
    return bool(sps.f.sf(wald / len(lead), len(lead), g - 1) >= 0.05)


TASKS = [(check.task1, did_estimate), (check.task2, standardized_difference), (check.task3, ipw_ate),
         (check.task4, matched_att), (check.task5, parallel_pretrends)]


def test_task1_wrong_answers():
    def post_only(y_pre, y_post, treated):                   # the widely copied mistake
        t = np.asarray(treated, bool)
        return float(y_post[t].mean() - y_post[~t].mean())

    def treated_before_after(y_pre, y_post, treated):
        t = np.asarray(treated, bool)
        return float(y_post[t].mean() - y_pre[t].mean())

    def control_minus_treated(y_pre, y_post, treated):
        return -did_estimate(y_pre, y_post, treated)

    def against_everyone(y_pre, y_post, treated):
        t = np.asarray(treated, bool)
        change = y_post - y_pre
        return float(change[t].mean() - change.mean())

    def ratio_of_changes(y_pre, y_post, treated):
        t = np.asarray(treated, bool)
        return float(y_post[t].mean() / y_pre[t].mean() - y_post[~t].mean() / y_pre[~t].mean())

    assert_try_again(check.task1(post_only), "difference after the launch only")
    assert_try_again(check.task1(treated_before_after), "change in the treated group only")
    assert_try_again(check.task1(control_minus_treated), "sign is reversed")
    assert_try_again(check.task1(against_everyone), "CONTROL group's change")
    assert_try_again(check.task1(ratio_of_changes), "your DiD estimate is")
    assert_try_again(check.task1(lambda *a: 2.76), "your DiD estimate is")          # Card & Krueger's number
    assert_try_again(check.task1(lambda *a: (1.0, 0.2)), "single number")


def test_task2_wrong_answers():
    def raw_difference(x, treated, weights):
        t = np.asarray(treated, bool)
        return float(np.average(x[t], weights=weights[t]) - np.average(x[~t], weights=weights[~t]))

    def ignores_weights(x, treated, weights):
        return standardized_difference(x, treated, np.ones_like(x))

    def weighted_denominator(x, treated, weights):
        t = np.asarray(treated, bool)
        m1, m0 = np.average(x[t], weights=weights[t]), np.average(x[~t], weights=weights[~t])
        v1 = np.average((x[t] - m1) ** 2, weights=weights[t])
        v0 = np.average((x[~t] - m0) ** 2, weights=weights[~t])
        return float((m1 - m0) / np.sqrt((v1 + v0) / 2))

    def control_sd(x, treated, weights):                       # Glass's delta
        t = np.asarray(treated, bool)
        return raw_difference(x, treated, weights) / float(x[~t].std(ddof=1))

    def all_units_sd(x, treated, weights):
        return raw_difference(x, treated, weights) / float(x.std(ddof=1))

    def population_variances(x, treated, weights):
        t = np.asarray(treated, bool)
        return raw_difference(x, treated, weights) / float(np.sqrt((x[t].var() + x[~t].var()) / 2))

    def absolute(x, treated, weights):
        return abs(standardized_difference(x, treated, weights))

    assert_try_again(check.task2(raw_difference), "raw difference in means")
    assert_try_again(check.task2(ignores_weights), "ignores the weights")
    assert_try_again(check.task2(weighted_denominator), "UNWEIGHTED variances")
    assert_try_again(check.task2(control_sd), "denominator")
    assert_try_again(check.task2(all_units_sd), "denominator")
    assert_try_again(check.task2(population_variances), "ddof=1")
    assert_try_again(check.task2(absolute), "keep the sign")
    assert_try_again(check.task2(lambda x, t, w: -standardized_difference(x, t, w)), "sign is reversed")


def test_task3_wrong_answers():
    def horvitz_thompson(y, treated, ps):                   # unnormalised weights
        t = np.asarray(treated, bool)
        return float((np.where(t, y / ps, 0) - np.where(t, 0, y / (1 - ps))).mean())

    def att_weights(y, treated, ps):
        t = np.asarray(treated, bool)
        return float(y[t].mean() - np.average(y[~t], weights=ps[~t] / (1 - ps[~t])))

    def one_over_ps_for_all(y, treated, ps):
        t = np.asarray(treated, bool)
        return float(np.average(y[t], weights=1 / ps[t]) - np.average(y[~t], weights=1 / ps[~t]))

    def swapped(y, treated, ps):
        t = np.asarray(treated, bool)
        return float(np.average(y[t], weights=1 / (1 - ps[t])) - np.average(y[~t], weights=1 / ps[~t]))

    def unweighted(y, treated, ps):
        t = np.asarray(treated, bool)
        return float(y[t].mean() - y[~t].mean())

    def clipped(y, treated, ps):                             # trimming the propensities changes the estimate
        return ipw_ate(y, treated, np.clip(ps, 0.1, 0.9))

    assert_try_again(check.task3(horvitz_thompson), "SUM OF WEIGHTS")
    assert_try_again(check.task3(att_weights), "ATT")
    assert_try_again(check.task3(one_over_ps_for_all), "1 / (1 - ps)")
    assert_try_again(check.task3(swapped), "swapped")
    assert_try_again(check.task3(unweighted), "unweighted difference")
    assert_try_again(check.task3(clipped), "your IPW estimate is")
    assert_try_again(check.task3(lambda y, t, ps: 2.0), "your IPW estimate is")     # the lesson's true effect


def test_task4_wrong_answers():
    def ignores_caliper(y, treated, score, caliper):
        return matched_att(y, treated, score, np.inf)

    def unmatched_count_as_zero(y, treated, score, caliper):
        t = np.asarray(treated, bool)
        kept = matched_att(y, treated, score, caliper)
        n_kept = sum(np.abs(score[~t] - score[i]).min() <= caliper for i in np.flatnonzero(t))
        return kept * n_kept / t.sum()

    def controls_to_treated(y, treated, score, caliper):     # the effect on the controls
        t = np.asarray(treated, bool)
        diffs = []
        for j in np.flatnonzero(~t):
            dist = np.where(t, np.abs(score - score[j]), np.inf)
            i = int(np.argmin(dist))
            if dist[i] <= caliper:
                diffs.append(y[i] - y[j])
        return float(np.mean(diffs))

    def without_replacement(y, treated, score, caliper):
        t = np.asarray(treated, bool)
        free = set(np.flatnonzero(~t).tolist())
        diffs = []
        for i in sorted(np.flatnonzero(t), key=lambda i: -score[i]):
            if not free:
                break
            j = min(free, key=lambda c: abs(score[c] - score[i]))
            if abs(score[j] - score[i]) <= caliper:
                free.remove(j)
                diffs.append(y[i] - y[j])
        return float(np.mean(diffs))

    def on_the_propensity_scale(y, treated, score, caliper):   # caliper applied to expit(score)
        return matched_att(y, treated, 1 / (1 + np.exp(-score)), caliper)

    assert_try_again(check.task4(ignores_caliper), "Drop a treated unit")
    assert_try_again(check.task4(unmatched_count_as_zero), "MATCHED treated units only")
    assert_try_again(check.task4(controls_to_treated), "each treated unit gets its nearest control")
    assert_try_again(check.task4(without_replacement), "WITH replacement")
    assert_try_again(check.task4(on_the_propensity_scale), "your matched ATT is")
    assert_try_again(check.task4(lambda y, t, s, c: -matched_att(y, t, s, c)), "sign is reversed")


def test_task5_wrong_answers():
    def always_parallel(y, treated, first_post):
        return True

    def never_parallel(y, treated, first_post):
        return False

    def compares_levels(y, treated, first_post):            # a t test of the pre-period means
        t = np.asarray(treated, bool)
        pre = y[:, :first_post].mean(1)
        return bool(sps.ttest_ind(pre[t], pre[~t]).pvalue >= 0.05)

    def uses_all_periods(y, treated, first_post):           # slopes over every period, the post ones included
        t = np.asarray(treated, bool)
        k = np.arange(y.shape[1]) - (y.shape[1] - 1) / 2
        slope = y @ k / (k @ k)
        return bool(sps.ttest_ind(slope[t], slope[~t]).pvalue >= 0.05)

    def returns_p_value(y, treated, first_post):
        return 0.42

    assert_try_again(check.task5(always_parallel), "drift away")
    assert_try_again(check.task5(never_parallel), "LEVEL")
    assert_try_again(check.task5(compares_levels), "not levels")
    assert_try_again(check.task5(uses_all_periods), "only the periods before first_post")
    assert_try_again(check.task5(returns_p_value), "should be a bool")


def test_other_valid_pretrend_checks_pass():
    """The last task leaves the method open: other sensible 5% tests of the pre-trends pass too."""
    def unit_slopes(y, treated, first_post):
        t = np.asarray(treated, bool)
        k = np.arange(first_post) - (first_post - 1) / 2
        slope = y[:, :first_post] @ k / (k @ k)
        return bool(sps.ttest_ind(slope[t], slope[~t], equal_var=False).pvalue >= 0.05)

    def first_vs_last_pre(y, treated, first_post):
        t = np.asarray(treated, bool)
        change = y[:, first_post - 1] - y[:, 0]
        return bool(sps.ttest_ind(change[t], change[~t], equal_var=False).pvalue >= 0.05)

    def each_lead_bonferroni(y, treated, first_post):
        t = np.asarray(treated, bool)
        ref = first_post - 1
        ps = [sps.ttest_ind((y[:, k] - y[:, ref])[t], (y[:, k] - y[:, ref])[~t]).pvalue for k in range(ref)]
        return bool(min(ps) >= 0.05 / len(ps))

    for answer in (unit_slopes, first_vs_last_pre, each_lead_bonferroni):
        assert check.task5(answer).passed, answer.__name__
