"""The course assignments: masters in Otter Assign format and the files generated from them.

Each folder ``assignments/<name>/`` holds a master notebook ``<name>.ipynb`` and, in ``dist/``,
what ``scripts/build_assignments.py`` generates from it with ``otter assign``: the student
notebook and the autograder. The scores are tested by grading, with ``scripts/grade_submissions.py``,
a folder of planted submissions per assignment (``planted_submissions.py``): the unanswered
notebook, two wrong ones and a right one with defensible variants. Slow tests are grouped in
classes so that ``pytest -n 2 --dist loadscope`` spreads them (each grading starts a kernel) over
both workers.
"""
import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

from planted_submissions import PLANTED

otter_api = pytest.importorskip("otter.api", reason="otter-grader is part of the development environment")

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.parent.name for p in ROOT.glob("assignments/*/*.ipynb")
                     if p.stem == p.parent.name)
FIRST, SECOND = ASSIGNMENTS[:len(ASSIGNMENTS) // 2], ASSIGNMENTS[len(ASSIGNMENTS) // 2:]


def _load(script):
    spec = importlib.util.spec_from_file_location(script, ROOT / "scripts" / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load("build_assignments")
grader = _load("grade_submissions")


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
    """Every test case of the autograder, as (question, hidden, doctest code, points or None)."""
    cases = []
    with zipfile.ZipFile(autograder_zip(name)) as archive:
        for member in sorted(n for n in archive.namelist() if n.startswith("tests/")):
            namespace = {}
            exec(archive.read(member).decode(), namespace)
            cases += [(namespace["test"]["name"], case["hidden"], case["code"], case.get("points"))
                      for suite in namespace["test"]["suites"] for case in suite["cases"]]
    return cases


def hidden_code_lines(name):
    return {line[4:] for _, hidden, code, _ in autograder_cases(name) if hidden
            for line in code.splitlines() if line.startswith(">>> ")}


def questions(name):
    return grader.master_questions(name)


def autograded(name):
    return [q["name"] for q in questions(name) if not q["manual"]]


def planted_notebook(name, edits):
    """The master's solutions with lines of code replaced: each old text in exactly one code cell."""
    nb = nbformat.read(solutions(name), as_version=4)
    for old, new in edits:
        cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert len(cells) == 1, f"{name}: {old!r} is in {len(cells)} code cells of the solutions"
        cells[0].source = cells[0].source.replace(old, new)
    return nb


def init_cell_index(nb):
    (index,) = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "otter.Notebook(" in c.source]
    return index


def test_there_is_an_assignment_for_each_group_of_chapters():
    assert len(ASSIGNMENTS) >= 7
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
    manual = [q for q in questions(name) if q["manual"]]
    assert len(manual) >= 2 and len(questions(name)) - len(manual) >= 4


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_graded_question_has_public_and_hidden_tests(name):
    cases = autograder_cases(name)
    assert {q for q, _, _, _ in cases} == set(autograded(name))
    for question in autograded(name):
        kinds = {hidden for q, hidden, _, _ in cases if q == question}
        assert kinds == {True, False}, question


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_public_tests_are_worth_no_points_so_that_the_points_come_from_hidden_tests(name):
    public = [(q, points) for q, hidden, _, points in autograder_cases(name) if not hidden]
    assert public and all(points == 0 for _, points in public), public


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_hidden_tests_recompute_answers_from_the_data_not_typed_numbers(name):
    lines = hidden_code_lines(name)
    assert any("mlmcourse.load_dataset(" in line for line in lines), name
    assert any("mlmcourse.fit(" in line for line in lines), name


def hidden_code(name):
    return "\n".join(code for _, hidden, code, _ in autograder_cases(name) if hidden)


# Otter Assign rewrites the tests' code (with single quotes, for one).
GLMM_ASSIGNMENTS = [name for name in ASSIGNMENTS if re.search(r"family=[\"']binomial", hidden_code(name))]


def test_there_is_a_binary_outcome_assignment():
    assert GLMM_ASSIGNMENTS


@pytest.mark.parametrize("name", GLMM_ASSIGNMENTS)
def test_every_glmm_a_hidden_test_grades_against_is_in_the_glmer_reference(name):
    """So that tests/test_glmm.py checks, against lme4's glmer, the fits that grade the students:
    each formula of the hidden tests, by Laplace and by each quadrature they use."""
    code = hidden_code(name)
    formulas = set(re.findall(r"[\"']([^\"']*~[^\"']*\|[^\"']*)[\"']", code))
    (data,) = set(re.findall(r"load_dataset\([\"'](\w+)[\"']\)", code))
    nagqs = {1} | {int(n) for n in re.findall(r"nagq=(\d+)", code)}
    models = json.loads((ROOT / "reference" / "glmer_reference.json").read_text())["models"]
    reference = {(m["data"], m["formula"], m["nagq"]) for m in models}
    assert formulas and nagqs != {1}
    missing = {(data, f, q) for f in formulas for q in nagqs} - reference
    assert not missing, f"add these to reference/glmer_reference.R: {sorted(missing)}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_notebook_holds_no_solution_code_or_written_answers(name):
    nb_student = nbformat.read(student(name), as_version=4)
    removed = solution_lines(nbformat.read(master(name), as_version=4))
    assert removed, "the master marks no solutions"
    shipped = source_lines(nb_student)
    assert not removed & shipped, f"solution lines shipped to students: {sorted(removed & shipped)}"
    assert "SOLUTION" not in student(name).read_text()
    assert "Rubric" not in student(name).read_text()


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


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_notebook_shows_the_points_of_every_question(name):
    prompts = [c.source for c in nbformat.read(student(name), as_version=4).cells if c.cell_type == "markdown"]
    for question in questions(name):
        first_line = question["prompt"].splitlines()[0]
        (prompt,) = [p for p in prompts if first_line in p]
        assert f"_Points:_ {grader.fmt(question['points'])}" in prompt, question["name"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_written_question_has_a_rubric_whose_points_add_up_to_the_question(name):
    for question in (q for q in questions(name) if q["manual"]):
        assert question["rubric"].startswith(f"**Rubric ({grader.fmt(question['points'])} points).**")
        items = re.findall(r"^- (\d+(?:\.\d+)?) points?:", question["rubric"], flags=re.MULTILINE)
        assert len(items) >= 2 and sum(map(float, items)) == question["points"], question["name"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_notebook_says_what_to_do_if_it_was_renamed_before_the_grader_starts(name):
    cells = nbformat.read(student(name), as_version=4).cells
    init = init_cell_index(nbformat.read(student(name), as_version=4))
    assert init <= 3
    note = cells[init - 1]
    assert note.cell_type == "markdown" and f"`{name}.ipynb`" in note.source and "rename" in note.source
    assert f'"{name}.ipynb"' in cells[init].source
    first = nbformat.read(student(ASSIGNMENTS[0]), as_version=4)
    assert cells[init].source == first.cells[init_cell_index(first)].source.replace(ASSIGNMENTS[0], name)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_written_answers_go_into_the_filtered_pdf_and_code_answers_do_not(name, tmp_path):
    from otter.export.exporters.base_exporter import BaseExporter

    nb = nbformat.read(student(name), as_version=4)
    answers = [c for c in nb.cells if c.cell_type == "markdown" and "otter_answer_cell" in c.metadata.get("tags", [])]
    for i, cell in enumerate(answers):
        cell.source = f"My written answer number {i}."
    nbformat.write(nb, tmp_path / f"{name}.ipynb")
    filtered = BaseExporter.load_notebook(str(tmp_path / f"{name}.ipynb"), filtering=True)
    text = "\n".join(c.source for c in filtered.cells)
    assert all(f"My written answer number {i}." in text for i in range(len(answers)))
    for question in questions(name):
        assert (question["prompt"].splitlines()[0] in text) == question["manual"], question["name"]
    assert "grader.check(" not in text


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_master_asks_for_the_course_python_and_installs_no_moving_package(name):
    config = yaml.safe_load(nbformat.read(master(name), as_version=4).cells[0].source.split("\n", 1)[1])
    assert str(config["python_version"]) == builder.COURSE_PYTHON
    assert "requirements" not in config  # the release zip adds the wheel: nothing from a git URL
    assert builder.COURSE_PYTHON == f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_zip_installs_the_wheel_of_this_checkout_with_the_course_constraints(name, wheel, tmp_path):
    released = builder.release(name, wheel, tmp_path)
    with zipfile.ZipFile(released) as archive, zipfile.ZipFile(autograder_zip(name)) as committed:
        names = set(archive.namelist())
        assert archive.read(f"files/{wheel.name}") == wheel.read_bytes()
        assert archive.read("files/constraints.txt") == (ROOT / "constraints.txt").read_bytes()
        assert re.fullmatch(r"([0-9a-f]{40}(-dirty)?|unknown.*)\n", archive.read("files/COMMIT").decode())
        for member in committed.namelist():
            if member != "environment.yml":
                assert archive.read(member) == committed.read(member), member
        env = yaml.safe_load(archive.read("environment.yml"))
        assert names >= set(committed.namelist())
    assert f"python={builder.COURSE_PYTHON}" in env["dependencies"]
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    otter_pin = re.search(r"^otter-grader==(\S+)$", (ROOT / "constraints.txt").read_text(), re.MULTILINE)[1]
    assert pip == ["-c /autograder/source/files/constraints.txt",
                   f"otter-grader[grading,plugins]=={otter_pin}",
                   f"/autograder/source/files/{wheel.name}"]


def test_instructors_page_gives_the_points_of_every_assignment():
    page = (ROOT / "chapters" / "instructors.md").read_text()
    for name in ASSIGNMENTS:
        auto = sum(q["points"] for q in questions(name) if not q["manual"])
        written = sum(q["points"] for q in questions(name) if q["manual"])
        assert re.search(rf"^\| `{name}` \|[^\n]*\| {grader.fmt(auto)} \+ {grader.fmt(written)} \|$", page,
                         re.MULTILINE), name


def test_every_assignment_has_two_wrong_submissions_and_a_defensible_one_covering_every_question():
    assert set(PLANTED) == set(ASSIGNMENTS)
    for name, planted in PLANTED.items():
        assert set(planted) == {"wrong_1", "wrong_2", "variant"}, name
        lost = {q for label in ("wrong_1", "wrong_2") for q in planted[label]["loses"]}
        assert lost == set(autograded(name)), name


@pytest.fixture(scope="session")
def grade_sheet(tmp_path_factory):
    """Grade, once per assignment, a folder of the unanswered, two wrong and one variant
    submissions with scripts/grade_submissions.py; return the CSV rows by student and the
    written-answer sheet."""
    cache = {}

    def get(name):
        if name not in cache:
            folder = tmp_path_factory.mktemp(name)
            submissions = folder / "submissions"
            submissions.mkdir()
            blank = nbformat.read(student(name), as_version=4)
            answers = [c for c in blank.cells if "otter_answer_cell" in c.metadata.get("tags", [])
                       and c.cell_type == "markdown"]
            answers[0].source = "A written answer the grader should see."
            nbformat.write(blank, submissions / "blank.ipynb")
            for label, planted in PLANTED[name].items():
                nbformat.write(planted_notebook(name, planted["edits"]), submissions / f"{label}.ipynb")
            csv_path, sheet = grader.grade_folder(name, submissions, folder / "results")
            with open(csv_path, newline="") as f:
                rows = list(csv.DictReader(f))
            cache[name] = ({row["student"]: row for row in rows}, sheet.read_text())
        return cache[name]

    return get


class _Scores:
    """The scores of the planted submissions (two subclasses split the assignments between workers)."""

    def test_unanswered_notebook_scores_zero_on_every_question(self, name, grade_sheet):
        rows, _ = grade_sheet(name)
        assert all(float(rows["blank"][q]) == 0 for q in autograded(name)), rows["blank"]

    @pytest.mark.parametrize("wrong", ["wrong_1", "wrong_2"])
    def test_planted_mistakes_lose_most_of_their_questions_points(self, name, wrong, grade_sheet):
        rows, _ = grade_sheet(name)
        possible = rows["(points possible)"]
        kept = {q: float(rows[wrong][q]) / float(possible[q]) for q in PLANTED[name][wrong]["loses"]}
        assert all(share < 1 / 3 for share in kept.values()), kept

    @pytest.mark.parametrize("wrong", ["wrong_1", "wrong_2"])
    def test_questions_without_a_planted_mistake_keep_their_points_even_downstream_of_one(self, name, wrong, grade_sheet):
        rows, _ = grade_sheet(name)
        possible = rows["(points possible)"]
        others = [q for q in autograded(name) if q not in PLANTED[name][wrong]["loses"]]
        assert all(rows[wrong][q] == possible[q] for q in others), {q: rows[wrong][q] for q in others}

    def test_right_answers_with_defensible_variants_keep_full_marks(self, name, grade_sheet):
        rows, _ = grade_sheet(name)
        assert rows["variant"]["autograded"] == rows["(points possible)"]["autograded"], rows["variant"]

    def test_grade_sheet_has_a_row_per_student_and_empty_written_columns(self, name, grade_sheet):
        rows, _ = grade_sheet(name)
        assert list(rows) == ["(points possible)", "blank", "variant", "wrong_1", "wrong_2"]
        written = [q["name"] for q in questions(name) if q["manual"]]
        for student_name in ("blank", "variant", "wrong_1", "wrong_2"):
            row = rows[student_name]
            assert all(row[q] == "" for q in written + ["written", "total"]) and row["note"] == ""
            assert abs(float(row["autograded"]) - sum(float(row[q]) for q in autograded(name))) < 1e-9
        possible = rows["(points possible)"]
        assert float(possible["total"]) == sum(q["points"] for q in questions(name))

    def test_written_sheet_gives_each_written_question_its_rubric_and_every_students_answer(self, name, grade_sheet):
        _, sheet = grade_sheet(name)
        for question in (q for q in questions(name) if q["manual"]):
            section = sheet.split(f"## {question['name']} (")[1].split("\n## ")[0]
            assert "**Rubric" in section
            assert all(f"### {s}" in section for s in ("blank", "variant", "wrong_1", "wrong_2"))
        assert "A written answer the grader should see." in sheet


class TestScoresFirstHalf(_Scores):
    @pytest.fixture(params=FIRST)
    def name(self, request):
        return request.param


class TestScoresSecondHalf(_Scores):
    @pytest.fixture(params=SECOND)
    def name(self, request):
        return request.param


class TestGeneratedFiles:
    @pytest.mark.parametrize("name", ASSIGNMENTS)
    def test_generated_files_are_current_with_the_master(self, name, tmp_path):
        copy = tmp_path / name / f"{name}.ipynb"
        copy.parent.mkdir()
        shutil.copy(master(name), copy)
        builder.assign(copy, copy.parent / "dist", run_tests=False)
        fresh = copy.parent / "dist"
        for relative in (f"student/{name}.ipynb", f"autograder/{name}.ipynb", "autograder/otter_config.json"):
            assert (fresh / relative).read_text() == (master(name).parent / "dist" / relative).read_text(), (
                f"{relative} is stale: run `python scripts/build_assignments.py {name}`")
        assert _zip_contents(autograder_zip(name, fresh)) == _zip_contents(autograder_zip(name)), (
            f"the autograder zip is stale: run `python scripts/build_assignments.py {name}`")

    @pytest.mark.parametrize("name", ASSIGNMENTS)
    def test_unanswered_student_notebook_runs_outside_the_repository_without_errors(self, name, tmp_path):
        copy = tmp_path / student(name).name
        shutil.copy(student(name), copy)
        nb = nbformat.read(copy, as_version=4)
        nb.cells = [c for c in nb.cells if "grader.export(" not in c.source]  # tested below
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                  if o.output_type == "error"]
        assert not errors, errors[0]["evalue"] if errors else ""

    def test_renamed_notebook_stops_at_the_first_cell_with_a_message_naming_the_file(self, tmp_path):
        name = ASSIGNMENTS[0]  # the other assignments' grader cells are the same but for the name (above)
        nb = nbformat.read(student(name), as_version=4)
        nbformat.write(nb, tmp_path / f"{name} (1).ipynb")
        nb.cells = nb.cells[:init_cell_index(nb) + 1]
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        (error,) = [o for o in nb.cells[-1].outputs if o.output_type == "error"]
        assert error["ename"] == "FileNotFoundError"
        assert f"must be called {name}.ipynb" in error["evalue"] and "rename" in error["evalue"]


def _latex_missing():
    if not shutil.which("xelatex") or not shutil.which("pandoc"):
        return "xelatex or pandoc is not installed (Debian: texlive-xetex, pandoc)"
    found = subprocess.run(["kpsewhich", "ulem.sty"], capture_output=True, text=True).stdout.strip()
    return None if found else "LaTeX's ulem.sty is not installed (Debian: texlive-plain-generic)"


class TestExport:
    @pytest.mark.skipif(_latex_missing() is not None, reason=str(_latex_missing()))
    def test_export_cell_writes_a_zip_with_the_notebook_and_a_pdf_of_the_written_answers(self, tmp_path):
        name = ASSIGNMENTS[0]
        shutil.copy(solutions(name), tmp_path / f"{name}.ipynb")
        nb = nbformat.read(solutions(name), as_version=4)
        nb.cells = [nb.cells[init_cell_index(nb)]] + [c for c in nb.cells if "grader.export(" in c.source]
        assert len(nb.cells) == 2
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        (zip_path,) = tmp_path.glob(f"{name}_*.zip")
        with zipfile.ZipFile(zip_path) as archive:
            assert {f"{name}.ipynb", f"{name}.pdf"} <= set(archive.namelist())
            assert archive.read(f"{name}.pdf").startswith(b"%PDF")


class TestInstructorsPage:
    """The grading commands of chapters/instructors.md, run as written."""

    @staticmethod
    def blocks():
        return re.findall(r"```bash\n(.*?)```", (ROOT / "chapters" / "instructors.md").read_text(), re.DOTALL)

    @staticmethod
    def course_folder(tmp_path):
        """A folder laid out like the course repository, with one submission."""
        for item in ("assignments", "scripts", "Makefile", "requirements.txt", "constraints.txt",
                     "pyproject.toml", ".venv"):
            (tmp_path / item).symlink_to(ROOT / item)
        (tmp_path / "submissions").mkdir()
        shutil.copy(student(ASSIGNMENTS[0]), tmp_path / "submissions" / "student_blank.ipynb")
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        return env

    def run_block(self, text, tmp_path):
        (block,) = [b for b in self.blocks() if text in b]
        env = self.course_folder(tmp_path)
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result

    def test_make_grade_writes_one_csv_of_the_folder(self, tmp_path):
        self.run_block("make grade", tmp_path)
        name = ASSIGNMENTS[0]
        with open(tmp_path / "results" / f"{name}.csv", newline="") as f:
            rows = {row["student"]: row for row in csv.DictReader(f)}
        assert set(rows) == {"(points possible)", "student_blank"}
        assert float(rows["student_blank"]["autograded"]) == 0
        assert (tmp_path / "results" / f"{name}-written.md").is_file()

    def test_otter_run_loop_writes_the_results_of_each_submission(self, tmp_path):
        self.run_block("otter run", tmp_path)
        results = json.loads((tmp_path / "results" / "student_blank" / "results.json").read_text())
        scores = {t["name"]: t["score"] for t in results["tests"] if "score" in t}
        assert scores == {q: 0 for q in autograded(ASSIGNMENTS[0])}

    def test_otter_grade_command_uses_options_that_otter_has(self, tmp_path, monkeypatch):
        from otter.cli import cli

        self.course_folder(tmp_path)
        monkeypatch.chdir(tmp_path)  # otter grade wants the submissions folder to exist

        (block,) = [b for b in self.blocks() if "otter grade " in b]
        (line,) = [l for l in block.splitlines() if l.startswith("otter grade ")]
        args = [a.strip('"') for a in line.split()[2:]]
        assert "-n" in args and "-a" in args and "-o" in args
        context = cli.commands["grade"].make_context("grade", args)
        assert context.params["name"] and context.params["autograder"] and context.params["paths"]


def _zip_contents(path):
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}
