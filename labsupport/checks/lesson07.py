"""Checks for lesson 07, CUPED and variance reduction (solutions/07_cuped_exercises.ipynb)."""

from __future__ import annotations

import numpy as np
from scipy import stats as _sps

from .. import cuped as _cuped
from .. import feed_history as _fh
from .. import power as _power
from . import call, describe, expect_array, expect_int, expect_number, expect_real, fail, task


def _pair(value, what, hint):
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value[0], value[1]
    if isinstance(value, np.ndarray) and value.shape == (2,):
        return value[0], value[1]
    fail(f"{what} should be a pair (a tuple of two items); your function returned {describe(value)}. {hint}".strip())


def _feed_arm(seed, n, ctr_lift=0.0):
    """Pre-period and test-window clicks and views of the users of one simulated arm."""
    panel = _fh.history_panel(1, (n, n), np.random.default_rng(seed), views=True, ctr_lift=ctr_lift)
    return {name: (a[0].astype(float), b[0].astype(float)) for name, (a, b) in panel.items()}


# ---- task 1 -------------------------------------------------------------------------------

def _task1_cases():
    rng = np.random.default_rng(701)
    x = rng.gamma(2.0, 1.5, 8)
    yield x * 0.7 + rng.normal(0, 1, 8) + 3, x                       # small n: ddof mistakes show
    x = rng.normal(50, 10, 30)
    yield 200 - 2.5 * x + rng.normal(0, 5, 30), x                   # negative theta, x far from 0
    arm = _feed_arm(702, 400)
    yield arm["clicks"][0], arm["pre_clicks"][0]                     # the feed: clicks on pre-period clicks


@task("task 1: theta and the adjusted metric")
def task1(fn):
    for y, x in _task1_cases():
        n = len(y)
        theta, adjusted = _pair(call(fn, y.copy(), x.copy()), "the result", "Return (theta, adjusted).")
        theta = expect_real(theta, "theta", "Return theta as a single number.")
        ref = _cuped.cuped(y, x)
        what = f"theta for {n} units"
        if np.isclose(theta, np.cov(y, x)[0, 1] / np.var(y, ddof=1), rtol=1e-6) and not np.isclose(theta, ref.theta):
            fail(f"{what}: you divided by the variance of y; theta divides cov(y, x) by the variance of the "
                 "covariate x.")
        if np.isclose(theta, np.corrcoef(y, x)[0, 1], rtol=1e-6):
            fail(f"{what}: that is the correlation rho; theta is cov(y, x) / var(x), which carries the units of y "
                 "per unit of x.")
        if np.isclose(theta, 1.0, rtol=1e-9) and not np.isclose(ref.theta, 1.0, rtol=1e-3):
            fail(f"{what}: theta = 1 (subtracting x itself) is a guess, not the variance-minimising coefficient.")
        for factor in (n / (n - 1), (n - 1) / n):
            if np.isclose(theta, ref.theta * factor, rtol=1e-9):
                fail(f"{what} is off by a factor n/(n-1): compute cov and var with the same ddof "
                     "(np.cov uses ddof=1 by default, np.var ddof=0).")
        expect_number(theta, ref.theta, what=what, rel=1e-8,
                      hint="theta = cov(y, x) / var(x), over all the units given.")
        adjusted = np.asarray(adjusted, dtype=float) if np.shape(adjusted) == (n,) else adjusted
        if np.shape(adjusted) == (n,):
            if np.allclose(adjusted, y - ref.theta * x, rtol=1e-8):
                fail("the adjusted metric is y - theta x: centre the covariate, y - theta (x - mean x), so that "
                     "the adjusted metric keeps the mean of y.")
            if np.allclose(adjusted, y + ref.theta * (x - x.mean()), rtol=1e-8):
                fail("the adjusted metric adds theta (x - mean x); subtract it.")
        expect_array(adjusted, ref.adjusted, what="the adjusted metric", rel=1e-8, abs_tol=1e-9,
                     hint="one value per unit: y - theta (x - mean x).")
    return "your theta and adjusted metric match labsupport.cuped.cuped; the variance left is var(y) (1 - rho^2)."


# ---- task 2 -------------------------------------------------------------------------------

def _task2_cases():
    arm = _feed_arm(711, 600, ctr_lift=0.05)
    (xa, xb), (ya, yb) = arm["pre_clicks"], arm["clicks"]
    yield ya, xa, yb, xb, 0.05
    ya2, xa2, yb2, xb2 = _cuped.correlated_pairs(1, 400, 0.8, np.random.default_rng(712), effect=0.2)
    yield 10 + 3 * ya2[0][:250], 5 + xa2[0][:250], 10 + 3 * yb2[0], 5 + xb2[0], 0.10   # unequal arms
    yield ya, xa, yb, xb, 0.01


@task("task 2: the CUPED interval")
def task2(fn):
    for ya, xa, yb, xb, alpha in _task2_cases():
        low, high = _pair(call(fn, ya.copy(), xa.copy(), yb.copy(), xb.copy(), alpha), "the interval",
                          "Return (low, high).")
        low, high = expect_real(low, "low"), expect_real(high, "high")
        ref = _cuped.cuped_effect(ya, xa, yb, xb, alpha=alpha)
        z = _sps.norm.ppf(1 - alpha / 2)
        plain_se = np.sqrt(ya.var(ddof=1) / len(ya) + yb.var(ddof=1) / len(yb))
        plain = yb.mean() - ya.mean()
        centre, half = (low + high) / 2, (high - low) / 2
        ref_half = (ref.ci_high - ref.ci_low) / 2
        what = f"the interval for {len(ya)} + {len(yb)} users at alpha={alpha}"
        if low > high:
            fail(f"{what}: low is above high; return (low, high).")
        if np.isclose(centre, plain, rtol=1e-6) and not np.isclose(plain, ref.estimate, rtol=1e-6):
            if np.isclose(half, z * plain_se, rtol=1e-4):
                fail(f"{what}: that is the interval of the plain difference in means; adjust y with the "
                     "pre-period covariate first.")
            fail(f"{what} is centred on the plain difference in means: with a theta per arm, each centred at its "
                 "own arm's mean of x, the adjustment vanishes from the estimate. Use one theta from both arms "
                 "together and centre x at the overall mean.")
        rho2 = _cuped.cuped(np.r_[ya, yb], np.r_[xa, xb]).variance_reduction
        if np.isclose(centre, ref.estimate, rtol=1e-6):
            if np.isclose(half, z * plain_se * (1 - rho2), rtol=1e-3):
                fail(f"{what} is too narrow: CUPED multiplies the VARIANCE by 1 - rho^2, so the standard error "
                     "only by sqrt(1 - rho^2).")
            if np.isclose(half, ref_half / z * _sps.norm.ppf(1 - alpha), rtol=1e-6):
                fail(f"{what} uses a one-sided quantile; a two-sided interval puts alpha/2 in each tail.")
            if alpha != 0.05 and np.isclose(half, ref_half / z * _sps.norm.ppf(0.975), rtol=1e-6):
                fail(f"{what}: your width is the 95% one; use the alpha passed in (level 1 - alpha).")
            if np.isclose(half, z * plain_se, rtol=1e-4):
                fail(f"{what} has the right centre but the width of the unadjusted test: compute the standard "
                     "error from the adjusted metric's variance in each arm.")
        hint = ("one theta from both arms' users together, x centred at the overall mean; the standard error "
                "from the adjusted metric's variance in each arm, and the normal quantile at 1 - alpha/2.")
        expect_number(low, ref.ci_low, what=f"the lower end of {what}", rel=1e-6, abs_tol=1e-9, hint=hint)
        expect_number(high, ref.ci_high, what=f"the upper end of {what}", rel=1e-6, abs_tol=1e-9, hint=hint)
    return "your interval matches labsupport.cuped.cuped_effect(method='pooled')."


# ---- task 3 -------------------------------------------------------------------------------

TASK3_CASES = [(5.0, 0.7, 0.1, 0.05, 0.8), (1.0, -0.6, 0.05, 0.05, 0.9), (25.0, 0.3, 1.5, 0.01, 0.8),
               (2.0, 0.95, 0.02, 0.05, 0.8), (3.0, 0.5, 0.2, 0.10, 0.8)]


def _n(sd, mde, alpha, pw, z_beta=None, two_sided=True):
    za = _sps.norm.ppf(1 - alpha / 2) if two_sided else _sps.norm.ppf(1 - alpha)
    zb = _sps.norm.ppf(pw) if z_beta is None else z_beta
    return 2 * (za + zb) ** 2 * sd**2 / mde**2


@task("task 3: users needed with and without CUPED")
def task3(fn):
    for sd, rho, mde, alpha, pw in TASK3_CASES:
        plain, adjusted = _pair(call(fn, sd, rho, mde, alpha, pw), "the result", "Return (n_plain, n_cuped).")
        ref_plain = _power.sample_size_means(mde, sd, alpha, pw)
        ref_cuped = _cuped.sample_size(mde, sd, rho, alpha, pw)
        what = f"for sd={sd}, rho={rho}, mde={mde}, alpha={alpha}, power={pw}"
        for value in (plain, adjusted):
            if isinstance(value, (float, np.floating)) and not float(value).is_integer():
                fail(f"{what}: user counts are whole numbers; round UP (math.ceil), once, at the end.")
        value = int(plain) if isinstance(plain, (np.integer, float, np.floating)) and float(plain).is_integer() else plain
        if isinstance(value, int) and value in (2 * ref_plain, 2 * ref_plain - 1):
            fail(f"{what}: n_plain counts both arms; return the users per arm.")
        if isinstance(value, int) and pw == 0.8 and value in {int(np.ceil(_n(sd, mde, alpha, pw, zb) - 1e-9))
                                                              for zb in (1.28, _sps.norm.ppf(0.9))}:
            fail(f"{what}: n_plain is too large: for 80% power z_beta is 0.84 (1.28 is the value for 90%).")
        if isinstance(value, int) and value == int(np.ceil(_n(sd, mde, alpha, pw, two_sided=False) - 1e-9)):
            fail(f"{what}: n_plain is too small: the test is two-sided, so z_alpha is the quantile at 1 - alpha/2.")
        expect_int(value, ref_plain, what=f"n_plain {what}",
                   hint="n per arm = 2 (z_{1-alpha/2} + z_power)^2 sd^2 / mde^2, rounded up.")
        adjusted = int(adjusted) if isinstance(adjusted, (np.integer, float, np.floating)) and float(adjusted).is_integer() else adjusted
        if isinstance(adjusted, int):
            exact = _n(sd, mde, alpha, pw)
            if adjusted in {int(np.ceil(exact * (1 - r) - 1e-9)) for r in (rho, abs(rho))} and adjusted != ref_cuped:
                fail(f"{what}: n_cuped scales by 1 - rho; CUPED removes rho^2 of the variance, so the users "
                     "scale by 1 - rho^2.")
            if adjusted == int(np.ceil(exact * np.sqrt(1 - rho**2) - 1e-9)) and adjusted != ref_cuped:
                fail(f"{what}: n_cuped scales by sqrt(1 - rho^2), the standard error's factor; the users needed "
                     "follow the variance, 1 - rho^2.")
            if adjusted in (ref_cuped + 1, ref_cuped - 1) and adjusted == int(np.ceil(ref_plain * (1 - rho**2) - 1e-9)):
                fail(f"{what}: n_cuped is off by one: you scaled the rounded n_plain; scale the exact value and "
                     "round up once, at the end.")
        expect_int(adjusted, ref_cuped, what=f"n_cuped {what}",
                   hint="CUPED leaves the variance sd^2 (1 - rho^2).")
    return "your sample sizes match labsupport.cuped.sample_size: CUPED saves rho^2 of the users."


# ---- task 4 -------------------------------------------------------------------------------

def _balanced(rng, n, mean, sd):
    return rng.normal(mean, sd, n), rng.normal(mean, sd, n)


def _shift_to(xa, xb, z):
    """Shift B so that the Welch z statistic of mean(B) - mean(A) is exactly ``z``."""
    se = np.sqrt(xa.var(ddof=1) / len(xa) + xb.var(ddof=1) / len(xb))
    return xb + z * se - (xb.mean() - xa.mean())


def _task4_cases():
    """(name, y_a, x_a, y_b, x_b, alpha, moved): the covariate was moved by the treatment or not."""
    rng = np.random.default_rng(721)
    xa, xb = _balanced(rng, 1000, 50, 5)
    ya, yb = xa + rng.normal(0, 1.5, 1000), xb + rng.normal(0, 1.5, 1000)
    yield "a strongly correlated pre-period covariate", ya, xa, yb, _shift_to(xa, xb, 0.3), 0.001, False
    xa, xb = _balanced(rng, 2000, 20, 6)
    ya, yb = 0.5 * xa + rng.normal(0, 6, 2000), 0.5 * xb + rng.normal(0, 6, 2000)
    yield "a pre-period covariate; the treatment moved y", ya, xa, yb + 3.0, _shift_to(xa, xb, 0.4), 0.001, False
    yield "an in-experiment covariate pushed up", ya, xa, yb, _shift_to(xa, xb, 9.0), 0.001, True
    yield "an in-experiment covariate pushed down", ya, xa, yb, _shift_to(xa, xb, -7.0), 0.001, True
    xa, xb = _balanced(rng, 3000, 100, 1)  # a 0.2% shift: tiny relative to the mean, huge in standard errors
    ya, yb = xa + rng.normal(0, 1, 3000), xb + rng.normal(0, 1, 3000)
    yield "a small relative shift measured precisely", ya, xa, yb, _shift_to(xa, xb, 8.0), 0.001, True
    xa, xb = _balanced(rng, 150, 10, 10)  # about 10% apart, by chance
    ya, yb = 0.2 * xa + rng.normal(0, 10, 150), 0.2 * xb + rng.normal(0, 10, 150)
    yield "a noisy covariate several per cent apart by chance", ya, xa, yb, _shift_to(xa, xb, 0.9), 0.001, False
    xa, xb = _balanced(rng, 1500, 5, 2)
    ya, yb = xa + rng.normal(0, 2, 1500), xb + rng.normal(0, 2, 1500)
    xb_mid = _shift_to(xa, xb, 2.6)  # p = 0.009: moved at alpha 0.05, not at alpha 0.001
    yield "a borderline shift tested at alpha=0.05", ya, xa, yb, xb_mid, 0.05, True
    yield "the same data tested at alpha=0.001", ya, xa, yb, xb_mid, 0.001, False


@task("task 4: detect a leaking covariate")
def task4(fn):
    for name, ya, xa, yb, xb, alpha, moved in _task4_cases():
        answer = call(fn, ya.copy(), xa.copy(), yb.copy(), xb.copy(), alpha)
        if isinstance(answer, np.ndarray) and answer.shape == () or isinstance(answer, np.bool_):
            answer = bool(answer)
        if not isinstance(answer, bool):
            fail(f"return True (the covariate looks moved by the treatment) or False; your function returned "
                 f"{describe(answer)}.")
        if answer == moved:
            continue
        z = (xb.mean() - xa.mean()) / np.sqrt(xa.var(ddof=1) / len(xa) + xb.var(ddof=1) / len(xb))
        if not moved and abs((yb.mean() - ya.mean()) / np.sqrt(ya.var(ddof=1) / len(ya) + yb.var(ddof=1) / len(yb))) > 5:
            fail(f"case '{name}': you flagged a covariate whose arms agree. The treatment moved y, which is what "
                 "it is for; a covariate is unsafe when ITS distribution differs between the arms.")
        if not moved and abs(np.corrcoef(np.r_[ya, yb], np.r_[xa, xb])[0, 1]) > 0.9:
            fail(f"case '{name}': you flagged a covariate that is strongly correlated with y but balanced between "
                 "the arms. Correlation is what makes a covariate useful, not what makes it leak.")
        if moved and z < 0:
            fail(f"case '{name}': the treatment pushed the covariate DOWN; a leak can go either way, so test "
                 "both directions (two-sided).")
        if not moved and alpha < 0.05 and 2 * _sps.norm.sf(abs(z)) < 0.05:
            fail(f"case '{name}': at alpha={alpha} this difference is not significant; use the alpha passed "
                 "in, not a fixed 0.05.")
        rel = abs(xb.mean() / xa.mean() - 1)
        if moved and rel < 0.01:
            fail(f"case '{name}': the arms' means differ by only {rel:.1%}, but with this many users that is far "
                 "beyond chance. Judge the difference against its standard error, not as a percentage.")
        if not moved and rel > 0.01:
            fail(f"case '{name}': the arms' means differ by {rel:.1%}, but with this few users and this much "
                 "noise that is chance. Judge the difference against its standard error, not as a percentage.")
        fail(f"case '{name}': your answer is {answer}. Randomisation makes a pre-period covariate's "
             "distribution the same in both arms; ask whether the observed difference in the covariate is "
             "larger than chance allows at level alpha.")
    return "you can tell a covariate moved by the treatment from a safe pre-period one."


# ---- task 5 -------------------------------------------------------------------------------

def _task5_cases():
    for seed, n, zeros in ((731, 800, False), (732, 2500, True), (733, 1200, True)):
        arm = _feed_arm(seed, n)
        views, clicks = arm["views"][0], arm["clicks"][0]
        if not zeros:  # every user has at least one page view
            keep = views > 0
            views, clicks = views[keep], clicks[keep]
        yield clicks, views


def _ratio_reference_variants(clicks, views):
    n, r = len(clicks), clicks.sum() / views.sum()
    vbar = views.mean()
    s_cc, s_vv = clicks.var(ddof=1), views.var(ddof=1)
    s_cv = np.cov(clicks, views)[0, 1]
    return {
        "binomial": r * (1 - r) / views.sum(),
        "no_cov": (s_cc + r**2 * s_vv) / (n * vbar**2),
        "plus_cov": (s_cc + 2 * r * s_cv + r**2 * s_vv) / (n * vbar**2),
        "numerator_only": s_cc / (n * vbar**2),
    }


@task("task 5: the variance of a ratio metric")
def task5(fn):
    for clicks, views in _task5_cases():
        value = expect_real(call(fn, clicks.copy(), views.copy()), "the variance",
                            "Return one number: the variance of total clicks / total views for this arm. "
                            "(Some users may have no page views at all.)")
        ref = _cuped.ratio_variance(clicks, views)
        wrong = _ratio_reference_variants(clicks, views)
        what = f"the variance for {len(clicks)} users"
        if (views > 0).all():
            per_user = clicks / views
            if np.isclose(value, per_user.var(ddof=1) / len(per_user), rtol=0.02) or np.isclose(
                    value, per_user.var(ddof=0) / len(per_user), rtol=0.02):
                fail(f"{what}: that is the variance of the average of per-user click-through rates, a different "
                     "metric (a user with 2 page views weighs as much as one with 200). The metric is total "
                     "clicks / total views.")
        if np.isclose(value, wrong["binomial"], rtol=0.02):
            fail(f"{what} is far too small: it treats every page view as an independent trial. Users were "
                 "randomised, and one user's page views share that user's click propensity.")
        if np.isclose(value, wrong["no_cov"], rtol=0.005) or np.isclose(value, wrong["plus_cov"], rtol=0.005):
            fail(f"{what}: a user's clicks and views move together; the covariance term of the delta method "
                 "enters with a minus sign (-2 R cov(clicks, views)).")
        if np.isclose(value, wrong["numerator_only"], rtol=0.005):
            fail(f"{what}: the number of page views in an arm is random too; its variance and its covariance "
                 "with the clicks matter.")
        expect_number(value, ref, what=what, rel=0.02,
                      hint="treat the user as the unit: the ratio is a function of two per-user means (clicks "
                           "and views), and its variance follows from theirs by the delta method.")
    return "your variance matches the delta method, labsupport.cuped.ratio_variance."
