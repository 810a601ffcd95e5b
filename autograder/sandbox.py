"""Run notebook cells in a sandbox, with time limits and restarts after a kill or a crash.

Isolation, best first: bubblewrap (only the Python installation, a private copy of the
``rnnlib`` and ``autograder`` packages and a fresh work dir are visible; no network; separate PID
namespace), else ``unshare -n``, else nothing. When the grader runs as root, every level also
runs the student's code as its own unprivileged uid (``setpriv``), so it cannot write the course,
the gradebook or the packages. Resource limits (memory, processes, file size, CPU time) are
always set with ``setrlimit``. The runner reports through a pipe (see ``_runner``): a cell that
runs past its time limit is killed, a crash (``os._exit``, segfault) is noticed, and the notebook
is run again from the start with that cell left out, so the credit before and after it is kept.
"""

import atexit
import functools
import io
import json
import os
import resource
import select
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


def _works(cmd, timeout=30, **kw):
    try:
        return subprocess.run(cmd, capture_output=True, timeout=timeout, **kw).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.cache
def package_root():
    """A private copy of the packages the sandbox imports, made once per grader process.

    Sandboxes import from it, never from the working tree: a submission that manages to write
    it changes no original, and the batch restores it from its trusted copy (``guard``).
    """
    tmp = Path(tempfile.gettempdir())
    for stale in [*tmp.glob("autograder-pkgs-*-*"), *tmp.glob("autograder-run-*-*")]:
        pid = stale.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():  # left by a killed grader
            shutil.rmtree(stale, ignore_errors=True)
    root = Path(tempfile.mkdtemp(prefix=f"autograder-pkgs-{os.getpid()}-"))
    for pkg in SANDBOX_PACKAGES:
        if pkg.is_dir():
            shutil.copytree(pkg, root / pkg.name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    root.chmod(0o755)  # readable by the sandbox's uid, writable only by the grader
    creator = os.getpid()
    atexit.register(lambda: os.getpid() == creator and shutil.rmtree(root, ignore_errors=True))
    return root


def _setpriv(uid):
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs"]


@functools.cache
def separate_uid():
    """True when each sandbox runs as its own unprivileged uid: the grader is root, ``setpriv``
    exists and that uid can start Python where the sandbox starts it (``AUTOGRADER_SAME_UID=1``
    turns it off, for tests). Under bubblewrap the probe runs inside it: there every folder
    above the Python installation and the packages is a world-readable one that bubblewrap
    made, so a course kept in a private home (``/root``, a 0700 checkout) still gets its uid."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    if os.environ.get("AUTOGRADER_SAME_UID") == "1":
        return False
    check = [sys.executable, "-c", "import numpy, IPython, autograder.student"]
    if isolation() == "bwrap":
        probe = tempfile.mkdtemp(prefix="autograder-probe-")
        os.chown(probe, 60998, 60998)
        try:
            return _works(_bwrap_command(probe, 60998, setuid=True) + check, timeout=60)
        finally:
            shutil.rmtree(probe, ignore_errors=True)
    env = _sandbox_env(str(package_root()), "/")
    return _works(_setpriv(60998) + check, env=env, cwd="/", timeout=60)


@functools.cache
def isolation():
    """Name of the best isolation that works here: 'bwrap', 'unshare' or 'none'.

    ``AUTOGRADER_ISOLATION`` (one of those names) forces a weaker level, to test the fallbacks.
    """
    forced = os.environ.get("AUTOGRADER_ISOLATION")
    if forced == "none":
        return "none"
    if shutil.which("bwrap") and forced != "unshare":
        probe = tempfile.mkdtemp(prefix="autograder-probe-")
        try:
            cmd = _bwrap_command(probe, 60999, setuid=False)
            if _works(cmd + [sys.executable, "-c", "import numpy"]):
                return "bwrap"
        finally:
            shutil.rmtree(probe, ignore_errors=True)
    if shutil.which("unshare") and _works(_unshare_prefix() + ["true"]):
        return "unshare"
    return "none"


def source_protected():
    """Whether student code is unable to write the course and the packages it imports."""
    return isolation() == "bwrap" or separate_uid()


def describe_isolation():
    """Short description of the isolation in use (printed and stored with every grade)."""
    parts = {"bwrap": ["bwrap"], "unshare": ["unshare-net"], "none": []}[isolation()]
    parts += (["setpriv"] if separate_uid() else []) + ["rlimit"]
    text = "+".join(parts)
    if os.geteuid() == 0 and not separate_uid():
        text += " (sem limite de processos: root)"
    if not source_protected():
        text += " (curso gravável: conferido e restaurado a cada entrega)"
    return text


def _unshare_prefix():
    """New network and PID namespaces: when the runner ends, every process it left ends too."""
    user = [] if os.geteuid() == 0 else ["-r"]
    return ["unshare", *user, "-n", "-p", "--kill-child", "--mount-proc"]


def _sweep(uid):
    """Kill whatever the sandbox's uid left running (level 'none' has no PID namespace)."""
    if isolation() == "none" and separate_uid():
        kill = "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass"
        subprocess.run(_setpriv(uid) + [sys.executable, "-S", "-c", kill], cwd="/",
                       capture_output=True, timeout=30, check=False)


def _python_roots():
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parents[1]}
    return sorted({Path(os.path.realpath(r)) for r in roots} | set(roots))


def _bwrap_command(workdir, uid, setuid=None):
    """bubblewrap's command line for a sandbox on ``workdir``; ``setuid`` (default: whether
    :func:`separate_uid`) drops to ``uid`` inside it."""
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
    bind(package_root(), "/opt/autograder-pkgs")
    args += ["--bind", str(workdir), "/sandbox", "--chdir", "/sandbox"]
    args += ["--dev", "/dev", "--proc", "/proc"]
    for key, value in _sandbox_env("/opt/autograder-pkgs", "/sandbox").items():
        args += ["--setenv", key, value]
    if separate_uid() if setuid is None else setuid:
        args += ["--cap-add", "CAP_SETUID,CAP_SETGID", "--", *_setpriv(uid)]
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
    env = _sandbox_env(str(package_root()), str(workdir))
    prefix = _unshare_prefix() if kind == "unshare" else []
    if separate_uid():
        prefix += _setpriv(uid)
    return prefix + runner, env


class _Channel:
    """The runner's pipe: JSON event lines, each followed by its ``size`` bytes of payload.

    Anything that does not parse is skipped; a stream that grows past the limits is dropped
    (the student's code can write to the pipe too, which only sabotages its own run).
    """

    def __init__(self, pipe):
        self.fd, self.buf, self.open, self.broken = pipe.fileno(), bytearray(), True, False

    def read(self, timeout, chunks=16):
        """Events available now, waiting up to ``timeout`` seconds for the first bytes."""
        if not self.open:
            time.sleep(timeout)
            return []
        ready = select.select([self.fd], [], [], timeout)[0]
        while ready and chunks:
            data = os.read(self.fd, 1 << 20)
            if not data:
                self.open = False
                break
            if not self.broken:
                self.buf += data
            chunks -= 1
            ready = select.select([self.fd], [], [], 0)[0]
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


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _attempt(workdir, uid, limits, deadline, result, cells, captured):
    """One run of the runner; returns ('done'|'timeout'|'crash'|'deadline'|'fatal', cell).

    ``captured`` receives the first capture of each test cell (the payload bytes).
    """
    cmd, env = _command(workdir, uid)
    nproc = limits.max_processes
    if os.geteuid() != 0:
        nproc += _user_process_count()
    known = {c["index"] for c in cells}
    tests = {c["index"] for c in cells if c["kind"] == "test"}
    proc = subprocess.Popen(
        cmd, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=_limit_resources(limits, nproc),
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
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # what the runner left in its group
        except ProcessLookupError:
            pass
        proc.wait()
        _sweep(uid)
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
