"""The nbgrader export round trip: nbgrader's own generate_assignment and autograde on the exported exercises."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from labsupport import nbgrader_export

pytest.importorskip("nbgrader")
LESSON = "04"
NAME = "04_srm_exercises.ipynb"


def _nbgrader(course: Path, *args):
    # nbgrader runs `alembic` from the environment's bin folder
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--CourseDirectory.root=" + str(course)],
                         cwd=course, capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return run


def _submit(course: Path, student: str, nb) -> None:
    folder = course / "submitted" / student / f"lesson{LESSON}"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / NAME)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("nbgrader-course")
    written = nbgrader_export.export(course)
    assert course / "source" / f"lesson{LESSON}" / NAME in written
    _nbgrader(course, "generate_assignment", f"lesson{LESSON}", "--force")
    release = nbformat.read(course / "release" / f"lesson{LESSON}" / NAME, as_version=4)
    source = nbformat.read(course / "source" / f"lesson{LESSON}" / NAME, as_version=4)
    _submit(course, "correct", source)
    _submit(course, "stub", release)
    wrong = nbformat.from_dict(source)
    first = next(c for c in wrong.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source = first.source.split("# BEGIN SOLUTION")[0] + "return 0.5\n"
    _submit(course, "wrong_task1", wrong)
    _nbgrader(course, "autograde", f"lesson{LESSON}", "--force")
    from nbgrader.api import Gradebook
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        scores = {s: {g.name: g.score for g in gb.find_submission_notebook(NAME[:-6], f"lesson{LESSON}", s).grades}
                  for s in ("correct", "stub", "wrong_task1")}
        max_score = gb.find_notebook(NAME[:-6], f"lesson{LESSON}").max_score
    yield scores, max_score, release
    shutil.rmtree(course, ignore_errors=True)


def test_the_release_version_has_stubs_and_locked_checks(course):
    _, max_score, release = course
    text = "\n".join(c.source for c in release.cells)
    assert "BEGIN SOLUTION" not in text and "NotImplementedError" in text or "YOUR CODE HERE" in text
    tests = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(tests) == 3 and all(c.metadata["nbgrader"]["locked"] for c in tests)
    assert max_score == 3


def test_autograde_gives_full_points_to_a_correct_submission(course):
    scores, _, _ = course
    assert scores["correct"] == {"task1-check": 1, "task2-check": 1, "task3-check": 1}


def test_autograde_gives_no_points_to_a_stub(course):
    scores, _, _ = course
    assert scores["stub"] == {"task1-check": 0, "task2-check": 0, "task3-check": 0}


def test_autograde_fails_only_the_wrong_task(course):
    scores, _, _ = course
    assert scores["wrong_task1"] == {"task1-check": 0, "task2-check": 1, "task3-check": 1}
