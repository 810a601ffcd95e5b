"""Class list, titles, discrimination and misconception counts (the whole flow, with real
grading, is in test_instructor_flow.py)."""

import json

import pytest
from classkit import course_with_mistake
from conftest import CHAPTER, COURSE

from autograder import classdata
from autograder.report import chapter_report, discrimination
from autograder.roster import RosterError, join, read_roster


def test_roster_reads_spreadsheet_csv_and_names_problems(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\ufeffUsuario,Nome,Email,Matricula\nana,Ana,a@x.br,1\nbia,Bia,,2\n")
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


def _record(student, mistakes):
    cells = [{"grade_id": "test_tanh_forward", "exercise": "tanh_forward", "quiz": False,
              "points": 0.0 if mistakes else 2.0, "max_points": 2.0,
              "status": "failed" if mistakes else "passed", "misconceptions": mistakes}]
    return {"student": student, "chapter": CHAPTER,
            "result": {"cells": cells, "score": cells[0]["points"], "max_score": 2.0,
                       "status": "ok", "reasons": [], "notes": []}}


def test_misconceptions_counted_once_per_student_most_frequent_first(tmp_path):
    course = course_with_mistake(tmp_path / "curso")
    class_mistakes = {"a": ["sem_vies"], "b": ["sem_vies", "outro"], "c": [], "d": ["sem_vies"]}
    for student, mistakes in class_mistakes.items():
        path = tmp_path / "out" / "results" / CHAPTER / f"{student}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(_record(student, mistakes)))
    chap = chapter_report(classdata.load(tmp_path / "out", course), CHAPTER)
    ex = {e["id"]: e for e in chap["exercises"]}["tanh_forward"]
    assert ex["misconceptions"] == [
        {"id": "sem_vies", "count": 3, "message": "parece que você esqueceu o viés b na soma"},
        {"id": "outro", "count": 1, "message": ""}]
    assert ex["pass_rate"] == 0.25
