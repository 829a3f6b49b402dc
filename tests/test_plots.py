"""The shared figures: labelled as the style asks, and input checked."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from labsupport import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    plots.use_style()
    yield
    plt.close("all")


def test_figures_carry_their_labels_and_data():
    x = np.arange(5)
    ax = plots.lines(x, {"a": x, "b": 2 * x}, xlabel="n", ylabel="power", title="power grows", hline=0.8)
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("n", "power", "power grows")
    assert len(ax.get_lines()) == 3 and ax.get_legend() is not None
    ax = plots.estimate_with_band(x, x, x - 1, x + 1, xlabel="look", ylabel="rate", title="t", truth=2)
    assert len(ax.collections) == 1
    ax = plots.pvalue_histogram(np.linspace(0, 1, 200), title="flat", bins=10)
    assert [round(p.get_height()) for p in ax.patches] == [20] * 10
    ax = plots.intervals(np.zeros(4), np.array([-1, -1, 0.5, -1]), np.ones(4), 0.0, title="one misses")
    red = matplotlib.colors.to_rgba("#C44E52")
    assert sum(np.allclose(c, red) for c in ax.collections[0].get_colors()) == 1  # the one miss


def test_styles_give_each_line_its_own_look_and_keep_families_together():
    x = np.linspace(0, 1, 5)
    ys = {label: x + i for i, label in enumerate(plots.DESIGN_STYLES)}
    ax = plots.lines(x, ys, xlabel="t", ylabel="y", title="t", styles=plots.DESIGN_STYLES,
                     legend_loc="upper left", lw=9)
    by_label = {line.get_label(): line for line in ax.get_lines()}
    for label, style in plots.DESIGN_STYLES.items():
        assert matplotlib.colors.to_hex(by_label[label].get_color()) == style["color"].lower()
        assert by_label[label].get_linewidth() == style["lw"]       # the style wins over the shared kw
    assert ax.get_legend()._loc == 2                                 # "upper left"
    # one colour per family; each spending version is drawn above, thinner, so it never hides its classic design
    for classic, spending in (("Pocock", "Lan-DeMets Pocock-type"),
                              ("O'Brien-Fleming", "Lan-DeMets O'Brien-Fleming-type")):
        a, b = plots.DESIGN_STYLES[classic], plots.DESIGN_STYLES[spending]
        assert a["color"] == b["color"] and b["zorder"] > a["zorder"] and b["lw"] < a["lw"]
    assert plots.DESIGN_STYLES["Pocock"]["color"] != plots.DESIGN_STYLES["O'Brien-Fleming"]["color"]
    assert set(plots.DESIGN_LABELS.values()) == set(plots.DESIGN_STYLES)


@pytest.mark.parametrize("call, name", [
    (lambda: plots.lines([1, 2], {"a": [1]}, xlabel="x", ylabel="y", title="t"), "ys"),
    (lambda: plots.lines([1, 2], {}, xlabel="x", ylabel="y", title="t"), "ys"),
    (lambda: plots.estimate_with_band([1, 2], [1, 2], [1], [1, 2], xlabel="x", ylabel="y", title="t"), "low"),
    (lambda: plots.pvalue_histogram([0.2, 1.5], title="t"), "pvalues"),
    (lambda: plots.pvalue_histogram([0.2], title="t", bins=0), "bins"),
    (lambda: plots.intervals([0, 1], [0], [1, 2], 0, title="t"), "lows"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
