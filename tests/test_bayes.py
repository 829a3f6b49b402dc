"""labsupport.bayes against independent references: quadrature on the densities, scipy's
beta-negative-binomial, Monte Carlo, the multivariate normal, and published values."""

import numpy as np
import pytest
from scipy import integrate, stats

from labsupport import bayes, sequential
from labsupport.stats import binomial_band

# (successes_a, trials_a, successes_b, trials_b): zeros, equal counts, all successes, uneven arms
GRID = [(0, 10, 0, 10), (0, 100, 3, 100), (10, 10, 9, 10), (5, 50, 5, 50), (120, 1000, 145, 1000),
        (39, 98, 69, 158), (30, 16_500, 50, 17_000), (7, 20, 1, 35), (200, 400, 250, 400)]
PRIORS = [(1, 1), (0.5, 0.5), (2, 30), (100, 900)]


def quad_prob(a_a, b_a, a_b, b_b):
    """P(p_B > p_A) = integral of f_A(x) P(p_B > x) dx, adaptive quadrature on [0, 1] split at A's quantiles."""
    post_a, post_b = stats.beta(a_a, b_a), stats.beta(a_b, b_b)
    cuts = sorted({0.0, 1.0, *post_a.ppf([1e-12, 0.01, 0.5, 0.99, 1 - 1e-12])})
    return sum(integrate.quad(lambda x: post_a.pdf(x) * post_b.sf(x), lo, hi, limit=400,
                              epsabs=1e-15, epsrel=1e-13)[0] for lo, hi in zip(cuts[:-1], cuts[1:]))


def posterior_params(sa, na, sb, nb, prior):
    return prior[0] + sa, prior[1] + na - sa, prior[0] + sb, prior[1] + nb - sb


def quad_loss(a_a, b_a, a_b, b_b):
    """E[max(p_B - p_A, 0)] and E[max(p_A - p_B, 0)] by two-dimensional quadrature on the joint density."""
    post_a, post_b = stats.beta(a_a, b_a), stats.beta(a_b, b_b)
    lo = min(post_a.ppf(1e-13), post_b.ppf(1e-13))
    hi = max(post_a.isf(1e-13), post_b.isf(1e-13))
    joint = lambda y, x: post_a.pdf(x) * post_b.pdf(y)  # noqa: E731  x = p_A, y = p_B
    loss_a = integrate.dblquad(lambda y, x: (y - x) * joint(y, x), lo, hi, lambda x: x, hi,
                               epsabs=1e-12, epsrel=1e-9)[0]
    loss_b = integrate.dblquad(lambda y, x: (x - y) * joint(y, x), lo, hi, lo, lambda x: x,
                               epsabs=1e-12, epsrel=1e-9)[0]
    return loss_a, loss_b


# ------------------------------------------------------------------ P(B > A)
@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("counts", GRID)
def test_prob_b_beats_a_matches_quadrature(counts, prior):
    exact = bayes.prob_b_beats_a(*counts, prior=prior)
    assert exact == pytest.approx(quad_prob(*posterior_params(*counts, prior)), abs=1e-10)


@pytest.mark.parametrize("counts", GRID)
def test_prob_b_beats_a_matches_monte_carlo(counts):
    rng = np.random.default_rng(sum(counts))
    a_a, b_a, a_b, b_b = posterior_params(*counts, (1, 1))
    n = 400_000
    share = (rng.beta(a_b, b_b, n) > rng.beta(a_a, b_a, n)).mean()
    exact = bayes.prob_b_beats_a(*counts)
    assert abs(share - exact) <= 4.5 * np.sqrt(exact * (1 - exact) / n) + 1e-9


@pytest.mark.parametrize("counts", GRID)
def test_both_directions_sum_to_one(counts):
    sa, na, sb, nb = counts
    for prior in PRIORS:
        assert bayes.prob_b_beats_a(sa, na, sb, nb, prior) + bayes.prob_b_beats_a(sb, nb, sa, na, prior) \
            == pytest.approx(1.0, abs=5e-12)


def test_equal_posteriors_give_one_half():
    for counts in [(0, 0, 0, 0), (5, 50, 5, 50), (123_456, 1_000_000, 123_456, 1_000_000)]:
        for prior in PRIORS:
            assert bayes.prob_b_beats_a(*counts, prior=prior) == pytest.approx(0.5, abs=1e-9)


@pytest.mark.parametrize("n", [10**6, 10**7, 10**8])
def test_very_large_trials_no_overflow(n):
    rng = np.random.default_rng(n % 97)
    for _ in range(3):
        sa = int(rng.binomial(n, 0.1))
        sb = sa + int(rng.integers(-3, 4) * np.sqrt(n * 0.09))
        for prior in ((1, 1), (0.5, 0.5)):
            p = bayes.prob_b_beats_a(sa, n, sb, n, prior)
            assert 0.0 <= p <= 1.0 and np.isfinite(p)
            assert p == pytest.approx(quad_prob(*posterior_params(sa, n, sb, n, prior)), abs=1e-9)
    # far apart: the answer is 0 or 1 to double precision, still in [0, 1]
    assert bayes.prob_b_beats_a(n // 10, n, n // 9, n) == pytest.approx(1.0, abs=5e-12)
    assert bayes.prob_b_beats_a(n // 9, n, n // 10, n) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n, tol", [(10**4, 1e-10), (10**5, 2e-9), (10**6, 1e-8), (10**7, 3e-7)])
def test_closed_form_sum_is_stable_at_large_counts(n, tol):
    """Miller's sum forced (loops of 10^3 to 10^6 terms) against quadrature on the densities."""
    rng = np.random.default_rng(n % 89)
    sa = rng.binomial(n, 0.1, size=4)
    sb = sa + (rng.integers(-2, 3, size=4) * np.sqrt(n * 0.09)).astype(int)
    a_a, b_a, a_b, b_b = posterior_params(sa, n, sb, n, (1, 1))
    summed = bayes._prob_greater(a_b, b_b, a_a, b_a, method="sum")
    assert np.all((0 <= summed) & (summed <= 1))
    for i in range(4):
        assert summed[i] == pytest.approx(quad_prob(a_a[i], b_a[i], a_b[i], b_b[i]), abs=tol)


def test_the_four_loops_and_quadrature_agree():
    """Each whole-number parameter can drive the sum (two direct forms, two complements); quadrature too."""
    cases = [(3, 4, 1, 2), (70, 90, 40, 60), (12, 7, 9, 15), (0.5, 10.5, 3, 8), (3.5, 0.5, 40, 2),
             (5, 2.5, 3.5, 7), (1, 1, 1, 1)]
    for a, b, c, d in cases:
        forms = [bayes._miller_sums(*map(np.atleast_1d, map(float, args)))[0]
                 for args in ((a, b, c, d), (d, c, b, a)) if float(args[0]).is_integer()]
        forms += [1 - bayes._miller_sums(*map(np.atleast_1d, map(float, args)))[0]
                  for args in ((c, d, a, b), (b, a, d, c)) if float(args[0]).is_integer()]
        assert forms, (a, b, c, d)
        ref = bayes._prob_greater(a, b, c, d, method="quad")
        assert np.allclose(forms, ref, atol=1e-12, rtol=0), (a, b, c, d, forms, ref)
        assert ref == pytest.approx(quad_prob(c, d, a, b), abs=1e-11)


def test_sum_matches_scipy_beta_negative_binomial():
    """With whole-number a and b, P(X > Y) is the beta-negative-binomial CDF (n=b, a=d, b=c) at a - 1."""
    for a, b, c, d in [(3, 4, 1, 2), (70, 90, 40, 60), (25, 300, 31, 280), (2, 5000, 3, 4000)]:
        assert bayes.beta_prob_greater(a, b, c, d) == pytest.approx(stats.betanbinom.cdf(a - 1, b, d, c),
                                                                      abs=1e-12)


def test_prob_b_beats_a_broadcasts_and_chooses_the_short_loop():
    sa = np.array([0, 5, 120, 3_000])
    p = bayes.prob_b_beats_a(sa, 10_000, sa + 30, 10_000)
    assert p.shape == (4,)
    for i in range(4):
        assert p[i] == pytest.approx(bayes.prob_b_beats_a(int(sa[i]), 10_000, int(sa[i]) + 30, 10_000), abs=1e-14)
    # a huge loop falls back to quadrature (MAX_TERMS), with the same answer as the sum
    n = 4 * bayes.MAX_TERMS
    auto = bayes.prob_b_beats_a(n // 2, n, n // 2 + 150, n)
    forced = bayes._prob_greater(1 + n // 2 + 150, 1 + n // 2 - 150, 1 + n // 2, 1 + n // 2, method="sum")
    assert auto == pytest.approx(forced, abs=1e-8)


def test_published_values():
    # cprior (G. Navas-Palencia), tests/test_beta.py: exact P(B > A) for Beta(40, 60) vs Beta(70, 90), and beta_cprior
    assert bayes.beta_prob_greater(70, 90, 40, 60) == pytest.approx(0.7262717462, abs=1e-10)
    for (a0, b0, a1, b1), ref in [((10, 50, 60, 250), 0.7088919200), ((600, 550, 52, 60), 0.1223144258),
                                  ((1000, 900, 1200, 1000), 0.8898254504), ((1000, 900, 1200, 800), 0.9999982656),
                                  ((100.1, 90.1, 100.1, 90.1), 0.5)]:
        assert bayes.beta_prob_greater(a1, b1, a0, b0) == pytest.approx(ref, rel=1e-8)
    # ankane/field_test (Ruby), test/calculations_test.rb: prob_b_beats_a(alpha_a, beta_a, alpha_b, beta_b)
    for (aa, ba, ab, bb), ref in [((1, 2, 3, 4), 0.6428571428571429), ((55, 50, 30, 30), 0.38386463776317903),
                                  ((50, 50, 35, 30), 0.6867997222295887)]:
        assert bayes.beta_prob_greater(ab, bb, aa, ba) == pytest.approx(ref, abs=1e-12)
    # V. Lavorini's gist 4825d263544b86bf9d695af001e0838e: 30/16,500 vs 50/17,000, flat prior: 98.2%
    assert round(100 * bayes.prob_b_beats_a(30, 16_500, 50, 17_000), 1) == 98.2


# ------------------------------------------------------------------ expected loss
@pytest.mark.parametrize("counts, prior", [((39, 98, 69, 158), (1, 1)), ((0, 20, 2, 20), (1, 1)),
                                           ((120, 1000, 145, 1000), (1, 1)), ((5, 50, 5, 50), (0.5, 0.5)),
                                           ((12, 300, 9, 250), (2, 30)), ((10, 10, 9, 10), (1, 1))])
def test_expected_loss_matches_double_quadrature(counts, prior):
    loss_a, loss_b = bayes.expected_loss(*counts, prior=prior)
    ref_a, ref_b = quad_loss(*posterior_params(*counts, prior))
    assert loss_a == pytest.approx(ref_a, abs=1e-10, rel=1e-7)
    assert loss_b == pytest.approx(ref_b, abs=1e-10, rel=1e-7)


@pytest.mark.parametrize("counts", GRID + [(100_000, 1_000_000, 100_900, 1_000_000)])
def test_loss_difference_is_the_difference_of_posterior_means(counts):
    for prior in PRIORS:
        a_a, b_a, a_b, b_b = posterior_params(*counts, prior)
        loss_a, loss_b = bayes.expected_loss(*counts, prior=prior)
        assert loss_a >= 0 and loss_b >= 0
        assert loss_a - loss_b == pytest.approx(a_b / (a_b + b_b) - a_a / (a_a + b_a), abs=1e-12)


def test_expected_loss_published_and_monte_carlo():
    # cprior tests/test_beta.py: Beta(40, 60) vs Beta(70, 90), exact losses of choosing A and B
    loss_a, loss_b = bayes.expected_loss(39, 98, 69, 158)
    assert loss_a == pytest.approx(0.0481119843, abs=1e-10)
    assert loss_b == pytest.approx(0.0106119843, abs=1e-10)
    rng = np.random.default_rng(3)
    pa, pb = rng.beta(40, 60, 1_000_000), rng.beta(70, 90, 1_000_000)
    gain = np.maximum(pb - pa, 0)
    assert abs(gain.mean() - loss_a) < 4.5 * gain.std() / 1_000


def test_expected_loss_broadcasts():
    la, lb = bayes.expected_loss([39, 0], [98, 20], [69, 2], [158, 20])
    assert la.shape == lb.shape == (2,)
    assert la[1] == pytest.approx(bayes.expected_loss(0, 20, 2, 20)[0], abs=1e-15)


# ------------------------------------------------------------------ lift, decision, Monte Carlo
def test_lift_interval_published_and_monte_carlo():
    # cprior tests/test_beta.py: expected_loss_relative_ci, 90% equal-tailed interval of p_B/p_A - 1
    ci = bayes.lift_interval(39, 98, 69, 158, level=0.9)
    assert (ci.low, ci.high) == pytest.approx((-0.1424559672, 0.4175275191), abs=1e-9)
    rng = np.random.default_rng(4)
    for counts, prior in [((120, 1000, 145, 1000), (1, 1)), ((0, 50, 3, 50), (0.5, 0.5)), ((30, 200, 20, 150), (2, 30))]:
        ci = bayes.lift_interval(*counts, level=0.95, prior=prior)
        a_a, b_a, a_b, b_b = posterior_params(*counts, prior)
        lift = rng.beta(a_b, b_b, 400_000) / rng.beta(a_a, b_a, 400_000) - 1
        assert np.mean(lift < ci.low) == pytest.approx(0.025, abs=0.0015)
        assert np.mean(lift > ci.high) == pytest.approx(0.025, abs=0.0015)
        assert np.mean(lift < ci.median) == pytest.approx(0.5, abs=0.003)
    assert "95% credible interval" in repr(ci)


def test_decide_applies_both_conditions():
    small = bayes.decide(3, 10, 8, 10)                       # P(B > A) high, but the loss is not small
    assert small.prob_b_beats_a > 0.95 and small.loss_b > 0.001 and not small.ship_b
    big = bayes.decide(10_000, 100_000, 10_400, 100_000)     # both conditions hold
    assert big.prob_b_beats_a > 0.95 and big.loss_b < 0.001 and big.ship_b
    flat = bayes.decide(10_000, 100_000, 10_000, 100_000)    # tiny loss, P = 0.5
    assert flat.loss_b < 0.001 and not flat.ship_b
    assert "ship B" in repr(big) and "do not ship B" in repr(small)
    assert bayes.decide(3, 10, 8, 10, loss_threshold=0.01).ship_b


def test_monte_carlo_estimate_and_its_error():
    exact = bayes.prob_b_beats_a(120, 1000, 145, 1000)
    first = bayes.prob_b_beats_a_mc(120, 1000, 145, 1000, 10_000, rng=7)
    assert first.estimate == bayes.prob_b_beats_a_mc(120, 1000, 145, 1000, 10_000, rng=7).estimate
    assert first.se == pytest.approx(np.sqrt(first.estimate * (1 - first.estimate) / 10_000))
    estimates = np.array([bayes.prob_b_beats_a_mc(120, 1000, 145, 1000, 2_000, rng=s).estimate for s in range(300)])
    assert abs(estimates.mean() - exact) < 4.5 * np.sqrt(exact * (1 - exact) / 2_000 / 300)
    assert estimates.std() == pytest.approx(np.sqrt(exact * (1 - exact) / 2_000), rel=0.15)


def test_single_look_rule_is_calibrated_in_aa_tests():
    """A/A calibration of the one-look rule P(B > A) > 0.95: about 5% false positives (flat prior, large n)."""
    rng = np.random.default_rng(11)
    n_sims, n = 20_000, 4_000
    sa, sb = rng.binomial(n, 0.1, n_sims), rng.binomial(n, 0.1, n_sims)
    rate = (bayes.prob_b_beats_a(sa, n, sb, n) > 0.95).mean()
    low, high = binomial_band(0.05, n_sims, 0.999)
    assert low <= rate <= high


def test_posterior_is_prior_times_likelihood():
    grid = np.linspace(1e-4, 1 - 1e-4, 20_001)
    for (s, n), prior in [((3, 40), (1, 1)), ((0, 10), (0.5, 0.5)), ((30, 200), (2, 30))]:
        def prior_times_likelihood(p):
            return stats.beta.pdf(p, *prior) * stats.binom.pmf(s, n, p)
        evidence = integrate.quad(prior_times_likelihood, 0, 1, epsabs=1e-14, limit=200)[0]
        assert np.allclose(bayes.posterior(s, n, prior).pdf(grid), prior_times_likelihood(grid) / evidence,
                           rtol=1e-8, atol=1e-10)


# ------------------------------------------------------------------ normal model
def test_normal_posterior_is_the_welch_statistic():
    rng = np.random.default_rng(12)
    a, b = rng.lognormal(0, 1, 500), rng.lognormal(0.1, 1, 600)
    post = bayes.normal_posterior(a, b)
    t = stats.ttest_ind(b, a, equal_var=False).statistic
    assert post.prob_b_beats_a == pytest.approx(stats.norm.cdf(t), rel=1e-12)
    low, high = post.interval(0.9)
    assert (high - low) / 2 == pytest.approx(stats.norm.ppf(0.95) * np.sqrt(a.var(ddof=1) / 500 + b.var(ddof=1) / 600))


def test_normal_interval_coverage_on_normal_data():
    rng = np.random.default_rng(13)
    n_sims = 20_000
    a, b = rng.normal(1.0, 2.0, (n_sims, 200)), rng.normal(1.3, 1.0, (n_sims, 150))
    low, high = bayes.normal_posterior(a, b).interval(0.95)
    cover = ((low <= 0.3) & (0.3 <= high)).mean()
    lo, hi = binomial_band(0.95, n_sims, 0.999)
    assert lo - 0.003 <= cover <= hi   # z interval with estimated variances: a hair below 95% at n = 150


# ------------------------------------------------------------------ peeking
def _mvn_rate(looks, threshold):
    k = np.arange(1, looks + 1)
    corr = np.sqrt(np.minimum.outer(k, k) / np.maximum.outer(k, k))   # corr(Z_i, Z_j) = sqrt(i / j)
    c = np.full(looks, stats.norm.ppf(threshold))
    if looks == 1:
        return float(stats.norm.sf(c[0]))
    return 1 - stats.multivariate_normal.cdf(c, cov=corr, abseps=1e-7, releps=1e-7, maxpts=400_000 * looks,
                                             rng=np.random.default_rng(0))


@pytest.mark.parametrize("looks, threshold", [(1, 0.95), (2, 0.95), (5, 0.95), (10, 0.95), (1, 0.9), (2, 0.99),
                                               (5, 0.9), (10, 0.99)])
def test_peeking_rate_matches_multivariate_normal(looks, threshold):
    assert bayes.peeking_false_positive_rate(looks, threshold) == pytest.approx(_mvn_rate(looks, threshold), abs=5e-6)


def test_peeking_either_arm_is_lesson_02s_two_sided_test():
    for looks in (1, 2, 5, 10):
        assert bayes.peeking_false_positive_rate(looks, 0.975, either=True) == \
            pytest.approx(sequential.peeking_type1_error(looks, 0.05), abs=1e-12)
    # Armitage, McPherson & Rowe (1969): 0.083 with 2 looks, 0.193 with 10 (two-sided 5% test)
    assert round(bayes.peeking_false_positive_rate(2, 0.975, either=True), 3) == 0.083
    assert round(bayes.peeking_false_positive_rate(10, 0.975, either=True), 3) == 0.193


def test_one_sided_crossings_against_brownian_simulation():
    rng = np.random.default_rng(14)
    bounds = np.array([2.5, 2.0, 1.8, 1.6, 1.5])
    z = np.cumsum(rng.standard_normal((400_000, 5)), axis=1) / np.sqrt(np.arange(1, 6))
    crossed = z > bounds
    first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), -1)
    sim = np.array([(first == k).mean() for k in range(5)])
    exact = bayes.one_sided_crossing_probabilities(bounds)
    assert np.all(np.abs(sim - exact) < 4.5 * np.sqrt(exact * (1 - exact) / 400_000))


def test_simulated_monitoring_matches_the_exact_large_sample_rate():
    n_sims = 20_000
    run = bayes.simulate_monitoring(n_sims, 10, 1_000, p_a=0.1, rng=15)
    for looks in (1, 2, 5, 10):
        exact = bayes.peeking_false_positive_rate(looks)
        low, high = binomial_band(exact, n_sims, 0.999)
        assert low - 0.004 <= run.rate_by(looks).estimate <= high + 0.004   # + finite-sample allowance
    assert run.rate_by(10).estimate > 3 * 0.05
    assert run.successes_a.shape == (n_sims, 10) and list(run.trials[:2]) == [1_000, 2_000]
    assert "MonitoringRun(20,000 experiments" in repr(run)


def test_monitoring_is_calibrated_when_the_prior_is_true():
    """Draw the rates from the prior: among experiments stopped with P(B > A) > 0.95, B is truly better >= 95%."""
    rng = np.random.default_rng(16)
    n_sims = 20_000
    pa, pb = rng.beta(20, 180, n_sims), rng.beta(20, 180, n_sims)
    run = bayes.simulate_monitoring(n_sims, 8, 300, pa, pb, prior=(20, 180), rng=rng)
    stopped = run.stop_look > 0
    right = (pb[stopped] > pa[stopped]).mean()
    assert right >= binomial_band(0.95, int(stopped.sum()), 0.999)[0]


def test_success_thresholds_match_brute_force():
    """The window-and-recurrence search against P(B > A) evaluated directly at every s_B."""
    for n, prior, threshold in [(50, (1, 1), 0.95), (500, (1, 1), 0.95), (300, (2, 30), 0.9),
                                (40, (1, 1), 0.99), (200, (0.5, 2), 0.95), (30, (1, 1), 0.6)]:
        s_a = np.arange(0, n + 1, max(1, n // 40))
        table = bayes.b_success_thresholds(n, s_a, threshold, prior)
        sb = np.arange(n + 1)
        for s, t in zip(s_a, table):
            p = bayes._prob_greater(prior[0] + sb, prior[1] + n - sb, prior[0] + s, prior[1] + n - s)
            above = np.flatnonzero(p > threshold)
            assert t == (above[0] if above.size else n + 1), (n, prior, threshold, s)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, match", [
    (lambda: bayes.prob_b_beats_a(11, 10, 5, 10), "successes_a"),
    (lambda: bayes.prob_b_beats_a(5, 10, 11, 10), "successes_b"),
    (lambda: bayes.prob_b_beats_a(-1, 10, 5, 10), "successes_a"),
    (lambda: bayes.prob_b_beats_a(1, -10, 5, 10), "trials_a"),
    (lambda: bayes.prob_b_beats_a(1, 10, 5, 10.5), "trials_b"),
    (lambda: bayes.prob_b_beats_a(1, 10, 5, 10, prior=(0, 1)), "prior"),
    (lambda: bayes.prob_b_beats_a(1, 10, 5, 10, prior=(1, -2)), "prior"),
    (lambda: bayes.prob_b_beats_a(1, 10, 5, 10, prior=1), "prior"),
    (lambda: bayes.prob_b_beats_a([1, 2], [10, 10, 10], 5, 10), "broadcastable"),
    (lambda: bayes.expected_loss(3, 2, 1, 2), "successes_a"),
    (lambda: bayes.expected_loss(1, 2, 1, 2, prior=(1, 0)), "prior"),
    (lambda: bayes.beta_prob_greater(0, 1, 1, 1), "alpha_x"),
    (lambda: bayes.beta_prob_greater(1, 1, 1, -1), "beta_y"),
    (lambda: bayes._prob_greater(0.5, 0.5, 0.5, 0.5, method="sum"), "method"),
    (lambda: bayes.prob_b_beats_a_mc(1, 10, 2, 10, 0), "n_draws"),
    (lambda: bayes.prob_b_beats_a_mc([1, 2], 10, 2, 10, 100), "single numbers"),
    (lambda: bayes.prob_b_beats_a_mc(1, 10, 2, 10, 100, rng="seed"), "rng"),
    (lambda: bayes.lift_interval(1, 10, 2, 10, level=1.0), "level"),
    (lambda: bayes.lift_interval([1, 2], 10, 2, 10), "single numbers"),
    (lambda: bayes.decide(1, 10, 2, 10, prob_threshold=1.5), "prob_threshold"),
    (lambda: bayes.decide(1, 10, 2, 10, loss_threshold=0), "loss_threshold"),
    (lambda: bayes.posterior(5, 3), "successes"),
    (lambda: bayes.posterior(1, 3, prior=(1, 0)), "prior"),
    (lambda: bayes.normal_posterior([1.0], [1.0, 2.0]), "a"),
    (lambda: bayes.normal_posterior([1.0, 2.0], [[1.0]]), "b"),
    (lambda: bayes.one_sided_crossing_probabilities([[1.0, 2.0]]), "bounds"),
    (lambda: bayes.one_sided_crossing_probabilities([1.0, np.inf]), "bounds"),
    (lambda: bayes.peeking_false_positive_rate(0), "looks"),
    (lambda: bayes.peeking_false_positive_rate(3, threshold=1.0), "threshold"),
    (lambda: bayes.peeking_false_positive_rate(3, threshold=0.4, either=True), "threshold"),
    (lambda: bayes.b_success_thresholds(10, [11]), "successes_a"),
    (lambda: bayes.b_success_thresholds(10, [1], threshold=0.5), "threshold"),
    (lambda: bayes.b_success_thresholds(-1, [1]), "trials"),
    (lambda: bayes.simulate_monitoring(0, 3, 10), "n_sims"),
    (lambda: bayes.simulate_monitoring(10, 0, 10), "looks"),
    (lambda: bayes.simulate_monitoring(10, 3, 0), "n_per_look"),
    (lambda: bayes.simulate_monitoring(10, 3, 10, p_a=1.2), "p_a"),
    (lambda: bayes.simulate_monitoring(10, 3, 10, p_b=np.full(4, 0.1)), "p_b"),
    (lambda: bayes.simulate_monitoring(10, 3, 10, threshold=0.3), "threshold"),
    (lambda: bayes.simulate_monitoring(10, 3, 10, prior=(0, 1)), "prior"),
    (lambda: bayes.simulate_monitoring(10, 3, 10).rate_by(0), "look"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
