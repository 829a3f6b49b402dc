"""Every link in lesson 14 (its markdown cells and the markdown its code cells display) points to an
existing notebook and to an existing heading of it (JupyterLab's anchor: the heading text, spaces -> '-')."""

import re
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSON = NOTEBOOKS / "14_interview_prep.ipynb"
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _markdown_texts(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            yield cell.source
        elif cell.cell_type == "code":
            for out in cell.get("outputs", []):
                if "text/markdown" in out.get("data", {}):
                    yield out["data"]["text/markdown"]


def anchors(path):
    nb = nbformat.read(path, as_version=4)
    return {h.replace(" ", "-") for c in nb.cells if c.cell_type == "markdown" for h in HEADING.findall(c.source)}


def links():
    nb = nbformat.read(LESSON, as_version=4)
    return [target for text in _markdown_texts(nb) for _, target in LINK.findall(text)]


def test_lesson_links_resolve():
    found = links()
    lesson_links = [t for t in found if not t.startswith("../")]
    assert len(lesson_links) >= 40, "the question bank should link every answer to a lesson section"
    broken, cache = [], {}
    for target in lesson_links:
        name, _, anchor = target.partition("#")
        path = NOTEBOOKS / name
        if not path.exists():
            broken.append(f"{target} (no notebook {name})")
            continue
        if path not in cache:
            cache[path] = anchors(path)
        if not anchor or anchor not in cache[path]:
            broken.append(f"{target} (no heading with anchor {anchor!r})")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_exercise_link_exists():
    targets = [t for t in links() if t.startswith("../")]
    assert targets and all((LESSON.parent / t).resolve().exists() for t in targets), targets


def test_anchor_rule_on_a_known_heading():
    assert "2.-Confidence-intervals:-absolute-and-relative-lift" in anchors(NOTEBOOKS / "01_foundations_power.ipynb")


def test_every_answer_has_a_link():
    nb = nbformat.read(LESSON, as_version=4)
    text = "\n".join(_markdown_texts(nb))
    answers = re.split(r"\*\*Q\d+\.", text)[1:]
    assert len(answers) >= 40
    assert all(LINK.search(a) for a in answers)
