"""Mutation testing for labsupport: does a realistic bug make a test fail?

Each mutant changes one thing in one module (a comparison, an arithmetic operator, a small
integer constant, a boolean, a dropped keyword argument, a negated condition), is written into a
copy of the repository, and the module's tests run against it (``pytest -x``). A mutant that
no test notices survives; the report lists survivors by line, to be killed by a test against an
independent reference or argued equivalent.

    .venv/bin/python tools/mutants.py power stats            # modules by name
    .venv/bin/python tools/mutants.py --all --jobs 2         # every statistical module
    .venv/bin/python tools/mutants.py sequential --list      # only list the mutants

Not part of `make test` (a full run takes tens of minutes): `make mutants`.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "labsupport"
# The plumbing (authoring, command line, checks engine, plots) is tested, but its mutants say
# little about statistical correctness; `--all` covers the modules that compute results.
SKIP = {"__init__", "__main__", "authoring", "plots", "_validate"}
SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq}
SWAP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int
    line: int
    description: str


def _docstring_nodes(tree) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _is_validation(node, parents) -> bool:
    """Inside an ``if ...: raise ValueError`` guard: its mutants only change error messages."""
    while node is not None:
        if isinstance(node, ast.If) and any(isinstance(s, ast.Raise) for s in node.body):
            return True
        if isinstance(node, ast.Raise):
            return True
        node = parents.get(id(node))
    return False


def _sites(tree):
    """(node, description, apply) for every mutation site, in source order."""
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docs = _docstring_nodes(tree)
    sites = []
    for node in ast.walk(tree):
        if _is_validation(node, parents):
            continue
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in SWAP_CMP:
                    new = SWAP_CMP[type(op)]
                    sites.append((node, f"{type(op).__name__} -> {new.__name__}",
                                  lambda n, k=k, new=new: n.ops.__setitem__(k, new())))
        elif isinstance(node, ast.BinOp) and type(node.op) in SWAP_BIN:
            new = SWAP_BIN[type(node.op)]
            sites.append((node, f"{type(node.op).__name__} -> {new.__name__}",
                          lambda n, new=new: setattr(n, "op", new())))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            sites.append((node, "drop unary minus", "unwrap"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            sites.append((node, "drop not", "unwrap"))
        elif isinstance(node, ast.Constant) and id(node) not in docs:
            value = node.value
            if isinstance(value, bool):
                sites.append((node, f"{value} -> {not value}", lambda n: setattr(n, "value", not n.value)))
            elif isinstance(value, int) and 0 <= value <= 10:
                sites.append((node, f"{value} -> {value + 1}", lambda n: setattr(n, "value", n.value + 1)))
            elif isinstance(value, float) and value not in (0.0,):
                sites.append((node, f"{value} -> {value * 1.1:.6g}",
                              lambda n: setattr(n, "value", n.value * 1.1)))
        elif isinstance(node, ast.Call) and node.keywords:
            for k, kw in enumerate(node.keywords):
                if kw.arg is not None:
                    sites.append((node, f"drop keyword {kw.arg}=",
                                  lambda n, k=k: n.keywords.pop(k)))
    return sorted(sites, key=lambda s: (s[0].lineno, s[0].col_offset, s[1]))


def mutants(module: str) -> list[Mutant]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    return [Mutant(module, i, node.lineno, desc) for i, (node, desc, _) in enumerate(_sites(tree))]


class _Unwrap(ast.NodeTransformer):
    def __init__(self, target):
        self.target = target

    def generic_visit(self, node):
        node = super().generic_visit(node)
        return node.operand if node is self.target else node


def mutated_source(mutant: Mutant) -> str:
    tree = ast.parse((PACKAGE / f"{mutant.module}.py").read_text())
    node, _, apply = _sites(tree)[mutant.index]
    if apply == "unwrap":
        tree = _Unwrap(node).visit(tree)
    else:
        apply(node)
    return ast.unparse(ast.fix_missing_locations(tree))


def test_files(module: str) -> list[str]:
    """Test files that use ``module`` (by name), its own test file first."""
    own = ROOT / "tests" / f"test_{module}.py"
    pattern = re.compile(rf"\b{re.escape(module)}\b")
    others = [p for p in sorted((ROOT / "tests").glob("test_*.py"))
              if p != own and "labsupport" in (text := p.read_text()) and pattern.search(text)
              and p.name not in ("test_machine_independence.py", "test_lab.py", "test_exercises.py")]
    return [str(p.relative_to(ROOT)) for p in ([own] if own.exists() else []) + others]


def _copy_repo(dest: Path) -> None:
    for name in ("labsupport", "tests"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "conftest.py", "README.md", "Makefile", "environment.yml"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "constraints", dest / "constraints")
    for folder in ("notebooks", "solutions", "exercises", ".ci"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, dest / folder)


def _pytest(workdir: Path, files: list[str], timeout: float) -> str:
    env = dict(os.environ, PYTHONPATH=str(workdir), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
           "-p", "no:randomly", *files]
    try:
        run = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "killed (timeout)"
    if run.returncode == 0:
        return "survived"
    failed = re.search(r"^FAILED (\S+)", run.stdout, re.M) or re.search(r"^ERROR (\S+)", run.stdout, re.M)
    return f"killed by {failed.group(1) if failed else 'an error (exit %d)' % run.returncode}"


def run(selected: list[Mutant], jobs: int, timeout: float) -> list[tuple[Mutant, str]]:
    workdirs = []
    for _ in range(jobs):
        workdirs.append(Path(tempfile.mkdtemp(prefix="mutants-")))
        _copy_repo(workdirs[-1])
    probe = subprocess.run([sys.executable, "-c", "import labsupport; print(labsupport.__file__)"],
                           cwd=workdirs[0], env=dict(os.environ, PYTHONPATH=str(workdirs[0])),
                           capture_output=True, text=True, check=True).stdout
    if str(workdirs[0]) not in probe:
        raise SystemExit(f"the copy's labsupport is not the one imported ({probe.strip()})")
    free = list(workdirs)

    def one(mutant):
        workdir = free.pop()
        target = workdir / "labsupport" / f"{mutant.module}.py"
        original = target.read_text()
        try:
            target.write_text(mutated_source(mutant))
            return mutant, _pytest(workdir, test_files(mutant.module), timeout)
        finally:
            target.write_text(original)
            free.append(workdir)

    try:
        with ThreadPoolExecutor(jobs) as pool:
            results = []
            for mutant, verdict in pool.map(one, selected):
                results.append((mutant, verdict))
                print(f"{mutant.module}:{mutant.line:<4} #{mutant.index:<3} {mutant.description:<28} {verdict}",
                      flush=True)
    finally:
        for w in workdirs:
            shutil.rmtree(w, ignore_errors=True)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="labsupport modules (file names without .py)")
    parser.add_argument("--all", action="store_true", help="every module except the plumbing")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--only", type=int, nargs="*", help="run only these mutant numbers")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant")
    args = parser.parse_args(argv)
    modules = args.modules or []
    if args.all:
        modules = [p.stem for p in sorted(PACKAGE.glob("*.py")) if p.stem not in SKIP]
    if not modules:
        parser.error("name modules or use --all")
    selected = [m for mod in modules for m in mutants(mod) if args.only is None or m.index in args.only]
    if args.list:
        for m in selected:
            print(f"{m.module}:{m.line:<4} #{m.index:<3} {m.description}")
        print(f"{len(selected)} mutants")
        return 0
    start = time.perf_counter()
    results = run(selected, args.jobs, args.timeout)
    survivors = [(m, v) for m, v in results if v == "survived"]
    print(f"\n{len(results)} mutants, {len(results) - len(survivors)} killed, {len(survivors)} survived "
          f"({time.perf_counter() - start:.0f} s)")
    for m, _ in survivors:
        print(f"  survivor {m.module}:{m.line} #{m.index} {m.description}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
