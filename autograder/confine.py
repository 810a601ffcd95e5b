"""Isolation policy: what a sandbox may see and use, and how that is enforced here.

Best first: bubblewrap (only the Python installation, a private copy of the ``rnnlib`` and
``autograder`` packages and a fresh work dir are visible; no network; separate PID namespace),
else ``unshare -n``, else nothing. When the grader runs as root, every level also runs the
student's code as its own unprivileged uid (``setpriv``), so it cannot write the course, the
gradebook or the packages. Resource limits (memory, processes, file size, CPU time) are set
with ``setrlimit`` wherever Python has the ``resource`` module (not on Windows).
Grading a class needs Linux; a learner's self-check also runs on Windows and macOS, with what
exists there (no isolation, maybe no limits), and says so (``status.isolation_label``).
:func:`command` gives the command line and environment of one sandbox; what runs in it and how
it talks to the grader is ``sandbox``'s business.
"""

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

try:
    import resource
except ImportError:  # Windows
    resource = None

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
SANDBOX_PACKAGES = [PACKAGE_DIR, PROJECT_DIR / "rnnlib"]


@dataclass
class Limits:
    cell_timeout: float = 30.0
    notebook_timeout: float = 300.0
    memory_bytes: int = 4 << 30
    max_processes: int = 64
    max_file_bytes: int = 64 << 20
    max_restarts: int = 4
    workdir_bytes: int = 512 << 20  # everything a sandbox writes, its /tmp included


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


def is_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _setpriv(uid):
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs"]


@functools.cache
def separate_uid():
    """True when each sandbox runs as its own unprivileged uid: the grader is root, ``setpriv``
    exists and that uid can start Python where the sandbox starts it (``AUTOGRADER_SAME_UID=1``
    turns it off, for tests). Under bubblewrap the probe runs inside it: there every folder
    above the Python installation and the packages is a world-readable one that bubblewrap
    made, so a course kept in a private home (``/root``, a 0700 checkout) still gets its uid."""
    if not is_root() or not shutil.which("setpriv"):
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
    parts += (["setpriv"] if separate_uid() else []) + (["rlimit"] if resource else [])
    text = "+".join(parts) or "nenhum"
    if is_root() and not separate_uid():
        text += " (sem limite de processos: root)"
    if not source_protected():
        text += " (curso gravável: conferido e restaurado a cada entrega)"
    return text


def _unshare_prefix():
    """New network and PID namespaces: when the runner ends, every process it left ends too."""
    user = [] if is_root() else ["-r"]
    return ["unshare", *user, "-n", "-p", "--kill-child", "--mount-proc"]


def sweep(uid):
    """Kill whatever the sandbox's uid left running (level 'none' has no PID namespace)."""
    if isolation() == "none" and separate_uid():
        kill = "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass"
        subprocess.run(_setpriv(uid) + [sys.executable, "-S", "-c", kill], cwd="/",
                       capture_output=True, timeout=30, check=False)


def _python_roots():
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parents[1]}
    return sorted({Path(os.path.realpath(r)) for r in roots} | set(roots))


def _bwrap_command(workdir, uid, setuid=None, quota=Limits.workdir_bytes):
    """bubblewrap's command line for a sandbox on ``workdir``; ``setuid`` (default: whether
    :func:`separate_uid`) drops to ``uid`` inside it. The sandbox writes only to two tmpfs of
    ``quota`` bytes each: /tmp and its work folder /sandbox, where what ``workdir`` holds (the
    chapter's data files) is bound read-only."""
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--clearenv",
            # /tmp first: a later tmpfs would hide binds below it (a venv in a /tmp checkout)
            "--size", str(quota), "--tmpfs", "/tmp"]
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
    args += ["--size", str(quota), "--tmpfs", "/sandbox", "--chmod", "1777", "/sandbox"]
    for item in sorted(os.listdir(workdir)):
        args += ["--ro-bind", os.path.join(workdir, item), f"/sandbox/{item}"]
    args += ["--chdir", "/sandbox"]
    args += ["--dev", "/dev", "--proc", "/proc"]
    for key, value in _sandbox_env("/opt/autograder-pkgs", "/sandbox").items():
        args += ["--setenv", key, value]
    if separate_uid() if setuid is None else setuid:
        args += ["--cap-add", "CAP_SETUID,CAP_SETGID", "--", *_setpriv(uid)]
    else:
        args += ["--"]
    return args


def _sandbox_env(pythonpath, home):
    if os.name == "nt":  # Python and its DLLs need Windows' own variables (SYSTEMROOT, PATH)
        return {**os.environ, **_clean_env(pythonpath, home), "PATH": os.environ.get("PATH", "")}
    return _clean_env(pythonpath, home)


def _clean_env(pythonpath, home):
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,  # temporary files count in the work folder's quota
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


def user_process_count():
    """Processes of this user now (None where there is no /proc to count them: macOS)."""
    if not os.path.isdir("/proc"):
        return None
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                count += os.stat(f"/proc/{entry}").st_uid == uid
            except OSError:
                pass
    return count


def limit_resources(limits, nproc):
    """The ``preexec_fn`` that sets the sandbox's limits; None without ``resource`` (Windows).

    ``nproc`` None leaves the process count unlimited. Off Linux a limit the system refuses
    (macOS and ``RLIMIT_AS``) is skipped instead of keeping the sandbox from starting."""
    if resource is None:
        return None
    cpu = int(limits.notebook_timeout) + 10
    wanted = [(resource.RLIMIT_AS, limits.memory_bytes), (resource.RLIMIT_NPROC, nproc),
              (resource.RLIMIT_FSIZE, limits.max_file_bytes), (resource.RLIMIT_CPU, cpu),
              (resource.RLIMIT_CORE, 0)]
    strict = sys.platform.startswith("linux")

    def apply():
        for kind, value in wanted:
            if value is None:
                continue
            try:
                resource.setrlimit(kind, (value, value))
            except (ValueError, OSError):
                if strict:
                    raise

    return apply


def command(workdir, uid, quota=Limits.workdir_bytes):
    """(argv, env) of the runner in a sandbox on ``workdir`` running as ``uid``."""
    runner = [sys.executable, "-m", "autograder._runner"]
    kind = isolation()
    if kind == "bwrap":
        return _bwrap_command(workdir, uid, quota=quota) + runner, None
    env = _sandbox_env(str(package_root()), str(workdir))
    prefix = _unshare_prefix() if kind == "unshare" else []
    if separate_uid():
        prefix += _setpriv(uid)
    return prefix + runner, env


def quota_workdir(workdir, quota):
    """Give a work folder outside bubblewrap a total size (a tmpfs, when root can mount one);
    under bubblewrap the quota is in its command line."""
    if isolation() != "bwrap" and os.geteuid() == 0 and shutil.which("mount"):
        _works(["mount", "-t", "tmpfs", "-o", f"size={quota},mode=0700", "tmpfs", workdir])


def quota_is_watched(workdir):
    """Whether no file system bounds ``workdir`` (no bubblewrap, no tmpfs): the grader then
    measures it while the runner works (:func:`folder_exceeds`)."""
    return isolation() != "bwrap" and not os.path.ismount(workdir)


def folder_exceeds(workdir, quota, max_entries=100_000):
    """Whether what ``workdir`` holds (links not followed) passes ``quota`` bytes or
    ``max_entries`` files; stops counting as soon as it does."""
    total, entries, pending = 0, 0, [workdir]
    while pending:
        try:
            with os.scandir(pending.pop()) as it:
                for entry in it:
                    entries += 1
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                    else:
                        total += entry.stat(follow_symlinks=False).st_size
                    if total > quota or entries > max_entries:
                        return True
        except OSError:
            continue
    return False


def release_workdir(workdir):
    if os.path.ismount(workdir):
        _works(["umount", "-l", workdir])
    shutil.rmtree(workdir, ignore_errors=True)
