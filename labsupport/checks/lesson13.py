"""Checks for lesson 13, the capstone (solutions/13_capstone_exercises.ipynb)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import capstone as _cap
from .. import multiple as _multiple
from .. import stats as _stats
from . import call, expect_array, expect_real, expect_type, fail, task

# --- task 1: which browser causes the SRM? ------------------------------------------------------


def _users(counts):
    """A users table from {browser: (control, treatment)}."""
    rows = [(b, arm) for b, (nc, nt) in counts.items() for arm, k in (("control", nc), ("treatment", nt))
            for _ in range(k)]
    return pd.DataFrame(rows, columns=["browser", "variant"])


SRM_CASES = [
    # firefox lost a fifth of its treatment users; edge has a lower share but only by chance
    ({"chrome": (5000, 5010), "firefox": (2000, 1600), "edge": (30, 20), "opera": (12, 14)}, "firefox"),
    # no SRM anywhere: a correct answer says None
    ({"chrome": (4000, 3950), "safari": (2000, 2040), "edge": (300, 280)}, None),
    # safari is off; edge has the fewest treatment users but is fine
    ({"chrome": (6000, 6050), "safari": (3000, 2500), "edge": (200, 195)}, "safari"),
]


@task("task 1: the browser behind the SRM")
def task1(fn):
    for counts, expected in SRM_CASES:
        users = _users(counts)
        answer = call(fn, users.copy())
        if answer is not None and not isinstance(answer, str):
            fail(f"return a browser name (a str) or None; your function returned {type(answer).__name__}.")
        if answer == expected:
            continue
        if expected is None:
            fail("in a case with no mismatch in any browser you still named one: return None unless "
                 "a browser's own counts fail the SRM test at the threshold.")
        treat = {b: nt for b, (nc, nt) in counts.items()}
        share = {b: nt / (nc + nt) for b, (nc, nt) in counts.items()}
        if answer == min(treat, key=treat.get):
            fail("you named the browser with the fewest treatment users: a small browser has few users "
                 "in both arms; test each browser's split against the planned 50/50.")
        if answer == min(share, key=share.get):
            fail("you named the browser with the lowest treatment share, but that share can be chance in a "
                 "small browser: use the SRM test's p-value, not the raw share.")
        fail(f"for counts {counts} the mismatch is in another browser (or none): run the SRM test "
             "within each browser.")
    return "the redirect's browser found."


# --- task 2: a guardrail in the right direction -------------------------------------------------


def _guard_cases():
    gen = np.random.default_rng(1301)
    base = gen.standard_normal(4000)
    # (control, treatment, higher_is_better, tolerance); the shifts make each convention disagree
    return [
        (300 + 60 * base[:2000], 318 + 60 * base[2000:], False, 5.0),   # latency up 18 ms: fail
        (0.5 + base[:2000], 0.41 + base[2000:], True, 0.02),             # a drop of 0.09: fail
        (300 + 60 * base[:2000], 296 + 60 * base[2000:], False, 1.0),   # latency down: pass
        (1.0 + 0.1 * base[:2000], 0.99 + 0.1 * base[2000:], True, 0.02),  # small significant drop: pass
        (300 + 60 * base[:2000], 303 + 60 * base[2000:], False, 5.0),   # CI reaches past 5 ms: unclear
    ]


def _status(a, b, higher, tol):
    return _multiple.guardrail_status(_multiple.Metric.from_result("g", _stats.welch_ttest(a, b), higher, tol))


@task("task 2: the guardrail's verdict")
def task2(fn):
    for a, b, higher, tol in _guard_cases():
        answer = call(fn, a.copy(), b.copy(), higher, tol)
        expect_type(answer, str, what="the verdict", hint='Return "pass", "fail" or "unclear".')
        if answer not in ("pass", "fail", "unclear"):
            fail(f'the verdict must be "pass", "fail" or "unclear"; got {answer!r}.')
        ref = _status(a, b, higher, tol)
        if answer == ref:
            continue
        if answer == _status(a, b, True, tol) and not higher:
            fail("for a lower-is-better metric (latency) harm is a RISE: your verdict reads it as "
                 "higher-is-better.")
        if answer == _status(a, b, higher, 0.0):
            fail("your verdict ignores the tolerance: harm within the tolerated amount passes.")
        significant = _stats.welch_ttest(a, b).p_value < 0.05
        if answer == ("fail" if significant else "pass"):
            fail("a significant change is not the same as harm beyond the tolerance: compare the "
                 "interval, turned into harm, with the tolerance.")
        fail(f'the verdict for a case with higher_is_better={higher}, tolerance={tol} should differ.')
    return "guardrails read in their own direction."


# --- task 3: the effect by day of exposure ------------------------------------------------------


def _exposure_case(seed, users, days):
    gen = np.random.default_rng(seed)
    enroll = gen.integers(days - 2, size=users)
    treated = gen.random(users) < 0.5
    k = np.arange(days)[None, :] - enroll[:, None]
    rate = 2.0 * (1 + treated[:, None] * (0.05 + 0.4 * np.exp(-np.maximum(k, 0) / 1.5))) * (1 + 0.05 * np.arange(days))
    clicks = gen.poisson(rate).astype(float)
    clicks[k < 0] = np.nan
    return clicks, enroll, treated


@task("task 3: the effect by day of exposure")
def task3(fn):
    for seed, users, days, max_day in ((1, 3000, 8, 5), (2, 2000, 10, 7), (3, 4000, 6, 3)):
        clicks, enroll, treated = _exposure_case(seed, users, days)
        ref = _cap.exposure_day_effects(clicks, enroll, treated, max_day).estimate
        answer = call(fn, clicks.copy(), enroll.copy(), treated.copy(), max_day)
        try:
            arr = np.asarray(answer, dtype=float)
        except (TypeError, ValueError):
            fail(f"return an array of {max_day + 1} numbers (exposure days 0..max_day); your function "
                 f"returned {type(answer).__name__}.")
        if arr.shape != ref.shape:
            fail(f"return one effect per exposure day 0..max_day, shape {ref.shape}; yours has shape {arr.shape}.")
        if np.allclose(arr, -ref, rtol=1e-6):
            fail("the sign is reversed: effects are treatment minus control.")
        calendar = np.array([np.nanmean(clicks[treated, d]) - np.nanmean(clicks[~treated, d])
                             for d in range(max_day + 1)])
        if np.allclose(arr, calendar, rtol=1e-6):
            fail("those are effects by calendar day; the day of exposure counts days since each "
                 "user's own first exposure.")
        shifted = _cap.exposure_day_effects(clicks, enroll, treated, max_day + 1).estimate[1:]
        if np.allclose(arr, shifted, rtol=1e-6):
            fail("off by one day: exposure day 0 is the day of first exposure itself.")
        zeros = np.nan_to_num(clicks)
        filled = np.array([zeros[treated, d:].mean() - zeros[~treated, d:].mean() for d in range(max_day + 1)])
        if np.allclose(arr, filled, rtol=1e-6):
            fail("days after the end of the data are missing, not zero clicks.")
        expect_array(arr, ref, what=f"the effects by exposure day (case {seed})", rel=1e-6, abs_tol=1e-9,
                     hint="for exposure day k, compare the arms' mean clicks on calendar day enroll_day + k, "
                          "among users who have that day.")
    return "the novelty effect is visible day by day."


# --- task 4: segments without fishing -----------------------------------------------------------


def _segment_case(seed, n, levels):
    gen = np.random.default_rng(seed)
    seg = np.asarray([f"s{i}" for i in range(levels)])[gen.integers(levels, size=n)]
    treated = gen.random(n) < 0.5
    y = gen.standard_normal(n) + treated * (0.4 * (seg == "s0") + 0.3 * (seg == "s1") + 0.2 * (seg == "s2"))
    return y, treated, seg


@task("task 4: segments without fishing")
def task4(fn):
    for seed, n, levels in ((4, 4000, 8), (5, 3000, 5), (6, 6000, 12)):
        y, treated, seg = _segment_case(seed, n, levels)
        effects, ref = _cap.segment_effects(y, treated, seg)
        answer = call(fn, y.copy(), treated.copy(), seg.copy())
        expect_type(answer, dict, what="the adjusted p-values",
                    hint="Return a dict {segment: adjusted p-value}.")
        if sorted(answer) != list(effects.labels):
            fail(f"the dict should have one key per segment ({len(effects.labels)}); yours has "
                 f"{len(answer)} keys.")
        got = np.array([expect_real(answer[k], f"the p-value of {k}") for k in effects.labels])
        close = lambda other: np.allclose(got, other, rtol=1e-6) and not np.allclose(other, ref, rtol=1e-6)  # noqa: E731
        if close(effects.p_value):
            fail("those are the raw p-values: with many segments, adjust them for multiplicity.")
        if close(np.minimum(1, effects.p_value * levels)):
            fail("that is Bonferroni; the task asks for Holm (less conservative, same guarantee).")
        if close(_multiple.adjust_pvalues(effects.p_value, "bh").adjusted):
            fail("that is Benjamini-Hochberg, which controls the false discovery rate; the claim "
                 "'this segment responds' needs the family-wise rate (Holm).")
        expect_array(got, ref, what="the adjusted p-values", rel=1e-4,
                     hint="each segment's Welch test of treatment minus control, then Holm across segments.")
    return "a segment claim now has to survive the correction."


# --- task 5: conversions without immature cohorts (goal only) ----------------------------------


def _conversion_case(seed, n, n_days, window):
    gen = np.random.default_rng(seed)
    enroll = gen.integers(n_days, size=n)
    treated = gen.random(n) < 0.5
    converts = gen.random(n) < 0.3
    delay = gen.random(n) * np.where(treated, 4.0, 12.0)
    t = np.where(converts, enroll + delay, np.inf)
    t[t >= n_days] = np.inf
    return enroll, t, treated


def _rate_diff(conv, treated, mask):
    return conv[mask & treated].mean() - conv[mask & ~treated].mean()


@task("task 5: conversions without immature cohorts")
def task5(fn):
    for seed, n, n_days, window in ((7, 20000, 21, 7), (8, 30000, 28, 10), (9, 20000, 15, 4)):
        enroll, t, treated = _conversion_case(seed, n, n_days, window)
        mat = _cap.matured(enroll, n_days, window)
        within = _cap.converted_within(enroll, t, window)
        ref = _rate_diff(within, treated, mat)
        value = expect_real(call(fn, enroll.copy(), t.copy(), treated.copy(), n_days, window),
                            "the conversion effect", "Return treatment minus control as a float.")
        ever = np.isfinite(t)
        if np.isclose(value, -ref, rtol=1e-6):
            fail("the sign is reversed: treatment minus control.")
        if np.isclose(value, _rate_diff(ever, treated, np.ones(n, bool)), rtol=1e-6) or \
                np.isclose(value, _rate_diff(within, treated, np.ones(n, bool)), rtol=1e-6):
            fail("you used every cohort, including users whose window had not closed by the end.")
        if np.isclose(value, _rate_diff(ever, treated, mat), rtol=1e-6):
            fail("among matured users, count only conversions inside the window: later ones are seen "
                 "for early cohorts only.")
        if np.isclose(value, _rate_diff(within, treated, enroll + window < n_days), rtol=1e-6) or \
                np.isclose(value, _rate_diff(within, treated, enroll + window <= n_days - 1), rtol=1e-6) or \
                np.isclose(value, _rate_diff(within, treated, enroll + window <= n_days + 1), rtol=1e-6):
            fail("off by one day in which cohorts have matured: the data end with day n_days - 1.")
        if not np.isclose(value, ref, rtol=1e-6, atol=1e-12):
            fail("the effect is off: think about which users' window-day conversion is fully observed.")
    return "immature cohorts no longer inflate the effect."
