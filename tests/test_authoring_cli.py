"""`python -m labsupport` authoring commands."""

import nbformat

from labsupport import authoring
from labsupport.__main__ import main


def test_timings_and_execute_on_a_small_notebook(tmp_path, capsys):
    path = tmp_path / "tiny.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    assert main(["timings", str(path), "--limit", "60"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["notebook", "seconds"] and table[-1].startswith("total")
    assert main(["execute", str(path)]) == 0
    executed = nbformat.read(path, as_version=4)
    assert executed.cells[0].outputs[0].text == "42\n" and executed.cells[0].execution_count == 1
    assert main(["timings", str(path), "--limit", "0"]) == 1  # over the limit is a failure


def test_build_exercises_writes_then_detects_drift(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    source = "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]),
                   tmp_path / "solutions" / "01_x_exercises.ipynb")
    target = tmp_path / "exercises" / "01_x_exercises.ipynb"
    assert authoring.build_exercises(tmp_path, check=True) == [target] and not target.exists()
    assert authoring.build_exercises(tmp_path) == [target] and "NotImplementedError" in target.read_text()
    assert authoring.build_exercises(tmp_path, check=True) == []
    target.write_text(target.read_text().replace("replace this line", "edited by hand"))
    assert authoring.build_exercises(tmp_path, check=True) == [target]
