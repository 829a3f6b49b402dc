"""Static checks on committed notebooks: the lesson anatomy and execution hygiene (COURSE.md section 4)."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXECUTED = LESSONS + sorted((ROOT / "solutions").glob("*.ipynb"))


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


@pytest.mark.parametrize("path", EXECUTED, ids=lambda p: p.name)
def test_executed_top_to_bottom_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in _code(nb)]
    assert counts == list(range(1, len(counts) + 1)), "re-run in a fresh kernel, top to bottom"
    errors = [o for c in _code(nb) for o in c.outputs if o.output_type == "error"]
    assert not errors, "a committed output is an error"


@pytest.mark.parametrize("path", EXECUTED, ids=lambda p: p.name)
def test_no_global_seed_or_install(path):
    source = "\n".join(c.source for c in _code(nbformat.read(path, as_version=4)))
    assert not re.search(r"^\s*[!%]pip\b", source, re.M)
    assert "np.random.seed(" not in source or "# mistake" in source


@pytest.mark.parametrize("path", [p for p in LESSONS if not p.name.startswith("00_")], ids=lambda p: p.name)
def test_lesson_anatomy(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    for heading in ("learning objectives", "estimated time", "prerequisites", "reproduce",
                    "common mistakes", "key takeaways", "interview questions", "exercises"):
        assert heading in text, f"the lesson has no '{heading}' section"
    code = "\n".join(c.source for c in _code(nb))
    assert "default_rng(" in code and "assert " in code
    assert sum("nbval-check-output" in c.metadata.get("tags", []) for c in _code(nb)) >= 2, \
        "tag key-result cells nbval-check-output"


@pytest.mark.parametrize("path", EXECUTED, ids=lambda p: p.name)
def test_key_results_are_tagged_not_commented(path):
    source = "\n".join(c.source for c in _code(nbformat.read(path, as_version=4)))
    assert "NBVAL_" not in source, "use the cell tag nbval-check-output, not a comment learners read"
