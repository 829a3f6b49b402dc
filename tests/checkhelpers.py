"""Helpers shared by the tests of the exercise checks (tests/test_checks_lessonNN.py)."""

from labsupport.checks import TRY_AGAIN


def stub(*args, **kwargs):
    """What a generated exercise holds before the learner writes anything."""
    raise NotImplementedError("task 1: replace this line with your code")


def assert_try_again(feedback, *fragments):
    """The check asks the learner to try again, with a hint containing ``fragments``, and no traceback."""
    assert feedback.status == TRY_AGAIN, feedback
    assert "Traceback" not in feedback.message
    for fragment in fragments:
        assert fragment in feedback.message, feedback
