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

import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import grading
from .confine import describe_isolation, package_root, source_protected
from .files import BatchLocked, Lock, safe_name, submission_key, write_atomic  # noqa: F401
from .guard import Guard, apply_tamper_log, check_guard, end_worker, flag_tampered, init_worker
from .release import chapters as list_chapters
from .reports import write_reports
from .submissions import discover, extract_zip

SKIP_IN_COURSE = ("__pycache__", ".ipynb_checkpoints")


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
    changed = check_guard()
    if changed:
        flag_tampered(record["result"], changed)
    write_atomic(result_path, json.dumps(record, ensure_ascii=False, indent=1))
    return sub.student, sub.chapter, record["result"]["status"], result.score


def grade_batch(submissions, course_dir, out_dir, *, workers=2, chapter=None, limits=None,
                wait=False, log=print, cache_dir=None, scheduler=None):
    """Grade everything under ``submissions`` (folder or zip); returns the report rows.

    ``scheduler``: a Dask scheduler's address; the submissions are graded by its workers
    instead of ``workers`` local processes (see ``autograder.distributed``)."""
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
        if scheduler:
            from .distributed import grade_on_cluster

            done = grade_on_cluster(scheduler, tasks, [course_dir / c for c in sources],
                                    tamper_dir, log)
        elif workers <= 1:
            init_worker(guard, tamper_dir)
            done = map(_grade_one, tasks)
        else:
            pool = ProcessPoolExecutor(max_workers=workers, initializer=init_worker,
                                       initargs=(guard, tamper_dir))
            done = pool.map(_grade_one, tasks)
        try:
            for student, chap, status, score in done:
                log(f"  {student} / {chap}: {status} ({score if score is not None else '-'})")
        finally:
            if workers > 1 and not scheduler:
                pool.shutdown()
            end_worker()
        if tasks:
            log(f"{len(tasks)} entregas em {time.monotonic() - t0:.1f} s")
        if guard is not None:
            init_worker(guard, tamper_dir)
            if check_guard():
                log("aviso: arquivos da correção alterados depois das entregas; restaurados")
            end_worker()
            apply_tamper_log(tamper_dir, current, log)
        changed = [c for c, k in source_keys.items() if grading.source_hash(sources[c]) != k]
        if changed:  # not by a submission (it could not write them): someone edited the course
            log(f"aviso: o curso mudou durante a correção ({', '.join(changed)}); cada entrega "
                "foi corrigida com a versão que encontrou; rode de novo para usar só a nova")
        graded = {(s.student, s.chapter) for s in subs}
        rows = [r for r in write_reports(out_dir) if (r["student"], r["chapter"]) in graded]
    return rows
