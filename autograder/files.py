"""File utilities of a batch: the output folder's lock, atomic writes, safe names, keys."""

import fcntl
import hashlib
import os
import re
from pathlib import Path


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
