import json

from conftest import SOURCE

from autograder import notebook as nbmod
from autograder.release import leaks, quiz_answers


def test_release_reveals_nothing(released):
    nb = json.loads(released.read_text(encoding="utf-8"))
    cells = nbmod.layout(json.loads(SOURCE.read_text(encoding="utf-8")))
    assert leaks(cells, nb) == []
    text = released.read_text(encoding="utf-8")
    for secret in ("BEGIN SOLUTION", "HIDDEN TESTS", "return np.tanh(x @ W + b)", "da @ W.T",
                   "dx_uns", "oculto", 'resposta_q1 = \\"b\\"', 'resposta_q2 = \\"c\\"'):
        assert secret not in text
    assert quiz_answers(cells) == {"resposta_q1": "b", "resposta_q2": "c"}
    quiz_cells = [nbmod.source_text(c) for c in nb["cells"] if "quiz(" in nbmod.source_text(c)
                  and nbmod.cell_kind(c) == "test"]
    assert len(quiz_cells) == 2 and all("chave=" in s for s in quiz_cells)


def test_leak_check_catches_a_leak(released):
    nb = json.loads(released.read_text(encoding="utf-8"))
    cells = nbmod.layout(json.loads(SOURCE.read_text(encoding="utf-8")))
    nb["cells"][1]["source"] = "h = np.tanh(x @ W + b)\nreturn np.tanh(x @ W + b)"
    assert leaks(cells, nb)
