"""Put what ``grade`` produced where nbgrader's formgrader looks for it.

The formgrader counts a submission when ``submitted/<student>/<chapter>/`` exists, shows it as
graded when ``autograded/<student>/<chapter>/`` exists and the gradebook has a submission with
the same timestamp (``timestamp.txt``, or none), and opens ``autograded/.../<chapter>.ipynb``
for manual grading, with a comment box on each answer cell. So, for every graded submission:

- a copy of the notebook in ``submitted/`` (unless it was collected there by nbgrader);
- the graded notebook in ``autograded/``: the source notebook with the student's answer cells
  (by ``grade_id``; the same rebuild the grader ran), outputs cleared;
- in the gradebook: the answer cells as solution cells, a comment slot for each, and the
  submission's timestamp. The automatic scores are already there (``reports.write_gradebook``).
"""

import json
import shutil
import warnings
from pathlib import Path

from . import notebook as nbmod
from . import status as st
from .files import write_atomic


def _plain_name(name):
    return bool(name) and "/" not in name and not name.startswith(".")


def graded_notebook(source_nb, student_nb):
    """The source notebook with the student's answer cells in place, without outputs."""
    answers = {}
    for cell in student_nb.get("cells", []):
        gid = nbmod.nbgrader_meta(cell).get("grade_id") if isinstance(cell, dict) else None
        if isinstance(gid, str) and nbmod.cell_kind(cell) == "answer" and gid not in answers:
            answers[gid] = nbmod.source_text(cell)
    nb = json.loads(json.dumps(source_nb))
    for cell in nb["cells"]:
        gid = nbmod.nbgrader_meta(cell).get("grade_id")
        if nbmod.cell_kind(cell) == "answer" and gid in answers:
            cell["source"] = answers[gid]
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return nb


def _timestamp(folder):
    path = Path(folder) / "timestamp.txt"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def sync(out_dir, course_dir, db_url=None):
    """Fill ``submitted/``, ``autograded/`` and the gradebook for every graded submission;
    returns the number of submissions the formgrader will show."""
    from nbgrader.api import Comment, MissingEntry

    from .nbgrader_config import ensure_alembic_on_path
    from .reports import gradebook

    out_dir, course_dir = Path(out_dir), Path(course_dir)
    records = []
    for path in sorted((out_dir / "results").glob("*/*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        source = course_dir / record["chapter"] / f"{record['chapter']}.ipynb"
        if (record.get("submission") and Path(record["submission"]).is_file()
                and st.R_MISSING not in record["result"]["reasons"] and source.is_file()
                and _plain_name(record["student"]) and _plain_name(record["chapter"])):
            records.append((record, source))
    stamps = {}
    for record, source in records:
        student, chap = record["student"], record["chapter"]
        submitted = out_dir / "submitted" / student / chap
        original = Path(record["submission"]).resolve()
        if original.parent != submitted.resolve():
            submitted.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, submitted / f"{chap}.ipynb")
        stamps[(student, chap)] = _timestamp(original.parent) or _timestamp(submitted)
        try:
            student_nb = nbmod.load_json_notebook(original.read_bytes())
        except nbmod.InvalidNotebook:
            student_nb = {"cells": []}
        source_nb = json.loads(source.read_text(encoding="utf-8"))
        graded = out_dir / "autograded" / student / chap
        write_atomic(graded / f"{chap}.ipynb",
                     json.dumps(graded_notebook(source_nb, student_nb), ensure_ascii=False,
                                indent=1))
        if stamps[(student, chap)]:
            write_atomic(graded / "timestamp.txt", stamps[(student, chap)])
    from .roster import class_roster

    people = {p.usuario: p for p in class_roster(out_dir) or []}
    ensure_alembic_on_path()
    with warnings.catch_warnings(), gradebook(out_dir, db_url) as gb:
        warnings.simplefilter("ignore")
        for record, _ in records:
            who = people.get(record["student"])
            if who is not None:  # names in the formgrader's lists
                first, _, last = who.nome.partition(" ")
                gb.update_or_create_student(record["student"], first_name=first or None,
                                            last_name=last or None, email=who.email or None)
        chapters = {}
        for record, source in records:
            chapters.setdefault(record["chapter"], source)
        for chap, source in chapters.items():
            cells = nbmod.layout(json.loads(source.read_text(encoding="utf-8")))
            for c in cells:
                if c["kind"] == "answer":
                    gb.update_or_create_solution_cell(c["grade_id"], chap, chap)
        for record, _ in records:
            student, chap = record["student"], record["chapter"]
            gb.update_or_create_submission(chap, student, timestamp=stamps[(student, chap)])
            notebook = gb.find_submission_notebook(chap, chap, student)
            for cell in gb.find_notebook(chap, chap).solution_cells:
                try:
                    gb.find_comment(cell.name, chap, chap, student)
                except MissingEntry:
                    gb.db.add(Comment(cell_id=cell.id, notebook=notebook))
        gb.db.commit()
    return len(records)
