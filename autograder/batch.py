"""Grade a class: parallel workers, one result file per submission, then the reports.

Each submission's result is written atomically to ``results/<chapter>/<student>.json`` with a
key made of the submission's content hash and the chapter's source hash. A rerun skips the
submissions whose key matches (finished), regrades those whose file changed, and never writes a
grade twice. The gradebook, ``grades.csv`` and ``grades.json`` are rebuilt from the result files
at the end of every batch. A lock file keeps two batches out of the same output folder.
"""

import csv
import fcntl
import hashlib
import io
import json
import os
import re
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import grading
from .release import chapters as list_chapters
from .sandbox import describe_isolation
from .submissions import discover, extract_zip


class BatchLocked(Exception):
    """Another batch holds the output folder."""


class Lock:
    """``fcntl`` lock on ``DIR/.autograder.lock``; the kernel drops it if the process dies."""

    def __init__(self, out_dir, wait=False):
        self.path = Path(out_dir) / ".autograder.lock"
        self.wait = wait

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")  # noqa: SIM115
        flags = fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(self.fh, flags)
        except BlockingIOError:
            self.fh.close()
            raise BatchLocked(f"outra correção está em andamento em {self.path.parent}") from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def write_atomic(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def safe_name(name):
    clean = re.sub(r"[^\w.\-]", "_", name).strip(".") or "aluno"
    if clean != name:
        clean += "-" + hashlib.sha256(name.encode()).hexdigest()[:6]
    return clean


def submission_key(sub, source_key):
    if sub.path is None:
        return f"missing:{source_key}"
    digest = hashlib.sha256()
    with open(sub.path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"{digest.hexdigest()[:32]}:{source_key}"


def _grade_one(task):
    """Worker: grade one submission and write its result file."""
    sub, source_path, result_path, key, limits, cache_dir = task
    try:
        result = grading.grade_notebook(source_path, sub.path or Path("/nonexistent"),
                                        limits=limits, cache_dir=cache_dir)
    except Exception as exc:  # a grading bug must not lose the rest of the batch
        cells = grading.load_source(source_path)
        result = grading._empty_result(cells, sub.chapter, "internal error",
                                       f"{type(exc).__name__}: {exc}")
    if sub.note:
        result.notes.insert(0, sub.note)
    record = {"key": key, "student": sub.student, "chapter": sub.chapter,
              "submission": str(sub.path) if sub.path else None, "graded_at": time.time(),
              "result": result.to_dict()}
    write_atomic(result_path, json.dumps(record, ensure_ascii=False, indent=1))
    return sub.student, sub.chapter, result.status, result.score


def grade_batch(submissions, course_dir, out_dir, *, workers=2, chapter=None, limits=None,
                wait=False, log=print, cache_dir=None):
    """Grade everything under ``submissions`` (folder or zip); returns the report rows."""
    out_dir = Path(out_dir).resolve()
    course_dir = Path(course_dir).resolve()
    with Lock(out_dir, wait=wait):
        root = Path(submissions)
        if root.is_file() and root.suffix.lower() == ".zip":
            root = extract_zip(root, out_dir / "unzipped")
        names = list_chapters(course_dir)
        if chapter and chapter not in names:
            raise ValueError(f"capítulo {chapter} não existe em {course_dir}")
        subs = discover(root, names, chapter)
        cache_dir = Path(cache_dir or out_dir / "cache")
        source_keys, sources = {}, {}
        for chap in sorted({s.chapter for s in subs}):
            sources[chap] = course_dir / chap / f"{chap}.ipynb"
            source_keys[chap] = grading.source_hash(sources[chap])
            grading.reference(sources[chap], limits, cache_dir)  # once, before the workers
        tasks, current = [], []
        for sub in subs:
            result_path = out_dir / "results" / sub.chapter / f"{safe_name(sub.student)}.json"
            key = submission_key(sub, source_keys[sub.chapter])
            current.append(result_path)
            if result_path.exists():
                try:
                    if json.loads(result_path.read_text(encoding="utf-8"))["key"] == key:
                        continue  # already graded, unchanged
                except (ValueError, KeyError):
                    pass
            tasks.append((sub, sources[sub.chapter], result_path, key, limits, cache_dir))
        log(f"{len(subs)} entregas, {len(tasks)} a corrigir, {len(subs) - len(tasks)} já "
            f"corrigidas; isolamento: {describe_isolation()}")
        t0 = time.monotonic()
        if workers <= 1:
            done = map(_grade_one, tasks)
        else:
            pool = ProcessPoolExecutor(max_workers=workers)
            done = pool.map(_grade_one, tasks)
        for student, chap, status, score in done:
            log(f"  {student} / {chap}: {status} ({score if score is not None else '-'})")
        if workers > 1:
            pool.shutdown()
        if tasks:
            log(f"{len(tasks)} entregas em {time.monotonic() - t0:.1f} s")
        changed = [c for c, k in source_keys.items() if grading.source_hash(sources[c]) != k]
        if changed:
            raise RuntimeError(f"o código-fonte do curso mudou durante a correção: {changed}")
        rows = write_reports(out_dir, current, course_dir)
    return rows


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


def write_reports(out_dir, result_paths, course_dir=None):
    """grades.json, grades.csv and the nbgrader gradebook from the result files."""
    records = []
    for path in result_paths:
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


def _fill_gradebook(out_dir, records, db_url):
    from nbgrader.api import Gradebook

    db_url = db_url or os.environ.get("AUTOGRADER_DB_URL") or \
        f"sqlite:///{Path(out_dir) / 'gradebook.db'}"
    with Gradebook(db_url, course_id="curso-rnn") as gb:
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
