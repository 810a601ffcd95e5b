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
import re
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .confine import (
    Limits,
    command,
    describe_isolation,
    folder_exceeds,
    is_root,
    limit_resources,
    quota_is_watched,
    quota_workdir,
    release_workdir,
    separate_uid,
    sweep,
    user_process_count,
)
from .forbid import plan_for_job

MAX_CAPTURE_BYTES = 256 << 20
# what one run's captures may take in the grader's memory, all cells together (sent and loaded)
MAX_RUN_CAPTURE_BYTES = 512 << 20
QUOTA_WATCH_SECONDS = 0.5  # without a tmpfs, how often the work folder is measured
MAX_ERROR_TEXT = 2000
# select() waits on pipes everywhere but Windows, where a thread reads the runner's pipe instead
POLL_PIPES = os.name != "nt"


@dataclass
class RunResult:
    statuses: dict = field(default_factory=dict)  # cell index -> ok|error|timeout|crash|not_run
    errors: dict = field(default_factory=dict)  # cell index -> (exception name, message)
    forbidden: dict = field(default_factory=dict)  # cell index -> [forbidden calls it made]
    captures: dict = field(default_factory=dict)  # test cell index -> {key: array}
    isolation: str = ""
    seconds: float = 0.0
    fatal: str | None = None
    notes: list = field(default_factory=list)  # pt-BR, for the feedback (a quota reached)


class _Channel:
    """The runner's event pipe: lines ``event cell token [fields] [size]``, then the payload.

    Learner code can write to the pipe too: what does not parse is skipped, and a stream that
    grows past the limits is dropped (which only sabotages that learner's own run); the grader
    decides which events count (:func:`_attempt`).
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
            fields = bytes(self.buf[:newline]).decode("ascii", "replace").split(" ")
            kind = fields[0]
            size = 0
            if kind in ("capture", "end"):
                try:
                    size = int(fields[-1])
                except ValueError:
                    size = -1
            if not 0 <= size <= MAX_CAPTURE_BYTES:
                del self.buf[:newline + 1]  # a malformed line: skip it
                continue
            end = newline + 1 + size
            if len(self.buf) < end:
                break
            events.append((fields, bytes(self.buf[newline + 1:end])))
            del self.buf[:end]
        if self.broken:
            self.buf.clear()
        return events


class _Commands:
    """The runner's stdin: what the grader sends, written as the pipe accepts it."""

    def __init__(self, pipe):
        self.pipe, self.pending = pipe, bytearray()
        os.set_blocking(pipe.fileno(), False)

    def send(self, data):
        self.pending += data
        self.flush()

    def flush(self):
        while self.pending:
            try:
                sent = os.write(self.pipe.fileno(), self.pending)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # the runner is gone
                self.pending.clear()
                return
            del self.pending[:sent]


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


def _clean_error(text):
    """(exception name, message) from the runner, bounded and reduced to plain characters."""
    name, _, message = text.partition("\n")
    name = re.sub(r"[^\w.]", "", name)[:60] or "Exception"
    return name, message[:MAX_ERROR_TEXT] or None


def _attempt(workdir, uid, limits, deadline, result, schedule, mode, groups, captured,
             observe=False):
    """One run of the runner over ``schedule`` (the cells still to run, in order).

    Returns ('done'|'timeout'|'crash'|'deadline'|'fatal', cell). ``captured`` receives each
    test cell's capture (payload bytes), taken only while the grader runs that cell.
    """
    cmd, env = command(workdir, uid, limits.workdir_bytes)
    nproc = limits.max_processes
    if not is_root():
        others = user_process_count()
        nproc = None if others is None else nproc + others
    proc = subprocess.Popen(
        cmd, cwd=workdir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=limit_resources(limits, nproc),
    )
    channel, commands = _Channel(proc.stdout), _Commands(proc.stdin)
    plan = {"mode": mode, "groups": [sorted(g) for g in groups], "observe": observe,
            "plan": plan_for_job(groups),
            "cells": [[c["index"], c["kind"], c.get("group"), c.get("allow") or []]
                      for c in schedule]}
    commands.send(json.dumps(plan).encode() + b"\n")
    ready, position, current, token, began = False, 0, None, None, time.monotonic()
    started = measured = began
    watched = quota_is_watched(workdir)

    def next_cell():
        nonlocal position, current, token, started
        if position >= len(schedule):
            current = None
            return
        cell = schedule[position]
        position += 1
        current, token, started = cell["index"], secrets.token_hex(16), time.monotonic()
        source = cell["source"].encode("utf-8", "replace")
        commands.send(f"{current} {token} {len(source)}\n".encode() + source)

    try:
        while True:
            exited = proc.poll() is not None
            commands.flush()
            events = channel.read(0.0 if exited else 0.02, chunks=300 if exited else 16)
            now = time.monotonic()
            for fields, payload in events:
                kind = fields[0]
                if kind == "ready" and not ready:
                    ready = True
                    next_cell()
                    continue
                if current is None or len(fields) < 3 or fields[1] != str(current) \
                        or not secrets.compare_digest(fields[2], token):
                    continue  # not the cell the grader is running: ignored
                if kind == "capture" and current not in captured and \
                        sum(map(len, captured.values())) + len(payload) <= MAX_RUN_CAPTURE_BYTES:
                    captured[current] = payload
                elif kind == "end" and len(fields) == 5:
                    text = payload.decode("utf-8", "replace")
                    result.statuses[current] = "error" if text else "ok"
                    if text:
                        result.errors[current] = _clean_error(text)
                    calls = [c for c in fields[3].split(",") if re.fullmatch(r"[\w.]{1,80}", c)]
                    if calls and fields[3] != "-":
                        result.forbidden[current] = calls[:20]
                    next_cell()
                    if current is None:
                        return "done", None
            if exited:
                break
            if now > deadline:
                _kill(proc)
                return "deadline", current
            if current is not None and now - started > limits.cell_timeout:
                _kill(proc)
                return "timeout", current
            if not ready and now - began > 120:
                _kill(proc)
                return "fatal", None
            if watched and now - measured > QUOTA_WATCH_SECONDS:
                measured = now
                if folder_exceeds(workdir, limits.workdir_bytes):
                    _kill(proc)
                    return "quota", current
    finally:
        for pipe in (proc.stdout, proc.stdin):
            try:
                pipe.close()
            except OSError:
                pass
        _kill_group(proc)  # what the runner left in its group
        proc.wait()
        sweep(uid)
    if not ready:
        return "fatal", None
    if current is None:
        return "done", None
    return "crash", current


def load_within(captured, budget=MAX_RUN_CAPTURE_BYTES):
    """{cell index: arrays} of ``captured`` ({cell index: npz bytes}, emptied as it goes), in
    cell order, while the arrays' declared sizes fit in ``budget`` all together: a cell past
    it records nothing (its test fails), and the grader's memory stays bounded."""
    records = {}
    for index in sorted(captured):
        record = _load_npz(captured.pop(index), min(budget, MAX_CAPTURE_BYTES))
        if record is not None:
            records[index] = record
            budget -= sum(a.nbytes for a in record.values())
    return records


def _load_npz(data, limit=MAX_CAPTURE_BYTES):
    """A capture's arrays, loaded without pickle; None when it is not a plain ``.npz`` whose
    arrays, as their headers declare them, fit in ``limit`` bytes together."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            declared = 0
            for info in zf.infolist():
                if info.file_size > limit:
                    return None
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                   else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read_header(fh)
                if dtype.hasobject:
                    return None
                declared += int(np.prod(shape, dtype=object)) * max(dtype.itemsize, 1)
                if declared > limit:
                    return None
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


def _groups(cells):
    """The distinct forbid lists of ``cells`` and each cell's group index (or None)."""
    groups = []
    for c in cells:
        forbid = frozenset(c.get("forbid") or ())
        if forbid and forbid not in groups:
            groups.append(forbid)
    return groups


def _fill(workdir, data_dir, uid):
    """The chapter's data files in the work folder (never a notebook, a hidden file or a
    link), owned by the runner's ``uid`` where it has its own."""
    if data_dir is not None:
        for item in Path(data_dir).iterdir():
            if item.suffix == ".ipynb" or item.name.startswith(".") or item.is_symlink():
                continue  # the source notebook holds solutions: never in the sandbox
            if item.is_dir():
                shutil.copytree(item, Path(workdir) / item.name, ignore=_not_plain)
            elif item.is_file():
                shutil.copy2(item, workdir)
    if separate_uid():
        for path in [Path(workdir), *Path(workdir).rglob("*")]:
            os.chown(path, uid, uid)


def _empty(workdir):
    for item in Path(workdir).iterdir():
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)


def run_cells(cells, mode, limits=None, data_dir=None, uid=None, observe=False):
    """Run ``cells`` ([{index, source, kind, forbid, allow}]) in a sandbox; ``mode`` is
    'graded' or 'self'. ``forbid`` (optional): what the cell's exercise forbids, but the names
    in ``allow`` (see ``forbid``); with ``observe``, forbidden calls are recorded, not refused.
    """
    limits = limits or Limits()
    uid = uid if uid is not None else 100000 + os.getpid()  # unique among live graders
    result = RunResult(isolation=describe_isolation())
    t0 = time.monotonic()
    deadline = t0 + limits.notebook_timeout
    workdir = tempfile.mkdtemp(prefix=f"autograder-run-{os.getpid()}-")
    groups = _groups(cells)
    cells = [dict(c, group=groups.index(frozenset(c["forbid"])) if c.get("forbid") else None)
             for c in cells]
    captured = {}
    try:
        quota_workdir(workdir, limits.workdir_bytes)
        _fill(workdir, data_dir, uid)
        skip, retried = {}, False
        for _ in range(limits.max_restarts + 2):
            schedule = [c for c in cells if c["index"] not in skip]
            captured = {}
            result.forbidden.clear()
            outcome, cell = _attempt(workdir, uid, limits, deadline, result, schedule, mode,
                                     groups, captured, observe)
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
            if outcome == "quota":  # the rerun starts from the data, not what filled the folder
                result.notes.append("uma célula passou da cota de disco da pasta de trabalho")
                _empty(workdir)
                _fill(workdir, data_dir, uid)
            for c in cells:  # forget statuses after the failure: the rerun sets them again
                if c["index"] >= cell:
                    result.statuses.pop(c["index"], None)
                    result.errors.pop(c["index"], None)
            if outcome == "deadline":
                break
        result.captures = load_within(captured)
        result.statuses.update(skip)
        for c in cells:
            result.statuses.setdefault(c["index"], "not_run")
    finally:
        release_workdir(workdir)
    result.seconds = time.monotonic() - t0
    return result
