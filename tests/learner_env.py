"""The learner's environment, built once per test session: a fresh venv with only the project's
``dependencies`` (``python -m pip install -e .``: no extras, so no torch and no test tools).

Import it as ``from learner_env import LearnerEnv, learner_env``. Under pytest-xdist the
workers share one venv: the first builds it under a file lock, the others wait and reuse it.
pip's own cache (``~/.cache/pip``) is reused between sessions.
"""

import fcntl
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class LearnerEnv:
    venv: Path
    install_seconds: float
    size_bytes: int

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def env(self, **extra):
        """The environment a learner's shell would have: no PYTHONPATH, no other venv."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        env.update(MPLBACKEND="Agg", **extra)
        return env

    def run(self, *args, cwd, timeout=600, env=None, check=True):
        """Run the learner's ``python *args``; returns the CompletedProcess (text)."""
        out = subprocess.run([str(self.python), *map(str, args)], cwd=cwd, env=env or self.env(),
                             capture_output=True, text=True, timeout=timeout)
        if check and out.returncode != 0:
            raise AssertionError(f"{args[:3]} saiu com {out.returncode}:\n"
                                 f"{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        return out


def _size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_symlink())


def build(folder: Path) -> LearnerEnv:
    """The learner venv in ``folder`` (built there on first call, reused after)."""
    folder.mkdir(parents=True, exist_ok=True)
    venv, record = folder / "venv", folder / "learner-env.json"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            env = LearnerEnv(venv, 0.0, 0).env()
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env,
                           timeout=300)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                            "-e", str(ROOT)], check=True, env=env, cwd=ROOT, timeout=1200)
            seconds = time.perf_counter() - start
            record.write_text(json.dumps({"seconds": seconds, "bytes": _size(venv)}))
    data = json.loads(record.read_text())
    return LearnerEnv(venv, data["seconds"], data["bytes"])


def session_folder(tmp_path_factory) -> Path:
    """A folder shared by every xdist worker of this session (pytest keeps the last few)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return base / "learner-env"
