"""Checks for lesson 09, Bayesian A/B testing (solutions/09_bayesian_ab_exercises.ipynb).

Exact answers are compared with ``labsupport.bayes`` at tolerances far below the gap to each
known mistake (one term short in Miller's sum, the prior forgotten, failures swapped for trials,
the normal approximation, a Monte Carlo estimate, the loss of the other arm, the positive part of
the expectation). When an answer is off, the check computes what those mistakes give on the same
case so that the hint names the mistake, never the answer.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special as _special
from scipy import stats as _sps

from .. import bayes as _bayes
from . import Z_BAND, call, expect_real, expect_share, expect_type, fail, same_seed_result, task


# Counts (successes_a, trials_a, successes_b, trials_b): zeros, equal counts, B worse, uneven arms, large.
CASES_P = [(3, 10, 8, 10), (0, 30, 0, 30), (0, 40, 2, 40), (45, 500, 45, 500), (120, 1000, 95, 1000),
           (30, 16_500, 50, 17_000), (1_003, 10_012, 1_062, 9_988), (20_000, 200_000, 20_400, 200_000)]
TOL_P = 2e-8


def _mistakes_p(sa, na, sb, nb):
    """What the common mistakes of task 1 give on one case: (value, hint) pairs."""
    aa, ba, ab, bb = 1 + sa, 1 + na - sa, 1 + sb, 1 + nb - sb
    out = []
    i = np.arange(ab - 1)
    if ab > 1:
        short = float(np.exp(_special.logsumexp(_special.betaln(aa + i, ba + bb) - np.log(bb + i)
                                                - _special.betaln(1 + i, bb) - _special.betaln(aa, ba))))
    else:
        short = 0.0
    out.append((short, "your sum seems to stop one term early: it runs over i = 0, 1, ..., alpha_B - 1, "
                       "alpha_B terms in all (np.arange(alpha_B))."))
    out.append((1 - _bayes.prob_b_beats_a(sa, na, sb, nb), "that is P(A > B): check which arm plays which role "
                                                           "in the formula (the sum runs over B's alpha)."))
    out.append((_bayes.beta_prob_greater(1 + sb, 1 + nb, 1 + sa, 1 + na),
                "the second parameter of a Beta posterior counts the failures, beta = 1 + trials - successes, "
                "not 1 + trials."))
    if min(sa, sb, na - sa, nb - sb) > 0:
        out.append((_bayes.beta_prob_greater(sb, nb - sb, sa, na - sa),
                    "the flat prior Beta(1, 1) adds one to the successes and one to the failures: the posterior "
                    "is Beta(1 + s, 1 + n - s)."))
    ma, mb = aa / (aa + ba), ab / (ab + bb)
    va, vb = ma * (1 - ma) / (aa + ba + 1), mb * (1 - mb) / (ab + bb + 1)
    out.append((float(_sps.norm.cdf((mb - ma) / math.sqrt(va + vb))),
                "that is the normal approximation of the two posteriors; the task asks for the exact sum."))
    return out


def _expect_close(value, reference, mistakes, tol, what, hint):
    if abs(value - reference) <= tol:
        return
    for wrong, wrong_hint in mistakes:
        if abs(wrong - reference) > 10 * tol and abs(value - wrong) <= max(tol, 1e-6 * abs(wrong)):
            fail(f"{what} is off: {wrong_hint}")
    if abs(value - reference) < 0.02:
        fail(f"{what} is close but not exact (off by more than {tol:g}): is it a Monte Carlo estimate or an "
             f"approximation? {hint}")
    fail(f"{what} is {'too large' if value > reference else 'too small'}. {hint}")


@task("task 1: the exact P(B > A)")
def task1(fn):
    hint = ("Sum Miller's terms B(alpha_A + i, beta_A + beta_B) / ((beta_B + i) B(1 + i, beta_B) B(alpha_A, beta_A)) "
            "for i = 0..alpha_B - 1, each as exp of scipy.special.betaln differences, added with logsumexp.")
    for sa, na, sb, nb in CASES_P:
        what = f"P(B > A) for {sa}/{na} (A) against {sb}/{nb} (B)"
        raw = call(fn, sa, na, sb, nb)
        if isinstance(raw, float) and math.isnan(raw) or (isinstance(raw, np.floating) and np.isnan(raw)):
            fail(f"{what} is nan: with thousands of users the Beta functions underflow to 0 and the terms "
                 f"become 0/0. Work in log space: scipy.special.betaln and logsumexp.")
        value = expect_share(raw, what, "Return one probability (a float).")
        _expect_close(value, _bayes.prob_b_beats_a(sa, na, sb, nb), _mistakes_p(sa, na, sb, nb), TOL_P, what, hint)
    return "exact to 8 decimals, with zero counts, equal arms and 200,000 users per arm."


# ---- task 2: Monte Carlo ------------------------------------------------------------------
CASES_MC = [(120, 1000, 145, 1000, 20_000), (3, 10, 8, 10, 100_000), (0, 40, 2, 40, 50_000)]


def _pair(result, what):
    expect_type(result, (tuple, list), what=what, hint="Return a pair (estimate, standard_error).")
    if len(result) != 2:
        fail(f"{what} should be a pair (estimate, standard_error); yours has {len(result)} items.")
    estimate = expect_share(result[0], "the estimate", "The estimate is a share of draws, in [0, 1].")
    se = expect_real(result[1], "the standard error")
    return estimate, se


@task("task 2: P(B > A) by Monte Carlo, with its error")
def task2(fn):
    first = _pair(same_seed_result(fn, *CASES_MC[0], what="estimates"), "the result")
    results = [first] + [_pair(call(fn, *case, np.random.default_rng(90 + i)), "the result")
                         for i, case in enumerate(CASES_MC[1:])]
    again = _pair(call(fn, *CASES_MC[0], np.random.default_rng(7)), "the result")
    if again[0] == first[0] and _pair(call(fn, *CASES_MC[0], np.random.default_rng(8)), "the result")[0] == first[0]:
        fail("your estimate is the same for three different seeds: a Monte Carlo estimate moves with its draws. "
             "Draw from the two posteriors with rng.beta and count how often B's draw is larger.")
    for (sa, na, sb, nb, n_draws), (estimate, se) in zip(CASES_MC, results):
        exact = _bayes.prob_b_beats_a(sa, na, sb, nb)
        true_se = math.sqrt(exact * (1 - exact) / n_draws)
        what = f"for {sa}/{na} against {sb}/{nb} with {n_draws:,} draws"
        if se <= 0:
            fail(f"the standard error {what} should be positive: sqrt(P (1 - P) / n_draws).")
        if abs(se - math.sqrt(exact * (1 - exact))) < 0.05 * math.sqrt(exact * (1 - exact)):
            fail(f"the standard error {what} does not shrink with the number of draws: divide P (1 - P) by "
                 "n_draws before the square root.")
        if abs(se - true_se ** 2) < 0.05 * true_se ** 2:
            fail(f"the standard error {what} looks like a variance: take the square root.")
        if abs(estimate - exact) > Z_BAND * true_se:
            fail(f"the estimate {what} is outside the range a correct simulation falls in: draw p_A from "
                 f"Beta(1 + s_A, 1 + n_A - s_A) and p_B likewise, n_draws of each, from the rng you are given.")
        if not 0.8 * true_se < se < 1.25 * true_se:
            fail(f"the standard error {what} is {'too large' if se > true_se else 'too small'}: it is the "
                 "binomial standard error of a share of n_draws draws.")
    small = _pair(call(fn, 120, 1000, 145, 1000, 2_000, np.random.default_rng(5)), "the result")[1]
    big = _pair(call(fn, 120, 1000, 145, 1000, 200_000, np.random.default_rng(6)), "the result")[1]
    if not 6 < small / big < 15:
        fail("your standard error does not shrink like 1 / sqrt(n_draws) between 2,000 and 200,000 draws: "
             "do you use the n_draws argument?")
    return "your estimate is within its standard error of the exact value, and the error is honest."


# ---- task 3: the ship decision ----------------------------------------------------------
CASES_SHIP = [(2_010, 20_040, 2_168, 19_960), (3, 10, 8, 10), (1_003, 10_012, 1_062, 9_988),
              (120, 1000, 95, 1000), (10_000, 100_000, 10_400, 100_000), (50, 400, 75, 400),
              (400, 4_000, 452, 4_000)]


@task("task 3: ship B? (P(B > A) and expected loss, exactly)")
def task3(fn):
    for counts in CASES_SHIP:
        what = f"for {counts[0]}/{counts[1]} (A) against {counts[2]}/{counts[3]} (B)"
        result = call(fn, *counts)
        expect_type(result, (tuple, list), what="the result", hint="Return (prob_b_beats_a, expected_loss_b, ship).")
        if len(result) != 3:
            fail(f"return three things (prob_b_beats_a, expected_loss_b, ship); yours has {len(result)}.")
        prob, loss, ship = result
        prob = expect_share(prob, f"P(B > A) {what}")
        loss = expect_real(loss, f"the expected loss {what}")
        if isinstance(ship, np.bool_):
            ship = bool(ship)
        if not isinstance(ship, bool):
            fail(f"ship should be True or False (a bool); yours is a {type(ship).__name__}.")
        ref_p = _bayes.prob_b_beats_a(*counts)
        loss_a, loss_b = _bayes.expected_loss(*counts)
        _expect_close(prob, ref_p, _mistakes_p(*counts), TOL_P, f"P(B > A) {what}",
                      "Use the exact sum from task 1.")
        post_a, post_b = _bayes.posterior(*counts[:2]), _bayes.posterior(*counts[2:])
        tol = 1e-10 + 1e-7 * loss_b
        if abs(loss - loss_b) > tol:
            if abs(loss - loss_a) <= 1e-10 + 1e-7 * loss_a:
                fail(f"the expected loss {what} is the loss of keeping A, E[max(p_B - p_A, 0)]; shipping B "
                     "risks E[max(p_A - p_B, 0)].")
            if abs(loss - max(post_a.mean() - post_b.mean(), 0.0)) <= 1e-10:
                fail(f"the expected loss {what} is the positive part of the expected difference; the loss is the "
                     "expected positive part, E[max(p_A - p_B, 0)], which is > 0 even when B looks better.")
            if abs(loss - loss_b) < 0.5 * loss_b + 2e-5:
                fail(f"the expected loss {what} is close but not exact: compute it with the closed form (two "
                     "P(X > Y) terms with a parameter shifted by one), not by sampling.")
            fail(f"the expected loss {what} is {'too large' if loss > loss_b else 'too small'}: "
                 "E[max(p_A - p_B, 0)] = E[p_A] P(X_A+ > X_B) - E[p_B] P(X_A > X_B+), X+ with alpha + 1.")
        want = ref_p > 0.95 and loss_b < 0.001
        if ship != want:
            fail(f"ship {what} should be {want}: the rule needs BOTH P(B > A) > 0.95 AND expected loss < 0.001.")
    return "exact probability, exact loss, and the rule applied as written."


# ---- task 4: peeking, exactly -------------------------------------------------------------
CASES_PEEK = [(1, 0.95), (2, 0.95), (5, 0.9), (10, 0.95), (4, 0.99), (20, 0.95)]
TOL_PEEK = 2e-4


@task("task 4: the false-positive rate of daily P(B > A) checks, exactly")
def task4(fn):
    for looks, threshold in CASES_PEEK:
        what = f"the rate for {looks} look{'s' if looks > 1 else ''} at threshold {threshold}"
        value = expect_share(call(fn, looks, threshold), what, "Return one probability (a float).")
        ref = _bayes.peeking_false_positive_rate(looks, threshold)
        if abs(value - ref) <= TOL_PEEK:
            continue
        if looks > 1 and abs(value - (1 - threshold)) <= TOL_PEEK:
            fail(f"{what} equals the one-look rate 1 - threshold: stopping at the first of several looks "
                 "gives more chances to cross.")
        if looks > 1 and abs(value - (1 - threshold ** looks)) <= TOL_PEEK:
            fail(f"{what} matches independent looks; each look uses all data so far, so the z statistics "
                 "of successive looks are correlated (corr(Z_i, Z_j) = sqrt(i / j)).")
        if abs(value - _bayes.peeking_false_positive_rate(looks, threshold, either=True)) <= TOL_PEEK:
            fail(f"{what} counts stops for either arm; the rule stops only when P(B > A) > threshold.")
        if abs(value - ref) < 0.01:
            fail(f"{what} is close but not exact (off by more than {TOL_PEEK:g}): a simulation is too noisy "
                 "here; compute the probability of crossing the boundary by numerical integration.")
        fail(f"{what} is {'too large' if value > ref else 'too small'}. In large samples P(B > A) > threshold "
             "is z > Phi^-1(threshold) at each look; find the probability that the z statistics of the looks "
             "ever cross it.")
    return "the exact one-sided boundary: the same inflation as lesson 02's peeking."
