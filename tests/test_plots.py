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
