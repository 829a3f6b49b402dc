"""What every exercise check promises (COURSE.md section 5), for every task of every lesson.

Each tests/test_checks_lessonNN.py lists its ``TASKS`` as (check, reference solution)
pairs and tests the task-specific wrong answers itself.
"""

import importlib
import inspect
from pathlib import Path

import numpy as np
import pytest
from checkhelpers import GLOBAL_RNG, assert_try_again, stub

from labsupport.checks import NOT_DONE, PASSED

MODULES = sorted(p.stem for p in Path(__file__).parent.glob("test_checks_lesson*.py"))
TASKS = [pytest.param(task, solution, id=f"{name[len('test_checks_'):]}-{task.__name__}")
         for name in MODULES for task, solution in importlib.import_module(name).TASKS]
CHECKS = [pytest.param(p.values[0], id=p.id) for p in TASKS]
RANDOM_TASKS = [p for p in TASKS if "rng" in inspect.signature(p.values[1]).parameters]
# Tasks whose answer is a choice (a window, a tau2): a correct simulation returns the same choice
# whatever its draws, so ignoring `rng` cannot be seen in the answer.
CHOICE_TASKS = {"lesson06-task4", "lesson08-task2"}
assert CHOICE_TASKS <= {p.id for p in RANDOM_TASKS}


def test_every_lesson_with_solutions_has_check_tests():
    lessons = {p.name[:2] for p in (Path(__file__).parent.parent / "solutions").glob("*.ipynb")}
    assert lessons == {m[-2:] for m in MODULES}


@pytest.mark.parametrize("task, solution", TASKS)
def test_reference_solution_passes(task, solution):
    feedback = task(solution)
    assert feedback.status == PASSED, feedback
    assert repr(feedback).startswith("[passed]")


@pytest.mark.parametrize("stream", [1, 2, 3])
@pytest.mark.parametrize("task, solution", RANDOM_TASKS)
def test_a_correct_answer_with_other_random_draws_passes(task, solution, stream):
    """A learner's correct simulation draws different numbers from the same seed; it must pass too."""
    seen = []

    def redraw(arg):
        if not isinstance(arg, np.random.Generator):
            return arg
        seen.append(arg)  # a new stream, but still a function of the seed the check passed
        return np.random.default_rng([stream, int(arg.integers(2**63))])

    def other_draws(*args, **kwargs):
        return solution(*map(redraw, args), **{k: redraw(v) for k, v in kwargs.items()})

    feedback = task(other_draws)
    assert feedback.status == PASSED, feedback
    assert seen, "the check never passed a generator"


@pytest.mark.parametrize("task, solution", [p for p in RANDOM_TASKS if p.id not in CHOICE_TASKS])
def test_an_answer_that_ignores_rng_is_told_to_use_it(task, solution):
    def own_generator(arg):
        return GLOBAL_RNG if isinstance(arg, np.random.Generator) else arg

    def ignores_rng(*args, **kwargs):
        return solution(*map(own_generator, args), **{k: own_generator(v) for k, v in kwargs.items()})

    assert_try_again(task(ignores_rng), "same seed")


@pytest.mark.parametrize("task", CHECKS)
def test_stub_is_not_done_yet(task):
    feedback = task(stub)
    assert feedback.status == NOT_DONE, feedback
    assert repr(feedback).startswith("[not done yet]") and "NotImplementedError" in feedback.message


@pytest.mark.parametrize("task", CHECKS)
def test_a_value_instead_of_a_function_gets_a_hint(task):
    assert_try_again(task(0.5), "pass your function itself")


@pytest.mark.parametrize("task", CHECKS)
def test_a_crashing_answer_gets_a_hint_not_a_traceback(task):
    def crashes(*args, **kwargs):
        return 1 / 0
    assert_try_again(task(crashes), "ZeroDivisionError")


@pytest.mark.parametrize("task", CHECKS)
def test_a_wrong_type_gets_a_hint(task):
    feedback = task(lambda *args, **kwargs: "an answer")
    assert_try_again(feedback)
    assert "could not be checked" not in feedback.message, "the check should name the expected type"


@pytest.mark.parametrize("task", CHECKS)
def test_a_wrong_shape_gets_a_hint(task):
    feedback = task(lambda *args, **kwargs: np.zeros((7, 3)))
    assert_try_again(feedback)
    assert "could not be checked" not in feedback.message, "the check should name the expected shape"


@pytest.mark.parametrize("task", CHECKS)
def test_a_check_run_before_its_function_cell_is_not_done_yet(task):
    feedback = task("function_not_defined_yet")
    assert feedback.status == NOT_DONE, feedback
    assert "function_not_defined_yet" in feedback.message and "run the setup cell" in feedback.message


@pytest.mark.parametrize("task, solution", TASKS)
def test_a_function_named_as_a_string_is_found_in_the_callers_namespace(task, solution):
    globals()["_named_solution"] = solution
    try:
        assert task("_named_solution").status == PASSED
    finally:
        del globals()["_named_solution"]


@pytest.mark.parametrize("task", CHECKS)
def test_a_function_run_before_the_setup_cell_is_not_done_yet(task):
    def uses_setup_names(*args, **kwargs):
        return name_from_the_setup_cell  # noqa: F821
    feedback = task(uses_setup_names)
    assert feedback.status == NOT_DONE, feedback
    assert "setup cell" in feedback.message
