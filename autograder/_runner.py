"""Runs a rebuilt notebook's cells inside the sandbox: ``python -m autograder._runner``.

Reads ``job.json`` from the working directory and runs each code cell in an IPython
InteractiveShell (magics work; no Jupyter kernel). Everything goes to the grader through the
pipe it gave as stdout, before any student code runs: progress events (JSON lines) and, in
graded mode, what each test cell recorded (an ``.npz`` payload after a ``capture`` header),
sent before the next cell starts. The grader keeps the first capture of each cell, so code
that runs later cannot replace values that already left. The student's own output goes to
/dev/null. The parent enforces the time limits and decides everything else.
"""

import io
import json
import os
import sys


def _channel():
    """The grader's pipe as a private file; fds 1 and 2 then point to /dev/null."""
    channel = os.fdopen(os.dup(1), "wb")
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    os.close(quiet)
    return channel


def _send(channel, event, payload=b""):
    header = dict(event, size=len(payload))
    channel.write(json.dumps(header).encode() + b"\n" + payload)
    channel.flush()


def _agg_backend(gui=None):
    import matplotlib

    matplotlib.use("Agg")
    return "agg", "agg"


def _error_text(result, explain=None):
    """(exception name, message); ``explain`` (self-study) turns numpy errors into pt-BR."""
    err = result.error_before_exec or result.error_in_exec
    if err is None:
        return None, None
    text = explain(err) if explain is not None else None
    return type(err).__name__, (text or str(err))[:1500]


def main():
    channel = _channel()
    with open("job.json", encoding="utf-8") as fh:
        job = json.load(fh)
    graded = job["mode"] == "graded"

    import numpy as np
    from IPython.core.interactiveshell import InteractiveShell

    import autograder.student as student

    student._GRADED = graded
    shell = InteractiveShell.instance()
    shell.enable_matplotlib = _agg_backend  # %matplotlib inline/widget: no kernel here
    here = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", here)]  # no imports of written files
    skip = set(job["skip"])
    _send(channel, {"event": "ready"})
    for cell in job["cells"]:
        k = cell["index"]
        if k in skip:
            continue
        student._records.clear()
        _send(channel, {"event": "start", "cell": k})
        result = shell.run_cell(cell["source"], store_history=False)
        ename, message = _error_text(result, None if graded else student.explain)
        if graded and cell["kind"] == "test":
            buf = io.BytesIO()
            np.savez(buf, **dict(student._records))
            _send(channel, {"event": "capture", "cell": k}, buf.getvalue())
        _send(channel, {"event": "end", "cell": k, "error": ename,
                        "message": None if graded else message})
    _send(channel, {"event": "done"})
    os._exit(0)  # skip interpreter teardown: student objects may misbehave in __del__


if __name__ == "__main__":
    main()
