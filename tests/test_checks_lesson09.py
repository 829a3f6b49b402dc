"""The lesson 09 checks: a right answer passes, each known wrong answer gets [try again] with a hint
naming its mistake (no traceback); stubs, crashes and the rest are covered by test_checks_contract.py."""

import math

import numpy as np
from checkhelpers import assert_try_again
from scipy import special, stats

from labsupport import sequential
from labsupport.checks import lesson09 as check


# Reference solutions, written independently of labsupport (numpy and scipy only).
def exact_prob_b_beats_a(successes_a, trials_a, successes_b, trials_b, *, stop=0, prior=1.0, beta_counts="failures"):
    aa, ab = prior + successes_a, prior + successes_b
    if beta_counts == "failures":
        ba, bb = prior + trials_a - successes_a, prior + trials_b - successes_b
    else:                                                  # mistake: 1 + trials
        ba, bb = prior + trials_a, prior + trials_b
    i = np.arange(int(ab) - stop)
    if i.size == 0:
        return 0.0
    log_terms = (special.betaln(aa + i, ba + bb) - np.log(bb + i) - special.betaln(1 + i, bb) - special.betaln(aa, ba))
    return float(np.exp(special.logsumexp(log_terms)))


def mc_prob_b_beats_a(successes_a, trials_a, successes_b, trials_b, n_draws, rng):
    pa = rng.beta(1 + successes_a, 1 + trials_a - successes_a, n_draws)
    pb = rng.beta(1 + successes_b, 1 + trials_b - successes_b, n_draws)
    estimate = float(np.mean(pb > pa))
    return estimate, math.sqrt(estimate * (1 - estimate) / n_draws)


def _shifted(aa, ba, ab, bb):
    """P(X_B > X_A) by Miller's sum (X_B ~ Beta(ab, bb), whole-number ab)."""
    i = np.arange(int(ab))
    return float(np.exp(special.logsumexp(special.betaln(aa + i, ba + bb) - np.log(bb + i)
                                          - special.betaln(1 + i, bb) - special.betaln(aa, ba))))


def ship_decision(successes_a, trials_a, successes_b, trials_b, *, loss="b", rule="and"):
    aa, ba = 1 + successes_a, 1 + trials_a - successes_a
    ab, bb = 1 + successes_b, 1 + trials_b - successes_b
    ma, mb = aa / (aa + ba), ab / (ab + bb)
    prob = _shifted(aa, ba, ab, bb)
    # E[max(p_A - p_B, 0)] = m_A P(X_{A+1} > X_B) - m_B P(X_A > X_{B+1}); P(X > Y) = 1 - P(Y > X)
    loss_b = ma * (1 - _shifted(aa + 1, ba, ab, bb)) - mb * (1 - _shifted(aa, ba, ab + 1, bb))
    loss_a = mb * _shifted(aa, ba, ab + 1, bb) - ma * _shifted(aa + 1, ba, ab, bb)
    value = {"b": loss_b, "a": loss_a, "mean": max(ma - mb, 0.0)}[loss]
    ship = (prob > 0.95 and value < 0.001) if rule == "and" else (prob > 0.95 or value < 0.001)
    return prob, max(value, 0.0), bool(ship)


def peeking_rate(looks, threshold):
    """P(Z_k > c at some look k <= looks) for a Brownian motion's z statistics: the score S_k = sqrt(k) Z_k is a
    random walk with N(0, 1) steps; its density below the boundary is carried look to look (Simpson's rule)."""
    c = stats.norm.ppf(threshold)
    rate, x, wf = 0.0, None, None
    for k in range(1, looks + 1):
        b = c * np.sqrt(k)
        rate += stats.norm.sf(b) if x is None else wf @ stats.norm.sf(b - x)
        y = np.linspace(-8 * np.sqrt(k), b, 2 * int(np.ceil((b + 8 * np.sqrt(k)) / 0.1)) + 1)
        w = np.full(y.size, 2.0)
        w[1::2], w[0], w[-1] = 4.0, 1.0, 1.0
        f = stats.norm.pdf(y) if x is None else stats.norm.pdf(y[:, None] - x[None, :]) @ wf
        x, wf = y, w * (y[1] - y[0]) / 3 * f
    return float(rate)


TASKS = [(check.task1, exact_prob_b_beats_a), (check.task2, mc_prob_b_beats_a),
         (check.task3, ship_decision), (check.task4, peeking_rate)]


def test_task1_wrong_answers():
    def normal_approx(sa, na, sb, nb):
        aa, ba, ab, bb = 1 + sa, 1 + na - sa, 1 + sb, 1 + nb - sb
        ma, mb = aa / (aa + ba), ab / (ab + bb)
        va, vb = ma * (1 - ma) / (aa + ba + 1), mb * (1 - mb) / (ab + bb + 1)
        return float(stats.norm.cdf((mb - ma) / math.sqrt(va + vb)))

    def monte_carlo(sa, na, sb, nb):
        rng = np.random.default_rng(0)
        return float(np.mean(rng.beta(1 + sb, 1 + nb - sb, 200_000) > rng.beta(1 + sa, 1 + na - sa, 200_000)))

    def plain_beta(sa, na, sb, nb):          # the formula without logs
        aa, ba, ab, bb = 1 + sa, 1 + na - sa, 1 + sb, 1 + nb - sb
        i = np.arange(ab)
        with np.errstate(all="ignore"):
            return float(np.sum(special.beta(aa + i, ba + bb) / ((bb + i) * special.beta(1 + i, bb) * special.beta(aa, ba))))

    assert_try_again(check.task1(lambda *c: exact_prob_b_beats_a(*c, stop=1)), "one term early")
    assert_try_again(check.task1(lambda sa, na, sb, nb: exact_prob_b_beats_a(sb, nb, sa, na)), "P(A > B)")
    assert_try_again(check.task1(lambda *c: exact_prob_b_beats_a(*c, beta_counts="trials")), "failures")
    assert_try_again(check.task1(lambda *c: exact_prob_b_beats_a(*c, prior=0.0)), "Beta(1 + s, 1 + n - s)")
    assert_try_again(check.task1(normal_approx), "normal approximation")
    assert_try_again(check.task1(monte_carlo), "Monte Carlo")
    assert_try_again(check.task1(plain_beta), "log space")
    assert_try_again(check.task1(lambda *c: 0.5), "too")
    assert_try_again(check.task1(lambda sa, na, sb, nb: exact_prob_b_beats_a(sa, na, sb, na)), "P(B > A)")


def test_task2_wrong_answers():
    def exact_value(sa, na, sb, nb, n_draws, rng):
        return exact_prob_b_beats_a(sa, na, sb, nb), 0.001

    def se_without_n(*args):
        est, _ = mc_prob_b_beats_a(*args)
        return est, math.sqrt(est * (1 - est))

    def variance(*args):
        est, se = mc_prob_b_beats_a(*args)
        return est, se**2

    def fixed_draws(sa, na, sb, nb, n_draws, rng):
        return mc_prob_b_beats_a(sa, na, sb, nb, 10_000, rng)

    def no_prior(sa, na, sb, nb, n_draws, rng):
        pa, pb = rng.beta(max(sa, 1e-3), max(na - sa, 1e-3), n_draws), rng.beta(max(sb, 1e-3), max(nb - sb, 1e-3), n_draws)
        est = float(np.mean(pb > pa))
        return est, math.sqrt(est * (1 - est) / n_draws)

    def half_draws_se(*args):                 # the SE of a difference of two independent shares, a mix-up
        est, se = mc_prob_b_beats_a(*args)
        return est, se * math.sqrt(2)

    assert_try_again(check.task2(exact_value), "same for three different seeds")
    assert_try_again(check.task2(se_without_n), "does not shrink")
    assert_try_again(check.task2(variance), "variance")
    assert_try_again(check.task2(fixed_draws), "n_draws")
    assert_try_again(check.task2(no_prior), "Beta(1 + s_A")
    assert_try_again(check.task2(half_draws_se), "too large")
    assert_try_again(check.task2(lambda *a: 0.92), "pair")


def test_task3_wrong_answers():
    def monte_carlo_loss(sa, na, sb, nb):
        prob, loss, _ = ship_decision(sa, na, sb, nb)
        rng = np.random.default_rng(1)
        pa, pb = rng.beta(1 + sa, 1 + na - sa, 200_000), rng.beta(1 + sb, 1 + nb - sb, 200_000)
        mc = float(np.mean(np.maximum(pa - pb, 0)))
        return prob, mc, bool(prob > 0.95 and mc < 0.001)

    def relative_loss(sa, na, sb, nb):
        prob, loss, _ = ship_decision(sa, na, sb, nb)
        rel = loss / ((1 + sa) / (2 + na))
        return prob, rel, bool(prob > 0.95 and rel < 0.001)

    def mc_prob(sa, na, sb, nb):
        _, loss, _ = ship_decision(sa, na, sb, nb)
        rng = np.random.default_rng(2)
        prob = float(np.mean(rng.beta(1 + sb, 1 + nb - sb, 100_000) > rng.beta(1 + sa, 1 + na - sa, 100_000)))
        return prob, loss, bool(prob > 0.95 and loss < 0.001)

    assert_try_again(check.task3(lambda *c: ship_decision(*c, loss="a")), "loss of keeping A")
    assert_try_again(check.task3(lambda *c: ship_decision(*c, loss="mean")), "positive part")
    assert_try_again(check.task3(lambda *c: ship_decision(*c, rule="or")), "BOTH")
    assert_try_again(check.task3(monte_carlo_loss), "not by sampling")
    assert_try_again(check.task3(relative_loss), "too large")
    assert_try_again(check.task3(mc_prob), "Monte Carlo")
    assert_try_again(check.task3(lambda *c: (*ship_decision(*c)[:2], "yes")), "bool")
    assert_try_again(check.task3(lambda *c: ship_decision(*c)[:2]), "three")


def test_task4_wrong_answers():
    def nominal(looks, threshold):
        return 1 - threshold

    def independent(looks, threshold):
        return 1 - threshold**looks

    def either_arm(looks, threshold):          # stop when P(B > A) or P(A > B) exceeds the threshold
        return sequential.peeking_type1_error(looks, 2 * (1 - threshold))

    def simulated(looks, threshold):
        rng = np.random.default_rng(3)
        z = np.cumsum(rng.standard_normal((20_000, looks)), axis=1) / np.sqrt(np.arange(1, looks + 1))
        return float((z > stats.norm.ppf(threshold)).any(axis=1).mean())

    def one_look_less(looks, threshold):
        return peeking_rate(max(looks - 1, 1), threshold)

    assert_try_again(check.task4(nominal), "one-look rate")
    assert_try_again(check.task4(independent), "independent looks")
    assert_try_again(check.task4(either_arm), "either arm")
    assert_try_again(check.task4(simulated), "simulation is too noisy")
    assert_try_again(check.task4(one_look_less), "chances to cross")
