"""Runs a rebuilt notebook's cells inside the sandbox: ``python -m autograder._runner``.

Reads ``job.json`` from the working directory, runs each code cell in an IPython
InteractiveShell (magics work; no Jupyter kernel), appends progress to ``progress.jsonl`` and,
in graded mode, writes what each test cell recorded to ``captures/<cell>.npz``. The parent
process watches the progress file, enforces the time limits and decides everything else.
"""

import json
import os
import sys


def _log(fh, **event):
    fh.write(json.dumps(event) + "\n")
    fh.flush()


def _agg_backend(gui=None):
    import matplotlib

    matplotlib.use("Agg")
    return "agg", "agg"


def _error_text(result):
    err = result.error_before_exec or result.error_in_exec
    if err is None:
        return None, None
    return type(err).__name__, str(err)[:500]


def main():
    with open("job.json", encoding="utf-8") as fh:
        job = json.load(fh)
    graded = job["mode"] == "graded"
    os.makedirs("captures", exist_ok=True)
    progress = open("progress.jsonl", "a", encoding="utf-8")  # noqa: SIM115

    import numpy as np
    from IPython.core.interactiveshell import InteractiveShell

    import autograder.student as student

    student._GRADED = graded
    shell = InteractiveShell.instance()
    shell.enable_matplotlib = _agg_backend  # %matplotlib inline/widget: no kernel here
    skip = set(job["skip"])
    _log(progress, event="ready")
    for cell in job["cells"]:
        k = cell["index"]
        if k in skip:
            continue
        student._records.clear()
        _log(progress, event="start", cell=k)
        result = shell.run_cell(cell["source"], store_history=False)
        ename, message = _error_text(result)
        if graded and cell["kind"] == "test":
            records = dict(student._records)
            tmp = f"captures/.{k}.npz"
            with open(tmp, "wb") as out:
                np.savez(out, **records)
            os.replace(tmp, f"captures/{k}.npz")
        _log(progress, event="end", cell=k, error=ename, message=None if graded else message)
    _log(progress, event="done")
    progress.close()
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: student objects may misbehave in __del__


if __name__ == "__main__":
    main()
