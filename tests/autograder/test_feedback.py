"""The graded feedback page a learner reads: titles, status labels, diagnosis and named typical
mistake of visible checks, quizzes with question, answer, key and explanation."""

import json

from conftest import CHAPTER, COURSE, FAST, FAST_CACHE

from autograder import notebook as nbmod
from autograder.batch import grade_batch
from autograder.feedback import write_feedback


def _answered(source_nb, answers):
    nb = json.loads(json.dumps(source_nb))
    for cell in nb["cells"]:
        gid = nbmod.nbgrader_meta(cell).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid]
    return json.dumps(nb).encode()


def test_feedback_names_the_mistake_and_explains_the_quiz(tmp_path, source_nb, released):
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "ana").mkdir(parents=True)
    (subs / "ana" / f"{CHAPTER}.ipynb").write_bytes(_answered(source_nb, {
        "tanh_forward": "def tanh_forward(x, W, b):\n    return np.tanh(x @ W)\n",
        "q1": 'resposta_q1 = "a"'}))
    (subs / "bia").mkdir(parents=True)
    (subs / "bia" / f"{CHAPTER}.ipynb").write_bytes(released.read_bytes())
    grade_batch(subs, COURSE, out, limits=FAST, log=lambda *a: None, cache_dir=FAST_CACHE)
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results" / CHAPTER).glob("*")}
    forward = next(c for c in results["ana"]["result"]["cells"]
                   if c["grade_id"] == "test_tanh_forward")
    assert forward["status"] == "failed" and forward["misconceptions"] == ["sem_vies"]
    pages = {p.parent.name: p.read_text(encoding="utf-8") for p in write_feedback(out)}
    ana, bia = pages["ana"], pages["bia"]
    assert "Exercício 1: forward" in ana and "Pergunta 1" in ana  # the headings, not grade ids
    assert "test_tanh_forward" not in ana and "tanh_forward (" not in ana
    assert "Erro típico: parece que você esqueceu de somar o viés b antes da tangente" in ana
    assert "valores diferentes em 1 de 1 posições" in ana  # the visible check's diagnosis
    assert "Sua resposta: <b>a</b> · gabarito: <b>b</b>" in ana
    assert "A derivada de tanh é 1 - tanh²" in ana and "Sobre a alternativa a:" in ana
    assert "Qual a derivada de" in ana  # the question itself
    assert bia.count("não respondido") >= 4 and "incorreto" not in bia
    for page in pages.values():
        for secret in ("oculto", "dx_uns", "HIDDEN", "np.tanh(x @ W)"):
            assert secret not in page


def test_feedback_says_first_that_an_earlier_exercise_it_calls_fails(tmp_path, source_nb):
    """Only exercise 1 is wrong; exercise 2 calls it: its page says so before anything else
    (issue 14 item 5), and an exercise that does not call it gets no such sentence."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    backward = ("def tanh_backward(dh, x, W, b):\n    h = tanh_forward(x, W, b)\n"
                "    da = dh * (1 - h**2)\n    return da @ W.T, x.T @ da, da.sum(axis=0)\n")
    wrong_forward = "def tanh_forward(x, W, b):\n    return np.tanh(x @ W)\n"
    for student, answers in {"caio": {"tanh_forward": wrong_forward, "tanh_backward": backward},
                             "davi": {"tanh_backward": backward}}.items():
        (subs / student).mkdir(parents=True)
        (subs / student / f"{CHAPTER}.ipynb").write_bytes(_answered(source_nb, answers))
    grade_batch(subs, COURSE, out, limits=FAST, log=lambda *a: None, cache_dir=FAST_CACHE)
    result = json.loads((out / "results" / CHAPTER / "caio.json").read_text())["result"]
    by_id = {c["grade_id"]: c for c in result["cells"]}
    assert by_id["test_tanh_backward"]["status"] == "failed"
    assert by_id["test_tanh_backward"]["earlier"]["functions"] == ["tanh_forward"]
    assert not by_id["test_tanh_forward"]["earlier"]
    pages = {p.parent.name: p.read_text(encoding="utf-8") for p in write_feedback(out)}
    caio = pages["caio"]
    backward_part = caio.split("Exercício 2")[1]
    sentence = ("Primeiro, o exercício anterior: a sua resposta chama tanh_forward, de "
                "&quot;Exercício 1: forward&quot;, que não passou nos próprios testes")
    assert sentence in backward_part
    assert backward_part.index(sentence) < backward_part.index("<code>dx</code>")
    assert "exercício anterior" not in caio.split("Exercício 2")[0]
    assert "exercício anterior" not in pages["davi"]  # exercise 1 right: exercise 2 passes
