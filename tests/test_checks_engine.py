"""The exercise-check engine: feedback and hints, never a traceback, never the answer."""

import numpy as np
import pytest

from checkhelpers import GLOBAL_RNG
from labsupport.checks import (NOT_DONE, PASSED, TRY_AGAIN, call, expect_array, expect_between,
                               expect_int, expect_number, expect_type, fail, task)


@task("Task 9: double it")
def check_double(fn):
    for x in (1.0, 2.5):
        expect_number(call(fn, x), 2 * x, what="the doubled value", hint="multiply by two")
    return "nicely done."


@task("Task 8: squares")
def check_squares(fn):
    expect_array(call(fn, np.arange(3)), np.arange(3) ** 2, what="the squares", hint="use x ** 2")


def test_correct_answer_passes():
    fb = check_double(lambda x: 2 * x)
    assert fb.status == PASSED and fb.passed and repr(fb) == "[passed] Task 9: double it: nicely done."


def test_stub_reports_not_done():
    def stub(x):
        raise NotImplementedError("cell 3: replace this line with your code")
    fb = check_double(stub)
    assert fb.status == NOT_DONE and "NotImplementedError" in fb.message


def test_wrong_value_hints_without_the_answer():
    fb = check_double(lambda x: 3 * x)
    assert fb.status == TRY_AGAIN and "too large" in fb.message and "multiply by two" in fb.message
    assert "2.0" not in fb.message and "5.0" not in fb.message


def test_wrong_type_and_shape_hint_instead_of_error():
    assert "single number" in check_double(lambda x: [x, x]).message
    assert "shape (3,)" in check_squares(lambda x: x[:2] ** 2).message
    assert "array of numbers" in check_squares(lambda x: {"a": 1}).message
    assert "pass your function itself" in check_double(4.0).message


def test_learner_exception_becomes_a_hint():
    fb = check_double(lambda x: x / 0)
    assert fb.status == TRY_AGAIN and "ZeroDivisionError" in fb.message and "Traceback" not in repr(fb)


def test_checker_bug_never_shows_a_traceback():
    @task("Task 7")
    def broken(fn):
        return {}["missing"]
    fb = broken(lambda: 1)
    assert fb.status == TRY_AGAIN and "could not be checked" in fb.message


def test_other_expectations():
    @task("Task 6")
    def check(value):
        expect_int(value["n"], 5, what="n")
        expect_between(value["rate"], 0.04, 0.06, what="the rate")
        expect_type(value["name"], str, what="the name")
        fail("unreachable") if value.get("stop") else None
        return "ok"
    assert check({"n": 5, "rate": 0.05, "name": "x"}).passed
    assert "whole number" in check({"n": 5.0, "rate": 0.05, "name": "x"}).message
    assert "outside the range" in check({"n": 5, "rate": 0.5, "name": "x"}).message
    assert "should be a str" in check({"n": 5, "rate": 0.05, "name": 1}).message
    assert check({"n": 5, "rate": 0.05, "name": "x", "stop": 1}).message == "unreachable"


def test_share_and_same_seed_helpers():
    from labsupport.checks import expect_share, same_seed_result

    @task("Task 5")
    def check(fn):
        expect_share(same_seed_result(fn, 10, what="rates"), "the rate")
        return "ok"

    assert check(lambda n, rng: rng.random()).passed
    assert "same seed" in check(lambda n, rng: GLOBAL_RNG.random()).message
    draws = iter([0.25, 0.25, 0.5])  # a rate that ignores rng and happens to repeat once
    assert "same seed" in check(lambda n, rng: next(draws)).message
    assert "[0, 1]" in check(lambda n, rng: 5.0).message
    assert "single number" in check(lambda n, rng: [0.1, 0.2]).message


def test_passed_runs_the_cell_only_when_the_task_passes(capsys):
    from labsupport.checks import passed, task

    @task("task 9: double")
    def double_check(fn):
        if call(fn, 2) != 4:
            fail("double it.")

    def double(x):
        return 2 * x

    def stub_double(x):
        raise NotImplementedError

    globals()["double"] = double
    assert passed(double_check, "double") is True
    assert capsys.readouterr().out == ""
    globals()["stub_double_named"] = stub_double
    assert passed(double_check, "stub_double_named") is False
    assert "once task 9: double passes" in capsys.readouterr().out
    assert passed(double_check, "never_defined") is False


def test_simulated_shares_are_whole_counts_and_move_with_the_seed():
    from labsupport.checks import expect_counted, expect_varies, is_count_share

    assert is_count_share(0.25, 1_000) and not is_count_share(0.2501234, 1_000)

    @task("task 7: simulate")
    def simulate_check(fn):
        value = call(fn, np.random.default_rng(1))
        expect_counted(value, 1_000, "the rate")
        expect_varies(fn, (), value, (2, 3), "the rate")

    assert simulate_check(lambda rng: rng.binomial(1_000, 0.3) / 1_000).status == PASSED
    formula = simulate_check(lambda rng: 0.3 + 1e-7)
    assert formula.status == TRY_AGAIN and "count of simulated experiments" in formula.message
    constant = simulate_check(lambda rng: 0.3)
    assert constant.status == TRY_AGAIN and "different seeds" in constant.message


def test_share_band_is_the_binomial_band_or_a_combined_band():
    from scipy import stats as sps

    from labsupport import stats
    from labsupport.checks import BAND_LEVEL, Z_BAND, share_band

    assert 2 * sps.norm.sf(Z_BAND) == pytest.approx(1 - BAND_LEVEL)
    assert share_band(0.05, 20_000) == stats.binomial_band(0.05, 20_000, BAND_LEVEL)
    low, high = share_band(0.2, 4_000, 40_000)
    assert (high - low) / 2 == pytest.approx(Z_BAND * (0.2 * 0.8 * (1 / 4_000 + 1 / 40_000)) ** 0.5)


def test_simulated_shares_give_each_case_its_own_seeded_generator():
    from labsupport import checks
    seen = []

    def share(k, rng):
        seen.append((k, rng.integers(1_000_000)))
        return 250 / 1_000

    assert checks.simulated_shares(share, [((1,), "one"), ((2,), "two")], 1_000, 7, "the rate") == [0.25, 0.25]
    assert seen == [(1, np.random.default_rng(7).integers(1_000_000)), (2, np.random.default_rng(8).integers(1_000_000))]
    with pytest.raises(checks._Stop, match="the rate for two is not a count"):
        checks.simulated_shares(lambda k, rng: 0.25 + 1e-7 * k, [((0,), "one"), ((1,), "two")], 1_000, 7, "the rate")
