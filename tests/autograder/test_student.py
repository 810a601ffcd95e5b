import numpy as np
import pytest

from autograder import student


def test_check_passes_and_explains_failures():
    student.check("ok", [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(AssertionError, match="(?s)forma errada.*Dica: use N"):
        student.check("forma", np.ones(3), np.ones(2), dica="use N")
    with pytest.raises(AssertionError, match="valores diferentes"):
        student.check("v", [1.0], [1.1])
    with pytest.raises(AssertionError, match="NaN"):
        student.check("nan", [np.nan])
    with pytest.raises(AssertionError, match="não é numérico"):
        student.check("obj", object())


def test_quiz_with_key():
    chave = "sal$" + student.quiz_digest("sal", "q1", "b")
    student.quiz("q1", " B ", chave=chave)
    with pytest.raises(AssertionError, match="incorreta"):
        student.quiz("q1", "a", chave=chave)
    with pytest.raises(AssertionError, match="escolha uma das alternativas"):
        student.quiz("q1", None, chave=chave)


def test_graded_mode_records_plain_arrays(monkeypatch):
    monkeypatch.setattr(student, "_GRADED", True)
    monkeypatch.setattr(student, "_records", {})
    student.check("v", [[1, 2]], [[9, 9]], rtol=1e-3)  # never compares when graded
    student.quiz("q", "C")
    assert student._records["v:v"].dtype == np.float64
    assert student._records["t:v"][0] == 1e-3
    assert str(student._records["q:q"]) == "c"


def test_student_module_imports_only_numpy_and_stdlib():
    import ast
    import sys

    tree = ast.parse(open(student.__file__).read())
    mods = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
            for a in n.names}
    mods |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert mods <= {"numpy"} | set(sys.stdlib_module_names)
