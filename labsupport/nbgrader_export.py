"""The exercises as an nbgrader source assignment, for instructors on JupyterHub.

``python -m labsupport export-nbgrader DIR`` writes ``DIR/source/lessonNN/NN_topic_exercises.ipynb``
for every lesson with exercises, and ``DIR/nbgrader_config.py``. Each task's function cell
becomes an nbgrader solution cell (its ``# BEGIN SOLUTION`` block is what nbgrader strips);
each check cell becomes a locked, autograded test cell worth ``points`` that fails unless the
course's check passes. Then, from ``DIR``: ``nbgrader generate_assignment lessonNN`` and, after
collecting, ``nbgrader autograde lessonNN``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from . import authoring

_CHECK_CALL = re.compile(r'check\.(task\d+)\("(\w+)"\)')
CONFIG = '''# nbgrader course folder made by `python -m labsupport export-nbgrader`. From this folder:
#   nbgrader generate_assignment lesson04      (release/ gets the learners' copy)
#   nbgrader autograde lesson04                (after collecting into submitted/<student>/lesson04/)
# The learners' kernels need the course's labsupport package installed.
c = get_config()
'''


def _meta(kind: str, grade_id: str, points: int = 0) -> dict:
    return {"nbgrader": {"grade": kind == "test", "solution": kind == "solution", "locked": kind != "solution",
                         "grade_id": grade_id, "points": points, "schema_version": 3, "task": False}}


def source_notebook(solution: nbformat.NotebookNode, lesson: str, points: int = 1) -> nbformat.NotebookNode:
    """An nbgrader source notebook made from a course solutions notebook (a new object)."""
    nb = nbformat.from_dict(solution)
    cells = []
    for index, cell in enumerate(nb.cells):
        if "solution" in cell.get("metadata", {}).get("tags", []):
            continue  # worked discussion of the answer, as in the generated exercises
        cell.metadata.pop("tags", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            check = _CHECK_CALL.search(cell.source)
            if check:
                task, function = check.groups()
                cell.source = (f"from labsupport.checks import lesson{lesson} as check\n"
                               f"feedback = check.{task}(\"{function}\")\n"
                               f"print(feedback)\n"
                               f"assert feedback.passed, feedback.message")
                cell.metadata.update(_meta("test", f"{task}-check", points))
            elif any(authoring.BEGIN.match(line) for line in cell.source.splitlines()):
                cell.metadata.update(_meta("solution", f"cell-{index}-answer"))
            else:
                cell.metadata.update(_meta("locked", f"cell-{index}"))
        else:
            cell.metadata.update(_meta("locked", f"cell-{index}"))
        cells.append(cell)
    nb.cells = cells
    return nb


def export(target: Path, root: Path = authoring.ROOT, points: int = 1) -> list[Path]:
    """Write every lesson's source assignment under ``target``; returns the notebooks written."""
    target = Path(target)
    written = []
    for path in authoring.solution_paths(root):
        lesson = path.name[:2]
        folder = target / "source" / f"lesson{lesson}"
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / path.name
        nbformat.write(source_notebook(nbformat.read(path, as_version=4), lesson, points), out)
        written.append(out)
    (target / "nbgrader_config.py").write_text(CONFIG)
    return written
