"""Chapter 02 (A RNN simples): the notebook runs, has its parts, and the grading catches
typical wrong answers for every exercise."""

import json
import re
from pathlib import Path

import pytest

from autograder.grading import grade_notebook, substitute_answer
from autograder.release import release

NOTEBOOK = "02-rnn-simples"
COURSE = Path(__file__).resolve().parents[2] / "course"
SOURCE = COURSE / NOTEBOOK / f"{NOTEBOOK}.ipynb"

# exercise answer cell -> typical wrong answers (description, full cell source)
WRONG_ANSWERS = {
    "c02_ex1_resp": [
        ("sem a tanh", """
def rnn_step(x, h_prev, W_xh, W_hh, b):
    return x @ W_xh.T + h_prev @ W_hh.T + b
"""),
        ("W_hh sem transpor", """
def rnn_step(x, h_prev, W_xh, W_hh, b):
    return np.tanh(x @ W_xh.T + h_prev @ W_hh + b)
"""),
        ("esquece o estado anterior", """
def rnn_step(x, h_prev, W_xh, W_hh, b):
    return np.tanh(x @ W_xh.T + b)
"""),
    ],
    "c02_ex2_resp": [
        ("usa sempre h0 como estado anterior", """
def rnn_sequence(x, h0, W_xh, W_hh, b):
    hs = np.zeros((x.shape[0],) + h0.shape)
    for t in range(x.shape[0]):
        hs[t] = np.tanh(x[t] @ W_xh.T + h0 @ W_hh.T + b)
    return hs
"""),
        ("guarda o estado anterior em vez do novo", """
def rnn_sequence(x, h0, W_xh, W_hh, b):
    hs = np.zeros((x.shape[0],) + h0.shape)
    h = h0
    for t in range(x.shape[0]):
        hs[t] = h
        h = np.tanh(x[t] @ W_xh.T + h @ W_hh.T + b)
    return hs
"""),
        ("devolve só o último estado", """
def rnn_sequence(x, h0, W_xh, W_hh, b):
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ W_xh.T + h @ W_hh.T + b)
    return h
"""),
    ],
    "c02_ex3_resp": [
        ("blocos de W na ordem trocada", """
def concat_weights(W_hh, W_xh):
    return np.concatenate([W_xh, W_hh], axis=1)


def rnn_step_concat(x, h_prev, W, b):
    return np.tanh(np.concatenate([h_prev, x], axis=1) @ W.T + b)
"""),
        ("empilha [x, h_prev] com W = [W_hh W_xh]", """
def concat_weights(W_hh, W_xh):
    return np.concatenate([W_hh, W_xh], axis=1)


def rnn_step_concat(x, h_prev, W, b):
    return np.tanh(np.concatenate([x, h_prev], axis=1) @ W.T + b)
"""),
        ("concatena W na vertical", """
def concat_weights(W_hh, W_xh):
    return np.concatenate([W_hh, W_xh.T], axis=0)


def rnn_step_concat(x, h_prev, W, b):
    return np.tanh(np.concatenate([h_prev, x], axis=1) @ W + b)
"""),
    ],
    "c02_ex4_resp": [
        ("usa o primeiro estado", """
def many_to_one(hs, V, c):
    return softmax(hs[0] @ V.T + c)
"""),
        ("esquece a softmax", """
def many_to_one(hs, V, c):
    return hs[-1] @ V.T + c
"""),
        ("softmax ao longo do lote", """
def many_to_one(hs, V, c):
    e = np.exp(hs[-1] @ V.T + c)
    return e / e.sum(axis=0, keepdims=True)
"""),
    ],
    "c02_ex5_resp": [
        ("softmax ao longo do tempo", """
def many_to_many(hs, V, c):
    e = np.exp(hs @ V.T + c)
    return e / e.sum(axis=0, keepdims=True)
"""),
        ("sem o viés c", """
def many_to_many(hs, V, c):
    return softmax(hs @ V.T)
"""),
    ],
    "c02_ex6_resp": [
        ("não realimenta a saída", """
def one_to_many(x0, h0, W_xh, W_hh, b, V, c, T):
    ys, h = [], h0
    for _ in range(T):
        h = np.tanh(x0 @ W_xh.T + h @ W_hh.T + b)
        ys.append(h @ V.T + c)
    return np.stack(ys)
"""),
        ("softmax numa saída de regressão", """
def one_to_many(x0, h0, W_xh, W_hh, b, V, c, T):
    ys, x, h = [], x0, h0
    for _ in range(T):
        h = np.tanh(x @ W_xh.T + h @ W_hh.T + b)
        x = softmax(h @ V.T + c)
        ys.append(x)
    return np.stack(ys)
"""),
        ("devolve os estados em vez das saídas", """
def one_to_many(x0, h0, W_xh, W_hh, b, V, c, T):
    hs, x, h = [], x0, h0
    for _ in range(T):
        h = np.tanh(x @ W_xh.T + h @ W_hh.T + b)
        hs.append(h)
        x = h @ V.T + c
    return np.stack(hs)
"""),
    ],
}
WRONG_CASES = [(gid, desc, code) for gid, cases in WRONG_ANSWERS.items() for desc, code in cases]


def outputs_text(nb):
    # same as conftest.outputs_text (a conftest module cannot be imported by name here: the
    # one in tests/ shadows it)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            elif "data" in out and "text/plain" in out["data"]:
                parts.append(out["data"]["text/plain"])
    return "\n".join(parts)


def count_images(nb):
    return sum(1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {}))


def _cells():
    return json.loads(SOURCE.read_text(encoding="utf-8"))["cells"]


def _nbg(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ref02")


def test_notebook_executes(executed):
    nb, seconds = executed
    print(f"\n{NOTEBOOK}: executado em {seconds:.1f} s")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


def test_structure():
    cells = _cells()
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    answers = [c for c in cells if _nbg(c).get("solution")]
    exercises = [c for c in answers if "resposta_" not in "".join(c["source"])]
    quizzes = [c for c in answers if "resposta_" in "".join(c["source"])]
    assert len(exercises) >= 3 and len(quizzes) >= 4
    assert all(c["metadata"].get("autograder", {}).get("forbid") for c in exercises)
    assert "Objetivos de aprendizagem" in text and "Para saber mais" in text
    assert "h_t = f" in text and "V h_t + c" in text and "softmax" in text
    assert "sushi" in text and "muitos-para-um" in text and "um-para-muitos" in text
    ids = [_nbg(c)["grade_id"] for c in cells if _nbg(c)]
    assert len(ids) == len(set(ids))
    assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code")
    for wrong in WRONG_ANSWERS:
        assert wrong in ids


def test_figures_and_printed_results(executed):
    nb, _ = executed
    out = outputs_text(nb)
    assert count_images(nb) >= 4  # dados sequenciais, memória, arquiteturas, curva de perda
    diff = re.search(r"maior diferença entre a camada e rnn_sequence: (\S+)", out).group(1)
    assert float(diff) < 1e-12
    loss = float(re.search(r"perda média nos últimos 50 passos: ([0-9.]+)", out).group(1))
    assert loss < 0.05
    assert "acertos: 15/15" in out


def test_solutions_score_full_marks(cache_dir):
    result = grade_notebook(SOURCE, SOURCE, cache_dir=cache_dir)
    assert result.status == "ok", result.notes
    assert result.max_score > 0 and result.score == result.max_score


def test_untouched_release_scores_zero(cache_dir, tmp_path):
    (released,) = release(COURSE, tmp_path, NOTEBOOK)
    result = grade_notebook(SOURCE, released, cache_dir=cache_dir)
    assert result.score == 0


@pytest.mark.parametrize("gid,desc,code", WRONG_CASES, ids=[f"{g}:{d}" for g, d, _ in WRONG_CASES])
def test_wrong_answer_loses_only_its_exercise(gid, desc, code, cache_dir, tmp_path):
    sub = substitute_answer(SOURCE, gid, code.strip() + "\n", tmp_path / "sub.ipynb")
    result = grade_notebook(SOURCE, sub, cache_dir=cache_dir)
    own = [c for c in result.cells if c.exercise == gid]
    others = [c for c in result.cells if c.exercise != gid]
    assert own and all(c.points == 0 for c in own), f"{desc}: não foi detectado"
    assert all(c.points == c.max_points for c in others), f"{desc}: afetou outros exercícios"


def test_forbidden_reference_earns_nothing(cache_dir, tmp_path):
    code = ("def rnn_step(x, h_prev, W_xh, W_hh, b):\n"
            "    return F.rnn_cell_forward(x, h_prev, W_xh, W_hh, b)[0]\n")
    sub = substitute_answer(SOURCE, "c02_ex1_resp", code, tmp_path / "sub.ipynb")
    result = grade_notebook(SOURCE, sub, cache_dir=cache_dir)
    own = [c for c in result.cells if c.exercise == "c02_ex1_resp"]
    assert own and all(c.status == "forbidden" and c.points == 0 for c in own)
