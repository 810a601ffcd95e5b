"""Grading on a Dask distributed cluster: ``autograder grade ... --scheduler ADDRESS``.

The machine that runs ``grade`` holds the class folder's lock, finds the submissions, runs the
reference once and writes the reports, exactly as a local batch does; only the submissions go
to the cluster's workers. Each task is the same ``batch._grade_one`` a local worker process runs:
the submission is graded in the worker machine's sandbox (bubblewrap where installed) and its
result file is written atomically into the class folder, which every machine sees at the same
path (NFS or another shared volume). So a worker that dies loses only the submission it was
grading: Dask hands it to another worker, and if the whole batch is killed, a rerun grades only
what has no result yet.

A worker machine needs: this project at the same version (``pip install -e .``, which brings
``dask`` and ``distributed``), bubblewrap, and the course, the class folder and the submissions
mounted at the same paths as on the machine that runs ``grade``. Start the workers with
``--nthreads 1`` (one submission per process: the sandbox's uid and limits are per process).
"""

import os
from pathlib import Path

from .confine import package_root, source_protected
from .guard import Guard, init_worker

_GUARD = {}  # on a worker: {(roots): Guard}, trusted copies taken before its first submission


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be reached."""


def _grade_remote(task, course_roots, tamper_dir):
    """Runs on a Dask worker: the local worker's set-up (guard), then ``batch._grade_one``."""
    from .batch import SKIP_IN_COURSE, _grade_one

    guard = None
    if not source_protected():  # no bubblewrap/uid here: watch this machine's copies
        roots = tuple(course_roots)
        if roots not in _GUARD:
            _GUARD[roots] = Guard([(Path(r), SKIP_IN_COURSE) for r in roots]
                                  + [(package_root(), ())])
        guard = _GUARD[roots]
    init_worker(guard, tamper_dir)
    return _grade_one(task)


def _client(address, timeout):
    from distributed import Client

    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(f"não consegui falar com o escalonador Dask em {address}: {exc}. "
                             "Confira o endereço (tcp://máquina:8786) e se ele está rodando "
                             "(`dask scheduler`).") from None


def grade_on_cluster(address, tasks, course_roots, tamper_dir, log=print, timeout=30):
    """Send ``tasks`` (those of ``batch.grade_batch``) to the cluster; yield each outcome."""
    if not tasks:
        return
    from distributed import as_completed

    client = _client(address, timeout)
    try:
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
        if not workers:
            log(f"aviso: o escalonador {address} ainda não tem workers; as entregas esperam "
                "até algum se conectar")
        else:
            log(f"cluster Dask em {address}: {len(workers)} workers")
        roots = [str(r) for r in course_roots]
        futures = [client.submit(_grade_remote, task, roots, str(tamper_dir),
                                 key=f"autograder-{os.getpid()}-{i}", pure=False)
                   for i, task in enumerate(tasks)]
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
