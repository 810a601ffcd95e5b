"""Grade a class: parallel workers, one result file per submission, then the reports.

Each submission's result is written atomically to ``results/<chapter>/<student>.json`` with a
key made of the submission's content hash and the chapter's source hash. A rerun skips the
submissions whose key matches (finished), regrades those whose file changed, and never writes a
grade twice. The gradebook, ``grades.csv`` and ``grades.json`` are rebuilt from the result files
at the end of every batch. A lock file keeps two batches out of the same output folder.

Where the sandbox cannot make the course and the packages read-only (``source_protected()`` is
false), a ``Guard`` keeps trusted copies of them: every worker checks them after each
submission and restores what changed, and the submissions graded while it changed are flagged
``needs_review`` (reason ``tampering``).
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
from .guard import Guard
from .release import chapters as list_chapters
from .sandbox import describe_isolation, package_root, source_protected
from .submissions import discover, extract_zip

SKIP_IN_COURSE = ("__pycache__", ".ipynb_checkpoints")
_WORKER = {}  # this process's guard, tamper log folder and last clean check (see _init_worker)


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


def _init_worker(guard, tamper_dir):
    _WORKER.update(guard=guard, tamper_dir=Path(tamper_dir), clean_at=time.time())


def _check_guard():
    """Restore what changed since this worker's last check; log when it may have changed."""
    guard = _WORKER.get("guard")
    if guard is None:
        return []
    began = time.time()
    changed = guard.changes()
    if changed:
        guard.restore(changed)
        mark = {"from": _WORKER["clean_at"], "to": time.time(),
                "paths": [str(p) for p in changed]}
        write_atomic(_WORKER["tamper_dir"] / f"{began:.6f}-{os.getpid()}.json", json.dumps(mark))
    _WORKER["clean_at"] = began
    return changed


def _flag_tampered(res, paths):
    """Mark a result (its dict form) as graded while trusted files were changed."""
    names = sorted({Path(p).name for p in paths})
    note = ("arquivos da correção alterados enquanto esta entrega era corrigida (restaurados): "
            + ", ".join(names[:10]))
    if note in res["notes"]:
        return False
    res["notes"].append(note)
    if "tampering" not in res["reasons"]:
        res["reasons"].append("tampering")
    res["status"] = "needs_review"
    return True


def _grade_one(task):
    """Worker: grade one submission and write its result file."""
    sub, source_path, result_path, key, limits, cache_dir = task
    started = time.time()
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
              "submission": str(sub.path) if sub.path else None, "started_at": started,
              "graded_at": time.time(), "result": result.to_dict()}
    changed = _check_guard()
    if changed:
        _flag_tampered(record["result"], changed)
    write_atomic(result_path, json.dumps(record, ensure_ascii=False, indent=1))
    return sub.student, sub.chapter, record["result"]["status"], result.score


def _apply_tamper_log(tamper_dir, result_paths, log):
    """Flag every result whose grading overlapped a logged change of the trusted files."""
    marks = []
    for path in sorted(Path(tamper_dir).glob("*.json")):
        try:
            marks.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    for path in result_paths:
        try:
            record = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        start = record.get("started_at", record["graded_at"])
        hits = [m for m in marks if start <= m["to"] and record["graded_at"] >= m["from"]]
        paths = [p for m in hits for p in m["paths"]]
        if hits and _flag_tampered(record["result"], paths):
            write_atomic(path, json.dumps(record, ensure_ascii=False, indent=1))
            log(f"  {record['student']} / {record['chapter']}: arquivos da correção alterados "
                "durante a correção (restaurados); marcado para revisão")


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
        guard, tamper_dir = None, out_dir / "tamper"
        if not source_protected():
            guard = Guard([(course_dir / c, SKIP_IN_COURSE) for c in sources]
                          + [(package_root(), ())]
                          + [(cache_dir / f"ref-{k}", ()) for k in source_keys.values()])
        log(f"{len(subs)} entregas, {len(tasks)} a corrigir, {len(subs) - len(tasks)} já "
            f"corrigidas; isolamento: {describe_isolation()}")
        t0 = time.monotonic()
        if workers <= 1:
            _init_worker(guard, tamper_dir)
            done = map(_grade_one, tasks)
        else:
            pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                       initargs=(guard, tamper_dir))
            done = pool.map(_grade_one, tasks)
        try:
            for student, chap, status, score in done:
                log(f"  {student} / {chap}: {status} ({score if score is not None else '-'})")
        finally:
            if workers > 1:
                pool.shutdown()
            _WORKER.clear()
        if tasks:
            log(f"{len(tasks)} entregas em {time.monotonic() - t0:.1f} s")
        if guard is not None:
            _init_worker(guard, tamper_dir)
            _WORKER["clean_at"] = time.time()  # nothing was graded after this point
            if _check_guard():
                log("aviso: arquivos da correção alterados depois das entregas; restaurados")
            _WORKER.clear()
            _apply_tamper_log(tamper_dir, current, log)
        changed = [c for c, k in source_keys.items() if grading.source_hash(sources[c]) != k]
        if changed:  # not by a submission (it could not write them): someone edited the course
            log(f"aviso: o curso mudou durante a correção ({', '.join(changed)}); cada entrega "
                "foi corrigida com a versão que encontrou; rode de novo para usar só a nova")
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
