"""The exercise pipeline: exercises/ is generated from solutions/ and fails cleanly on its stubs."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from labsupport import authoring

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = authoring.solution_paths(ROOT)


def _check_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and re.search(r'^check\.task\d+\("\w+"\)', c.source, re.M)]


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") or out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_there_are_solutions():
    assert SOLUTIONS, "solutions/ holds no notebook"


def test_exercises_are_in_sync_with_solutions():
    stale = authoring.build_exercises(ROOT, check=True)
    assert not stale, f"regenerate with `python -m labsupport build-exercises`: {stale}"
    generated = {authoring.exercise_path(p).name for p in SOLUTIONS}
    present = {p.name for p in (ROOT / "exercises").glob("*.ipynb")}
    assert present == generated, f"exercises without a solution: {sorted(present - generated)}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_committed_solution_checks_all_pass(path):
    nb = nbformat.read(path, as_version=4)
    checks = _check_cells(nb)
    assert len(checks) >= 3, "a solutions notebook needs at least three checked tasks"
    for cell in checks:
        assert "[passed]" in _text(cell), f"check cell did not pass: {cell.source!r}: {_text(cell)!r}"
        assert "nbval-check-output" in cell.metadata.get("tags", []), "tag each check cell nbval-check-output"
        assert f"from labsupport.checks import lesson{path.name[:2]} as check" in cell.source, \
            "a check cell imports its checks itself, so it runs even before the setup cell"
        assert re.search(r'check\.task\d+\("\w+"\)', cell.source), \
            "a check cell names the function as a string, so an undefined one is 'not done yet'"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_exercise_stubs_report_not_done(path):
    exercise = nbformat.read(authoring.exercise_path(path), as_version=4)
    assert "NotImplementedError" in json.dumps(exercise), "no stub was generated"
    assert "# BEGIN SOLUTION" not in json.dumps(exercise)
    executed, _ = authoring.execute(authoring.exercise_path(path))
    checks = _check_cells(executed)
    assert len(checks) == len(_check_cells(nbformat.read(path, as_version=4)))
    for cell in checks:
        assert "[not done yet]" in _text(cell), f"stub check did not say 'not done yet': {_text(cell)!r}"
        assert "Traceback" not in _text(cell)


def test_stub_replaces_solution_block_at_its_indentation():
    source = "def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n\nprint(1)"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source),
                                         nbformat.v4.new_markdown_cell("note", metadata={"tags": ["solution"]})])
    out = authoring.build_exercise(nb)
    assert len(out.cells) == 1
    assert out.cells[0].source == ('def f(x):\n    raise NotImplementedError("task 1: replace this line '
                                   'with your code")\n\nprint(1)')


def test_unclosed_solution_block_is_an_error():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1")])
    with pytest.raises(ValueError, match="END SOLUTION"):
        authoring.build_exercise(nb)
