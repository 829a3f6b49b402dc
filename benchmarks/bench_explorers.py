"""How fast the lesson explorers redraw: each slider's computation, and the full redraw with its figure.

A slider feels live below about 100 ms per redraw. Run: `make bench` or
`.venv/bin/python benchmarks/bench_explorers.py`.
"""

import contextlib
import io
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from labsupport import explore  # noqa: E402

LIMIT_MS = 100.0


def per_call_ms(fn, repeat=10):
    fn()  # warm-up (imports, caches)
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return 1000 * (time.perf_counter() - start) / repeat


def redraw_ms(make, control, values):
    with contextlib.redirect_stdout(io.StringIO()):
        widget = make()
    slider = next(c for c in widget.children if getattr(c, "description", None) == control)
    plt.show = lambda *a, **k: plt.close("all")

    def move():
        with contextlib.redirect_stdout(io.StringIO()):  # the widget's clear-output codes
            for value in values:
                slider.value = value
    return per_call_ms(move, repeat=3) / len(values)


def main():
    rows = [
        ("lesson 01 sample_size_plan", per_call_ms(lambda: explore.sample_size_plan(0.1, 0.05)),
         redraw_ms(explore.sample_size_explorer, "rel. lift", [0.03, 0.07, 0.12])),
        ("lesson 02 peeking_plan (20 looks, ld-obf)", per_call_ms(lambda: explore.peeking_plan(20, "ld-obf")),
         redraw_ms(explore.peeking_explorer, "looks", [5, 12, 20])),
        ("lesson 03 fwer_by_procedure (50 tests)", per_call_ms(lambda: explore.fwer_by_procedure(50, 0.5)),
         redraw_ms(explore.fwer_explorer, "tests", [10, 30, 50])),
        ("lesson 08 confidence_sequence_width", per_call_ms(lambda: explore.confidence_sequence_width(0.01)),
         redraw_ms(explore.confidence_sequence_explorer, "log10 tau²", [-4.0, -2.0, 0.0])),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'explorer':<{width}}  compute ms  redraw ms (with figure)")
    for name, compute, redraw in rows:
        flag = "" if redraw < LIMIT_MS else f"  over {LIMIT_MS:g} ms"
        print(f"{name:<{width}}  {compute:10.1f}  {redraw:9.1f}{flag}")


if __name__ == "__main__":
    main()
