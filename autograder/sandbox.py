"""Run notebook cells in a sandbox, with time limits and restarts after a kill or a crash.

The execution protocol: the runner (``_runner``) reports through a pipe; a cell that runs past
its time limit is killed, a crash (``os._exit``, segfault) is noticed, and the notebook is run
again from the start with that cell left out, so the credit before and after it is kept. Where
the sandbox runs and what it may see is ``confine``'s business.
"""

import io
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .confine import (
    Limits,
    command,
    describe_isolation,
    is_root,
    limit_resources,
    separate_uid,
    sweep,
    user_process_count,
)

MAX_CAPTURE_BYTES = 256 << 20
# select() waits on pipes everywhere but Windows, where a thread reads the runner's pipe instead
POLL_PIPES = os.name != "nt"


@dataclass
class RunResult:
    statuses: dict = field(default_factory=dict)  # cell index -> ok|error|timeout|crash|not_run
    errors: dict = field(default_factory=dict)  # cell index -> (exception name, message)
    captures: dict = field(default_factory=dict)  # test cell index -> {key: array}
    isolation: str = ""
    seconds: float = 0.0
    fatal: str | None = None


class _Channel:
    """The runner's pipe: JSON event lines, each followed by its ``size`` bytes of payload.

    Anything that does not parse is skipped; a stream that grows past the limits is dropped
    (the student's code can write to the pipe too, which only sabotages its own run).
    """

    def __init__(self, pipe):
        self.fd, self.buf, self.open, self.broken = pipe.fileno(), bytearray(), True, False
        self.chunks = None
        if not POLL_PIPES:
            self.chunks = queue.Queue()
            threading.Thread(target=self._pump, args=(os.dup(self.fd),), daemon=True).start()

    def _pump(self, fd):
        """Thread (no select on Windows' pipes): the pipe's chunks into a queue, b"" at its end.
        It reads its own copy of the descriptor, so the grader may close the pipe any time."""
        try:
            while data := os.read(fd, 1 << 20):
                self.chunks.put(data)
        except OSError:
            pass
        finally:
            os.close(fd)
            self.chunks.put(b"")

    def _receive(self, timeout, chunks):
        """Up to ``chunks`` reads of the pipe, waiting ``timeout`` seconds for the first."""
        if self.chunks is not None:
            try:
                yield self.chunks.get(timeout=timeout)
                for _ in range(chunks - 1):
                    yield self.chunks.get_nowait()
            except queue.Empty:
                pass
            return
        ready = select.select([self.fd], [], [], timeout)[0]
        while ready and chunks:
            yield os.read(self.fd, 1 << 20)
            chunks -= 1
            ready = select.select([self.fd], [], [], 0)[0]

    def read(self, timeout, chunks=16):
        """Events available now, waiting up to ``timeout`` seconds for the first bytes."""
        if not self.open:
            time.sleep(timeout)
            return []
        for data in self._receive(timeout, chunks):
            if not data:
                self.open = False
                break
            if not self.broken:
                self.buf += data
        return self._parse()

    def _parse(self):
        events = []
        while not self.broken:
            newline = self.buf.find(b"\n")
            if newline < 0:
                self.broken = len(self.buf) > 1 << 20
                break
            try:
                event = json.loads(self.buf[:newline])
                size = int(event.get("size", 0))
            except (ValueError, TypeError, AttributeError):
                del self.buf[:newline + 1]
                continue
            if not 0 <= size <= MAX_CAPTURE_BYTES:
                self.broken = True
                break
            end = newline + 1 + size
            if len(self.buf) < end:
                break
            event["payload"] = bytes(self.buf[newline + 1:end])
            del self.buf[:end]
            events.append(event)
        if self.broken:
            self.buf.clear()
        return events


def _kill_group(proc):
    """Kill the runner and what it left in its process group (just the runner on Windows)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except ProcessLookupError:
        pass


def _kill(proc):
    _kill_group(proc)
    proc.wait()


def _attempt(workdir, uid, limits, deadline, result, cells, captured):
    """One run of the runner; returns ('done'|'timeout'|'crash'|'deadline'|'fatal', cell).

    ``captured`` receives the first capture of each test cell (the payload bytes).
    """
    cmd, env = command(workdir, uid)
    nproc = limits.max_processes
    if not is_root():
        others = user_process_count()
        nproc = None if others is None else nproc + others
    known = {c["index"] for c in cells}
    tests = {c["index"] for c in cells if c["kind"] == "test"}
    proc = subprocess.Popen(
        cmd, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=limit_resources(limits, nproc),
    )
    channel = _Channel(proc.stdout)
    current, ready, done = None, False, False
    began = last = started = time.monotonic()
    try:
        while True:
            exited = proc.poll() is not None
            events = channel.read(0.0 if exited else 0.02, chunks=300 if exited else 16)
            now = time.monotonic()
            for ev in events:
                last = now
                kind, cell = ev.get("event"), ev.get("cell")
                if kind == "ready":
                    ready = True
                elif kind == "done":
                    done = True
                elif cell not in known or isinstance(cell, bool):
                    continue
                elif kind == "start":
                    current, started = cell, now
                elif kind == "capture" and cell in tests:
                    captured.setdefault(cell, ev["payload"])
                elif kind == "end":
                    error = ev.get("error")
                    result.statuses[cell] = "error" if error else "ok"
                    if error:
                        result.errors[cell] = (str(error), ev.get("message"))
                    current = None
            if exited:
                break
            if now > deadline:
                _kill(proc)
                return "deadline", current
            if current is not None and now - started > limits.cell_timeout:
                _kill(proc)
                return "timeout", current
            if ready and current is None and now - last > limits.cell_timeout:
                _kill(proc)  # stuck between cells
                return "timeout", None
            if not ready and now - began > 120:
                _kill(proc)
                return "fatal", None
    finally:
        proc.stdout.close()
        _kill_group(proc)  # what the runner left in its group
        proc.wait()
        sweep(uid)
    if done:
        return "done", None
    if current is None and not ready:
        return "fatal", None
    return "crash", current


def _load_npz(data):
    """A capture's arrays, loaded without pickle; None when it is not a plain ``.npz``."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except Exception:  # corrupt or pickled: the student simply recorded nothing
        return None


def _load_captures(directory):
    """Captures saved as ``<cell>.npz`` files (the reference cache)."""
    captures = {}
    for path in Path(directory).glob("[0-9]*.npz"):
        if path.stat().st_size <= MAX_CAPTURE_BYTES:
            record = _load_npz(path.read_bytes())
            if record is not None:
                captures[int(path.stem)] = record
    return captures


def _not_plain(folder, names):
    """``copytree`` filter: only plain files and folders (no links, pipes or devices)."""
    paths = {n: os.path.join(folder, n) for n in names}
    return [n for n, p in paths.items()
            if os.path.islink(p) or not (os.path.isfile(p) or os.path.isdir(p))]


def run_cells(cells, mode, limits=None, data_dir=None, uid=None):
    """Run ``cells`` ([{index, source, kind}]) in a sandbox; ``mode`` is 'graded' or 'self'."""
    limits = limits or Limits()
    uid = uid if uid is not None else 100000 + os.getpid()  # unique among live graders
    result = RunResult(isolation=describe_isolation())
    t0 = time.monotonic()
    deadline = t0 + limits.notebook_timeout
    workdir = tempfile.mkdtemp(prefix=f"autograder-run-{os.getpid()}-")
    captured = {}
    try:
        if data_dir is not None:
            for item in Path(data_dir).iterdir():
                if item.suffix == ".ipynb" or item.name.startswith(".") or item.is_symlink():
                    continue  # the source notebook holds solutions: never in the sandbox
                if item.is_dir():
                    shutil.copytree(item, Path(workdir) / item.name, ignore=_not_plain)
                elif item.is_file():
                    shutil.copy2(item, workdir)
        if separate_uid():
            for path in [workdir, *Path(workdir).rglob("*")]:
                os.chown(path, uid, uid)
        skip, retried = {}, False
        for _ in range(limits.max_restarts + 2):
            job = {"mode": mode, "cells": cells, "skip": sorted(skip)}
            Path(workdir, "job.json").write_text(json.dumps(job), encoding="utf-8")
            captured = {}
            outcome, cell = _attempt(workdir, uid, limits, deadline, result, cells, captured)
            if outcome == "fatal" and not retried:
                retried = True  # the runner did not start (a loaded machine?): one more try
                continue
            if outcome == "fatal":
                result.fatal = "o ambiente de correção não iniciou"
                break
            if outcome == "done":
                break
            if cell is None:  # died between cells: blame the next cell not yet finished
                pending = [c["index"] for c in cells
                           if c["index"] not in skip and c["index"] not in result.statuses]
                cell = pending[0] if pending else None
            if cell is None:
                break
            skip[cell] = "timeout" if outcome in ("timeout", "deadline") else "crash"
            for c in cells:  # forget statuses after the failure: the rerun sets them again
                if c["index"] >= cell:
                    result.statuses.pop(c["index"], None)
                    result.errors.pop(c["index"], None)
            if outcome == "deadline":
                break
        loaded = {k: _load_npz(data) for k, data in captured.items()}
        result.captures = {k: rec for k, rec in loaded.items() if rec is not None}
        result.statuses.update(skip)
        for c in cells:
            result.statuses.setdefault(c["index"], "not_run")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.seconds = time.monotonic() - t0
    return result
