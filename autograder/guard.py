"""Trusted in-memory copies of the files a batch relies on: find changes and put them back.

Used when the sandbox cannot make those files read-only (no bubblewrap and no separate uid):
the batch checks them after every submission, restores what changed and flags the submissions
that were being graded while it happened.
"""

import json
import os
import shutil
import time
from pathlib import Path

from .files import write_atomic
from .status import NEEDS_REVIEW, R_TAMPERING

_WORKER = {}  # this process's guard, tamper log folder and last clean check (see init_worker)


class Guard:
    """Every file under ``roots`` ([(folder, names of subfolders to ignore)]), kept as bytes."""

    def __init__(self, roots):
        self.roots = [(Path(folder), frozenset(skip)) for folder, skip in roots
                      if Path(folder).is_dir()]
        self.files = {path: path.read_bytes() for path in self._entries()
                      if path.is_file() and not path.is_symlink()}
        self.modes = {path: path.stat().st_mode & 0o777 for path in self.files}

    def _entries(self):
        """Everything that is not a folder (files, links, pipes...), and links to folders."""
        for root, skip in self.roots:
            for folder, dirs, files in os.walk(root):
                dirs[:] = [d for d in dirs if d not in skip]
                links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
                for name in files + links:
                    yield Path(folder, name)

    def _same(self, path):
        trusted = self.files.get(path)
        if trusted is None or path.is_symlink() or not path.is_file():
            return False
        return path.stat().st_size == len(trusted) and path.read_bytes() == trusted

    def changes(self):
        """Paths that differ from the trusted copy: modified, replaced, added or missing."""
        found = set(self._entries())
        changed = {path for path in found if not self._same(path)}
        changed |= {path for path in self.files if path not in found}
        return sorted(changed)

    def restore(self, paths):
        """Put the trusted bytes back (atomically); remove what was added."""
        for path in paths:
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            trusted = self.files.get(path)
            if trusted is None:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.restore")
            tmp.write_bytes(trusted)
            tmp.chmod(self.modes[path])
            os.replace(tmp, path)


# tamper bookkeeping of a batch: each worker checks after each submission; the batch then
# flags every result whose grading overlapped a logged change
def init_worker(guard, tamper_dir):
    _WORKER.update(guard=guard, tamper_dir=Path(tamper_dir), clean_at=time.time())


def end_worker():
    _WORKER.clear()


def check_guard():
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


def flag_tampered(res, paths):
    """Mark a result (its dict form) as graded while trusted files were changed."""
    names = sorted({Path(p).name for p in paths})
    note = ("arquivos da correção alterados enquanto esta entrega era corrigida (restaurados): "
            + ", ".join(names[:10]))
    if note in res["notes"]:
        return False
    res["notes"].append(note)
    if R_TAMPERING not in res["reasons"]:
        res["reasons"].append(R_TAMPERING)
    res["status"] = NEEDS_REVIEW
    return True


def apply_tamper_log(tamper_dir, result_paths, log):
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
        if hits and flag_tampered(record["result"], paths):
            write_atomic(path, json.dumps(record, ensure_ascii=False, indent=1))
            log(f"  {record['student']} / {record['chapter']}: arquivos da correção alterados "
                "durante a correção (restaurados); marcado para revisão")
