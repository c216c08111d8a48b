"""The course assignments: masters in Otter Assign format and the files generated from them.

Each folder ``assignments/<name>/`` holds a master notebook ``<name>.ipynb`` and, in ``dist/``,
what ``scripts/build_assignments.py`` generates from it with ``otter assign``: the student
notebook and the autograder. Tests are grouped in classes so that ``pytest -n 2 --dist loadscope``
spreads the slow ones (each grading starts a kernel) over both workers.
"""
import importlib.util
import json
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

otter_api = pytest.importorskip("otter.api", reason="otter-grader is part of the development environment")

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.parent.name for p in ROOT.glob("assignments/*/*.ipynb")
                     if p.stem == p.parent.name)


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_assignments",
                                                  ROOT / "scripts" / "build_assignments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def master(name):
    return ROOT / "assignments" / name / f"{name}.ipynb"


def student(name):
    return ROOT / "assignments" / name / "dist" / "student" / f"{name}.ipynb"


def solutions(name):
    return ROOT / "assignments" / name / "dist" / "autograder" / f"{name}.ipynb"


def autograder_zip(name, dist=None):
    dist = dist or ROOT / "assignments" / name / "dist"
    (zip_path,) = (dist / "autograder").glob(f"{name}-autograder_*.zip")
    return zip_path


def grade(notebook, name):
    return otter_api.grade_submission(str(notebook), str(autograder_zip(name)), quiet=True)


def source_lines(nb, cell_type=None):
    return {line.strip() for cell in nb.cells if cell_type in (None, cell.cell_type)
            for line in cell.source.splitlines() if line.strip()}


def solution_lines(nb):
    """The lines that Otter Assign must remove: marked code lines and solution blocks."""
    lines, in_block_cells = set(), False
    for cell in nb.cells:
        text = cell.source.strip()
        if cell.cell_type == "raw" and text in ("# BEGIN SOLUTION", "# END SOLUTION"):
            in_block_cells = text == "# BEGIN SOLUTION"
            continue
        if not in_block_cells:
            continue
        if cell.cell_type == "markdown":
            lines |= {line.strip() for line in cell.source.splitlines() if line.strip()}
            continue
        in_code_block = False
        for line in cell.source.splitlines():
            if line.strip() in ("# BEGIN SOLUTION", "# END SOLUTION"):
                in_code_block = line.strip() == "# BEGIN SOLUTION"
            elif in_code_block or re.search(r"#\s*SOLUTION\s*$", line):
                lines.add(re.sub(r"#\s*SOLUTION\s*$", "", line).strip())
    return lines - {""}


def autograder_cases(name):
    """Every test case of the autograder, as (question, hidden, doctest code)."""
    cases = []
    with zipfile.ZipFile(autograder_zip(name)) as archive:
        for member in sorted(n for n in archive.namelist() if n.startswith("tests/")):
            namespace = {}
            exec(archive.read(member).decode(), namespace)
            cases += [(namespace["test"]["name"], case["hidden"], case["code"])
                      for suite in namespace["test"]["suites"] for case in suite["cases"]]
    return cases


def hidden_code_lines(name):
    return {line[4:] for _, hidden, code in autograder_cases(name) if hidden
            for line in code.splitlines() if line.startswith(">>> ")}


def test_there_is_an_assignment_for_each_group_of_chapters():
    assert len(ASSIGNMENTS) >= 4
    for name in ASSIGNMENTS:
        assert student(name).is_file() and solutions(name).is_file(), name


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_master_is_saved_as_nbformat_4_4_without_cell_ids_for_reproducible_output(name):
    raw = json.loads(master(name).read_text())
    assert (raw["nbformat"], raw["nbformat_minor"]) == (4, 4)
    assert not any("id" in cell for cell in raw["cells"])
    assert raw["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_master_mixes_autograded_and_written_questions(name):
    configs = [cell.source for cell in nbformat.read(master(name), as_version=4).cells
               if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION")]
    manual = [c for c in configs if re.search(r"manual:\s*true", c)]
    assert len(manual) >= 2 and len(configs) - len(manual) >= 4


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_graded_question_has_public_and_hidden_tests(name):
    cases = autograder_cases(name)
    for question in {q for q, _, _ in cases}:
        kinds = {hidden for q, hidden, _ in cases if q == question}
        assert kinds == {True, False}, question


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_hidden_tests_recompute_answers_from_the_data_not_typed_numbers(name):
    lines = hidden_code_lines(name)
    assert any("mlmcourse.load_dataset(" in line for line in lines), name
    assert any("mlmcourse.fit(" in line for line in lines), name


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_notebook_holds_no_solution_code_or_written_answers(name):
    nb_student = nbformat.read(student(name), as_version=4)
    removed = solution_lines(nbformat.read(master(name), as_version=4))
    assert removed, "the master marks no solutions"
    shipped = source_lines(nb_student)
    assert not removed & shipped, f"solution lines shipped to students: {sorted(removed & shipped)}"
    assert "SOLUTION" not in student(name).read_text()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_notebook_holds_no_hidden_tests(name):
    shipped = nbformat.read(student(name), as_version=4).metadata["otter"]["tests"]
    cases = [case for test in shipped.values() for suite in test["suites"] for case in suite["cases"]]
    assert cases and not any(case["hidden"] for case in cases)
    shipped_lines = {line[4:] for case in cases for line in case["code"].splitlines()}
    assert not hidden_code_lines(name) & shipped_lines


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_notebook_loads_its_data_through_mlmcourse(name):
    code = "\n".join(c.source for c in nbformat.read(student(name), as_version=4).cells
                     if c.cell_type == "code")
    assert "mlmcourse.load_dataset(" in code
    assert "read_csv" not in code and ".csv" not in code


class TestGrading:
    @pytest.mark.parametrize("name", ASSIGNMENTS)
    def test_master_solutions_score_full_marks(self, name):
        result = grade(solutions(name), name)
        assert result.possible > 0
        assert result.total == result.possible, {k: v.score for k, v in result.results.items()}

    @pytest.mark.parametrize("name", ASSIGNMENTS)
    def test_unanswered_student_notebook_fails_every_question(self, name):
        result = grade(student(name), name)
        assert result.total < result.possible
        assert all(r.score < r.possible for r in result.results.values()), result.results


class TestGeneratedFiles:
    @pytest.mark.parametrize("name", ASSIGNMENTS)
    def test_generated_files_are_current_with_the_master(self, name, tmp_path):
        builder = _load_builder()
        copy = tmp_path / name / f"{name}.ipynb"
        copy.parent.mkdir()
        shutil.copy(master(name), copy)
        builder.assign(copy, copy.parent / "dist", run_tests=False)
        fresh = copy.parent / "dist"
        for relative in (f"student/{name}.ipynb", f"autograder/{name}.ipynb",
                         "autograder/otter_config.json", "autograder/requirements.txt"):
            assert (fresh / relative).read_text() == (master(name).parent / "dist" / relative).read_text(), (
                f"{relative} is stale: run `python scripts/build_assignments.py {name}`")
        assert _zip_contents(autograder_zip(name, fresh)) == _zip_contents(autograder_zip(name)), (
            f"the autograder zip is stale: run `python scripts/build_assignments.py {name}`")

    @pytest.mark.parametrize("name", ASSIGNMENTS)
    def test_unanswered_student_notebook_runs_outside_the_repository_without_errors(self, name, tmp_path):
        copy = tmp_path / student(name).name
        shutil.copy(student(name), copy)
        nb = nbformat.read(copy, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                  if o.output_type == "error"]
        assert not errors, errors[0]["evalue"] if errors else ""


def _zip_contents(path):
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}
