import numpy as np
import pytest

from autograder import student


def test_check_passes_and_explains_failures():
    student.check("ok", [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(AssertionError, match="(?s)forma errada.*Dica: use N"):
        student.check("forma", np.ones(3), np.ones(2), dica="use N")
    with pytest.raises(AssertionError, match="valores diferentes"):
        student.check("v", [1.0], [1.1])
    # a shape check with a missing axis names the shapes, not the length of the tuples
    with pytest.raises(AssertionError, match=r"esperava \(3, 2, 3\), recebi \(2, 3\) \(falta o"):
        student.check("forma_muitos", np.shape(np.ones((2, 3))), (3, 2, 3))
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
    from pathlib import Path

    package = Path(student.__file__).parent
    todo, seen, mods = ["student"], set(), set()
    while todo:  # student.py and the package modules it imports (relatively)
        name = todo.pop()
        seen.add(name)
        tree = ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))
        for n in ast.walk(tree):
            if isinstance(n, ast.Import):
                mods |= {a.name.split(".")[0] for a in n.names}
            elif isinstance(n, ast.ImportFrom) and n.level:
                todo += [a.name for a in n.names if a.name not in seen]
            elif isinstance(n, ast.ImportFrom):
                mods.add(n.module.split(".")[0])
    assert seen == {"student", "diagnosis"}
    assert mods <= {"numpy"} | set(sys.stdlib_module_names)


@pytest.fixture
def fresh(monkeypatch):
    """student's per-kernel state, emptied for one test."""
    for name, value in (("_context", {}), ("_states", {}), ("_attempts", {}), ("_titles", {})):
        monkeypatch.setattr(student, name, value)
    return student


def test_diagnosis_says_where_and_how_much(fresh):
    with pytest.raises(AssertionError, match=r"recebi \(4, 2\).*transposta"):
        fresh.check("forma", (4, 2), (2, 4))
    with pytest.raises(AssertionError, match=r"esperava \(2, 3\), recebi \(3, 2\).*transposta"):
        fresh.check("h", np.ones((3, 2)), np.ones((2, 3)))
    want = np.arange(24.0).reshape(2, 3, 4)
    got = want.copy()
    got[1, 2, 3] += 0.5
    with pytest.raises(AssertionError) as info:
        fresh.check("hs", got, want, eixos=("passo", "exemplo", None))
    text = str(info.value)
    assert "1 de 24" in text and "[1, 2, 3] (passo 1, exemplo 2)" in text
    assert "maior diferença 0.5" in text and "Até passo 0 está tudo certo" in text
    gates = np.zeros((8, 3))
    wrong = gates.copy()
    wrong[5, 1] = 1.0
    with pytest.raises(AssertionError, match=r"linhas da porta g \(linhas 4 a 5\)"):
        fresh.check("dW", wrong, gates, portas="ifgo")


def test_gradient_table_like_karpathys_cmp(fresh):
    want = {"dx": np.ones(3), "dW": np.zeros((2, 2)), "db": np.ones(2)}
    got = {"dx": np.ones(3), "dW": np.eye(2), "db": np.ones(2) + 1e-9}
    with pytest.raises(AssertionError) as info:
        fresh.check("grads", got, want)
    rows = {line.split()[0]: line.split()[1] for line in str(info.value).splitlines()[1:]
            if line.startswith("  ")}
    assert rows == {"dx": "exato", "dW": "errado", "db": "aproximado"}
    fresh.check("grads", want, want)


def test_misconception_named_and_hint_levels_open_one_by_one(fresh):
    data = {"celula": "t1", "exercicio": "e1", "visiveis": ["v"], "funcoes": {"e1": ["f"]},
            "equivocos": {"v": [{"id": "soma", "mensagem": "parece que você somou 1",
                                 "valor": [2.0, 3.0]},
                                {"id": "dobro", "mensagem": "parece que você dobrou",
                                 "valor": [2.0, 4.0]}]}}
    fresh.diagnosticos(fresh.encode({"testes": {"t1": data, "t2": {}}}))  # the data cell
    fresh.diagnostico("t1")  # the first line of the released test cell
    assert fresh._context == data
    levels = ["a ideia", "a equação", "as formas"]
    messages = []
    for wrong in ([2.0, 3.0], [2.0, 4.0], [9.0, 9.0]):
        with pytest.raises(AssertionError) as info:
            fresh.check("v", wrong, [1.0, 2.0], dica=levels)
        messages.append(str(info.value))
    assert "Erro típico: parece que você somou 1." in messages[0] and "dobrou" not in messages[0]
    assert "parece que você dobrou" in messages[1]
    assert "Erro típico" not in messages[2]
    assert "Dica 1 de 3: a ideia" in messages[0] and "Dica 2" not in messages[0]
    assert "Dica 2 de 3: a equação" in messages[1] and "Dica 3" not in messages[1]
    assert "Dica 3 de 3: as formas" in messages[2] and "próxima dica" not in messages[2]
    assert fresh._states["e1"] is False
    fresh.check("v", [1.0, 2.0], [1.0, 2.0])
    assert fresh._states["e1"] is True


def test_an_earlier_failing_exercise_is_named_first(fresh):
    # (the data passed inline, as releases before the data cell did: still read)
    namespace = {}
    exec("def passo(x):\n    return x + 1\n\ndef seq(x):\n    return passo(x) * 2\n", namespace)
    titles = {"e1": "Exercício 1 — um passo", "e2": "Exercício 2 — a sequência"}
    fresh.diagnostico(fresh.encode({"celula": "t1", "exercicio": "e1", "visiveis": ["p"],
                                    "funcoes": {"e1": ["passo"]}, "titulos": titles}))
    with pytest.raises(AssertionError):
        fresh.check("p", 1.0, 3.0)
    fresh.diagnostico(fresh.encode({"celula": "t2", "exercicio": "e2", "visiveis": ["s"],
                                    "funcoes": {"e1": ["passo"], "e2": ["seq"]},
                                    "titulos": titles}))
    assert "chama passo" in fresh.earlier_failure(namespace)
    assert "Exercício 1 — um passo" in fresh.earlier_failure(namespace)
    fresh._states["e1"] = True
    assert fresh.earlier_failure(namespace) == ""


def test_numpy_shape_errors_explained_in_portuguese():
    def rnn_step(x, W):
        return np.tanh(x @ W)

    with pytest.raises(ValueError) as info:
        rnn_step(np.ones((2, 3)), np.ones((4, 3)))
    text = student.explain(info.value)
    assert "Erro de formas do NumPy" in text and "transposta" in text
    assert "x @ W: (2, 3) @ (4, 3)" in text and "na função rnn_step" in text
    with pytest.raises(ValueError) as info:
        np.ones((2, 4)) + np.ones(3)
    assert "(2,4) (3,)" in student.explain(info.value)
    assert student.explain(ValueError("outra coisa")) is None


def test_failure_renders_without_a_traceback():
    with pytest.raises(student.Falha) as info:
        student.check("v", [1.0], [2.0])
    (shown,) = info.value._render_traceback_()
    assert "[v]" in shown and "student.py" not in shown and "Traceback" not in shown


def test_quiz_explanation_opens_only_with_its_letter():
    explanations = {"a": "a é a função, não a derivada.", "b": "b: 1 - tanh² é a derivada."}
    sealed = student.seal_explanations("sal", "q1", explanations)
    assert "derivada" not in sealed
    assert student.open_explanation("sal", "q1", "B", sealed) == explanations["b"]
    assert student.open_explanation("sal", "q1", "c", sealed) == ""
    chave = "sal$" + student.quiz_digest("sal", "q1", "b")
    with pytest.raises(AssertionError, match="incorreta. a é a função"):
        student.quiz("q1", "a", chave=chave, explicacoes=sealed)
    student.diagnosticos(student.encode({"explicacoes": {"q1": sealed}}))  # the data cell
    with pytest.raises(AssertionError, match="incorreta. a é a função"):
        student.quiz("q1", "a", chave=chave)
    student.diagnosticos(student.encode({}))


def test_in_a_jupyter_kernel_errors_read_as_portuguese_without_internals():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in (
        "import numpy as np\nfrom autograder.student import check\n\n"
        "def rnn_step(x, h, W_xh):\n    return np.tanh(x @ W_xh + h)\n",
        "rnn_step(np.ones((2, 3)), np.zeros((2, 4)), np.ones((4, 3)))",
        "check('valores', np.ones((2, 4)), np.zeros((2, 4)), dica=['a ideia', 'a equação'])",
    )])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    numpy_error, failed_check = (cell.outputs[0] for cell in nb.cells[1:])
    text = "\n".join(numpy_error["traceback"])
    assert "Erro de formas do NumPy" in text and "x @ W_xh: (2, 3) @ (4, 3)" in text
    assert "na função rnn_step" in text and "transposta" in text
    text = "\n".join(failed_check["traceback"])
    assert "[valores] valores diferentes em 8 de 8 posições" in text
    assert "Dica 1 de 2: a ideia" in text
    for internal in ("Traceback", "student.py", "AssertionError", "raise "):
        assert internal not in text, text


def test_graded_mode_records_each_part_of_a_dict(monkeypatch):
    monkeypatch.setattr(student, "_GRADED", True)
    monkeypatch.setattr(student, "_records", {})
    student.check("grads", {"dW": np.ones((2, 2)), "db": np.zeros(2)}, dica=["a", "b"])
    assert student._records["v:grads.dW"].shape == (2, 2)
    assert student._records["v:grads.db"].shape == (2,)
    assert str(student._records["d:grads.db"]) == "a\nb"
