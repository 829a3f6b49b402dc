"""Checks for lesson 01, foundations & power (solutions/01_foundations_power_exercises.ipynb).

Each check compares the learner's answer with a reference and, when it is off, with the
answers that the lesson's common mistakes give (the unpooled or continuity-corrected test, a
one-sided test, the neighbouring sample-size convention, ...), so that the hint names the
mistake it sees. Tolerances sit below the gaps between those conventions.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize as _optimize
from scipy import stats as _sps

from .. import power as _power
from .. import stats as _stats
from . import (BAND_LEVEL, call, describe, simulated_shares, expect_int, expect_number, expect_real, expect_share,
               expect_type, expect_varies, fail, same_seed_result, task)

DAYS = 14


def _pair(value, what, hint):
    """Two numbers from a tuple, list or array of length 2."""
    if isinstance(value, (tuple, list, np.ndarray)) and np.shape(value) == (2,):
        return value[0], value[1]
    fail(f"{what} should be a tuple of two numbers; your function returned {describe(value)}. {hint}")


def _first_match(value, candidates, rel, ref=None):
    """The hint of the first (answer, hint) pair whose answer is close to ``value``, else None.

    Candidates that coincide with the reference ``ref`` for this case are skipped (a slip such as
    ignoring ``alpha`` is invisible at the default alpha).
    """
    for answer, hint in candidates:
        if ref is not None and np.isclose(answer, ref, rtol=rel, atol=0):
            continue
        if np.isclose(value, answer, rtol=rel, atol=0):
            return hint
    return None


# ---- task 1 ------------------------------------------------------------------------------

@task("task 1: two-proportion z test")
def task1(fn):
    cases = [(120, 1000, 150, 1000), (30, 500, 22, 480), (410, 5000, 455, 5200)]
    for sa, na, sb, nb in cases:
        z, p = _pair(call(fn, sa, na, sb, nb), "the result", "Return (z, p_value).")
        ref = _stats.two_proportion_ztest(sa, na, sb, nb)
        z, p = expect_real(z, "z"), expect_real(p, "the p-value")
        pa, pb, pooled = sa / na, sb / nb, (sa + sb) / (na + nb)
        se0 = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        hint = _first_match(z, [
            (-ref.statistic, "z has the wrong sign: the effect is B minus A (treatment minus control)."),
            ((pb - pa) / math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb),
             "z uses the unpooled variance; under H0 (p_A = p_B) the test pools both arms to estimate "
             "the common rate."),
            (math.copysign(abs(pb - pa) - (1 / na + 1 / nb) / 2, pb - pa) / se0,
             "z has a continuity correction (Yates); this test has none."),
        ], rel=1e-6)
        if hint:
            fail(hint)
        expect_number(z, ref.statistic, what=f"z for counts {(sa, na, sb, nb)}", rel=1e-6,
                      hint="Compare your standard error with the pooled one of the task.")
        hint = _first_match(p, [
            (ref.p_value / 2, "the p-value is one-sided; the test is two-sided, so count both tails."),
            (1 - ref.p_value, "that is the probability of |N(0, 1)| being *below* |z|; the p-value is the "
                              "probability of exceeding it."),
        ], rel=1e-6)
        if hint:
            fail(hint)
        expect_number(p, ref.p_value, what=f"the p-value for counts {(sa, na, sb, nb)}", rel=1e-6,
                      hint="two-sided: the probability that |N(0, 1)| exceeds |z|.")
    return "your z test matches labsupport.stats.two_proportion_ztest."


# ---- task 2 ------------------------------------------------------------------------------

def _support(n, p):
    """Counts k with non-negligible Binomial(n, p) probability, and those probabilities."""
    low, high = _sps.binom.ppf(1e-14, n, p), _sps.binom.isf(1e-14, n, p)
    k = np.arange(int(low), int(high) + 1)
    return k, _sps.binom.pmf(k, n, p)


def exact_rejection_rates(p_a, p_b, n, alpha=0.05) -> dict:
    """Exact rejection probabilities of z-test variants with ``n`` users per arm, by enumerating all counts.

    ``pooled`` is the task's test (two-sided, pooled SE, a zero SE never rejects); the others are
    the mistakes a check recognises: ``unpooled`` SE, ``continuity`` (Yates) correction, a
    ``one-sided`` test at alpha, and ``one tail`` (|z| > z_{alpha/2} counted in one direction only).
    """
    ka, wa = _support(n, p_a)
    kb, wb = _support(n, p_b)
    a, b = ka[:, None] / n, kb[None, :] / n
    diff, pooled = b - a, (a + b) / 2
    se0 = np.sqrt(pooled * (1 - pooled) * 2 / n)
    se1 = np.sqrt((a * (1 - a) + b * (1 - b)) / n)
    z = _sps.norm.isf(alpha / 2)
    rules = {
        "pooled": np.abs(diff) > z * se0,
        "unpooled": (np.abs(diff) > z * se1) & (se1 > 0),
        "continuity": np.abs(diff) - 1 / n > z * se0,
        "one-sided": diff > _sps.norm.isf(alpha) * se0,
        "one tail": diff > z * se0,
    }
    return {name: float(wa @ rule.astype(float) @ wb) for name, rule in rules.items()}


_POWER_HINTS = {
    "unpooled": "your rate matches the z test with the unpooled standard error; under H0 the test pools "
                "both arms, (s_A + s_B) / (2n).",
    "continuity": "your rate matches a z test with a continuity correction (Yates); this test has none.",
    "one-sided": "your rate matches a one-sided test at alpha = 0.05; the test is two-sided: |z| > 1.96.",
    "one tail": "you count rejections in one direction only; a two-sided test also rejects when B is "
                "significantly *worse* (z < -1.96).",
}


def _expect_rate(value, n_sims, exact, what, hints, generic_low, generic_high):
    """``value`` lies in the band around ``exact['pooled']``; otherwise name the variant it fits."""
    low, high = _stats.binomial_band(exact["pooled"], n_sims, BAND_LEVEL)
    if low <= value <= high:
        return
    for name, hint in hints.items():
        v_low, v_high = _stats.binomial_band(min(max(exact[name], 0.0), 1.0), n_sims, BAND_LEVEL)
        if v_low <= value <= v_high:
            fail(f"{what} is outside the range a correct answer falls in: {hint}")
    fail(f"{what} is outside the range a correct answer falls in: "
         + (generic_high if value > high else generic_low))


@task("task 2: power by simulation")
def task2(fn):
    n_sims = 100_000
    expect_share(same_seed_result(fn, 0.10, 0.12, 500, 2000), "the simulated power")
    cases = [(0.20, 0.20, 20, "an A/A test with 20 users per arm"),
             (0.10, 0.20, 100, "p_a = 0.10, p_b = 0.20, n = 100"),
             (0.10, 0.12, 2000, "p_a = 0.10, p_b = 0.12, n = 2000")]
    values = simulated_shares(fn, [((p_a, p_b, n, n_sims), what) for p_a, p_b, n, what in cases], n_sims, 200,
                              "the simulated power")
    for (p_a, p_b, n, what), value in zip(cases, values):
        _expect_rate(value, n_sims, exact_rejection_rates(p_a, p_b, n), f"the simulated power for {what}",
                     _POWER_HINTS,
                     generic_low="fewer rejections than the two-sided pooled z test gives. Test one simulated "
                                 "experiment's counts with your task 1 function and compare.",
                     generic_high="more rejections than the two-sided pooled z test gives. Test one simulated "
                                  "experiment's counts with your task 1 function and compare.")
    expect_varies(fn, cases[1][:3] + (n_sims,), values[1], (301, 302), "the simulated power")
    return "your simulated power agrees with the exact power of the z test within Monte Carlo error."


# ---- task 3 ------------------------------------------------------------------------------

def _n(null_sd, alt_sd, effect, z_a, z_b, rounding=math.ceil):
    return rounding(((z_a * null_sd + z_b * alt_sd) / effect) ** 2 - 1e-9)


def _sample_size_variants(pc, pt, alpha, pw):
    """The three conventions' n, and for each the n that the common slips give (hint -> n)."""
    z_a, z_b = _sps.norm.isf(alpha / 2), _sps.norm.ppf(pw)
    alt = math.sqrt(pc * (1 - pc) + pt * (1 - pt))
    pbar = (pc + pt) / 2
    pooled_sd = math.sqrt(2 * pbar * (1 - pbar))
    h = abs(2 * math.asin(math.sqrt(pt)) - 2 * math.asin(math.sqrt(pc)))
    terms = {"pooled": (pooled_sd, alt, abs(pt - pc)), "unpooled": (alt, alt, abs(pt - pc)),
             "arcsine": (math.sqrt(2), math.sqrt(2), h)}
    ref = {m: _n(*t, z_a, z_b) for m, t in terms.items()}
    slips = {}
    for m, t in terms.items():
        slips[m] = [
            (_n(*t, z_a, z_b, math.floor), "round up with math.ceil: n rounded down misses the power."),
            (_n(*t, _sps.norm.isf(alpha), z_b), "z_alpha is one-sided; the test is two-sided: z_{1-alpha/2}."),
            (_n(*t, z_a, _sps.norm.ppf(0.8)), "the n does not change with `power`: use z_{1-beta} for the "
                                              "power asked, not a fixed 0.84."),
            (_n(*t, _sps.norm.isf(0.025), z_b), "the n does not change with `alpha`: use z_{1-alpha/2} for "
                                                "the alpha asked."),
        ] + [(n_other, f"that is the {other} convention's n, under the key \"{m}\".")
             for other, n_other in ref.items() if other != m and n_other != ref[m]]
    slips["pooled"].append((_n(math.sqrt(2 * pc * (1 - pc)), alt, abs(pt - pc), z_a, z_b),
                            "sigma_0 uses the average rate p_bar = (p_c + p_t) / 2, not the control rate."))
    slips["arcsine"].append((_n(1.0, 1.0, h, z_a, z_b), "Cohen's h has variance 1 per arm, so 2 for the "
                                                        "difference of two arms: n = 2 ((z_a + z_b) / h)^2."))
    return ref, slips


@task("task 3: sample size under three conventions")
def task3(fn):
    cases = [(0.10, 0.12, 0.05, 0.8), (0.50, 0.75, 0.05, 0.9), (0.20, 0.15, 0.01, 0.9)]
    for pc, pt, alpha, pw in cases:
        result = call(fn, pc, pt, alpha, pw)
        expect_type(result, dict, what="the result", hint='Return {"pooled": n, "unpooled": n, "arcsine": n}.')
        if set(result) != set(_power.METHODS):
            fail(f"the dict should have exactly the keys {list(_power.METHODS)}; yours has {sorted(map(str, result))}.")
        ref, slips = _sample_size_variants(pc, pt, alpha, pw)
        for method in _power.METHODS:
            value = result[method]
            if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value != ref[method]:
                hint = _first_match(value, slips[method], rel=0)
                if hint:
                    fail(f"the {method} n for {(pc, pt, alpha, pw)} is off: {hint}")
            expect_int(value, ref[method], what=f"the {method} n for {(pc, pt, alpha, pw)}",
                       hint=f"Compare your sigma_0, sigma_1 and effect with the {method} row of the task.")
    return "all three conventions match labsupport.power.sample_size_proportions."


# ---- task 4 ------------------------------------------------------------------------------

def _mde_near_tail(base, n, alpha, pw, pooled=True):
    """The MDE from the task's formula (the near tail only), solved to full precision; unpooled on request."""
    z_a = _sps.norm.isf(alpha / 2)

    def gap(pt):
        pbar = (base + pt) / 2
        alt = math.sqrt(base * (1 - base) + pt * (1 - pt))
        null = math.sqrt(2 * pbar * (1 - pbar)) if pooled else alt
        return _sps.norm.cdf((math.sqrt(n) * (pt - base) - z_a * null) / alt) - pw
    return _optimize.brentq(gap, base + 1e-12, 1 - 1e-12, xtol=1e-15) - base


@task("task 4: MDE of a two-week test")
def task4(fn):
    cases = [(5000, 0.10, 0.05, 0.8), (20_000, 0.03, 0.05, 0.8), (1200, 0.25, 0.01, 0.9)]
    rel = 1e-7  # the pooled vs unpooled gap is 1e-5 here; counting the far tail or not moves it 1e-6
    for daily, base, alpha, pw in cases:
        value = expect_real(call(fn, daily, base, alpha, pw), "the MDE")
        n = DAYS * daily / 2
        ref = _mde_near_tail(base, n, alpha, pw)
        if any(np.isclose(value, r, rtol=rel, atol=0) for r in (ref, _power.mde_proportions(base, n, alpha, pw))):
            continue
        z = _sps.norm.isf(alpha / 2) + _sps.norm.ppf(pw)
        hint = _first_match(value, [
            (_mde_near_tail(base, DAYS * daily, alpha, pw),
             "the MDE is too small: the two-week users are split between two arms."),
            (_mde_near_tail(base, 7 * daily / 2, alpha, pw), "that is a one-week test; this one runs 14 days."),
            (ref / base, "that looks like a relative MDE; return the absolute increase p_t - p_c."),
            (_power.mde_proportions(base, n, alpha, pw, method="unpooled"),
             "that is the unpooled convention's MDE; this task asks for the pooled one (sigma_0 from the "
             "average rate)."),
            (_mde_near_tail(base, n, alpha, pw, pooled=False),
             "that is the unpooled convention's MDE; this task asks for the pooled one (sigma_0 from the "
             "average rate)."),
            (_power.mde_proportions(base, n, alpha, pw, method="arcsine"),
             "that is the arcsine (Cohen's h) convention's MDE; this task asks for the pooled one."),
            (math.sin(math.asin(math.sqrt(base)) + z / math.sqrt(2 * n)) ** 2 - base,
             "that is the arcsine (Cohen's h) convention's MDE; this task asks for the pooled one."),
            (z * math.sqrt(2 * base * (1 - base) / n),
             "that is the shortcut with the baseline variance in both arms; under H1 the treatment arm "
             "has p_t (1 - p_t), so solve the pooled power equation for p_t."),
            (_mde_near_tail(base, n, 0.05, pw), "the MDE does not change with `alpha`."),
            (_mde_near_tail(base, n, alpha, 0.8), "the MDE does not change with `power`."),
        ], rel=1e-6, ref=ref)
        if hint:
            fail(f"the MDE for {daily} users/day at baseline {base}: {hint}")
        expect_number(value, ref, what=f"the MDE for {daily} users/day at baseline {base}", rel=rel,
                      hint="Solve power(p_t) = power to full precision (brentq's default tolerance is fine).")
    return "your MDE matches the pooled convention's (labsupport.power.mde_proportions)."


# ---- task 5 ------------------------------------------------------------------------------

@task("task 5: relative-lift interval")
def task5(fn):
    cases = [(120, 1000, 150, 1000, 0.05), (410, 5000, 455, 5200, 0.05), (48, 900, 40, 950, 0.10)]
    for sa, na, sb, nb, alpha in cases:
        low, high = _pair(call(fn, sa, na, sb, nb, alpha), "the interval", "Return (low, high).")
        low, high = expect_real(low, "low"), expect_real(high, "high")
        ref = _stats.relative_lift_ci(sa, na, sb, nb, alpha)
        if np.isclose(low, ref.low, rtol=1e-6) and np.isclose(high, ref.high, rtol=1e-6):
            continue
        if np.isclose(low, ref.low, rtol=1e-6) or np.isclose(high, ref.high, rtol=1e-6):
            fail(f"one end of the interval for {(sa, na, sb, nb, alpha)} is right but the other is not: the "
                 "delta-method interval is symmetric around the estimated lift.")
        pa, pb = sa / na, sb / nb
        absolute = _stats.two_proportion_ztest(sa, na, sb, nb, alpha)
        se_log = math.sqrt((1 - pa) / sa + (1 - pb) / sb)
        z = _sps.norm.isf(alpha / 2)
        hint = _first_match(low, [
            (absolute.ci_low, "that is the interval for the absolute difference; the relative lift is p_B / p_A - 1."),
            (absolute.ci_low / pa, "that divides the absolute interval by p_A, as if p_A were known: it "
                                   "under-weights the noise of the denominator."),
            (_stats.relative_lift_ci(sb, nb, sa, na, alpha).low, "that is the lift of A over B; the lift is "
                                                                   "p_B / p_A - 1 (B relative to A)."),
            (pb / pa * math.exp(-z * se_log) - 1, "that is the log-scale interval (valid, but not symmetric); "
                                                   "this task asks for the delta method on the ratio itself."),
            (_stats.relative_lift_ci(sa, na, sb, nb, 0.05).low, "the interval does not change with `alpha`."),
            (pb / pa - 1 - _sps.norm.isf(alpha) * (ref.high - ref.low) / (2 * z),
             "the quantile is one-sided; a two-sided 1 - alpha interval uses z_{1-alpha/2}."),
            (pb / pa - 1 - z * math.sqrt(pb * (1 - pb) / nb) / pa,
             "the variance has only B's term; the denominator p_A is noisy too (the delta method's second term)."),
        ], rel=1e-6, ref=ref.low)
        if hint:
            fail(f"the interval for {(sa, na, sb, nb, alpha)}: {hint}")
        fail(f"the interval for {(sa, na, sb, nb, alpha)} is {'too wide' if high - low > ref.high - ref.low else 'too narrow'}"
             f"{' or off-centre' if not np.isclose((low + high) / 2, ref.estimate, rtol=1e-6) else ''}. "
             "Check the variance of the ratio: both arms' noise enters it.")
    return "your interval matches labsupport.stats.relative_lift_ci."
