"""``grade --scheduler``: a Dask scheduler and two workers, separate processes on 127.0.0.1."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from classkit import EXPECTED, write_class
from conftest import CHAPTER, COURSE, SOURCE

from autograder.distributed import SchedulerError, grade_on_cluster

ROOT = COURSE.parents[3]


def _port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spawn(args, log):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.Popen([sys.executable, "-m", *args], stdout=log, stderr=subprocess.STDOUT,
                            env=env, cwd=log.name.rsplit("/", 1)[0], start_new_session=True)


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def cluster(folder, workers=2):
    """(address, worker processes): a scheduler and ``workers`` workers without nanny."""
    from distributed import Client

    folder.mkdir(parents=True, exist_ok=True)
    address = f"tcp://127.0.0.1:{_port()}"
    procs = []
    with open(folder / "cluster.log", "w") as log:
        try:
            procs.append(_spawn(["distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                 "--port", address.rsplit(":", 1)[1], "--no-dashboard"], log))
            for _ in range(workers):
                procs.append(_spawn(["distributed.cli.dask_worker", address, "--nthreads", "1",
                                     "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                                     "--local-directory", str(folder), "--death-timeout", "60"],
                                    log))
            deadline = time.monotonic() + 60
            while True:  # the scheduler may not listen yet
                try:
                    with Client(address, timeout=5) as client:
                        client.wait_for_workers(workers, timeout=60)
                    break
                except OSError:
                    assert time.monotonic() < deadline, (folder / "cluster.log").read_text()
                    time.sleep(0.5)
            yield address, procs[1:]
        finally:
            for proc in reversed(procs):
                _stop(proc)


def _grade(subs, out, address, **kw):
    cmd = [sys.executable, "-m", "autograder", "grade", str(subs), "--course", str(COURSE),
           "--out", str(out), "--scheduler", address, "--cell-timeout", "6"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def _results(out):
    folder = out / "results" / CHAPTER
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")} \
        if folder.is_dir() else {}


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """One scheduler and two workers for this module (the last test kills a worker)."""
    with cluster(tmp_path_factory.mktemp("dask")) as running:
        yield running


def test_cluster_grades_like_the_local_run(tmp_path, source_nb, released, dask_cluster):
    address, _ = dask_cluster
    subs = write_class(tmp_path / "entregas", source_nb, released)
    run = _grade(subs, tmp_path / "turma", address)
    assert run.returncode == 0, run.stderr + run.stdout
    assert "cluster Dask em tcp://127.0.0.1" in run.stdout and "2 workers" in run.stdout
    rows = json.loads((tmp_path / "turma" / "grades.json").read_text())
    assert {r["student"]: r["total"] for r in rows} == EXPECTED  # what the local run gives


def test_unreachable_scheduler_is_named():
    with pytest.raises(SchedulerError, match="127.0.0.1:9"):
        list(grade_on_cluster("tcp://127.0.0.1:9", [object()], [], "/tmp", timeout=2))


def test_worker_killed_mid_batch_then_rerun_finishes(tmp_path, dask_cluster):
    """Last in this module: it kills one of the module cluster's workers."""
    subs, out = tmp_path / "entregas", tmp_path / "turma"
    for i in range(6):
        (subs / f"aluno{i}").mkdir(parents=True)
        (subs / f"aluno{i}" / f"{CHAPTER}.ipynb").write_bytes(SOURCE.read_bytes())
    address, workers = dask_cluster
    cmd = [sys.executable, "-m", "autograder", "grade", str(subs), "--course", str(COURSE),
           "--out", str(out), "--scheduler", address, "--cell-timeout", "6"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, start_new_session=True)
    deadline = time.monotonic() + 180
    while len(_results(out)) < 2:
        assert time.monotonic() < deadline and first.poll() is None, first.stdout.read()
        time.sleep(0.1)
    at_kill = len(_results(out))
    os.killpg(workers[0].pid, signal.SIGKILL)  # one worker machine dies mid-batch
    workers[0].wait()
    try:
        first.wait(timeout=240)  # the other worker takes over, or the batch gives up
    except subprocess.TimeoutExpired:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    before = _results(out)
    again = _grade(subs, out, address)
    assert again.returncode == 0, again.stderr + again.stdout
    after = _results(out)
    assert at_kill < 6 and len(after) == 6
    for name, record in before.items():
        assert after[name]["graded_at"] == record["graded_at"]  # never graded twice
    rows = json.loads((out / "grades.json").read_text())
    assert len(rows) == 6 and all(r["total"] == 7 and r["status"] == "ok" for r in rows)
    assert not list(out.rglob("*.tmp"))
