"""Run notebook cells in a sandbox, with time limits and restarts after a kill or a crash.

Isolation, best first: bubblewrap (only the Python installation, the ``rnnlib`` and
``autograder`` packages and a fresh work dir are visible; no network; separate PID namespace;
an unprivileged uid when the grader runs as root), else ``unshare -n``, else nothing. Resource
limits (memory, processes, file size, CPU time) are always set with ``setrlimit``. The parent
watches ``progress.jsonl``: a cell that runs past its time limit is killed, a crash (``os._exit``,
segfault) is noticed, and the notebook is run again from the start with that cell left out, so the
credit before and after it is kept.
"""

import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
SANDBOX_PACKAGES = [PACKAGE_DIR, PROJECT_DIR / "rnnlib"]
MAX_CAPTURE_BYTES = 256 << 20


@dataclass
class Limits:
    cell_timeout: float = 30.0
    notebook_timeout: float = 300.0
    memory_bytes: int = 4 << 30
    max_processes: int = 64
    max_file_bytes: int = 64 << 20
    max_restarts: int = 4


@dataclass
class RunResult:
    statuses: dict = field(default_factory=dict)  # cell index -> ok|error|timeout|crash|not_run
    errors: dict = field(default_factory=dict)  # cell index -> (exception name, message)
    captures: dict = field(default_factory=dict)  # test cell index -> {key: array}
    isolation: str = ""
    seconds: float = 0.0
    fatal: str | None = None


def _works(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.cache
def isolation():
    """Name of the best isolation that works here: 'bwrap', 'unshare' or 'none'.

    ``AUTOGRADER_ISOLATION`` (one of those names) forces a weaker level, to test the fallbacks.
    """
    forced = os.environ.get("AUTOGRADER_ISOLATION")
    if forced in ("unshare", "none"):
        return forced if forced == "none" or shutil.which("unshare") else "none"
    if shutil.which("bwrap"):
        probe = tempfile.mkdtemp(prefix="autograder-probe-")
        try:
            if _works(_bwrap_command(probe, 60999) + [sys.executable, "-c", "import numpy"]):
                return "bwrap"
        finally:
            shutil.rmtree(probe, ignore_errors=True)
    if shutil.which("unshare") and _works(_unshare_prefix() + ["true"]):
        return "unshare"
    return "none"


def describe_isolation():
    """pt-BR description of the isolation in use (printed and stored with every grade)."""
    name = isolation()
    root = os.geteuid() == 0
    if name == "bwrap":
        return "bwrap" + ("+setpriv" if root else "") + "+rlimit"
    if name == "unshare":
        return "unshare-net+rlimit" + (" (sem limite de processos: root)" if root else "")
    return "rlimit" + (" (sem limite de processos: root)" if root else "")


def _unshare_prefix():
    return ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]


def _python_roots():
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parents[1]}
    return sorted({Path(os.path.realpath(r)) for r in roots} | set(roots))


def _bwrap_command(workdir, uid):
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--clearenv",
            # /tmp first: a later tmpfs would hide binds below it (a venv in a /tmp checkout)
            "--tmpfs", "/tmp"]
    bound = []

    def covered(path):
        return any(path == b or b in path.parents for b in bound)

    def bind(src, dst):
        dst = Path(dst)
        if covered(dst):
            return
        for anc in reversed(dst.parents):
            if anc != Path("/") and not covered(anc) and anc not in made:
                args.extend(["--perms", "0755", "--dir", str(anc)])
                made.add(anc)
        args.extend(["--ro-bind", str(src), str(dst)])
        bound.append(dst)

    made = set()
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32"):
        if os.path.islink(top):
            args.extend(["--symlink", os.readlink(top), top])
        elif os.path.isdir(top):
            bind(top, top)
    for etc in ("/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives"):
        if os.path.exists(etc):
            bind(etc, etc)
    for root in _python_roots():
        bind(root, root)
    for pkg in SANDBOX_PACKAGES:
        if pkg.is_dir():
            bind(pkg, Path("/opt/autograder-pkgs") / pkg.name)
    args += ["--bind", str(workdir), "/sandbox", "--chdir", "/sandbox"]
    args += ["--dev", "/dev", "--proc", "/proc"]
    for key, value in _sandbox_env("/opt/autograder-pkgs", "/sandbox").items():
        args += ["--setenv", key, value]
    if os.geteuid() == 0:
        args += ["--cap-add", "CAP_SETUID,CAP_SETGID", "--", "setpriv", f"--reuid={uid}",
                 f"--regid={uid}", "--clear-groups", "--no-new-privs"]
    else:
        args += ["--"]
    return args


def _sandbox_env(pythonpath, home):
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "PYTHONPATH": pythonpath,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "LANG": "C.UTF-8",
    }


def _user_process_count():
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                count += os.stat(f"/proc/{entry}").st_uid == uid
            except OSError:
                pass
    return count


def _limit_resources(limits, nproc):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_file_bytes, limits.max_file_bytes))
        cpu = int(limits.notebook_timeout) + 10
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _command(workdir, uid):
    runner = [sys.executable, "-m", "autograder._runner"]
    kind = isolation()
    if kind == "bwrap":
        return _bwrap_command(workdir, uid) + runner, None
    env = _sandbox_env(str(PROJECT_DIR), str(workdir))
    prefix = _unshare_prefix() if kind == "unshare" else []
    return prefix + runner, env


def _read_events(path, offset):
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1
    events = []
    for line in data[:end].splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            pass
    return events, offset + end


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _attempt(workdir, uid, limits, deadline, result):
    """One run of the runner; returns ('done'|'timeout'|'crash'|'deadline'|'fatal', cell)."""
    cmd, env = _command(workdir, uid)
    nproc = limits.max_processes
    if os.geteuid() != 0:
        nproc += _user_process_count()
    proc = subprocess.Popen(
        cmd, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=_limit_resources(limits, nproc),
    )
    progress = os.path.join(workdir, "progress.jsonl")
    offset, current, started, ready, done = 0, None, 0.0, False, False
    while True:
        try:
            proc.wait(timeout=0.02)
            exited = True
        except subprocess.TimeoutExpired:
            exited = False
        events, offset = _read_events(progress, offset)
        for ev in events:
            if ev["event"] == "ready":
                ready = True
            elif ev["event"] == "start":
                current, started = ev["cell"], time.monotonic()
            elif ev["event"] == "end":
                result.statuses[ev["cell"]] = "error" if ev.get("error") else "ok"
                if ev.get("error"):
                    result.errors[ev["cell"]] = (ev["error"], ev.get("message"))
                current = None
            elif ev["event"] == "done":
                done = True
        if exited:
            break
        now = time.monotonic()
        if now > deadline:
            _kill(proc)
            return "deadline", current
        if current is not None and now - started > limits.cell_timeout:
            _kill(proc)
            return "timeout", current
        if not ready and now - (deadline - limits.notebook_timeout) > 120:
            _kill(proc)
            return "fatal", None
    if done:
        return "done", None
    if current is None and not ready:
        return "fatal", None
    return "crash", current


def _load_captures(directory):
    captures = {}
    for path in Path(directory).glob("[0-9]*.npz"):
        try:
            if path.stat().st_size > MAX_CAPTURE_BYTES:
                continue
            with np.load(path, allow_pickle=False) as data:
                captures[int(path.stem)] = {key: data[key] for key in data.files}
        except Exception:  # corrupt or pickled: the student simply recorded nothing
            continue
    return captures


def run_cells(cells, mode, limits=None, data_dir=None, uid=None):
    """Run ``cells`` ([{index, source, kind}]) in a sandbox; ``mode`` is 'graded' or 'self'."""
    limits = limits or Limits()
    uid = uid if uid is not None else 40000 + os.getpid() % 20000
    result = RunResult(isolation=describe_isolation())
    t0 = time.monotonic()
    deadline = t0 + limits.notebook_timeout
    workdir = tempfile.mkdtemp(prefix="autograder-run-")
    try:
        if data_dir is not None:
            for item in Path(data_dir).iterdir():
                if item.suffix == ".ipynb" or item.name.startswith("."):
                    continue  # the source notebook holds solutions: never in the sandbox
                if item.is_dir():
                    shutil.copytree(item, Path(workdir) / item.name)
                else:
                    shutil.copy2(item, workdir)
        if os.geteuid() == 0 and isolation() == "bwrap":
            for path in [workdir, *Path(workdir).rglob("*")]:
                os.chown(path, uid, uid)
        skip = {}
        for _ in range(limits.max_restarts + 1):
            shutil.rmtree(Path(workdir) / "captures", ignore_errors=True)
            Path(workdir, "progress.jsonl").unlink(missing_ok=True)
            job = {"mode": mode, "cells": cells, "skip": sorted(skip)}
            Path(workdir, "job.json").write_text(json.dumps(job), encoding="utf-8")
            outcome, cell = _attempt(workdir, uid, limits, deadline, result)
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
        result.captures = _load_captures(Path(workdir) / "captures")
        result.statuses.update(skip)
        for c in cells:
            result.statuses.setdefault(c["index"], "not_run")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.seconds = time.monotonic() - t0
    return result
