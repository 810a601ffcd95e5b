"""README's instructor commands, exactly as written there, on a small class.

The class (classkit): ana perfect, bia untouched, caio with a typical mistake, davi in the class
list without a submission, eva outside the list. The commands are read from README's "Para
instrutores" block, so the page and the test cannot drift apart; only ``.venv/bin/python`` becomes
this interpreter, and the course is the sample one (named in the class config file turma.json).
"""

import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from classkit import EXPECTED, ROSTER, course_with_mistake, write_zip
from conftest import CHAPTER

ROOT = Path(__file__).resolve().parents[2]


def readme_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Para instrutores", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [shlex.split(line, comments=True) for line in block.splitlines()
            if line.startswith(".venv/bin/python -m autograder ")]


def test_readme_names_the_whole_flow():
    commands = [argv[3] for argv in readme_commands()]
    assert commands == ["release", "grade", "feedback", "export"]


@pytest.fixture(scope="module")
def flow(tmp_path_factory, source_nb):
    """Run README's commands in a fresh folder; returns (folder, class folder, outputs)."""
    cwd = tmp_path_factory.mktemp("instrutor")
    course = course_with_mistake(cwd / "curso")
    (cwd / "turma.json").write_text(json.dumps({"curso": "curso"}), encoding="utf-8")
    (cwd / "turma.csv").write_text(ROSTER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOGRADER_TURMA", "AUTOGRADER_OUT")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    outputs = {}
    for argv in readme_commands():
        assert argv[0] == ".venv/bin/python"
        if argv[3] == "grade":  # the class submits what `release` gave them
            released = cwd / "build" / "turma" / "release" / CHAPTER / f"{CHAPTER}.ipynb"
            write_zip(cwd / "entregas.zip", source_nb, released)
        run = subprocess.run([sys.executable, *argv[1:]], cwd=cwd, env=env, capture_output=True,
                             text=True, timeout=600)
        assert run.returncode == 0, f"{shlex.join(argv)}:\n{run.stdout}\n{run.stderr}"
        assert "pasta da turma: " + str(cwd / "build" / "turma") in run.stdout
        outputs[argv[3]] = run.stdout
    return cwd, cwd / "build" / "turma", course, outputs


def test_every_command_finds_the_class_folder(flow):
    cwd, out, course, outputs = flow
    assert json.loads((cwd / "turma.json").read_text()) == {"curso": "curso",
                                                             "pasta": "build/turma"}
    assert "lembrada em" in outputs["release"]
    assert str(out / "grades.csv") in outputs["grade"]
    assert str(out / "relatorio.html") in outputs["grade"]
    assert "fora da lista da turma: eva" in outputs["grade"]
    assert f"sem entrega em {CHAPTER}: davi" in outputs["grade"]
    assert str(out / "notas-moodle.csv") in outputs["export"]
    assert "4 páginas de retorno" in outputs["feedback"]
    for student in EXPECTED:
        page = out / "feedback" / student / f"{CHAPTER}.html"
        assert student in page.read_text(encoding="utf-8")
    assert not (out / "feedback" / "davi").exists()


def test_formgrader_shows_the_graded_submissions(flow, monkeypatch):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from autograder.nbgrader_config import configure

    cwd, out, course, _ = flow
    monkeypatch.chdir(cwd)  # the formgrader's config: the class folder from turma.json
    monkeypatch.delenv("AUTOGRADER_TURMA")
    config = configure(Config())
    assert config.CourseDirectory.root == str(out)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    subs = {s["student"]: s for s in api.get_submissions(CHAPTER)}
    assert sorted(subs) == sorted(EXPECTED)
    assert all(s["autograded"] for s in subs.values())
    assert {s["student"]: s["score"] for s in subs.values()} == EXPECTED
    assert (subs["caio"]["first_name"], subs["caio"]["last_name"]) == ("Caio", "Prado")
    notebooks = api.get_notebook_submissions(CHAPTER, CHAPTER)
    assert len(notebooks) == 4 and all(n["index"] is not None for n in notebooks)
    graded = json.loads((out / "autograded" / "caio" / CHAPTER / f"{CHAPTER}.ipynb").read_text())
    assert any("np.tanh(x @ W)\n" in "".join(c["source"]) for c in graded["cells"])
    # the formgrader's "Generate" refuses instead of writing another release
    release = out / "release" / CHAPTER / f"{CHAPTER}.ipynb"
    before = release.read_bytes()
    outcome = api.generate_assignment(CHAPTER, force=True)
    assert not outcome["success"] and "autograder release" in str(outcome)
    assert release.read_bytes() == before


def test_report_counts_the_class(flow):
    _, out, _, _ = flow
    report = json.loads((out / "relatorio.json").read_text(encoding="utf-8"))
    (chap,) = report["chapters"]
    assert chap["scores"] == EXPECTED
    assert chap["missing"] == ["davi"] and report["unknown_students"] == ["eva"]
    ex = {e["id"]: e for e in chap["exercises"]}
    assert ex["tanh_forward"]["pass_rate"] == 0.5 and ex["tanh_forward"]["title"] == \
        "Exercício 1: forward"
    assert ex["tanh_backward"]["pass_rate"] == 0.75  # caio's backward is right
    assert ex["tanh_forward"]["misconceptions"] == [  # caio's typical mistake, named
        {"id": "sem_vies", "count": 1, "message": "parece que você esqueceu o viés b na soma"}]
    q = {x["id"]: x for x in chap["quizzes"]}
    assert q["q1"]["key"] == "b" and q["q2"]["key"] == "c"
    assert q["q1"]["answers"] == {"a": 1, "b": 2, "c": 0, "d": 0, "sem resposta": 1}
    assert q["q2"]["answers"] == {"a": 0, "b": 0, "c": 2, "d": 1, "sem resposta": 1}
    # 4 graded: groups of round(0.27 * 4) = 1. Best: ana (right); worst: bia (no answer)
    assert q["q1"]["discrimination"] == 1.0 and q["q1"]["group_size"] == 1
    page = (out / "relatorio.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4  # histogram, pass rates, 2 questions
    assert "Exercício 1: forward" in page and "davi" in page


def test_moodle_and_spreadsheet_parse_back(flow):
    _, out, _, _ = flow
    rows = list(csv.DictReader(io.StringIO((out / "notas-moodle.csv").read_text("utf-8"))))
    got = {r["username"]: r["Capítulo de amostra"] for r in rows}
    assert got == {"ana": "10", "bia": "0", "caio": "5.71", "davi": "", "eva": "8.57"}
    assert {r["username"]: (r["email"], r["idnumber"]) for r in rows}["caio"] == \
        ("caio@exemplo.br", "2026003")
    raw = (out / "notas-planilha.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, body = table[0], {r[0]: dict(zip(table[0], r, strict=True)) for r in table[1:]}
    total = next(h for h in header if h.endswith("total (de 7)"))
    grades = {u: Decimal(r[total].replace(",", ".")) for u, r in body.items() if r[total]}
    assert grades == {u: Decimal(v) for u, v in EXPECTED.items()}
    scaled = next(h for h in header if "nota (0 a 10)" in h)
    assert Decimal(body["caio"][scaled].replace(",", ".")) == Decimal("5.71")
    ex1 = next(h for h in header if "Exercício 1: forward" in h)
    assert (body["caio"][ex1], body["ana"][ex1]) == ("0", "2")
    situation = next(h for h in header if h.endswith("situação"))
    assert body["davi"][situation] == "não entregou"
    assert body["davi"]["E-mail"] == "davi@exemplo.br"


def test_report_in_the_browser(flow, tmp_path):
    from browser import ARTIFACTS, chromium

    _, out, _, _ = flow
    with chromium(tmp_path / "perfil") as driver:
        driver.get((out / "relatorio.html").as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.naturalWidth])")
        assert len(images) == 4 and all(width > 100 for _, width in images), images
        assert "Relatório da turma" in driver.title
        assert "Não entregaram" in driver.page_source
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "relatorio-turma.png"))
