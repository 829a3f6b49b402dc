"""Helpers shared by the tests of the exercise checks (tests/test_checks_lessonNN.py)."""

import numpy as np

from labsupport.checks import TRY_AGAIN

# What a learner who ignores the `rng` argument draws from: one generator shared by every call.
# Seeded so that the tests are deterministic; the checks cannot tell it from an unseeded one.
GLOBAL_RNG = np.random.default_rng(20261122)


def stub(*args, **kwargs):
    """What a generated exercise holds before the learner writes anything."""
    raise NotImplementedError("task 1: replace this line with your code")


def assert_try_again(feedback, *fragments):
    """The check asks the learner to try again, with a hint containing ``fragments``, and no traceback."""
    assert feedback.status == TRY_AGAIN, feedback
    assert "Traceback" not in feedback.message
    for fragment in fragments:
        assert fragment in feedback.message, feedback
