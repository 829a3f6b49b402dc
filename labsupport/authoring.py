"""Authoring tools: build exercises from solutions, execute notebooks, time them.

Solutions notebooks mark the code a learner writes with two comment lines::

    def z_test(...):
        # BEGIN SOLUTION
        ...
        # END SOLUTION

The exercise copy replaces everything between the markers with a stub that raises
``NotImplementedError`` (at the marker's indentation). Cells tagged ``solution``
(cell metadata ``tags``) are dropped from the exercise copy. Outputs are cleared.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
STUB = 'raise NotImplementedError("{task}: replace this line with your code")'


def _stub_source(source: str, task: str) -> str:
    out, inside = [], False
    for line in source.splitlines():
        if not inside and (m := BEGIN.match(line)):
            out.append(m.group(1) + STUB.format(task=task))
            inside = True
        elif inside and END.match(line):
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"the '# BEGIN SOLUTION' of {task} has no matching '# END SOLUTION'")
    return "\n".join(out)


def build_exercise(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The exercise notebook for a solutions notebook (a new object)."""
    nb = nbformat.from_dict(solution)
    cells, tasks = [], 0
    for cell in nb.cells:
        if "solution" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            if any(BEGIN.match(line) for line in cell.source.splitlines()):
                tasks += 1
                cell.source = _stub_source(cell.source, f"task {tasks}")
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    nb.cells = cells
    return nb


def exercise_path(solution_path: Path) -> Path:
    return solution_path.parent.parent / "exercises" / solution_path.name


def solution_paths(root: Path = ROOT) -> list[Path]:
    return sorted((root / "solutions").glob("*.ipynb"))


def build_exercises(root: Path = ROOT, check: bool = False) -> list[Path]:
    """Write (or with ``check``, only compare) every exercise; returns those out of sync."""
    stale = []
    for sol in solution_paths(root):
        text = nbformat.writes(build_exercise(nbformat.read(sol, as_version=4))) + "\n"
        target = exercise_path(sol)
        if not target.exists() or target.read_text() != text:
            stale.append(target)
            if not check:
                target.write_text(text)
    return stale


def execute(path: Path, timeout: int = 600) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook top to bottom in a fresh kernel, in its own folder; returns it and the seconds taken."""
    from nbclient import NotebookClient

    from .explore import STATIC_ENV

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # Explorers draw a static figure: nbclient can hang on cells that open widgets (see explore.py).
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute(
        env={**os.environ, STATIC_ENV: "1"})
    return nb, time.perf_counter() - start


def lesson_paths(root: Path = ROOT) -> list[Path]:
    return sorted((root / "notebooks").glob("*.ipynb")) + solution_paths(root)
