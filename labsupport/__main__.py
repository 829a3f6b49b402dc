"""Course command line: ``python -m labsupport {build-exercises,execute,timings,grade,export-nbgrader}``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat

from . import authoring


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labsupport", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build-exercises", help="generate exercises/ from solutions/")
    build.add_argument("--check", action="store_true", help="only report exercises out of sync")
    run = sub.add_parser("execute", help="run notebooks top to bottom and save them with outputs")
    run.add_argument("paths", nargs="+", type=Path)
    timing = sub.add_parser("timings", help="run each notebook and print the seconds it takes")
    timing.add_argument("paths", nargs="*", type=Path)
    timing.add_argument("--limit", type=float, default=30.0, help="seconds allowed per notebook")
    grading = sub.add_parser("grade", help="grade learners' exercise notebooks with the course's checks")
    grading.add_argument("submissions", nargs="+", type=Path, help="notebooks, or folders of notebooks")
    grading.add_argument("--out", type=Path, default=Path("grades.csv"), help="CSV file to write")
    grading.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per notebook")
    grading.add_argument("--max-output", type=int, default=1_000_000, help="bytes of output kept per notebook")
    grading.add_argument("--jobs", type=int, default=2, help="notebooks graded at once")
    nbg = sub.add_parser("export-nbgrader", help="write the exercises as an nbgrader source assignment")
    nbg.add_argument("directory", type=Path, help="the nbgrader course folder to write")
    nbg.add_argument("--points", type=int, default=1, help="points per task")
    args = parser.parse_args(argv)

    if args.command == "export-nbgrader":
        from . import nbgrader_export
        written = nbgrader_export.export(args.directory, points=args.points)
        for path in written:
            print(f"wrote {path}")
        return 0

    if args.command == "grade":
        from . import grading as _grading
        rows = _grading.grade(args.submissions, args.out, args.timeout, args.max_output, args.jobs)
        print(_grading.summary(rows))
        print(f"\n{len(rows)} rows written to {args.out}")
        return 0

    if args.command == "build-exercises":
        stale = authoring.build_exercises(check=args.check)
        for path in stale:
            print(("out of sync: " if args.check else "wrote ") + str(path.relative_to(authoring.ROOT)))
        if not stale:
            print("exercises are in sync with solutions")
        return 1 if args.check and stale else 0

    if args.command == "execute":
        for path in args.paths:
            nb, seconds = authoring.execute(path)
            nbformat.write(nb, path)
            print(f"{path}: executed in {seconds:.1f} s")
        return 0

    paths = args.paths or authoring.lesson_paths()
    rows, total, slow = [], 0.0, 0
    for path in paths:
        _, seconds = authoring.execute(path)
        total += seconds
        slow += seconds > args.limit
        rows.append((os.path.relpath(path), seconds))
    width = max(len(p) for p, _ in rows)
    print(f"{'notebook':<{width}}  seconds")
    for p, seconds in rows:
        print(f"{p:<{width}}  {seconds:7.1f}{'  over the limit' if seconds > args.limit else ''}")
    print(f"{'total':<{width}}  {total:7.1f}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
