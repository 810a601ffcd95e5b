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
    """Write ``text`` as UTF-8 atomically; a lone surrogate a submission smuggled in (a
    ``grade_id`` of "\\ud800", a folder name with the byte 0xff) is written escaped."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", errors="backslashreplace") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def safe_name(name):
    clean = re.sub(r"[^\w.\-]", "_", name, flags=re.ASCII).strip(".") or "aluno"
    if clean != name:
        raw = name.encode("utf-8", "surrogatepass")
        clean += "-" + hashlib.sha256(raw).hexdigest()[:6]
    return clean


def printable(text):
    """``text`` that any UTF-8 writer accepts: undecodable bytes and lone surrogates escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def submission_key(sub, source_key):
    if sub.path is None:
        return f"missing:{source_key}"
    digest = hashlib.sha256()
    with open(sub.path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"{digest.hexdigest()[:32]}:{source_key}"
