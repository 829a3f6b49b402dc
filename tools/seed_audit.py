"""Do the compared cells print only deterministic results? Re-run each notebook with SEED + 1.

A cell tagged ``nbval-check-output`` must print the same text whatever the seed: closed forms,
published tables, check verdicts. A tagged cell whose text changes with the seed prints a
Monte Carlo result and must be untagged (its claim then goes in an assert against a band).
The report also lists the cells that raise under the other seed: asserts that hold only for the
committed draw (fine for a labelled single-run illustration, a finding otherwise).

    .venv/bin/python tools/seed_audit.py notebooks/*.ipynb solutions/*.ipynb   # or: make seed-audit

Not part of `make test` (it re-runs every notebook, about 3 minutes). Exit status 1 when a
compared cell changes.
"""

from __future__ import annotations

import copy
import os
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from labsupport.explore import STATIC_ENV

TAG = "nbval-check-output"


def _text(cell) -> str:
    out = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream" and o.name == "stdout":
            out.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            data = o.get("data", {})
            out.append(data.get("text/markdown") or data.get("text/plain") or "")
        elif o.output_type == "error":
            out.append(f"{o.ename}: {o.evalue}")
    return "".join(out)


def audit(path: Path) -> tuple[list[int], list[int]]:
    """(tagged cells whose text changes with SEED + 1, cells that raise under SEED + 1)."""
    nb = nbformat.read(path, as_version=4)
    run = copy.deepcopy(nb)
    for cell in run.cells:
        if cell.cell_type == "code":
            cell.source, found = re.subn(r"^SEED = (\d+)", lambda m: f"SEED = {int(m.group(1)) + 1}",
                                         cell.source, flags=re.M)
            if found:
                break
    else:
        raise SystemExit(f"{path}: no 'SEED = <int>' line")
    NotebookClient(run, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute(
        env={**os.environ, STATIC_ENV: "1"})
    changed = [i for i, c in enumerate(nb.cells)
               if c.cell_type == "code" and TAG in c.metadata.get("tags", []) and _text(c) != _text(run.cells[i])]
    raised = [i for i, c in enumerate(run.cells)
              if any(o.output_type == "error" for o in c.get("outputs", []))]
    return changed, raised


def main(paths: list[str]) -> int:
    bad = 0
    for name in paths:
        changed, raised = audit(Path(name))
        bad += len(changed)
        print(f"{name}: compared cells that change with the seed {changed or 'none'}; "
              f"cells that raise under SEED + 1 {raised or 'none'}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
