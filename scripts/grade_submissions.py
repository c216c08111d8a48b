"""Grade a folder of submissions of one assignment without Docker, into one CSV.

    python scripts/grade_submissions.py a1-clustered-exams submissions/             # -> results/
    python scripts/grade_submissions.py a1-clustered-exams submissions/ --output-dir grades/
    make grade ASSIGNMENT=a1-clustered-exams SUBMISSIONS=submissions/

A submission is a student's notebook (``.ipynb``) or the zip that the notebook's export cell makes
(``.zip``, holding the notebook and a PDF of the written answers); the student is the file name
without its extension. Each one is graded with the committed autograder
(``assignments/<name>/dist/autograder/<name>-autograder_*.zip``) by ``otter.api.grade_submission``,
which runs the notebook in the current environment (the course environment: use this only on
submissions you are willing to run) and then every test, hidden ones too.

Two files are written into the output folder:

- ``<name>.csv``: a row per student, a column per question in the assignment's order, then
  ``autograded``, ``written`` and ``total``. The first row, ``(points possible)``, gives each
  column's points. Autograded questions are filled in; the written questions, ``written`` and
  ``total`` are left empty for the grader (``total`` is the autograded score plus the written
  one). A submission that could not be graded keeps its row, empty, with the reason in ``note``.
- ``<name>-written.md``: the written questions one by one, each with its rubric and then every
  student's answer, to grade question by question and fill in the CSV.
"""
import argparse
import csv
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "assignments"


def master_questions(name):
    """The questions of an assignment, in order: dicts with name, points, manual, prompt, rubric."""
    nb = nbformat.read(ASSIGNMENTS / name / f"{name}.ipynb", as_version=4)
    questions, current, in_solution = [], None, False
    for cell in nb.cells:
        text = cell.source.strip()
        if cell.cell_type == "raw" and text.startswith("# BEGIN QUESTION"):
            config = dict(line.split(":", 1) for line in text.splitlines()[1:] if ":" in line)
            current = {"name": config["name"].strip(), "points": float(config.get("points", 1)),
                       "manual": config.get("manual", "false").strip().lower() == "true",
                       "prompt": None, "rubric": ""}
            questions.append(current)
        elif cell.cell_type == "raw" and text in ("# BEGIN SOLUTION", "# END SOLUTION"):
            in_solution = text == "# BEGIN SOLUTION"
        elif cell.cell_type == "raw" and text == "# END QUESTION":
            current = None
        elif current is not None and cell.cell_type == "markdown":
            if current["prompt"] is None:
                current["prompt"] = text
            elif in_solution and "**Rubric" in text:
                current["rubric"] = text[text.index("**Rubric"):]
    return questions


def autograder_zip(name):
    found = sorted((ASSIGNMENTS / name / "dist" / "autograder").glob(f"{name}-autograder_*.zip"))
    if len(found) != 1:
        sys.exit(f"Expected one autograder zip in assignments/{name}/dist/autograder, found {len(found)}: "
                 f"run `python scripts/build_assignments.py {name}`.")
    return found[0]


def submissions(folder):
    paths = sorted(p for p in Path(folder).iterdir() if p.suffix in (".ipynb", ".zip"))
    if not paths:
        sys.exit(f"No .ipynb or .zip submissions in {folder}.")
    stems = [p.stem for p in paths]
    duplicates = sorted({s for s in stems if stems.count(s) > 1})
    if duplicates:
        sys.exit(f"Two submissions for the same student (an .ipynb and a .zip?): {', '.join(duplicates)}.")
    return paths


def notebook_of(path, workdir):
    """The notebook of a submission: the file itself, or the one notebook inside an export zip."""
    if path.suffix == ".ipynb":
        return path
    with zipfile.ZipFile(path) as archive:
        inside = [n for n in archive.namelist() if n.endswith(".ipynb") and "/." not in n]
        if len(inside) != 1:
            raise ValueError(f"the zip holds {len(inside)} notebooks, not one")
        target = Path(workdir) / path.stem
        target.mkdir()
        return Path(archive.extract(inside[0], target))


def written_answers(notebook):
    """The student's cells of each written question, in order (between otter's question markers)."""
    answers, current = [], None
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown" and "<!-- END QUESTION -->" in cell.source and current is not None:
            answers.append(current)
            current = None
        if cell.cell_type == "markdown" and "<!-- BEGIN QUESTION -->" in cell.source:
            current = []
            continue
        if current is not None and "otter_answer_cell" in cell.metadata.get("tags", []):
            current.append(cell)
    return answers


def grade_one(notebook, zip_path):
    import otter.api

    result = otter.api.grade_submission(str(notebook), str(zip_path), quiet=True)
    return {question: score.score for question, score in result.results.items()}


def fmt(x):
    return f"{x:g}"


def grade_folder(name, folder, output_dir):
    questions = master_questions(name)
    zip_path = autograder_zip(name)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    manual = [q for q in questions if q["manual"]]
    auto_possible = sum(q["points"] for q in questions if not q["manual"])
    written_possible = sum(q["points"] for q in manual)
    header = ["student"] + [q["name"] for q in questions] + ["autograded", "written", "total", "note"]
    rows = [["(points possible)"] + [fmt(q["points"]) for q in questions]
            + [fmt(auto_possible), fmt(written_possible), fmt(auto_possible + written_possible), ""]]
    written = {q["name"]: [] for q in manual}
    with tempfile.TemporaryDirectory() as workdir:
        for path in submissions(folder):
            student = path.stem
            try:
                notebook = notebook_of(path, workdir)
                scores = grade_one(notebook, zip_path)
                answers = written_answers(notebook)
            except Exception as error:  # one bad submission must not stop the others
                note = f"not graded: {type(error).__name__}: {error}".replace("\n", " ")
                rows.append([student] + [""] * (len(questions) + 3) + [note])
                print(f"{student}: {note}")
                continue
            missing = [q["name"] for q in questions if not q["manual"] and q["name"] not in scores]
            auto = sum(scores.get(q["name"], 0.0) for q in questions if not q["manual"])
            rows.append([student] + ["" if q["manual"] else fmt(round(scores.get(q["name"], 0.0), 4))
                                     for q in questions]
                        + [fmt(round(auto, 4)), "", "",
                           f"no result for {', '.join(missing)}" if missing else ""])
            for question, cells in zip(manual, answers):
                written[question["name"]].append((student, cells))
            print(f"{student}: {fmt(round(auto, 4))} of {fmt(auto_possible)} autograded points")
    csv_path = output_dir / f"{name}.csv"
    with open(csv_path, "w", newline="") as f:
        csv.writer(f).writerows([header] + rows)
    sheet = output_dir / f"{name}-written.md"
    sheet.write_text(written_sheet(name, manual, written))
    return csv_path, sheet


def written_sheet(name, manual, written):
    lines = [f"# {name}: written answers", "",
             "Grade each question with its rubric and enter the points in the CSV's column of that "
             "question.", ""]
    for question in manual:
        prompt = re.sub(r"\s+", " ", question["prompt"])
        lines += [f"## {question['name']} ({fmt(question['points'])} points)", "", prompt, "",
                  question["rubric"] or "(no rubric in the master)", ""]
        for student, cells in written[question["name"]]:
            lines += [f"### {student}", ""]
            for cell in cells:
                text = cell.source.strip() or "(empty)"
                lines += ([f"```python\n{text}\n```"] if cell.cell_type == "code" else [text]) + [""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", help="the assignment's folder name, e.g. a1-clustered-exams")
    parser.add_argument("submissions", help="a folder of submitted .ipynb (or export .zip) files")
    parser.add_argument("--output-dir", default="results", help="where to write the CSV (default: results)")
    args = parser.parse_args(argv)
    known = sorted(p.name for p in ASSIGNMENTS.iterdir() if (p / f"{p.name}.ipynb").is_file())
    if args.assignment not in known:
        sys.exit(f"Unknown assignment {args.assignment!r}. Known: {', '.join(known)}.")
    if not Path(args.submissions).is_dir():
        sys.exit(f"{args.submissions} is not a folder.")
    csv_path, sheet = grade_folder(args.assignment, args.submissions, args.output_dir)
    print(f"Grades in {csv_path}; written answers to grade in {sheet}.")


if __name__ == "__main__":
    main()
