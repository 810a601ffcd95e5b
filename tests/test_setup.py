"""The project installs itself: pins agree, CI runs the README's test command, ruff is clean."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pyproject_pins():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deps = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["test"]
    return {re.split("==", d)[0].lower(): d for d in deps}


def test_every_dependency_is_pinned():
    for name, spec in pyproject_pins().items():
        assert "==" in spec, f"{name} is not pinned"
    assert pyproject_pins()["torch"] == "torch==2.13.0"


def test_environment_yml_agrees_with_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    assert {p.split("==")[0].lower(): p for p in pip} == pyproject_pins()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make curso" in readme
    assert re.search(r"^make test$", ci, re.M)


def test_ruff_is_clean():
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
