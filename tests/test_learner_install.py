"""The learner's install (issue 20): a fresh venv from the project's ``dependencies`` alone.

No torch, no test tools: every chapter is released (the ``make curso`` path) and self-checked
with its solutions filled in; every test passes except those of an exercise that needs torch,
which say how to install it; the chapters with torch cells run top to bottom, each torch cell
printing how to install it.
"""

import json
import re

import nbformat
import pytest
from learner_env import ROOT, build, session_folder

from autograder import notebook as nbmod
from autograder.release import SOLUTION_BEGIN, SOLUTION_END, chapters

COURSE = ROOT / "course"
CHAPTERS = chapters(COURSE)
TORCH_MISSING = "precisa do PyTorch"  # rnnlib._optional.EXERCISE_HELP
TORCH_HELP = "PyTorch, que não está instalado"  # rnnlib._optional.INSTALL_HELP
CPU_INDEX = "--index-url https://download.pytorch.org/whl/cpu"
LINE = re.compile(r"^(OK  |FALHOU) (\S+) \(([\d.]+)/([\d.]+)\)(?:: (.*))?$")
# the learner's venv was 2.0 GB with torch and JupyterHub; without them it is ~820 MiB
MAX_LEARNER_BYTES = 1 << 30

# one xdist worker runs them all (`make test` uses --dist loadgroup): the venv is built once
# and no other worker waits for it
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("learner")]


@pytest.fixture(scope="session")
def learner(tmp_path_factory):
    env = build(session_folder(tmp_path_factory))
    print(f"\nambiente do aluno: {env.size_bytes / 2**20:.0f} MiB, "
          f"instalado em {env.install_seconds:.0f} s")
    return env


def source_cells(chapter):
    return json.loads((COURSE / chapter / f"{chapter}.ipynb").read_text(encoding="utf-8"))["cells"]


def solutions(chapter):
    """grade_id -> the source's answer without the solution markers."""
    return {nbmod.nbgrader_meta(c)["grade_id"]:
            re.sub(rf"[ \t]*({SOLUTION_BEGIN}|{SOLUTION_END})[^\n]*\n?", "",
                   nbmod.source_text(c))
            for c in source_cells(chapter) if nbmod.cell_kind(c) == "answer"}


def torch_tests(chapter):
    """Test cells that check an exercise whose answer needs torch (``require_torch``)."""
    needs, found = False, set()
    for cell in source_cells(chapter):
        kind = nbmod.cell_kind(cell)
        if kind == "answer":
            needs = "require_torch(" in nbmod.source_text(cell)
        elif kind == "test" and needs:
            found.add(nbmod.nbgrader_meta(cell)["grade_id"])
    return found


def release_solved(learner, chapter, folder, answers=None):
    """``make curso``'s release of ``chapter`` in the learner's venv, answers filled in (those of
    ``answers``, grade_id -> code, instead of the solution; None keeps the release's stub)."""
    learner.run("-c", "import sys; from autograder.lab import learner_workspace; "
                "print(learner_workspace(sys.argv[1], chapter=sys.argv[2]))",
                folder, chapter, cwd=folder.parent)
    path = folder / chapter / f"{chapter}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    filled = {**solutions(chapter), **(answers or {})}
    for cell in nb["cells"]:
        gid = nbmod.nbgrader_meta(cell).get("grade_id")
        if nbmod.cell_kind(cell) == "answer" and filled[gid] is not None:
            cell["source"] = filled[gid]
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return path


def test_learner_env_has_no_torch_nor_instructor_tools(learner, tmp_path):
    probe = ("import importlib.util as u, json; print(json.dumps({m: u.find_spec(m) is not None "
             "for m in ('torch', 'pytest', 'jupyterhub', 'selenium', 'jupyter_book', 'rnnlib', "
             "'nbgrader', 'jupyterlab', 'ipywidgets')}))")
    found = json.loads(learner.run("-c", probe, cwd=tmp_path).stdout)
    assert found == {"torch": False, "pytest": False, "jupyterhub": False, "selenium": False,
                     "jupyter_book": False, "rnnlib": True, "nbgrader": True,
                     "jupyterlab": True, "ipywidgets": True}
    assert learner.size_bytes < MAX_LEARNER_BYTES, f"{learner.size_bytes / 2**20:.0f} MiB"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_and_self_check_without_torch(learner, chapter, tmp_path):
    path = release_solved(learner, chapter, tmp_path / "curso")
    out = learner.run("-m", "autograder", "check", path, cwd=tmp_path, check=False)
    lines = [m for m in map(LINE.match, out.stdout.splitlines()) if m]
    assert lines, out.stdout + out.stderr
    expected_torch = torch_tests(chapter)
    for m in lines:
        ok, grade_id, message = m[1] == "OK  ", m[2], m[5] or ""
        if grade_id in expected_torch:
            assert not ok and TORCH_MISSING in message and CPU_INDEX in message, m[0]
        else:
            assert ok, f"{chapter}: {m[0]}"
    assert expected_torch <= {m[2] for m in lines}
    assert out.returncode == (1 if expected_torch else 0), out.stdout + out.stderr
    if chapter.startswith("05-"):
        assert expected_torch, "o exercício de paridade com o torch sumiu do capítulo 05?"


TORCH_CHAPTERS = [c for c in CHAPTERS
                  if any("optional_torch(" in nbmod.source_text(cell) for cell in source_cells(c))]


def test_torch_cells_are_found():
    assert {"05-lstm", "06-gru", "10-alem-das-rnns"} <= set(TORCH_CHAPTERS)


EXECUTE = """\
import sys
import nbformat
from nbclient import NotebookClient

nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
               resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(nb, sys.argv[3])
"""


@pytest.mark.parametrize("chapter", TORCH_CHAPTERS)
def test_chapter_runs_without_torch(learner, chapter, tmp_path):
    path = release_solved(learner, chapter, tmp_path / "curso")
    done = tmp_path / "executado.ipynb"
    learner.run("-c", EXECUTE, path, path.parent, done, cwd=path.parent, timeout=900)
    nb = nbformat.read(done, as_version=4)
    torch_tests_here = torch_tests(chapter)
    helped = 0
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        gid = nbmod.nbgrader_meta(cell).get("grade_id")
        if gid in torch_tests_here:
            assert [e.ename for e in errors] == ["TorchMissingError"], cell.source[:200]
            assert TORCH_MISSING in errors[0].evalue
            continue
        assert not errors, f"{chapter}: erro sem o torch em\n{cell.source[:300]}\n{errors}"
        if "optional_torch(" in cell.source:
            text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert TORCH_HELP in text and CPU_INDEX in text, cell.source[:200]
            helped += 1
    assert helped, f"{chapter}: nenhuma célula explicou como instalar o torch"


AS_ON_WINDOWS = """\
import sys
sys.modules["resource"] = None  # no setrlimit, as on Windows
import autograder.sandbox
autograder.sandbox.POLL_PIPES = False  # a thread reads the runner's pipe, as on Windows
"""


def grade_lines(stdout):
    return [(m[1], m[2], m[3]) for m in map(LINE.match, stdout.splitlines()) if m]


def test_self_check_without_bubblewrap_unshare_setpriv_nor_resource(learner, tmp_path):
    """Where none of Linux's tools exist (Windows, macOS), the self-check still grades right:
    the same lines as with them, an infinite loop included, and it says which isolation it had."""
    chapter = "02-rnn-simples"
    functions = [(gid, m[1]) for gid, code in solutions(chapter).items()
                 if (m := re.search(r"^def (\w+)\(", code, re.M))]
    (untouched, _), (looping, name) = functions[:2]
    path = release_solved(learner, chapter, tmp_path / "curso", {
        untouched: None, looping: f"def {name}(*args, **kwargs):\n    while True:\n        pass\n"})
    check = ("-m", "autograder", "check", path, "--cell-timeout", "20")
    normal = learner.run(*check, cwd=tmp_path, check=False)
    simulated = tmp_path / "sem-linux"
    simulated.mkdir()
    (simulated / "sitecustomize.py").write_text(AS_ON_WINDOWS, encoding="utf-8")
    (simulated / "bin").mkdir()  # PATH without bwrap, unshare nor setpriv
    bare = learner.run(*check, cwd=tmp_path, check=False,
                       env=learner.env(PATH=str(simulated / "bin"), PYTHONPATH=str(simulated)))
    lines = grade_lines(bare.stdout)
    assert lines == grade_lines(normal.stdout), bare.stdout + bare.stderr
    failed = {gid for mark, gid, _ in lines if mark != "OK  "}
    assert failed and failed != {gid for _, gid, _ in lines}, bare.stdout
    assert "tempo esgotado" in bare.stdout and "não respondido" in bare.stdout, bare.stdout
    assert bare.returncode == normal.returncode == 1
    assert "Seu código rodou sem isolamento" in bare.stdout, bare.stdout
    assert "só com limite de tempo por célula" in bare.stdout, bare.stdout
    assert "bwrap" not in bare.stdout and "rlimit" not in bare.stdout
