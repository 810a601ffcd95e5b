"""Write environment.yml from pyproject.toml: `python tools/sync_environment.py`.

The conda file is the learner's environment (pyproject's ``dependencies``, the same pins); the
extras are listed in comment lines (``#   extra NAME: pins``) that tests/test_setup.py checks.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEADER = """\
# Conda: the learner's environment, the same pins as pyproject.toml's `dependencies` (a test
# checks that they agree; `python tools/sync_environment.py` rewrites this file from it):
# `conda env create -f environment.yml`, `conda activate rnn-curso`, then
# `python -m pip install -e . --no-deps` in the project folder.
# pyproject.toml's extras, with the same pins (checked too), go on top with pip when wanted,
# e.g. `python -m pip install -e ".[torch]"` (README: the CPU-only build of torch is smaller):
"""


def render(pyproject=ROOT / "pyproject.toml"):
    project = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"]
    lines = [HEADER.rstrip("\n")]
    lines += [f"#   extra {name}: {' '.join(pins)}"
              for name, pins in project["optional-dependencies"].items()]
    lines += ["name: rnn-curso", "channels:", "  - conda-forge", "dependencies:",
              "  - python=3.11", "  - pip", "  - pip:"]
    lines += [f"      - {pin}" for pin in project["dependencies"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (ROOT / "environment.yml").write_text(render(), encoding="utf-8")
