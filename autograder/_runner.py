"""Runs a rebuilt notebook's cells inside the sandbox: ``python -m autograder._runner``.

The grader drives, one cell at a time, over the runner's stdin (see ``sandbox``): first the
schedule (mode, the exercises' forbid lists, each cell's index, kind and forbid list, no
source), then for each cell its source and a fresh token, only when that cell is to run. So
no cell is in the sandbox before it runs, hidden tests included. The runner answers on the pipe
it got as stdout: ``start``, in graded mode the ``capture`` of a test cell (an ``.npz`` of what
its ``check``/``quiz`` calls recorded) and ``end`` with the forbidden calls the cell made and
its error; each line carries the cell's token, which no learner code has seen before that cell
runs, and the grader accepts a cell's events only while it is running that cell.

Everything the runner uses after learner code has run was bound here before (the I/O
functions, the gates' switch in ``forbid``), so replacing ``json.dumps``, ``os.write`` or a
module attribute changes nothing the grader reads. The learner's own output goes to /dev/null.
Cells run in an IPython InteractiveShell (magics work; no Jupyter kernel; no automagic or
autocall, so ``time x = f()`` is a syntax error, not ``%time``).
"""

import io
import json
import linecache
import os
import select
import sys

MAX_MESSAGE = 2000


def _private_fds():
    """(command fd, event fd): private copies of stdin/stdout; fds 0, 1 and 2 -> /dev/null."""
    commands, events = os.dup(0), os.dup(1)
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    os.close(quiet)
    return commands, events


def _agg_backend(gui=None):
    import matplotlib

    matplotlib.use("Agg")
    return "agg", "agg"


def main():
    raw_read, raw_write, exit_now, wait = os.read, os.write, os._exit, select.select

    def read(fd, size):  # a learner may set O_NONBLOCK on these descriptors
        while True:
            try:
                return raw_read(fd, size)
            except BlockingIOError:
                wait([fd], [], [], 1.0)

    def write(fd, data):
        while True:
            try:
                return raw_write(fd, data)
            except BlockingIOError:
                wait([], [fd], [], 1.0)

    # builtins too: a learner may replace them in the builtins module
    len_, bytes_, int_, str_, type_, dict_ = len, bytes, int, str, type, dict
    commands, events = _private_fds()
    buffered = bytearray()

    def send(line, payload=b""):
        data = line.encode("utf-8", "replace") + b"\n" + payload
        while data:
            data = data[write(events, data):]

    def receive(size):
        while len_(buffered) < size:
            chunk = read(commands, 1 << 20)
            if not chunk:
                raise SystemExit(0)  # the grader is gone
            buffered.extend(chunk)
        data = bytes_(buffered[:size])
        del buffered[:size]
        return data

    def receive_line():
        while b"\n" not in buffered:
            chunk = read(commands, 1 << 16)
            if not chunk:
                raise SystemExit(0)
            buffered.extend(chunk)
        end = buffered.index(b"\n")
        line = bytes_(buffered[:end])
        del buffered[:end + 1]
        return line

    job = json.loads(receive_line())
    graded = job["mode"] == "graded"

    import numpy as np
    from IPython.core.interactiveshell import InteractiveShell

    import autograder.student as student
    from autograder.forbid import install

    student._GRADED = graded
    records, explain = student._records, student.explain
    savez, asarray = np.savez, np.asarray
    shell = InteractiveShell.instance()
    shell.automagic = False
    shell.autocall = 0
    shell.enable_matplotlib = _agg_backend  # %matplotlib inline/widget: no kernel here
    run_cell = shell.run_cell
    cache = linecache.cache
    enter, drain, adopt, trust = install([frozenset(g) for g in job["groups"]], shell.user_ns,
                                  observe=job["observe"], job_plan=job["plan"])
    here = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", here)]  # no imports of written files
    send("ready")
    for index, kind, group, allow in job["cells"]:
        enter(group, allow)
        header = receive_line().split(b" ")
        if len_(header) != 3 or int_(header[0]) != index:
            raise SystemExit(3)
        token = header[1].decode("ascii")
        source = receive(int_(header[2])).decode("utf-8", "replace")
        records.clear()
        cached = set(cache)
        trust(cached if kind == "test" else None)
        send(f"start {index} {token}")
        result = run_cell(source, store_history=False)
        if kind == "code":
            adopt(shell.user_ns)
        if kind == "test":  # IPython keeps each cell's text for tracebacks: not a test's
            for name in [n for n in cache if n not in cached]:
                cache.pop(name, None)
        if graded and kind == "test":
            buf = io.BytesIO()
            try:
                savez(buf, **{k: asarray(v) for k, v in dict_(records).items()})
            except Exception:  # what the learner put there cannot be saved: nothing recorded
                buf = io.BytesIO()
            data = buf.getvalue()
            send(f"capture {index} {token} {len_(data)}", data)
        error = result.error_before_exec or result.error_in_exec
        text = ""
        if error is not None:
            try:
                text = str_(type_(error).__name__)[:100]
                if not graded:  # self-study: numpy errors explained in pt-BR (student.explain)
                    text += "\n" + str_(explain(error) or error)[:MAX_MESSAGE]
            except BaseException:  # a learner's __str__ that fails or exits
                text = text or "Exception"
        payload = text.encode("utf-8", "replace")
        calls = ",".join(drain()) or "-"
        send(f"end {index} {token} {calls} {len_(payload)}", payload)
    send("done")
    exit_now(0)  # skip interpreter teardown: student objects may misbehave in __del__


if __name__ == "__main__":
    main()
