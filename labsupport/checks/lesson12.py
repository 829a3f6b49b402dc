"""Checks for lesson 12, when you cannot randomize (solutions/12_observational_exercises.ipynb)."""

from __future__ import annotations

import functools

import numpy as np

from .. import observational as _ob
from . import call, expect_number, expect_real, expect_type, fail, task

REL = 1e-6


def _close(a, b):
    return bool(np.isclose(a, b, rtol=REL, atol=1e-12))


# ----------------------------------------------------------------------------- task 1: the 2x2 DiD

@functools.lru_cache(maxsize=None)
def _did_cases():
    cases = []
    for seed, units, share, level_gap, effect in ((121, 40, 0.5, 3.0, 1.0), (122, 25, 0.32, -2.0, 0.5),
                                                  (123, 200, 0.4, 5.0, -1.5)):
        panel = _ob.simulate_panel(units, 6, 3, np.random.default_rng(seed), effect=effect, share_treated=share,
                                   level_gap=level_gap)
        pre, post = panel.pre_post_means()
        pre = pre + 4.0                                    # a common shock between the two periods
        cases.append((pre, post + 7.0, np.array(panel.treated)))
    return cases


@task("task 1: the 2x2 difference-in-differences")
def task1(fn):
    for pre, post, treated in _did_cases():
        value = expect_real(call(fn, pre.copy(), post.copy(), treated.copy()), "the DiD estimate",
                            "Return one number, treated minus control.")
        ref = _ob.did_2x2(pre, post, treated).estimate
        t = treated
        if _close(value, -ref):
            fail("the sign is reversed: the DiD is the treated group's change MINUS the control group's change.")
        if _close(value, post[t].mean() - post[~t].mean()):
            fail("that is the difference after the launch only: it still contains the gap between the groups that "
                 "was there before. Subtract the pre-period difference (or compare changes).")
        if _close(value, post[t].mean() - pre[t].mean()):
            fail("that is the change in the treated group only: it still contains what happened to everyone "
                 "between the two periods. Subtract the control group's change.")
        if _close(value, (post - pre)[t].mean() - (post - pre).mean()):
            fail("compare the treated group's change with the CONTROL group's change, not with everyone's.")
        expect_number(value, ref, what="your DiD estimate", rel=REL,
                      hint="(mean after - mean before) of the treated minus the same for the controls.")
    return "your DiD matches the interaction coefficient of y ~ treated * post."


# ----------------------------------------------------------------------------- task 2: standardised differences

@functools.lru_cache(maxsize=None)
def _smd_cases():
    rng = np.random.default_rng(1212)
    cases = []
    for n, shift, spread, weighted in ((300, 0.6, 2.0, True), (120, -0.4, 0.5, True), (500, 0.3, 1.0, False),
                                       (80, 1.0, 3.0, True)):
        treated = rng.random(n) < 0.35
        x = rng.normal(0, 1, n) * np.where(treated, spread, 1.0) + shift * treated
        weights = rng.gamma(1.5, 1.0, n) + 0.05 if weighted else np.ones(n)
        cases.append((x, treated, weights))
    return cases


def _smd_variants(x, t, w):
    m1, m0 = np.average(x[t], weights=w[t]), np.average(x[~t], weights=w[~t])
    v1, v0 = x[t].var(ddof=1), x[~t].var(ddof=1)
    wv1 = np.average((x[t] - m1) ** 2, weights=w[t])
    wv0 = np.average((x[~t] - m0) ** 2, weights=w[~t])
    u1, u0 = x[t].mean(), x[~t].mean()
    return {"ref": (m1 - m0) / np.sqrt((v1 + v0) / 2), "raw": m1 - m0,
            "unweighted": (u1 - u0) / np.sqrt((v1 + v0) / 2),
            "weighted_sd": (m1 - m0) / np.sqrt((wv1 + wv0) / 2),
            "control_sd": (m1 - m0) / np.sqrt(v0), "treated_sd": (m1 - m0) / np.sqrt(v1),
            "all_sd": (m1 - m0) / x.std(ddof=1), "sum_var": (m1 - m0) / np.sqrt(v1 + v0),
            "ddof0": (m1 - m0) / np.sqrt((x[t].var() + x[~t].var()) / 2)}


@task("task 2: standardised mean difference with weights")
def task2(fn):
    for x, treated, weights in _smd_cases():
        value = expect_real(call(fn, x.copy(), treated.copy(), weights.copy()), "the standardised difference",
                            "Return one number for the covariate.")
        var = _smd_variants(x, treated, weights)
        ref = var["ref"]
        uniform = bool(np.all(weights == weights[0]))
        if _close(value, abs(ref)) and ref < 0:
            fail("keep the sign (treated minus control); take absolute values only when you compare with 0.1.")
        if _close(value, -ref):
            fail("the sign is reversed: treated minus control.")
        if _close(value, var["raw"]):
            fail("that is the raw difference in means: divide it by the pooled standard deviation, so that "
                 "covariates on different scales can be compared with the same threshold.")
        if not uniform and _close(value, var["unweighted"]):
            fail("your answer ignores the weights: after matching or weighting, the means of each group are "
                 "WEIGHTED means (np.average with weights).")
        if not uniform and _close(value, var["weighted_sd"]):
            fail("the denominator uses weighted variances; use the UNWEIGHTED variances of the two groups, so that "
                 "the denominator is the same before and after weighting and a change shows a change in the means.")
        for key in ("control_sd", "treated_sd", "all_sd", "sum_var"):
            if _close(value, var[key]):
                fail("check the denominator: it is sqrt((s_T^2 + s_C^2) / 2), the average of the two groups' "
                     "variances, not one group's variance, the variance of all units together or their sum.")
        if _close(value, var["ddof0"]):
            fail("use sample variances (ddof=1) for s_T^2 and s_C^2.")
        expect_number(value, ref, what="your standardised difference", rel=REL,
                      hint="(weighted mean of the treated - weighted mean of the controls) / sqrt((s_T^2 + s_C^2) / 2).")
    return "your standardised differences match labsupport.observational.standardized_differences."


# ----------------------------------------------------------------------------- task 3: normalised IPW

@functools.lru_cache(maxsize=None)
def _ipw_cases():
    designs = (_ob.OptInDesign(), _ob.OptInDesign(effect=-1.0, intercept=0.5, activity_optin=0.8),
               _ob.OptInDesign(effect=3.0, intercept=-2.0, tenure_optin=1.2))
    cases = []
    for k, design in enumerate(designs):
        data = design.simulate(1_500, np.random.default_rng(1300 + k))
        cases.append((data.y, data.treated, data.propensity))
    return cases


@task("task 3: normalised inverse-propensity weighting")
def task3(fn):
    for y, treated, ps in _ipw_cases():
        value = expect_real(call(fn, y.copy(), treated.copy(), ps.copy()), "the IPW estimate of the ATE",
                            "Return one number, treated minus control.")
        t = treated
        ref = _ob.ipw_effect(y, t, ps)
        if _close(value, -ref):
            fail("the sign is reversed: treated minus control.")
        if _close(value, _ob.ipw_effect(y, t, ps, normalized=False)):
            fail("that is the unnormalised (Horvitz-Thompson) estimator: divide each group's weighted sum of y by "
                 "that group's SUM OF WEIGHTS, not by the number of units.")
        if _close(value, _ob.ipw_effect(y, t, ps, estimand="att")):
            fail("those are the weights of the effect on the treated (ATT). For the ATE the treated get 1/ps and "
                 "the controls 1/(1 - ps).")
        if _close(value, _ob.naive_difference(y, t)):
            fail("that is the unweighted difference in means: weight each unit by the inverse of the probability "
                 "of the arm it is in.")
        inv_all = 1 / ps
        if _close(value, np.average(y[t], weights=inv_all[t]) - np.average(y[~t], weights=inv_all[~t])):
            fail("the controls are weighted by 1 / (1 - ps), the inverse probability of NOT being treated.")
        if _close(value, np.average(y[t], weights=1 / (1 - ps[t])) - np.average(y[~t], weights=1 / ps[~t])):
            fail("the weights are swapped: treated units get 1 / ps and controls 1 / (1 - ps).")
        expect_number(value, ref, what="your IPW estimate", rel=REL,
                      hint="each group's weighted mean of y with weights 1/ps (treated) and 1/(1-ps) (controls), "
                           "then treated minus control.")
    return "your estimator matches statsmodels' TreatmentEffect.ipw (normalised weights)."


# ----------------------------------------------------------------------------- task 4: caliper matching

@functools.lru_cache(maxsize=None)
def _match_cases():
    cases = []
    for seed, n, caliper in ((140, 300, 0.05), (141, 120, 0.2), (142, 800, 0.02)):
        data = _ob.OptInDesign(intercept=-0.3).simulate(n, np.random.default_rng(seed))
        score = np.log(data.propensity / (1 - data.propensity))
        cases.append((data.y, data.treated, score, caliper))
    return cases


def _nearest(score_from, score_to):
    return np.abs(score_from[:, None] - score_to[None, :]).argmin(axis=1)


@task("task 4: nearest-neighbour matching with a caliper")
def task4(fn):
    for y, treated, score, caliper in _match_cases():
        value = expect_real(call(fn, y.copy(), treated.copy(), score.copy(), caliper), "the matched ATT",
                            "Return one number: the mean of treated minus matched control over the matched treated.")
        t = treated
        ref = _ob.match_effect(y, t, score, caliper=caliper)
        if _close(value, -ref.estimate):
            fail("the sign is reversed: treated minus its matched control.")
        if _close(value, _ob.match_effect(y, t, score).estimate):
            fail(f"with caliper={caliper} some treated units have no control that close; your answer keeps them. "
                 f"Drop a treated unit when the distance to its nearest control exceeds the caliper.")
        yt, yc, st, sc = y[t], y[~t], score[t], score[~t]
        j = _nearest(st, sc)
        keep = np.abs(st - sc[j]) <= caliper
        if _close(value, (yt - yc[j])[keep].sum() / t.sum()):
            fail("average over the MATCHED treated units only: the dropped ones do not count as zeros.")
        i = _nearest(sc, st)
        keep_c = np.abs(sc - st[i]) <= caliper
        if keep_c.any() and _close(value, (yt[i] - yc)[keep_c].mean()):
            fail("you matched each CONTROL to its nearest treated unit (an effect on the controls). For the ATT, "
                 "each treated unit gets its nearest control.")
        greedy = _ob.match_effect(y, t, score, replace=False, caliper=caliper)
        if _close(value, greedy.estimate):
            fail("this task matches WITH replacement: a control may be the nearest neighbour of several treated "
                 "units. Yours uses each control at most once.")
        expect_number(value, ref.estimate, what="your matched ATT", rel=REL,
                      hint="for each treated unit, the control with the smallest |score difference| (reuse "
                           "allowed); keep the pairs within the caliper; average treated minus control.")
    return "your matching agrees with labsupport.observational.match_effect."


# ----------------------------------------------------------------------------- task 5: parallel pre-trends (goal only)

@functools.lru_cache(maxsize=None)
def _trend_cases():
    """(y, treated, first_post, parallel?, what the case is about).

    Seeds of the parallel cases chosen so that every sensible 5% test (joint F test of the event-study leads,
    each lead alone, unit slopes before the start, first vs last pre-period DiD) has p > 0.3 there; the
    drifting cases have p < 1e-9 for each of them (for the lead-by-lead test: its smallest p).
    """
    spec = [  # seed, units, periods, first_post, level_gap, effect, trend_gap, kind
        (153, 300, 8, 5, 4.0, 0.0, 0.0, "level"),         # parallel, a big level gap
        (153, 300, 8, 5, 0.0, 3.0, 0.0, "effect"),        # parallel (the same noise), a big effect after the start
        (160, 300, 8, 5, 1.0, 0.0, 0.6, "drift"),         # launched units drift up before the start
        (151, 200, 10, 6, -3.0, 2.0, 0.0, "both"),        # parallel, both a level gap and an effect
        (161, 300, 8, 5, 0.0, 0.0, -0.5, "drift"),        # launched units drift down
    ]
    cases = []
    for seed, units, periods, first, level, effect, gap, kind in spec:
        panel = _ob.simulate_panel(units, periods, first, np.random.default_rng(seed), effect=effect,
                                   level_gap=level, trend_gap=gap, rho=0.3)
        cases.append((panel.y, np.array(panel.treated), first, gap == 0.0, kind))
    return cases


@task("task 5: are the pre-trends parallel?")
def task5(fn):
    for y, treated, first_post, parallel, kind in _trend_cases():
        value = call(fn, y.copy(), treated.copy(), first_post)
        expect_type(value, (bool, np.bool_), what="your decision",
                    hint="Return True when the pre-launch periods support parallel trends, False when they do not.")
        if bool(value) == parallel:
            continue
        if not parallel:
            fail("in one case the launched units drift away from the others well before first_post (a clear "
                 "pre-trend), and your function said the trends are parallel. Compare how the two groups CHANGE "
                 "from period to period before the launch, and test whether those changes differ.")
        if kind in ("level", "both"):
            fail("in one case the groups differ in LEVEL but move in parallel, and your function said False. "
                 "Parallel trends is about changes, not levels: a constant gap is fine for a DiD.")
        fail("in one case the groups move in parallel before first_post and the treatment has an effect after it, "
             "and your function said False. Use only the periods before first_post: after the launch the effect "
             "itself makes the groups diverge.")
    return "your check flags the drifting designs and passes the parallel ones, whatever their levels and effects."
