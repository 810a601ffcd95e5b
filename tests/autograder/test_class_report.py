"""Class list, class report and grade exports, on a small graded class."""

import csv
import io
import json
from decimal import Decimal

import pytest
from classkit import EXPECTED, ROSTER, write_class
from conftest import CHAPTER, COURSE, FAST, FAST_CACHE

from autograder import classdata
from autograder.batch import grade_batch
from autograder.export import write_exports
from autograder.report import discrimination, write_report
from autograder.roster import RosterError, join, keep_roster, read_roster


@pytest.fixture(scope="module")
def graded(tmp_path_factory, source_nb, released):
    root = tmp_path_factory.mktemp("turma")
    subs, out = write_class(root / "entregas", source_nb, released), root / "out"
    (root / "turma.csv").write_text("\ufeff" + ROSTER, encoding="utf-8")
    keep_roster(root / "turma.csv", out)
    grade_batch(subs, COURSE, out, workers=1, limits=FAST, log=lambda *a: None,
                cache_dir=FAST_CACHE)
    return classdata.load(out, COURSE)


def test_roster_reads_spreadsheet_csv_and_names_problems(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Usuario,Nome,Email,Matricula\nana,Ana,a@x.br,1\nbia,Bia,,2\n")
    students = read_roster(path)
    assert [(s.usuario, s.email, s.matricula) for s in students] == [
        ("ana", "a@x.br", "1"), ("bia", "", "2")]
    joined = join(students, ["ana", "zeca"])
    assert joined.unknown == ["zeca"] and joined.missing(["ana", "zeca"]) == ["bia"]
    path.write_text("nome;email\nAna;a@x.br\n")
    with pytest.raises(RosterError, match="usuário"):
        read_roster(path)
    path.write_text("usuário;nome\nana;A\nana;B\n")
    with pytest.raises(RosterError, match="linha 3"):
        read_roster(path)


def test_titles_come_from_the_headings():
    t = classdata.titles(COURSE / CHAPTER / f"{CHAPTER}.ipynb")
    assert t["chapter"] == "Capítulo de amostra"
    assert t["items"] == {"tanh_forward": "Exercício 1: forward",
                          "tanh_backward": "Exercício 2: backward",
                          "q1": "Pergunta 1", "q2": "Pergunta 2"}


def test_discrimination_hand_computed():
    # 11 students: groups of round(0.27 * 11) = 3. Best three: s10, s09, s08 (2 right);
    # worst three: s00, s01, s02 (1 right). D = 2/3 - 1/3.
    scores = {f"s{i:02d}": float(i) for i in range(11)}
    correct = {"s10": True, "s09": True, "s08": False, "s00": True, "s05": True}
    d, k = discrimination(scores, correct)
    assert k == 3 and d == pytest.approx(round(1 / 3, 4))
    assert discrimination({"a": 1.0}, {"a": True}) == (None, 0)


def test_report_figures_match_the_class(graded):
    html_path, json_path = write_report(graded)
    report = json.loads(json_path.read_text(encoding="utf-8"))
    (chap,) = report["chapters"]
    assert chap["scores"] == EXPECTED
    assert chap["missing"] == ["davi"] and report["unknown_students"] == ["eva"]
    assert sum(chap["histogram"]["counts"]) == 4
    ex = {e["id"]: e for e in chap["exercises"]}
    assert ex["tanh_forward"]["pass_rate"] == 0.5  # ana, eva of 4
    assert ex["tanh_backward"]["passed"] == 3  # caio's backward is right
    q = {x["id"]: x for x in chap["quizzes"]}
    assert q["q1"]["key"] == "b" and q["q2"]["key"] == "c"
    assert q["q1"]["answers"] == {"a": 1, "b": 2, "c": 0, "d": 0, "sem resposta": 1}
    assert q["q2"]["answers"] == {"a": 0, "b": 0, "c": 2, "d": 1, "sem resposta": 1}
    # 4 graded: groups of 1: upper ana (7, right), lower bia (0, no answer) -> D = 1
    assert q["q1"]["discrimination"] == 1.0 and q["q1"]["group_size"] == 1
    page = html_path.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2 + 2  # histogram, pass rates, 2 quizzes
    assert "Exercício 1: forward" in page and "davi" in page


def test_exports_parse_back_to_the_same_grades(graded):
    moodle, sheet = write_exports(graded, scale=10)
    rows = list(csv.DictReader(io.StringIO(moodle.read_text(encoding="utf-8"))))
    title = "Capítulo de amostra"
    got = {r["username"]: r[title] for r in rows}
    assert got == {"ana": "10", "bia": "0", "caio": "5.71", "davi": "", "eva": "8.57"}
    assert {r["username"]: r["email"] for r in rows}["caio"] == "caio@exemplo.br"
    raw = sheet.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, body = table[0], {r[0]: dict(zip(table[0], r, strict=True)) for r in table[1:]}
    total = next(h for h in header if h.endswith("total (de 7)"))
    grades = {u: Decimal(r[total].replace(",", ".")) for u, r in body.items() if r[total]}
    assert grades == {u: Decimal(v) for u, v in EXPECTED.items()}
    scaled = next(h for h in header if "nota (0 a 10)" in h)
    assert body["caio"][scaled] == "5,71"
    ex1 = next(h for h in header if "Exercício 1: forward" in h)
    assert body["caio"][ex1] == "0" and body["ana"][ex1] == "2"
    situation = next(h for h in header if h.endswith("situação"))
    assert body["davi"][situation] == "não entregou" and body["ana"][situation] == "corrigido"
