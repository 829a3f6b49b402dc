"""environment.yml and pyproject.toml name the same dependencies; the constraints pin them."""

import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

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


CONSTRAINTS = sorted((ROOT / "constraints").glob("py*.txt"))


def _readme_python_range() -> tuple[tuple[int, int], tuple[int, int]]:
    m = re.search(r"Python (3\.\d+) to (3\.\d+)", (ROOT / "README.md").read_text())
    assert m, "the README states the supported Python versions as 'Python 3.X to 3.Y'"
    return tuple(tuple(int(x) for x in v.split(".")) for v in m.groups())


def test_readme_pyproject_and_constraints_agree_on_python_versions():
    (lo_major, lo_minor), (hi_major, hi_minor) = _readme_python_range()
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={lo_major}.{lo_minor}", f"requires-python {requires!r} differs from the README"
    promised = {f"py{lo_major}.{minor}.txt" for minor in range(lo_minor, hi_minor + 1)}
    assert {p.name for p in CONSTRAINTS} == promised, "one constraints file per Python version the README promises"
    assert f"Python {lo_major}.{lo_minor} to {hi_major}.{hi_minor}" in (ROOT / "Makefile").read_text()
    assert f"Python {lo_major}.{lo_minor}" in (ROOT / "environment.yml").read_text() or \
        f"python>={lo_major}.{lo_minor}" in (ROOT / "environment.yml").read_text()


@pytest.mark.parametrize("path", CONSTRAINTS, ids=lambda p: p.name)
def test_constraints_pin_every_dependency_exactly(path):
    pins = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            req = Requirement(line)
            pins[req.name.lower().replace("_", "-")] = str(req.specifier)
    for name in _pyproject_requirements():
        assert name in pins, f"{name} is not pinned in {path.name}"
        assert pins[name].startswith("=="), f"{name} is not pinned to one version: {pins[name]}"


def test_license_is_an_spdx_string():
    # the table form is deprecated by setuptools (builds fail after 2027-02-18)
    assert isinstance(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"], str)
