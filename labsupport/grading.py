"""Grade a class: run each submitted exercise notebook in a fresh kernel and record every task.

``python -m labsupport grade SUBMISSION... --out grades.csv`` (or ``make grade``). Each
submission runs in its own temporary folder, in a fresh kernel, with a time limit, a cap on
what it prints, and a guard that refuses to write, delete or rename files outside that folder
or to start programs. Then the course's own checks, imported afresh (whatever the notebook
did to ``check`` or to ``labsupport``), judge the functions the notebook defined: one row per
learner and task, with status ``passed``, ``try again``, ``not done``, ``error`` or ``timed out``.

The guard stops accidents and ordinary misbehaviour, not a determined attacker with ctypes:
grade untrusted work on a machine you do not mind losing, as with any autograder.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import authoring

STATUSES = ("passed", "try again", "not done", "error", "timed out")
_CHECK_CALL = re.compile(r'check\.(task\d+)\("(\w+)"\)')
_EXERCISE_NAME = re.compile(r"^(\d\d)_\w*exercises$")

# Runs first in the learner's kernel: an audit hook (it cannot be removed) that refuses writes,
# deletions, renames and new processes outside the submission's own folder.
GUARD = r'''
import os as _os, sys as _sys
_HOME = _os.path.realpath(_os.getcwd())
_WRITES = ("w", "a", "x", "+")
_PATHS = {"os.remove": 1, "os.rmdir": 1, "shutil.rmtree": 1, "os.rename": 2, "os.replace": 2,
          "os.mkdir": 1, "os.symlink": 2, "os.link": 2, "os.truncate": 1, "os.chmod": 1,
          "os.chown": 1, "os.utime": 1, "shutil.copyfile": 2, "shutil.move": 2}
_PROCESSES = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
              "os.forkpty", "pty.spawn")

def _inside(path):
    if isinstance(path, int):
        return True
    real = _os.path.realpath(_os.fsdecode(path))
    return real == _HOME or real.startswith(_HOME + _os.sep) or real == "/dev/null"

def _guard(event, args):
    if event == "open" and args and args[0] is not None:
        mode, flags = args[1], args[2] if len(args) > 2 else 0
        writing = (isinstance(mode, str) and any(c in mode for c in _WRITES)) or \
            (isinstance(flags, int) and flags & (_os.O_WRONLY | _os.O_RDWR | _os.O_CREAT | _os.O_TRUNC))
        if writing and not _inside(args[0]):
            raise PermissionError(f"grading: this notebook may not write {args[0]!r} (outside its folder)")
    elif event in _PATHS:
        for path in args[:_PATHS[event]]:
            if path is not None and not _inside(path):
                raise PermissionError(f"grading: this notebook may not change {path!r} (outside its folder)")
    elif event.startswith(_PROCESSES):
        raise PermissionError("grading: this notebook may not start other programs")

_sys.addaudithook(_guard)
del _guard
'''

# Runs after the learner's cells, once per task: forget every labsupport module the notebook
# may have changed, import the course's checks afresh, and judge the function it names.
GRADE_MARK = "# graded by the course's own checks"
GRADE = GRADE_MARK + r'''
import sys as _sys
for _name in [m for m in _sys.modules if m == "labsupport" or m.startswith("labsupport.")]:
    del _sys.modules[_name]
import importlib as _importlib, json as _json
_feedback = getattr(_importlib.import_module("labsupport.checks.lesson{lesson}"), "{task}")("{function}")
print("<<grade>>" + _json.dumps([_feedback.status, _feedback.message]))
'''


@dataclass(frozen=True)
class Row:
    """One learner's result on one task."""

    learner: str
    notebook: str
    task: str
    status: str
    explanation: str


def course_tasks(lesson: str, root: Path = authoring.ROOT) -> list[tuple[str, str]]:
    """(task, function name) of every check in the course's solutions notebook of ``lesson``."""
    paths = sorted((root / "solutions").glob(f"{lesson}_*_exercises.ipynb"))
    if not paths:
        return []
    nb = nbformat.read(paths[0], as_version=4)
    return [m.groups() for c in nb.cells if c.cell_type == "code" for m in _CHECK_CALL.finditer(c.source)]


def learner_of(path: Path) -> str:
    """The learner's name: the folder of a notebook named like an exercise, else the file's stem."""
    return path.parent.name if _EXERCISE_NAME.match(path.stem) and path.parent.name else path.stem


def _lesson_of(path: Path, nb) -> str | None:
    m = re.match(r"^(\d\d)_", path.name)
    if m:
        return m.group(1)
    for cell in nb.cells:
        found = re.search(r"labsupport\.checks import lesson(\d\d)", cell.get("source", ""))
        if found:
            return found.group(1)
    return None


def grading_notebook(nb, lesson: str, tasks) -> nbformat.NotebookNode:
    """The submission's code cells, check cells made canonical, between the guard and one grade cell per task."""
    cells = [nbformat.v4.new_code_cell(GUARD)]
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if _CHECK_CALL.search(source):  # the course's check, not the submission's version of it
            source = f"from labsupport.checks import lesson{lesson} as check"
        cells.append(nbformat.v4.new_code_cell(source))
    for task, function in tasks:
        cells.append(nbformat.v4.new_code_cell(GRADE.format(lesson=lesson, task=task, function=function)))
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3",
                                                                          "display_name": "Python 3"}})


def _explain(events: dict, limit: float) -> str:
    notes = []
    if events.get("cell_timeouts"):
        notes.append(f"a cell ran longer than the {limit:g} s limit and was interrupted")
    if events.get("overflow"):
        notes.append("the notebook printed more than the output limit; the rest was dropped")
    for index, ename, evalue in events.get("errors", [])[:3]:
        notes.append(f"cell {index} raised {ename}: {evalue[:160]}")
    if events.get("crashed"):
        notes.append(events["crashed"])
    return "; ".join(notes)


def grade_one(path: Path, timeout: float = 120.0, max_output: int = 1_000_000) -> list[Row]:
    """Rows for one submission (never raises for a bad submission)."""
    learner, name = learner_of(path), path.name
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # not a notebook at all: one row says so
        return [Row(learner, name, "-", "error", f"not a readable notebook ({type(exc).__name__})")]
    lesson = _lesson_of(path, nb)
    tasks = course_tasks(lesson) if lesson else []
    if not tasks:
        return [Row(learner, name, "-", "error", "no exercise of the course matches this notebook's name")]
    with tempfile.TemporaryDirectory(prefix="grade-") as work:
        work = Path(work)
        folder = work / "submission"
        folder.mkdir()
        nbformat.write(grading_notebook(nb, lesson, tasks), folder / "grading.ipynb")
        report = work / "report.json"
        events = _run_worker(folder, report, timeout, max_output, len(tasks))
    explanation = _explain(events, timeout)
    rows = []
    for task, _ in tasks:
        result = events.get("grades", {}).get(task)
        if result is None:
            status, message = ("timed out", f"the check of this task did not finish within {timeout:g} s") \
                if task in events.get("grade_timeouts", []) else ("error", "the notebook's kernel stopped first")
        else:
            status, message = {"passed": "passed", "try again": "try again",
                               "not done yet": "not done"}.get(result[0], "error"), result[1]
            if status == "not done" and events.get("cell_timeouts"):
                status = "timed out"  # the notebook did not get to this task within its limit
        rows.append(Row(learner, name, task, status, "; ".join(x for x in (message, explanation) if x)))
    return rows


def _run_worker(folder: Path, report: Path, timeout: float, max_output: int, n_tasks: int) -> dict:
    from .explore import STATIC_ENV

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "MPL"))}
    home = folder / ".home"
    env.update(HOME=str(home), IPYTHONDIR=str(home / "ipython"), MPLCONFIGDIR=str(home / "mpl"),
               JUPYTER_RUNTIME_DIR=str(folder.parent / "runtime"), JUPYTER_DATA_DIR=str(home / "jupyter"),
               XDG_CACHE_HOME=str(home / "cache"), PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg",
               **{STATIC_ENV: "1"})  # no widget comms in a headless kernel (explore.py)
    cmd = [sys.executable, "-m", "labsupport.grading", str(folder / "grading.ipynb"), str(report),
           str(timeout), str(max_output)]
    budget = 60 + timeout * (1 + n_tasks)  # start-up, the learner's cells, then each check
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"crashed": f"grading stopped after {budget:g} s", "grade_timeouts": []}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the kernel and anything it left behind
        except ProcessLookupError:
            pass
    if not report.exists():
        return {"crashed": f"the grader's worker failed: {err.decode(errors='replace')[-300:]}"}
    return json.loads(report.read_text())


def _worker(notebook: Path, report: Path, timeout: float, max_output: int) -> None:
    """Execute a grading notebook; write what happened (errors, timeouts, grades) as JSON."""
    import time

    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(notebook, as_version=4)
    events = {"errors": [], "cell_timeouts": 0, "overflow": False, "grades": {}, "grade_timeouts": []}
    grading = [i for i, c in enumerate(nb.cells) if c.source.startswith(GRADE_MARK)]
    first_grade = grading[0] if grading else len(nb.cells)

    class Client(NotebookClient):
        printed = 0

        def output(self, outs, msg, display_id, cell_index):
            Client.printed += len(json.dumps(msg.get("content", {})))
            if Client.printed > max_output and cell_index < first_grade:
                events["overflow"] = True
                return None
            return super().output(outs, msg, display_id, cell_index)

    # interrupt_on_timeout: a cell over the limit gets a KeyboardInterrupt and the run goes on
    client = Client(nb, timeout=timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
                    record_timing=False, resources={"metadata": {"path": str(notebook.parent)}})
    deadline = time.monotonic() + timeout
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                grading_cell = index >= first_grade
                if not grading_cell:
                    left = deadline - time.monotonic()
                    if left < 1:  # the notebook's time is up: its remaining cells do not run
                        events["cell_timeouts"] += 1
                        continue
                    client.timeout = int(left)
                else:
                    client.timeout = max(1, int(timeout))
                client.execute_cell(cell, index)
                task = _GRADE_TASK.search(cell.source).group(1) if grading_cell else None
                for out in cell.get("outputs", []):
                    kind = out.get("output_type")
                    if kind == "error" and out.get("ename") == "KeyboardInterrupt":
                        if grading_cell:
                            events["grade_timeouts"].append(task)
                        else:
                            events["cell_timeouts"] += 1
                    elif kind == "error" and 0 < index < first_grade:
                        events["errors"].append([index, out.get("ename", ""), out.get("evalue", "")])
                    elif grading_cell and kind == "stream" and "<<grade>>" in out.get("text", ""):
                        line = out["text"].rsplit("<<grade>>", 1)[1].splitlines()[0]
                        events["grades"][task] = json.loads(line)
    except DeadKernelError:
        events["crashed"] = "the kernel died (out of memory, or the notebook ended it)"
    report.write_text(json.dumps(events))


_GRADE_TASK = re.compile(r'"(task\d+)"\)\("')


def grade(paths, out: Path | None = None, timeout: float = 120.0, max_output: int = 1_000_000,
          jobs: int = 1) -> list[Row]:
    """Grade every submission (files, or folders searched for .ipynb), ``jobs`` at a time; write ``out`` as CSV."""
    from concurrent.futures import ThreadPoolExecutor

    files = []
    for p in map(Path, paths):
        files.extend(sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith("."))
                     if p.is_dir() else [p])
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        rows = [row for rows in pool.map(lambda f: grade_one(f, timeout, max_output), files) for row in rows]
    if out is not None:
        with open(out, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["learner", "notebook", "task", "status", "explanation"])
            writer.writerows([r.learner, r.notebook, r.task, r.status, r.explanation] for r in rows)
    return rows


def summary(rows: list[Row]) -> str:
    """A table: one line per learner and notebook, one column per task, and the share passed."""
    tasks = sorted({r.task for r in rows if r.task != "-"}, key=lambda t: (len(t), t)) or ["-"]
    short = {"passed": "ok", "try again": "again", "not done": "-", "error": "ERR", "timed out": "TIME"}
    keys = list(dict.fromkeys((r.learner, r.notebook) for r in rows))
    width = max([len(f"{l} / {n}") for l, n in keys] + [10])
    lines = [f"{'learner / notebook':<{width}}  " + "  ".join(f"{t:>6}" for t in tasks) + "  passed"]
    for learner, notebook in keys:
        mine = {r.task: r.status for r in rows if (r.learner, r.notebook) == (learner, notebook)}
        cells = "  ".join(f"{short.get(mine.get(t, ''), ''):>6}" for t in tasks)
        done = sum(s == "passed" for s in mine.values())
        note = next((f"  ({r.explanation})" for r in rows if (r.learner, r.notebook, r.task) ==
                     (learner, notebook, "-")), "")
        lines.append(f"{learner + ' / ' + notebook:<{width}}  {cells}  {done}/{len(mine)}{note}")
    return "\n".join(lines)


if __name__ == "__main__":
    _worker(Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
