"""Reports of a batch: ``grades.json``, ``grades.csv`` and nbgrader's gradebook.

Built from every result file in the output folder (``results/<chapter>/<student>.json``), so
grading chapter 02 and then chapter 04 into one folder reports both.
"""

import csv
import io
import json
import os
import warnings
from pathlib import Path

from .files import write_atomic


def _rows(records):
    rows = []
    for rec in records:
        res = rec["result"]
        row = {"student": rec["student"], "chapter": rec["chapter"], "status": res["status"],
               "reason": ";".join(res["reasons"]),
               "total": "" if res["score"] is None else res["score"],
               "max_total": res["max_score"]}
        row["cells"] = {c["grade_id"]: ("" if res["score"] is None else c["points"])
                        for c in res["cells"]}
        row["notes"] = res["notes"]
        row["isolation"] = res["isolation"]
        rows.append(row)
    return rows


def write_reports(out_dir):
    """grades.json, grades.csv and the nbgrader gradebook from every result file in ``out_dir``.
    """
    records = []
    for path in sorted((Path(out_dir) / "results").glob("*/*.json")):
        try:
            records.append(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    rows = _rows(records)
    write_atomic(Path(out_dir) / "grades.json", json.dumps(rows, ensure_ascii=False, indent=1))
    columns = []
    for row in rows:
        columns += [c for c in row["cells"] if c not in columns]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["student", "chapter", *columns, "total", "max_total", "status", "reason"])
    for row in rows:
        writer.writerow([row["student"], row["chapter"], *(row["cells"].get(c, "")
                         for c in columns), row["total"], row["max_total"], row["status"],
                         row["reason"]])
    write_atomic(Path(out_dir) / "grades.csv", buf.getvalue())
    write_gradebook(out_dir, records)
    return rows


def write_gradebook(out_dir, records, db_url=None):
    """Per-cell automatic scores in nbgrader's gradebook (SQLite here, or ``db_url``)."""
    from .nbgrader_config import ensure_alembic_on_path

    ensure_alembic_on_path()
    with warnings.catch_warnings():  # nbgrader's own SQLAlchemy warnings are noise here
        warnings.simplefilter("ignore")
        _fill_gradebook(out_dir, records, db_url)


def gradebook(out_dir, db_url=None):
    """nbgrader's Gradebook of the class folder (``AUTOGRADER_DB_URL`` when set)."""
    from nbgrader.api import Gradebook

    db_url = db_url or os.environ.get("AUTOGRADER_DB_URL") or \
        f"sqlite:///{Path(out_dir) / 'gradebook.db'}"
    return Gradebook(db_url, course_id="curso-rnn")


def _fill_gradebook(out_dir, records, db_url):
    with gradebook(out_dir, db_url) as gb:
        for chap in sorted({r["chapter"] for r in records}):
            gb.update_or_create_assignment(chap)
            gb.update_or_create_notebook(chap, chap)
            cells = {c["grade_id"]: c["max_points"] for r in records if r["chapter"] == chap
                     for c in r["result"]["cells"]}
            for gid, points in cells.items():
                gb.update_or_create_grade_cell(gid, chap, chap, max_score=points,
                                               cell_type="code")
        for rec in records:
            res = rec["result"]
            gb.update_or_create_student(rec["student"])
            gb.update_or_create_submission(rec["chapter"], rec["student"])
            for cell in res["cells"]:
                grade = gb.find_grade(cell["grade_id"], rec["chapter"], rec["chapter"],
                                      rec["student"])
                grade.auto_score = None if res["score"] is None else cell["points"]
                grade.needs_manual_grade = res["status"] != "ok"
            gb.db.commit()
