"""The README's course map links every lesson, exercise and solution, and every link resolves."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
LINKS = set(re.findall(r"\]\(((?:notebooks|exercises|solutions)/[^)]+\.ipynb)\)", README))


def test_every_link_resolves():
    missing = sorted(link for link in LINKS if not (ROOT / link).exists())
    assert not missing, f"README links to missing notebooks: {missing}"


def test_every_notebook_is_on_the_course_map():
    notebooks = {str(p.relative_to(ROOT)) for folder in ("notebooks", "exercises", "solutions")
                 for p in (ROOT / folder).glob("*.ipynb")}
    assert notebooks - LINKS == set(), "add these to the README's course map"


def test_readme_names_the_two_commands():
    assert "make lab" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()
