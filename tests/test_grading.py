"""Grading a class: eight submissions (correct, stub, partly wrong and self-grading, raising, looping,
file-deleting, printing megabytes, not a notebook), each gets the right rows, and nothing outside a temp folder changes."""

import hashlib
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from labsupport import grading

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "04_srm_exercises.ipynb"
EXERCISE = ROOT / "exercises" / "04_srm_exercises.ipynb"
NAME = SOLUTION.name
LIMIT = 15  # seconds per notebook (and per check) in this test


def _with_cells(base, *sources, at=None):
    nb = nbformat.read(base, as_version=4) if isinstance(base, Path) else base
    new = [nbformat.v4.new_code_cell(s) for s in sources]
    at = len(nb.cells) if at is None else at
    nb.cells[at:at] = new
    return nb


def _digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


TARGET = ROOT / "labsupport" / "checks" / "lesson04.py"  # what a cheat would like to rewrite


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    submissions, outside = base / "submissions", base / "outside"
    submissions.mkdir()
    outside.mkdir()
    sentinel = outside / "keep.txt"
    sentinel.write_text("the instructor's file")
    learners = {
        "correct": nbformat.read(SOLUTION, as_version=4),
        "stub": nbformat.read(EXERCISE, as_version=4),
        # task 1 wrong, and it tries to grade itself: redefines `check` and patches the course's checks
        "partly_wrong": _with_cells(SOLUTION, "srm_p_value = lambda counts, weights: 0.5",
                                    "import labsupport.checks.lesson04 as _c\n"
                                    "_c.task1 = lambda *a, **k: print('[passed] task 1')\n"
                                    "check = _c"),
        "raising": _with_cells(SOLUTION, "raise RuntimeError('my own bug')", at=2),
        # a task that never returns, then a cell that never ends (interrupted at the limit)
        "infinite_loop": _with_cells(SOLUTION, "def srm_p_value(counts, weights):\n    while True:\n        pass",
                                     "while True:\n    pass"),
        "deletes_a_file": _with_cells(SOLUTION, f"import os\nos.remove({str(sentinel)!r})",
                                      f"open({str(outside / 'new.txt')!r}, 'w').write('x')",
                                      "import subprocess\nsubprocess.run(['true'])",
                                      f"open({str(TARGET)!r}, 'a').write('# rewritten')", at=2),
        "prints_megabytes": _with_cells(SOLUTION, "for _ in range(50):\n    print('x' * 100_000)", at=2),
    }
    for learner, nb in learners.items():
        (submissions / learner).mkdir()
        nbformat.write(nb, submissions / learner / NAME)
    (submissions / "not_a_notebook").mkdir()
    (submissions / "not_a_notebook" / NAME).write_text("print('I forgot to save as a notebook')\n")
    before, target = _digest(submissions), TARGET.read_bytes()
    out = base / "grades.csv"
    rows = grading.grade([submissions], out, timeout=LIMIT, jobs=2)
    return {"rows": rows, "out": out, "sentinel": sentinel, "outside": outside,
            "unchanged": _digest(submissions) == before, "repo_unchanged": TARGET.read_bytes() == target}


def _statuses(rows, learner):
    return {r.task: r.status for r in rows if r.learner == learner}


def _explained(rows, learner):
    return " ".join(r.explanation for r in rows if r.learner == learner)


def test_every_submission_gets_its_rows(graded):
    rows = graded["rows"]
    assert _statuses(rows, "correct") == {"task1": "passed", "task2": "passed", "task3": "passed"}
    assert _statuses(rows, "stub") == {"task1": "not done", "task2": "not done", "task3": "not done"}
    assert _statuses(rows, "partly_wrong") == {"task1": "try again", "task2": "passed", "task3": "passed"}
    assert _statuses(rows, "raising") == {"task1": "passed", "task2": "passed", "task3": "passed"}
    assert "RuntimeError: my own bug" in _explained(rows, "raising")
    assert _statuses(rows, "infinite_loop") == {"task1": "timed out", "task2": "passed", "task3": "passed"}
    assert f"{LIMIT} s limit" in _explained(rows, "infinite_loop")
    assert _statuses(rows, "prints_megabytes") == {"task1": "passed", "task2": "passed", "task3": "passed"}
    assert "output limit" in _explained(rows, "prints_megabytes")
    assert _statuses(rows, "not_a_notebook") == {"-": "error"}
    assert "not a readable notebook" in _explained(rows, "not_a_notebook")


def test_a_submission_cannot_change_files_outside_its_folder(graded):
    rows = graded["rows"]
    assert graded["sentinel"].read_text() == "the instructor's file"
    assert not (graded["outside"] / "new.txt").exists()
    explained = _explained(rows, "deletes_a_file")
    assert "may not change" in explained and "PermissionError" in explained
    assert set(_statuses(rows, "deletes_a_file").values()) == {"passed"}
    assert graded["unchanged"], "grading changed a submitted file"
    assert graded["repo_unchanged"], "grading changed the repository"
    assert "may not write" in explained and "may not start other programs" in explained


def test_the_csv_has_one_row_per_learner_and_task(graded):
    lines = graded["out"].read_text().splitlines()
    assert lines[0] == "learner,notebook,task,status,explanation"
    assert len(lines) == 1 + 7 * 3 + 1


def test_the_summary_table_names_every_learner(graded):
    table = grading.summary(graded["rows"])
    for learner in ("correct", "stub", "partly_wrong", "raising", "infinite_loop", "deletes_a_file",
                    "prints_megabytes", "not_a_notebook"):
        assert learner in table
    assert "3/3" in table and "0/3" in table


def test_the_command_line_writes_the_csv(tmp_path):
    (tmp_path / "alice").mkdir()
    nbformat.write(nbformat.read(EXERCISE, as_version=4), tmp_path / "alice" / NAME)
    out = tmp_path / "g.csv"
    run = subprocess.run([sys.executable, "-m", "labsupport", "grade", str(tmp_path / "alice"), "--out", str(out),
                          "--timeout", "60"], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "alice" in run.stdout and out.exists()
    assert "not done" in out.read_text()
