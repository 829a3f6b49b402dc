"""environment.yml and pyproject.toml name the same dependencies; the constraints pin them."""

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _pyproject_requirements() -> dict[str, str]:
    reqs = {}
    for line in metadata.requires("labsupport"):
        req = Requirement(line)
        reqs[req.name.lower()] = str(req.specifier)
    return reqs


def _conda_requirements() -> dict[str, str]:
    reqs = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text[text.index("dependencies:"):].splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.\-]+)\s*([<>=!].*)?$", line)
        if m and m.group(1) not in ("python", "pip"):
            reqs[m.group(1).lower()] = (m.group(2) or "").replace(" ", "")
    return reqs


def test_environment_matches_pyproject():
    conda, pip = _conda_requirements(), _pyproject_requirements()
    assert conda, "no dependencies parsed from environment.yml"
    assert sorted(conda) == sorted(pip), (
        f"only in environment.yml: {sorted(set(conda) - set(pip))}; "
        f"only in pyproject.toml: {sorted(set(pip) - set(conda))}")
    differing = {name: (conda[name], pip[name]) for name in pip if conda[name] != pip[name]}
    assert not differing, f"version bounds differ (environment.yml, pyproject.toml): {differing}"


def test_environment_installs_the_package():
    assert re.search(r"^\s+- -e \.\s*$", (ROOT / "environment.yml").read_text(), re.M)


def test_constraints_pin_every_dependency_exactly():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            req = Requirement(line)
            pins[req.name.lower().replace("_", "-")] = str(req.specifier)
    for name in _pyproject_requirements():
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert pins[name].startswith("=="), f"{name} is not pinned to one version: {pins[name]}"
