"""The lesson 07 checks: a right answer passes, each known wrong answer gets a hint naming its mistake."""

import math

import numpy as np
from scipy import stats as sps

from checkhelpers import assert_try_again

from labsupport.checks import lesson07 as check


# Reference solutions, written independently of labsupport (numpy and scipy only).
def cuped_adjust(y, x):
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    return float(theta), y - theta * (x - x.mean())


def cuped_interval(y_a, x_a, y_b, x_b, alpha):
    y, x = np.concatenate([y_a, y_b]), np.concatenate([x_a, x_b])
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    adj_a, adj_b = y_a - theta * (x_a - x.mean()), y_b - theta * (x_b - x.mean())
    diff = adj_b.mean() - adj_a.mean()
    se = math.sqrt(adj_a.var(ddof=1) / len(adj_a) + adj_b.var(ddof=1) / len(adj_b))
    z = sps.norm.ppf(1 - alpha / 2)
    return diff - z * se, diff + z * se


def users_per_arm(sd, rho, mde, alpha, power):
    n = 2 * (sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power)) ** 2 * sd**2 / mde**2
    return math.ceil(n - 1e-9), math.ceil(n * (1 - rho**2) - 1e-9)


def covariate_leaks(y_a, x_a, y_b, x_b, alpha):
    return bool(sps.ttest_ind(x_b, x_a, equal_var=False).pvalue < alpha)


def ratio_variance(clicks, views):
    n, r, vbar = len(clicks), clicks.sum() / views.sum(), views.mean()
    cov = np.cov(clicks, views)
    return float((cov[0, 0] - 2 * r * cov[0, 1] + r**2 * cov[1, 1]) / (n * vbar**2))


TASKS = [(check.task1, cuped_adjust), (check.task2, cuped_interval), (check.task3, users_per_arm),
         (check.task4, covariate_leaks), (check.task5, ratio_variance)]


# ---- task 1: theta and the adjusted metric ---------------------------------------------------

def test_task1_wrong_answers():
    def var_of_y(y, x):
        theta = np.cov(y, x)[0, 1] / np.var(y, ddof=1)
        return theta, y - theta * (x - x.mean())

    def correlation(y, x):
        theta = np.corrcoef(y, x)[0, 1]
        return theta, y - theta * (x - x.mean())

    def mixed_ddof(y, x):  # np.cov's default ddof=1 over np.var's default ddof=0
        theta = np.cov(y, x)[0, 1] / np.var(x)
        return theta, y - theta * (x - x.mean())

    def not_centred(y, x):
        theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
        return theta, y - theta * x

    def theta_one(y, x):
        return 1.0, y - (x - x.mean())

    def wrong_sign(y, x):
        theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
        return theta, y + theta * (x - x.mean())

    assert_try_again(check.task1(var_of_y), "variance of the covariate x")
    assert_try_again(check.task1(correlation), "correlation rho")
    assert_try_again(check.task1(mixed_ddof), "same ddof")
    assert_try_again(check.task1(not_centred), "centre the covariate")
    assert_try_again(check.task1(theta_one), "theta = 1")
    assert_try_again(check.task1(wrong_sign), "subtract it")
    assert_try_again(check.task1(lambda y, x: 0.5), "pair")
    assert_try_again(check.task1(lambda y, x: (cuped_adjust(y, x)[0], y[:3])), "shape")


# ---- task 2: the CUPED interval ---------------------------------------------------------------

def _plain(y_a, y_b, alpha):
    diff = y_b.mean() - y_a.mean()
    se = math.sqrt(y_a.var(ddof=1) / len(y_a) + y_b.var(ddof=1) / len(y_b))
    z = sps.norm.ppf(1 - alpha / 2)
    return diff - z * se, diff + z * se


def test_task2_wrong_answers():
    def unadjusted(y_a, x_a, y_b, x_b, alpha):
        return _plain(y_a, y_b, alpha)

    def per_arm_theta(y_a, x_a, y_b, x_b, alpha):  # each arm centred at its own mean: the adjustment vanishes
        adj = [y - np.cov(y, x)[0, 1] / np.var(x, ddof=1) * (x - x.mean()) for y, x in ((y_a, x_a), (y_b, x_b))]
        diff = adj[1].mean() - adj[0].mean()
        se = math.sqrt(sum(a.var(ddof=1) / len(a) for a in adj))
        z = sps.norm.ppf(1 - alpha / 2)
        return diff - z * se, diff + z * se

    def se_halves(y_a, x_a, y_b, x_b, alpha):  # SE scaled by 1 - rho^2 instead of its square root
        low, high = cuped_interval(y_a, x_a, y_b, x_b, alpha)
        rho2 = np.corrcoef(np.r_[y_a, y_b], np.r_[x_a, x_b])[0, 1] ** 2
        p_low, p_high = _plain(y_a, y_b, alpha)
        half = (p_high - p_low) / 2 * (1 - rho2)
        return (low + high) / 2 - half, (low + high) / 2 + half

    def one_sided(y_a, x_a, y_b, x_b, alpha):
        return cuped_interval(y_a, x_a, y_b, x_b, 2 * alpha)

    def always_95(y_a, x_a, y_b, x_b, alpha):
        return cuped_interval(y_a, x_a, y_b, x_b, 0.05)

    def plain_width(y_a, x_a, y_b, x_b, alpha):
        low, high = cuped_interval(y_a, x_a, y_b, x_b, alpha)
        p_low, p_high = _plain(y_a, y_b, alpha)
        return (low + high) / 2 - (p_high - p_low) / 2, (low + high) / 2 + (p_high - p_low) / 2

    def control_theta(y_a, x_a, y_b, x_b, alpha):  # another convention: theta from the control arm only
        theta = np.cov(y_a, x_a)[0, 1] / np.var(x_a, ddof=1)
        xm = np.r_[x_a, x_b].mean()
        adj_a, adj_b = y_a - theta * (x_a - xm), y_b - theta * (x_b - xm)
        diff = adj_b.mean() - adj_a.mean()
        se = math.sqrt(adj_a.var(ddof=1) / len(adj_a) + adj_b.var(ddof=1) / len(adj_b))
        z = sps.norm.ppf(1 - alpha / 2)
        return diff - z * se, diff + z * se

    assert_try_again(check.task2(unadjusted), "plain difference in means")
    assert_try_again(check.task2(per_arm_theta), "adjustment vanishes")
    assert_try_again(check.task2(se_halves), "sqrt(1 - rho^2)")
    assert_try_again(check.task2(one_sided), "one-sided")
    assert_try_again(check.task2(always_95), "alpha passed in")
    assert_try_again(check.task2(plain_width), "width of the unadjusted test")
    assert_try_again(check.task2(control_theta), "one theta from both arms")
    assert_try_again(check.task2(lambda *a: cuped_interval(*a)[::-1]), "low is above high")


def test_task2_centring_at_another_mean_is_fine_for_the_absolute_effect():
    def centred_at_control_mean(y_a, x_a, y_b, x_b, alpha):
        y, x = np.concatenate([y_a, y_b]), np.concatenate([x_a, x_b])
        theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
        adj_a, adj_b = y_a - theta * (x_a - x_a.mean()), y_b - theta * (x_b - x_a.mean())
        diff = adj_b.mean() - adj_a.mean()
        se = math.sqrt(adj_a.var(ddof=1) / len(adj_a) + adj_b.var(ddof=1) / len(adj_b))
        z = sps.norm.ppf(1 - alpha / 2)
        return diff - z * se, diff + z * se
    assert check.task2(centred_at_control_mean).passed


# ---- task 3: users needed ---------------------------------------------------------------------------

def _exact(sd, mde, alpha, power, zb=None, za=None):
    za = sps.norm.ppf(1 - alpha / 2) if za is None else za
    zb = sps.norm.ppf(power) if zb is None else zb
    return 2 * (za + zb) ** 2 * sd**2 / mde**2


def test_task3_wrong_answers():
    def rho_not_squared(sd, rho, mde, alpha, power):
        n = _exact(sd, mde, alpha, power)
        return math.ceil(n), math.ceil(n * (1 - rho))

    def se_factor(sd, rho, mde, alpha, power):
        n = _exact(sd, mde, alpha, power)
        return math.ceil(n), math.ceil(n * math.sqrt(1 - rho**2))

    def rounds_twice(sd, rho, mde, alpha, power):
        n = math.ceil(_exact(sd, mde, alpha, power))
        return n, math.ceil(n * (1 - rho**2))

    def z_beta_128(sd, rho, mde, alpha, power):
        n = _exact(sd, mde, alpha, power, zb=1.28 if power == 0.8 else None)
        return math.ceil(n), math.ceil(n * (1 - rho**2))

    def one_sided(sd, rho, mde, alpha, power):
        n = _exact(sd, mde, alpha, power, za=sps.norm.ppf(1 - alpha))
        return math.ceil(n), math.ceil(n * (1 - rho**2))

    def both_arms(sd, rho, mde, alpha, power):
        n = 2 * _exact(sd, mde, alpha, power)
        return math.ceil(n), math.ceil(n * (1 - rho**2))

    def not_rounded(sd, rho, mde, alpha, power):
        n = _exact(sd, mde, alpha, power)
        return n, n * (1 - rho**2)

    assert_try_again(check.task3(rho_not_squared), "1 - rho^2")
    assert_try_again(check.task3(se_factor), "standard error's factor")
    assert_try_again(check.task3(rounds_twice), "round up once")
    assert_try_again(check.task3(z_beta_128), "0.84")
    assert_try_again(check.task3(one_sided), "two-sided")
    assert_try_again(check.task3(both_arms), "per arm")
    assert_try_again(check.task3(not_rounded), "whole numbers")
    assert_try_again(check.task3(lambda *a: (1000, 500)), "too")


# ---- task 4: a leaking covariate ------------------------------------------------------------------

def test_task4_wrong_answers():
    def tests_y(y_a, x_a, y_b, x_b, alpha):
        return bool(sps.ttest_ind(y_b, y_a, equal_var=False).pvalue < alpha)

    def one_sided(y_a, x_a, y_b, x_b, alpha):
        return bool(sps.ttest_ind(x_b, x_a, equal_var=False, alternative="greater").pvalue < alpha)

    def fixed_alpha(y_a, x_a, y_b, x_b, alpha):
        return covariate_leaks(y_a, x_a, y_b, x_b, 0.05)

    def correlated(y_a, x_a, y_b, x_b, alpha):  # "it correlates too well to be a pre-period metric"
        return bool(abs(np.corrcoef(np.r_[y_a, y_b], np.r_[x_a, x_b])[0, 1]) > 0.9)

    def relative_difference(y_a, x_a, y_b, x_b, alpha):
        return bool(abs(x_b.mean() / x_a.mean() - 1) > 0.01)

    assert_try_again(check.task4(tests_y), "ITS distribution")
    assert_try_again(check.task4(one_sided), "both directions")
    assert_try_again(check.task4(fixed_alpha), "alpha passed in")
    assert_try_again(check.task4(correlated), "Correlation is what makes a covariate useful")
    assert_try_again(check.task4(relative_difference), "not as a percentage")
    assert_try_again(check.task4(lambda *a: False), "your answer is False")
    assert_try_again(check.task4(lambda *a: 0.003), "True")


def test_task4_a_pooled_variance_t_test_passes_too():
    def student(y_a, x_a, y_b, x_b, alpha):
        return bool(sps.ttest_ind(x_b, x_a).pvalue < alpha)
    assert check.task4(student).passed


# ---- task 5: the variance of a ratio metric --------------------------------------------------------

def test_task5_wrong_answers():
    def binomial(clicks, views):
        r = clicks.sum() / views.sum()
        return r * (1 - r) / views.sum()

    def mean_of_ratios(clicks, views):
        return float(np.var(clicks / views, ddof=1) / len(clicks))

    def no_covariance(clicks, views):
        n, r, vbar = len(clicks), clicks.sum() / views.sum(), views.mean()
        return (clicks.var(ddof=1) + r**2 * views.var(ddof=1)) / (n * vbar**2)

    def plus_covariance(clicks, views):
        n, r, vbar = len(clicks), clicks.sum() / views.sum(), views.mean()
        cov = np.cov(clicks, views)
        return (cov[0, 0] + 2 * r * cov[0, 1] + r**2 * cov[1, 1]) / (n * vbar**2)

    def numerator_only(clicks, views):
        return clicks.var(ddof=1) / (len(clicks) * views.mean() ** 2)

    def total_not_mean(clicks, views):  # divides by the total views squared, not n times the mean squared
        return ratio_variance(clicks, views) / len(clicks)

    assert_try_again(check.task5(binomial), "independent trial")
    assert_try_again(check.task5(mean_of_ratios), "per-user click-through")
    assert_try_again(check.task5(no_covariance), "covariance term")
    assert_try_again(check.task5(plus_covariance), "minus sign")
    assert_try_again(check.task5(numerator_only), "random too")
    assert_try_again(check.task5(total_not_mean), "too small")


def test_task5_population_variance_conventions_pass():
    def ddof0(clicks, views):
        n, r, vbar = len(clicks), clicks.sum() / views.sum(), views.mean()
        lin = (clicks - r * views) / vbar
        return float(lin.var() / n)
    assert check.task5(ddof0).passed
