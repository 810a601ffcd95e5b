"""Regenerate the sample chapter notebook: python tests/autograder/sample/make_sample.py"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def meta(gid, *, solution=False, grade=False, locked=False, points=0):
    m = {"grade_id": gid, "solution": solution, "grade": grade, "locked": locked,
         "task": False, "schema_version": 3}
    if grade:
        m["points"] = points
    return {"nbgrader": m}

cells = []


def md(text):
    cells.append(new_markdown_cell(text))


def code(text, **metadata):
    cells.append(new_code_cell(text, metadata=metadata))


md("# Capítulo de amostra\n\nUma camada $h = \\tanh(xW + b)$, seu gradiente e duas perguntas.")
code("""import numpy as np

from autograder.student import check, quiz


def tanh_backward_ref(dh, x, W, b):
    # implementação de referência "da biblioteca" (o exercício 2 proíbe usá-la)
    a = x @ W + b
    g = dh / np.cosh(a) ** 2
    return g @ W.T, x.T @ g, np.sum(g, axis=0)""", **meta("setup", locked=True))
md("## Exercício 1: forward\n\nEscreva `tanh_forward(x, W, b)`.")
FORWARD = '''def tanh_forward(x, W, b):
    """h = tanh(x W + b); x (N, D), W (D, H), b (H,) -> h (N, H)."""
    ### BEGIN SOLUTION
    return np.tanh(x @ W + b)
    ### END SOLUTION'''
WRONG_FORWARD = {"sem_vies": ("parece que você esqueceu de somar o viés b antes da tangente",
                              "np.tanh(x @ W)"),
                 "sem_tanh": ("parece que você não aplicou a tangente hiperbólica no final",
                              "x @ W + b")}
code(FORWARD, **meta("tanh_forward", solution=True), autograder={"equivocos": [
    {"id": k, "mensagem": m, "codigo": "def tanh_forward(x, W, b):\n    return " + c + "\n"}
    for k, (m, c) in WRONG_FORWARD.items()]})
code('''rng = np.random.default_rng(1)
x, W, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
h = tanh_forward(x, W, b)
check("forma", np.shape(h), (2, 4), dica="A saída deve ter forma (N, H).")
check("um_valor", tanh_forward(np.array([[0.5, -1.0]]), np.array([[1.0], [2.0]]), np.array([0.25])),
      [[-0.848283639957513]], dica="Some o viés antes de aplicar a tangente hiperbólica.")
### BEGIN HIDDEN TESTS
check("oculto", tanh_forward(rng.standard_normal((5, 3)), W, b))
### END HIDDEN TESTS''', **meta("test_tanh_forward", grade=True, locked=True, points=2))
md("## Exercício 2: backward\n\nEscreva `tanh_backward(dh, x, W, b)` devolvendo `(dx, dW, db)`, sem usar `tanh_backward_ref`.")
c = new_code_cell('''def tanh_backward(dh, x, W, b):
    """Gradientes de h = tanh(x W + b): dx (N, D), dW (D, H), db (H,)."""
    ### BEGIN SOLUTION
    h = np.tanh(x @ W + b)
    da = dh * (1 - h**2)
    return da @ W.T, x.T @ da, da.sum(axis=0)
    ### END SOLUTION''', metadata={**meta("tanh_backward", solution=True),
                                  "autograder": {"forbid": ["tanh_backward_ref"]}})
cells.append(c)
code('''rng = np.random.default_rng(2)
x, W, b = rng.standard_normal((3, 2)), rng.standard_normal((2, 4)), rng.standard_normal(4)
dh = rng.standard_normal((3, 4))
dx, dW, db = tanh_backward(dh, x, W, b)


def numerico(f, v, eps=1e-6):
    g = np.zeros_like(v)
    for i in np.ndindex(v.shape):
        old = v[i]
        v[i] = old + eps
        mais = np.sum(f() * dh)
        v[i] = old - eps
        menos = np.sum(f() * dh)
        v[i] = old
        g[i] = (mais - menos) / (2 * eps)
    return g


def f():
    return np.tanh(np.dot(x, W) + b)


check("dx", dx, numerico(f, x), rtol=1e-5, atol=1e-7, dica="Regra da cadeia: (1 - h²) ⊙ dh, depois W.T.")
check("dW", dW, numerico(f, W), rtol=1e-5, atol=1e-7, dica="dW soma sobre o lote: x.T @ (...).")
### BEGIN HIDDEN TESTS
check("db", db, rtol=1e-5, atol=1e-7)
dh2 = np.ones((3, 4))
check("dx_uns", tanh_backward(dh2, x, W, b)[0])
### END HIDDEN TESTS''', **meta("test_tanh_backward", grade=True, locked=True, points=3))
md("## Pergunta 1\n\nQual a derivada de $\\tanh(a)$?\n\na) $\\tanh(a)$  b) $1 - \\tanh^2(a)$  c) $1 + \\tanh^2(a)$  d) $e^a$")
code('''# Escolha uma alternativa: "a", "b", "c" ou "d"
resposta_q1 = None
### BEGIN SOLUTION
resposta_q1 = "b"
### END SOLUTION''', **meta("q1", solution=True), autograder={"explicacoes": {
    "a": "tanh(a) é a própria função, não a sua inclinação.",
    "b": "A derivada de tanh é 1 - tanh², que vale 1 em zero e cai nas pontas.",
    "c": "O sinal está trocado: a inclinação de tanh diminui longe de zero.",
    "d": "e^a é a derivada da exponencial, não da tangente hiperbólica."}})
code('''quiz("q1", resposta_q1)''', **meta("test_q1", grade=True, locked=True, points=1))
md("## Pergunta 2\n\nQual o intervalo de saída de $\\tanh$?\n\na) $[0, 1]$  b) $[0, \\infty)$  c) $(-1, 1)$  d) $\\mathbb{R}$")
code('''# Escolha uma alternativa: "a", "b", "c" ou "d"
resposta_q2 = None
### BEGIN SOLUTION
resposta_q2 = "c"
### END SOLUTION''', **meta("q2", solution=True))
code('''quiz("q2", resposta_q2)''', **meta("test_q2", grade=True, locked=True, points=1))
md("## Demonstração (não corrigida)")
code('''import time

import matplotlib.pyplot as plt

time.sleep(3)  # um "treino" lento: pulado na correção
a = np.linspace(-3, 3, 100)
plt.plot(a, tanh_forward(a[:, None], np.ones((1, 1)), np.zeros(1)))''', tags=["demo"])
nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}, "language_info": {"name": "python"}})
nbformat.validate(nb)
nbformat.write(nb, Path(__file__).parent / "course" / "01-amostra" / "01-amostra.ipynb")
