"""Known wrong answers for the lesson 13 checks (the contract test covers the generic cases)."""

import numpy as np
from checkhelpers import assert_try_again

from labsupport import capstone, multiple, srm, stats
from labsupport.checks import lesson13 as check


def srm_browser(users, threshold=0.001):
    best, best_p = None, threshold
    for browser, rows in users.groupby("browser"):
        p = srm.srm_test([int((rows.variant == "control").sum()), int((rows.variant == "treatment").sum())]).p_value
        if p < best_p:
            best, best_p = browser, p
    return best


def guardrail_verdict(control, treatment, higher_is_better, tolerance):
    res = stats.welch_ttest(control, treatment)
    return multiple.guardrail_status(multiple.Metric.from_result("g", res, higher_is_better, tolerance))


def exposure_effects(clicks, enroll_day, treated, max_day):
    return capstone.exposure_day_effects(clicks, enroll_day, treated, max_day).estimate


def segment_pvalues(y, treated, segment):
    effects, adjusted = capstone.segment_effects(y, treated, segment)
    return dict(zip(effects.labels, adjusted))


def conversion_effect(enroll_day, conversion_time, treated, n_days, window):
    mature = capstone.matured(enroll_day, n_days, window)
    conv = capstone.converted_within(enroll_day, conversion_time, window)
    return float(conv[mature & treated].mean() - conv[mature & ~treated].mean())


TASKS = [(check.task1, srm_browser), (check.task2, guardrail_verdict), (check.task3, exposure_effects),
         (check.task4, segment_pvalues), (check.task5, conversion_effect)]


def _shares(users):
    g = users.groupby("browser").variant
    return g.apply(lambda s: (s == "treatment").mean()), g.apply(lambda s: (s == "treatment").sum())


def test_task1_wrong_answers():
    assert_try_again(check.task1(lambda users, threshold=0.001: _shares(users)[1].idxmin()), "fewest treatment users")
    # the lowest share, no test: names a small browser by chance (and never says None)
    assert_try_again(check.task1(lambda users, threshold=0.001: _shares(users)[0].idxmin()), "lowest treatment share")
    # ignores the threshold: the smallest p even where nothing fails
    def no_threshold(users, threshold=0.001):
        return srm_browser(users, threshold=1.0 - 1e-12)
    assert_try_again(check.task1(no_threshold), "return None")
    assert_try_again(check.task1(lambda users, threshold=0.001: "chrome"))


def test_task2_wrong_answers():
    assert_try_again(check.task2(lambda a, b, h, tol: guardrail_verdict(a, b, True, tol)), "lower-is-better")
    assert_try_again(check.task2(lambda a, b, h, tol: guardrail_verdict(a, b, h, 0.0)), "ignores the tolerance")
    assert_try_again(check.task2(lambda a, b, h, tol: "fail" if stats.welch_ttest(a, b).p_value < 0.05 else "pass"),
                     "significant change")
    assert_try_again(check.task2(lambda a, b, h, tol: "pass"))


def test_task3_wrong_answers():
    assert_try_again(check.task3(lambda c, e, t, m: -exposure_effects(c, e, t, m)), "sign")

    def calendar(c, e, t, m):
        return np.array([np.nanmean(c[t, d]) - np.nanmean(c[~t, d]) for d in range(m + 1)])
    assert_try_again(check.task3(calendar), "calendar day")
    assert_try_again(check.task3(lambda c, e, t, m: exposure_effects(c, e, t, m + 1)[1:]), "off by one")

    def zero_filled(c, e, t, m):
        z = np.nan_to_num(c)
        return np.array([z[t, d:].mean() - z[~t, d:].mean() for d in range(m + 1)])
    assert_try_again(check.task3(zero_filled), "missing, not zero")
    assert_try_again(check.task3(lambda c, e, t, m: exposure_effects(c, e, t, m)[:-1]), "shape")


def test_task4_wrong_answers():
    def adjusted(method):
        def fn(y, t, s):
            eff, _ = capstone.segment_effects(y, t, s)
            return dict(zip(eff.labels, multiple.adjust_pvalues(eff.p_value, method).adjusted))
        return fn

    def raw(y, t, s):
        eff, _ = capstone.segment_effects(y, t, s)
        return dict(zip(eff.labels, eff.p_value))
    assert_try_again(check.task4(raw), "raw p-values")
    assert_try_again(check.task4(adjusted("bonferroni")), "Bonferroni")
    assert_try_again(check.task4(adjusted("bh")), "Benjamini-Hochberg")
    assert_try_again(check.task4(lambda y, t, s: list(segment_pvalues(y, t, s).values())), "dict")


def test_task5_wrong_answers():
    def all_cohorts(e, ct, t, n_days, w):
        ever = np.isfinite(ct)
        return float(ever[t].mean() - ever[~t].mean())

    def ever_in_matured(e, ct, t, n_days, w):
        m, ever = capstone.matured(e, n_days, w), np.isfinite(ct)
        return float(ever[m & t].mean() - ever[m & ~t].mean())

    def off_by_one(e, ct, t, n_days, w):
        m, conv = e + w < n_days, capstone.converted_within(e, ct, w)
        return float(conv[m & t].mean() - conv[m & ~t].mean())
    assert_try_again(check.task5(all_cohorts), "every cohort")
    assert_try_again(check.task5(ever_in_matured), "inside the window")
    assert_try_again(check.task5(off_by_one), "off by one")
    assert_try_again(check.task5(lambda *a: -conversion_effect(*a)), "sign")
    assert_try_again(check.task5(lambda *a: 0.0))
