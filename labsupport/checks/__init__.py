"""Exercise checkers: feedback and hints for a learner, never a traceback, never the answer.

A lesson's checks live in ``labsupport.checks.lessonNN``; each task's check takes
the learner's function, calls it on a few cases and returns a :class:`Feedback`:

    from labsupport.checks import lesson01 as check
    check.task1("my_function")

The check cell names the learner's function (a string), and the check looks it up in
the notebook's namespace, so a check run before its function cell answers
``[not done yet]`` with the cell to run, never a ``NameError``. Passing the function
itself works too (the tests do).

Writing a check: decorate a function with :func:`task`; inside it use :func:`call`
to run the learner's code and the ``expect_*`` helpers to compare with a reference.
Each helper stops the check with a hint at the first problem; returning a string
means the task passed, and the string is the closing remark.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm as _norm

PASSED, NOT_DONE, TRY_AGAIN = "passed", "not done yet", "try again"
# Monte Carlo answers are compared with a binomial band at this level: a correct simulation
# falls outside it about once in 100,000 comparisons, so "try again" almost surely means a bug.
BAND_LEVEL = 0.99999
# The same band in standard errors (4.42), for answers compared with a simulated reference.
Z_BAND = float(_norm.isf((1 - BAND_LEVEL) / 2))
_SYMBOL = {PASSED: "[passed]", NOT_DONE: "[not done yet]", TRY_AGAIN: "[try again]"}


@dataclass(frozen=True)
class Feedback:
    """What a check found: the task, a status and a message for the learner."""

    task: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __repr__(self) -> str:
        return f"{_SYMBOL[self.status]} {self.task}: {self.message}"


class _Stop(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def _resolve(answer, namespace):
    """The learner's function named by ``answer`` (a string) in the notebook's namespace."""
    if not isinstance(answer, str):
        return answer
    if not answer.isidentifier():
        fail(f"name your function as a string, for example `check.task1(\"my_function\")`; "
             f"{answer!r} is not a Python name.")
    if answer not in namespace:
        raise _Stop(NOT_DONE, f"`{answer}` is not defined yet: run the setup cell at the top, then the "
                    f"cell that defines `{answer}`, then this check again.")
    return namespace[answer]


def task(name: str):
    """Decorator turning a check body into a function that always returns Feedback.

    The check's first argument is the learner's function, or its name as a string
    (looked up in the caller's global namespace: the notebook's).
    """
    def decorate(body):
        @functools.wraps(body)
        def run(answer=None, *args, **kwargs) -> Feedback:
            caller = inspect.currentframe().f_back
            namespace = caller.f_globals if caller is not None else {}
            try:
                remark = body(_resolve(answer, namespace), *args, **kwargs)
            except _Stop as stop:
                return Feedback(name, stop.status, stop.message)
            except Exception as exc:  # a checker must never show a learner a traceback
                return Feedback(name, TRY_AGAIN, f"your answer could not be checked "
                                f"({type(exc).__name__}: {exc}). Check what your function returns.")
            return Feedback(name, PASSED, remark or "well done.")
        return run
    return decorate


def passed(check, name: str) -> bool:
    """True when the learner's function ``name`` passes ``check``; otherwise print what to do first.

    For the cells after a task that use the learner's function to show the finding: in an
    exercise notebook they wait, with a note, until the task passes.
    """
    caller = inspect.currentframe().f_back
    namespace = caller.f_globals if caller is not None else {}
    feedback = check(namespace.get(name, _undefined(name)))
    if not feedback.passed:
        print(f"(this cell shows the finding once {feedback.task} passes; its check says {feedback.status})")
    return feedback.passed


def _undefined(name):
    def not_defined(*args, **kwargs):
        raise NotImplementedError(f"`{name}` is not defined yet")
    return not_defined


def fail(message: str):
    """Stop the check with a hint."""
    raise _Stop(TRY_AGAIN, message)


def call(fn, *args, **kwargs):
    """Run the learner's function; stop with a hint if it is missing, a stub, or raises."""
    if not callable(fn):
        fail(f"pass your function itself (for example `check.task1(my_function)`), "
             f"not a {type(fn).__name__}.")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise _Stop(NOT_DONE, "replace the `raise NotImplementedError` line with your code, "
                    "run that cell, then run this check again.") from None
    except NameError as exc:
        raise _Stop(NOT_DONE, f"your function uses a name that is not defined ({exc}): run the setup "
                    "cell at the top and the cells above this task in order, then this check again.") from None
    except Exception as exc:
        shown = ", ".join([repr(a) if np.ndim(a) == 0 else f"an array of shape {np.shape(a)}"
                           for a in args] + [f"{k}={val!r}" for k, val in kwargs.items()])
        fail(f"your function raised {type(exc).__name__} ({exc}) when called with ({shown}).")


def describe(value) -> str:
    """What kind of value the learner returned (type and shape), for feedback."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return f"a {type(value).__name__} of shape {np.shape(value)}"
    return f"a {type(value).__name__}"


def expect_real(value, what, hint="") -> float:
    """``value`` is one finite real number (a numpy scalar or size-1 array is fine); returns it as a float."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail(f"{what} should be a single number; your function returned {describe(value)}. {hint}".strip())
    if not np.isfinite(value):
        fail(f"{what} is {value}; expected a finite number. {hint}".strip())
    return float(value)


def expect_number(value, reference, *, what, rel=1e-6, abs_tol=0.0, hint=""):
    """``value`` is one real number close to ``reference``."""
    value = expect_real(value, what, hint)
    if not np.isclose(value, reference, rtol=rel, atol=abs_tol):
        side = "too large" if value > reference else "too small"
        fail(f"{what} is {side}. {hint}".strip())


def expect_int(value, reference, *, what, hint=""):
    """``value`` is a whole number equal to ``reference``."""
    if isinstance(value, (np.integer,)):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fail(f"{what} should be a whole number (int); your function returned {describe(value)}. "
             f"{hint}".strip())
    if value != reference:
        side = "too large" if value > reference else "too small"
        fail(f"{what} is {side}. {hint}".strip())


def expect_share(value, what, hint="") -> float:
    """``value`` is a share of simulated experiments: one number in [0, 1]."""
    value = expect_real(value, what, hint)
    if not 0 <= value <= 1:
        fail(f"{what} is a share of experiments, so it lies in [0, 1]. {hint}".strip())
    return value


def same_seed_result(fn, *args, seed=99, what="answers"):
    """Call ``fn(*args, rng)`` three times with generators of one seed; stop unless all results agree.

    Three calls, not two: a Monte Carlo rate takes few distinct values, so two runs of a function that
    ignores ``rng`` coincide now and then (about 1 in 200 for 20,000 replications).
    """
    first, *again = (call(fn, *args, np.random.default_rng(seed)) for _ in range(3))

    def same(a, b):
        try:
            return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
        except (TypeError, ValueError):
            return np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object))

    if not all(same(first, other) for other in again):
        fail(f"two calls with the same seed gave different {what}: draw every random number from "
             "the `rng` argument, not from np.random.")
    return first


def share_band(reference, n_sims, ref_sims=None) -> tuple[float, float]:
    """Where a correct simulated share from ``n_sims`` experiments falls around ``reference``.

    With ``ref_sims``, the reference is itself simulated (from that many experiments): the band
    is Z_BAND combined standard errors; without, it is the binomial band at BAND_LEVEL.
    """
    if ref_sims is None:
        from ..stats import binomial_band
        return binomial_band(reference, n_sims, BAND_LEVEL)
    half = Z_BAND * float(np.sqrt(reference * (1 - reference) * (1 / n_sims + 1 / ref_sims)))
    return reference - half, reference + half


def is_count_share(value, n_sims) -> bool:
    """True when ``value`` is a whole number of experiments divided by ``n_sims`` (a simulated share)."""
    count = float(value) * n_sims
    return abs(count - round(count)) <= 1e-6


def expect_counted(value, n_sims, what, hint=""):
    """``value`` is a simulated share: a whole number of experiments divided by ``n_sims``.

    A closed form computed where a simulation was asked almost never is.
    """
    if not is_count_share(value, n_sims):
        fail(f"{what} is not a count of simulated experiments divided by n_sims = {n_sims:,}: "
             + (hint or "did you compute a formula instead of simulating the experiments and counting?"))


def simulated_shares(fn, cases, n_sims, seed, what):
    """Call ``fn(*args, rng)`` for each ``(args, label)`` with generator ``seed + i``; every answer
    must be a share of ``n_sims`` simulated experiments. Returns the answers in case order."""
    values = []
    for i, (args, label) in enumerate(cases):
        name = f"{what} for {label}"
        value = expect_share(call(fn, *args, np.random.default_rng(seed + i)), name)
        expect_counted(value, n_sims, name)
        values.append(value)
    return values


def expect_varies(fn, args, value, seeds, what):
    """A Monte Carlo answer changes with the seed; a closed form does not."""
    others = [call(fn, *args, np.random.default_rng(seed)) for seed in seeds]
    if all(np.isclose(float(np.asarray(o, dtype=float)), value, rtol=0, atol=0) for o in others):
        fail(f"{what} is the same for {len(seeds) + 1} different seeds: a simulation's answer moves with "
             "its random draws. Did you return a formula's value instead of simulating?")


def expect_between(value, low, high, *, what, hint=""):
    """``value`` is one real number in [low, high] (for Monte Carlo answers)."""
    if not low <= expect_real(value, what, hint) <= high:
        fail(f"{what} is outside the range a correct answer falls in. {hint}".strip())


def expect_array(value, reference, *, what, rel=1e-6, abs_tol=0.0, hint=""):
    """``value`` is an array of the reference's shape with close entries."""
    reference = np.asarray(reference)
    try:
        arr = np.asarray(value, dtype=reference.dtype if reference.dtype == bool else float)
    except (TypeError, ValueError):
        fail(f"{what} should be an array of numbers; your function returned {describe(value)}. {hint}".strip())
    if arr.shape != reference.shape:
        fail(f"{what} should have shape {reference.shape}; yours has shape {arr.shape}. {hint}".strip())
    if reference.dtype == bool:
        if not np.array_equal(arr, reference):
            fail(f"{what}: {int((arr != reference).sum())} of {arr.size} entries differ. {hint}".strip())
    elif not np.allclose(arr, reference, rtol=rel, atol=abs_tol, equal_nan=True):
        wrong = int((~np.isclose(arr, reference, rtol=rel, atol=abs_tol)).sum())
        fail(f"{what}: {wrong} of {arr.size} entries are off. {hint}".strip())


def expect_type(value, kinds, *, what, hint=""):
    """``value`` is an instance of ``kinds`` (a type or a tuple of types)."""
    if not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
        fail(f"{what} should be a {names}; your function returned {describe(value)}. {hint}".strip())
