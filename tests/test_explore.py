"""The explorers' computations against independent references, and the widgets responding to their sliders."""

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from labsupport import explore, multiple

matplotlib.use("Agg")


def test_sample_size_plan_matches_r_power_prop_test():
    # R: power.prop.test(p1 = 0.50, p2 = 0.75, power = 0.90) -> n = 76.7 per group
    plan = explore.sample_size_plan(0.50, 0.50, 0.05, 0.90, daily_users=10)
    assert plan.n_per_arm == 77 and plan.days == math.ceil(2 * 77 / 10)
    assert plan.absolute_lift == pytest.approx(0.25)


def test_sample_size_grows_with_one_over_the_lift_squared():
    n = [explore.sample_size_plan(0.10, lift).n_per_arm for lift in (0.02, 0.04)]
    assert n[0] / n[1] == pytest.approx(4, rel=0.03)


@pytest.mark.parametrize("looks, exact", [(1, 0.05), (2, 0.0831), (5, 0.1417), (10, 0.1934)])
def test_naive_peeking_rate_reproduces_armitage_mcpherson_rowe(looks, exact):
    # Jennison & Turnbull (2000), Table 1.1: repeated significance tests at nominal 5%
    assert explore.peeking_plan(looks, "naive").false_positive_rate == pytest.approx(exact, abs=6e-4)


@pytest.mark.parametrize("design", ["pocock", "obf", "ld-obf", "ld-pocock"])
def test_group_sequential_designs_hold_alpha(design):
    plan = explore.peeking_plan(5, design)
    assert plan.false_positive_rate == pytest.approx(0.05, abs=1e-6)
    assert plan.bounds.shape == (5,)


def test_peeking_bounds_are_the_published_constants():
    # Jennison & Turnbull (2000), Tables 2.1 and 2.3: K = 5, two-sided 5%
    assert explore.peeking_plan(5, "pocock").bounds == pytest.approx(np.full(5, 2.413), abs=1e-3)
    assert explore.peeking_plan(5, "obf").bounds[-1] == pytest.approx(2.040, abs=1e-3)


def test_fwer_exact_procedures_at_independence():
    rates = explore.fwer_by_procedure(10, 0.0)
    assert rates["none"] == pytest.approx(1 - 0.95**10, abs=1e-9)
    assert rates["bonferroni"] == pytest.approx(1 - (1 - 0.005) ** 10, abs=1e-9)
    assert rates["holm"] == rates["bonferroni"]


@pytest.mark.parametrize("m, rho, level", [(10, 0.0, 0.05), (50, 0.5, 0.001), (3, 0.95, 0.05), (20, 0.99, 0.0025)])
def test_fast_grid_integral_matches_adaptive_quadrature(m, rho, level):
    assert explore._any_rejects(m, rho, level) == pytest.approx(multiple.familywise_error_correlated(m, rho, level),
                                                                 abs=1e-9)


def test_fwer_simulated_procedures_match_statsmodels_on_the_same_draws():
    m, rho = 8, 0.5
    rates = explore.fwer_by_procedure(m, rho)
    p = multiple.two_sided_pvalues(multiple.equicorrelated_z(explore._FWER_SIMS, m, rho, explore._FWER_SEED))
    for name, method in (("hochberg", "simes-hochberg"), ("bh", "fdr_bh")):
        expected = np.mean([multipletests(row, 0.05, method)[0].any() for row in p])
        assert rates[name] == pytest.approx(expected, abs=1e-12)


def test_simes_global_null_level_is_alpha_for_independent_tests():
    # Simes (1986): P(some p_(i) <= i alpha / m) = alpha exactly for independent nulls; BH rejects then
    rate = explore.fwer_by_procedure(10, 0.0)["bh"]
    se = math.sqrt(0.05 * 0.95 / explore._FWER_SIMS)
    assert abs(rate - 0.05) < 4.5 * se


def test_one_test_needs_no_correction():
    rates = explore.fwer_by_procedure(1, 0.3)
    for name in ("none", "bonferroni", "holm"):
        assert rates[name] == pytest.approx(0.05, abs=1e-9)
    assert rates["hochberg"] == rates["bh"]  # with one test both are the plain test


def test_confidence_sequence_width_matches_the_closed_form():
    ns, cs, fixed = explore.confidence_sequence_width(0.01, sigma2=2.0, alpha=0.1, n_max=5_000)
    big_v = 2 * 2.0
    closed = np.sqrt(2 * big_v * (big_v + ns * 0.01) / (ns**2 * 0.01)
                     * (np.log(1 / 0.1) + 0.5 * np.log(1 + ns * 0.01 / big_v)))
    np.testing.assert_allclose(cs, closed, rtol=1e-12)
    np.testing.assert_allclose(fixed, sps.norm.isf(0.05) * np.sqrt(2 * 2.0 / ns), rtol=1e-12)
    assert (cs > fixed).all() and ns[0] == 1 and ns[-1] == 5_000


@pytest.mark.parametrize("call, name", [
    (lambda: explore.sample_size_plan(0.0, 0.1), "baseline"),
    (lambda: explore.sample_size_plan(0.5, 1.5), "relative_lift"),
    (lambda: explore.sample_size_plan(0.5, 0.0), "relative_lift"),
    (lambda: explore.peeking_plan(0), "looks"),
    (lambda: explore.peeking_plan(3, "sidak"), "design"),
    (lambda: explore.peeking_plan(3, alpha=1.0), "alpha"),
    (lambda: explore.fwer_by_procedure(0, 0.1), "m"),
    (lambda: explore.fwer_by_procedure(5, 1.2), "rho"),
    (lambda: explore.confidence_sequence_width(0.0), "tau2"),
    (lambda: explore.confidence_sequence_width(0.1, n_max=1), "n_max"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("make, control, value", [
    (explore.sample_size_explorer, "rel. lift", 0.10),
    (explore.peeking_explorer, "design", "obf"),
    (explore.fwer_explorer, "correlation", 0.5),
    (explore.confidence_sequence_explorer, "log10 tau²", -1.0),
])
def test_each_widget_redraws_when_its_slider_moves(make, control, value, monkeypatch):
    monkeypatch.delenv(explore.STATIC_ENV, raising=False)
    drawn = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: drawn.append(plt.gcf()))
    widget = make()
    widget.update()
    before = len(drawn)
    slider = next(c for c in widget.children if getattr(c, "description", None) == control)
    slider.value = value
    assert len(drawn) == before + 1, "moving the slider did not redraw"
    title = drawn[-1].axes[0].get_title()
    assert any(ch.isdigit() for ch in title), "the title states the finding, with its number"
    plt.close("all")


@pytest.mark.parametrize("make, title", [
    (explore.sample_size_explorer, "57,763 users per arm, 6 days"),  # power.prop.test: 57,763
    (explore.peeking_explorer, "overall false-positive rate 0.142"),
    (explore.fwer_explorer, "10 null tests, correlation 0.00: uncorrected 0.40"),
    (explore.confidence_sequence_explorer, "tau^2 = 0.0016"),
])
def test_headless_runs_draw_one_static_figure_at_the_starting_values(make, title, monkeypatch):
    """Under LABSUPPORT_STATIC_EXPLORERS (make test, labsupport execute) no widget is made."""
    monkeypatch.setenv(explore.STATIC_ENV, "1")
    drawn = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: drawn.append(plt.gcf()))
    assert make() is None
    assert len(drawn) == 1 and title in drawn[0].axes[0].get_title()
    plt.close("all")


@pytest.mark.parametrize("value, expected", [("1", True), ("yes", True), ("", False), ("0", False)])
def test_static_mode_reads_the_environment(value, expected, monkeypatch):
    monkeypatch.setenv(explore.STATIC_ENV, value)
    assert explore.static() is expected
