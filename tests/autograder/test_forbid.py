"""The forbid rule holds against any way of reaching the code, and names cost nothing.

While an exercise's cells run, what it forbids is replaced by gates that fail and report the
call by name (``autograder.forbid``); forbidden libraries cannot be imported. The source
analysis keeps only what gates cannot see: dynamic-lookup tricks, and forbidden libraries
imported before the exercise's cells run.
"""

import json
from pathlib import Path

import pytest
from conftest import FAST, SOURCE

from autograder import forbid, grade_notebook, substitute_answer
from autograder import notebook as nbmod
from autograder.release import chapters
from autograder.sandbox import run_cells

COURSE = Path(__file__).resolve().parents[2] / "course"


def _layout(path):
    return nbmod.layout(json.loads(Path(path).read_text(encoding="utf-8")))


def _answers(cells, **changed):
    answers = {c["grade_id"]: c["source"] for c in cells if c["kind"] == "answer"}
    return {**answers, **changed}


def test_names_cost_nothing_tricks_and_imports_do():
    cells = _layout(SOURCE)
    ok = _answers(cells)
    assert nbmod.forbidden_uses(cells, ok) == ({}, {})
    honest = _answers(cells, tanh_backward=ok["tanh_backward"] + (
        "\n# não use tanh_backward_ref\nglobal_norm = 'tanh_backward_ref'\n"
        "def f():\n    '''Adam, esn, torch e tanh_backward_ref só no texto.'''\n"))
    assert nbmod.forbidden_uses(cells, honest) == ({}, {})
    trick_later = _answers(cells, q1="resposta_q1 = eval('\"b\"')")
    assert nbmod.forbidden_uses(cells, trick_later) == ({}, {"q1": ["eval"]})
    trick_before = _answers(cells, tanh_forward=ok["tanh_forward"] + "\ng = globals()\n")
    disqualified, tricky = nbmod.forbidden_uses(cells, trick_before)
    assert set(disqualified) == {"tanh_backward"} and tricky == {"tanh_forward": ["globals"]}
    # a library the exercise forbids (implicitly: its solution does not use it), imported before
    imported = _answers(cells, tanh_forward=ok["tanh_forward"] + "\nimport scipy.special\n")
    assert "scipy" in nbmod.forbidden_uses(cells, imported)[0]["tanh_backward"]


def test_libraries_join_every_forbid_list_unless_the_solution_uses_them():
    assert forbid.effective_forbid(["rnn_forward"], "return x") == [
        "rnn_forward", "torch", "scipy", "sklearn"]
    assert forbid.effective_forbid(["from_torch"], "import torch\n") == [
        "from_torch", "scipy", "sklearn"]
    assert forbid.effective_forbid([], "x") == []


@pytest.mark.parametrize("source", ["%timeit tanh_forward(x, W, b)", "%%time\ny = 1",
                                    "%matplotlib inline", "%%timeit -n1 -r1 r = f\nr(1)",
                                    "x = 1  # eval, globals, getattr\n'''vars e exec'''"])
def test_timing_and_plot_magics_and_words_are_not_tricks(source):
    assert nbmod.answer_names(source)[1] == []


@pytest.mark.parametrize("source", [
    "import subprocess", "import os\nos.system('python')", "import sys\nsys.path.insert(0, '.')",
    "%run outro.py", "from operator import attrgetter", "import ctypes",
    "np.load('a.npy', allow_pickle=True)", "import pickle", "%%timeit -n1 -r1 g = globals()\nx",
    "match f:\n    case object(__globals__=g):\n        pass", "import __main__",
    "import string\nstring.Formatter().get_field('0.__globals__', [f], {})",
    "import typing\ntyping.get_type_hints(f)", "import logging.config\nx = 1",
    "s = '{0.__globals__}'.format(f)", "x = !ls", "%%bash\nls", "f.__defaults__",
    "import threading"])
def test_lookups_by_string_are_tricks(source):
    assert nbmod.answer_names(source)[1]


def test_static_analysis_is_linear_in_escapes():
    """A 177 KB cell with 220 shell escapes took 93 s in IPython's transformer."""
    import time

    cell = (("x = 1\n" * 130 + "!true\n") * 220)[:177_000]
    t0 = time.monotonic()
    assert "!true" in nbmod.answer_names(cell)[1]
    assert time.monotonic() - t0 < 10
    assert nbmod.answer_names("x = 1\n" * 40_000)[1] == ["célula grande demais para a análise"]


@pytest.mark.parametrize("chapter", chapters(COURSE))
def test_every_chapter_solution_uses_no_trick(chapter):
    cells = _layout(COURSE / chapter / f"{chapter}.ipynb")
    assert nbmod.forbidden_uses(cells, _answers(cells)) == ({}, {})


def test_aliases_are_gated_with_what_they_call_into():
    """The aliases no forbid list names: the private helpers only the forbidden code uses
    (04: training._global_norm) and the classes that call into it (05: rnnlib.LSTM, 06:
    rnnlib.GRU)."""
    def reached(*names):
        targets = forbid.plan((frozenset(names),))[0]
        return {f"{m}.{q}" for m, q in targets}

    assert "rnnlib.layers.recurrent.LSTM._run" in reached("lstm_cell_forward", "lstm_forward")
    assert "rnnlib.training._global_norm" in reached("clip_by_norm", "clip_by_value",
                                                      "global_norm")
    gru = reached("gru_cell_forward", "gru_forward")
    assert "rnnlib.layers.recurrent.GRU._run" in gru
    assert not any("linear" in t for t in gru)  # what the forbidden code calls stays usable


def _cells(*sources, forbid_list=("lstm_forward", "lstm_cell_forward")):
    effective = forbid.effective_forbid(list(forbid_list))
    kinds = ["code", "answer", "test"]
    return [{"index": i, "kind": kinds[min(i, 2)], "source": src,
             "forbid": effective if i >= 1 else []} for i, src in enumerate(sources)]


SETUP = "import numpy as np\nimport rnnlib\nimport rnnlib.functional as F\n"


@pytest.mark.parametrize("answer,label", [
    ("from rnnlib.functional.lstm import lstm_forward as g\nf = lambda *a: g(*a)",
     "F.lstm_forward"),
    ("f = lambda *a: F.lstm_forward(*a)", "F.lstm_forward"),
    ("camada = rnnlib.LSTM\nf = lambda x, *a: camada(3, 4).forward(x)", "rnnlib.LSTM"),
    ("%%timeit -n1 -r1 global f; f = lambda *a: F.lstm_forward(*a)\npass", "F.lstm_forward"),
    ("class C:\n    pass\nc = C()\nc.g = F.lstm_forward\nmatch c:\n    case object(g=ref):\n"
     "        f = lambda *a: ref(*a)", "F.lstm_forward"),
    ("def f(*a):\n    import scipy.special\n    return scipy.special.softmax(a[0])", "scipy"),
    ("def f(*a):\n    import torch\n    return torch.zeros(1)", "torch"),
])
def test_any_way_of_reaching_the_forbidden_code_is_reported_by_name(answer, label):
    test = ("rng = np.random.default_rng(0)\nx = rng.standard_normal((2, 1, 3))\n"
            "f(x, np.zeros((1, 4)), np.zeros((1, 4)), rng.standard_normal((16, 3)), "
            "rng.standard_normal((16, 4)), np.zeros(16), np.zeros(16))")
    result = run_cells(_cells(SETUP, answer, test), "self", FAST)
    assert label in result.forbidden.get(2, []), (result.forbidden, result.errors)
    assert result.statuses[2] == "error"
    # the same code where nothing is forbidden runs (or fails for its own reasons) unreported
    free = run_cells(_cells(SETUP, answer, test, forbid_list=()), "self", FAST)
    assert free.forbidden == {}


def test_a_test_cell_may_hand_the_reference_to_the_learner(cache_dir, tmp_path):
    """Chapter 05 passes F.lstm_cell_forward to the learner's lstm_seq_forward: the calls the
    solution's run makes in a test cell stay allowed there (and only there)."""
    source = COURSE / "05-lstm" / "05-lstm.ipynb"
    cheat = '''def lstm_seq_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh, step_forward):
    import rnnlib.functional.lstm as m
    return m.lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
'''
    gid = "c05_ex3_resp"
    path = substitute_answer(source, gid, cheat, tmp_path / "s.ipynb")
    result = grade_notebook(source, path, cache_dir=cache_dir)
    lost = {c.exercise for c in result.cells if c.status == "forbidden"}
    assert lost == {gid}, (result.notes, result.scores())
    assert result.reasons == ["forbidden reference"]
    assert any("F.lstm_forward" in c.detail for c in result.cells)


def _call_forbidden(names):
    """Code that calls something ``names`` forbid (the gate fires before any argument is
    looked at), or None when nothing of it is reachable by import here."""
    targets = sorted(forbid.plan((frozenset(names),))[0])
    for name in names:
        for module, qualname in targets:
            if name in (qualname, qualname.partition(".")[0], qualname.rpartition(".")[2]):
                return f"import {module} as _m\n_m.{qualname}(None)"
    libraries = [n for n in names if n in forbid.LIBRARIES]
    return f"import {libraries[0]}" if libraries else None


@pytest.mark.parametrize("chapter", chapters(COURSE))
def test_self_check_warns_for_every_exercise_with_a_forbid_list(chapter, tmp_path):
    """issue 14: `autograder check` (no --source) names the forbidden reference and what it
    costs, for every exercise with a forbid list (one run per chapter: each exercise's answer
    also calls what it forbids)."""
    from autograder.selfcheck import self_check

    source = COURSE / chapter / f"{chapter}.ipynb"
    nb = json.loads(source.read_text(encoding="utf-8"))
    cells = nbmod.layout(nb)
    expected = {}
    for c in cells:
        if c["kind"] == "answer" and c["forbid"]:
            call = _call_forbidden(c["forbid"])
            assert call, (chapter, c["grade_id"], "nada da lista forbid é alcançável")
            nb["cells"][c["index"]]["source"] = (
                c["source"] + f"\n\ntry:\n    {call.replace(chr(10), chr(10) + '    ')}\n"
                "except Exception:\n    pass\n")
            expected[c["grade_id"]] = call
    if not expected:
        pytest.skip("capítulo sem listas forbid")
    path = tmp_path / f"{chapter}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    lines, _ = self_check(path)
    warned = {c["exercise"] for c in cells for line in lines
              if c["kind"] == "test" and line.grade_id == c["grade_id"]
              and "sem crédito: usa" in line.message and not line.ok}
    assert warned == set(expected), {line.grade_id: line.message for line in lines}


def test_a_later_exercise_may_use_an_earlier_ones_reference(cache_dir, tmp_path):
    """Chapter 03's truncated BPTT with rnnlib's rnn_forward/rnn_backward, which exercises 1
    and 2 forbid: the authors once needed a locked helper cell for this; now it is allowed."""
    source = COURSE / "03-bptt" / "03-bptt.ipynb"
    code = '''def truncated_bptt(xs, h0, W_xh, W_hh, b, dhs, k, bptt):
    dW_xh, dW_hh, db, h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b), h0
    for s in range(0, xs.shape[0], k):
        hs, cache = F.rnn_forward(xs[s:s + k], h, W_xh, W_hh, b)
        _, _, g = F.rnn_backward(dhs[s:s + k], cache)
        dW_xh, dW_hh, db = dW_xh + g["weight_ih"], dW_hh + g["weight_hh"], db + g["bias_ih"]
        h = hs[-1]
    return dW_xh, dW_hh, db, h
'''
    path = substitute_answer(source, "c03_ex3_resp", code, tmp_path / "s.ipynb")
    result = grade_notebook(source, path, cache_dir=cache_dir)
    assert result.status == "ok", (result.reasons, result.notes)
    assert result.score == result.max_score
    # the same call in exercise 2's own cell costs exercise 2 only
    own = "def rnn_bptt(dhs, xs, h0, hs, W_xh, W_hh):\n    return F.rnn_backward(dhs, None)\n"
    path = substitute_answer(source, "c03_ex2_resp", own, tmp_path / "t.ipynb")
    result = grade_notebook(source, path, cache_dir=cache_dir)
    assert {c.exercise for c in result.cells if c.status == "forbidden"} == {"c03_ex2_resp"}
    assert result.reasons == ["forbidden reference"]


@pytest.mark.parametrize("answer,forbidden", [
    ("f = F.lstm_forward", True),  # an alias the test then calls by the learner's name
    ("import functools\nf = functools.partial(F.lstm_forward)", True),
    ("def f(*a):\n    return np.zeros(1)", False),
])
def test_a_test_cell_may_call_the_reference_itself_but_not_through_the_learner(answer,
                                                                              forbidden):
    """A visible check computes its expected value with F.lstm_forward (chapter 02 does so
    with F.rnn_cell_forward): that call is the test's; the same function reached through a
    name the learner bound is the learner's."""
    args = ("rng = np.random.default_rng(0)\na = (rng.standard_normal((2, 1, 3)), "
            "np.zeros((1, 4)), np.zeros((1, 4)), rng.standard_normal((16, 3)), "
            "rng.standard_normal((16, 4)), np.zeros(16), np.zeros(16))\n")
    test = args + "esperado = F.lstm_forward(*a)\nvalor = f(*a)\n"
    result = run_cells(_cells(SETUP, answer, test), "self", FAST)
    assert ("F.lstm_forward" in result.forbidden.get(2, [])) == forbidden, result.forbidden


def test_self_study_allows_what_a_test_cell_hands_over():
    """Chapter 05's test passes ``F.lstm_cell_forward`` to the learner's sequence loop: without
    the reference run (self-check, the learner's kernel) that stays allowed in that cell, and
    only there; a call the test makes itself is not a hand-over."""
    from autograder.forbid import allowances, handed_over

    course = Path(__file__).resolve().parents[2] / "course" / "05-lstm" / "05-lstm.ipynb"
    cells = nbmod.layout(json.loads(course.read_text(encoding="utf-8")))
    allowed = {cells[i]["grade_id"]: names for i, names in allowances(cells).items()}
    assert "F.lstm_cell_forward" in allowed["c05_ex3_teste"]
    assert allowed["c05_ex1_teste"] == []
    assert handed_over("y = f(x, F.rnn_cell_forward)", ["F.rnn_cell_forward"]) == [
        "F.rnn_cell_forward"]
    assert handed_over("y = F.rnn_cell_forward(x)", ["F.rnn_cell_forward"]) == []


HELD = SETUP + ("import torch\nimport scipy.special as sp\nfrom torch import zeros as tz\nheld = [torch]\n"
                "def outer():\n    t = torch\n    return lambda: t.tanh(t.zeros(1))\n"
                "maker = outer()\n")


@pytest.mark.parametrize("answer,label", [
    ("f = lambda *a: torch.zeros(1)", "torch"),           # the set-up cell's name
    ("f = lambda *a: tz(1)", "torch"),                    # a function imported from it
    ("f = lambda *a: held[0].zeros(1)", "torch"),         # a reference in a list
    ("def f(*a, t=torch):\n    return t.zeros(1)", "torch"),  # a default argument
    ("f = lambda *a: maker()", "torch"),                  # a closure made before
    ("f = lambda *a: sp.softmax(a[0])", "scipy"),
])
def test_a_library_loaded_before_is_out_of_reach_too(answer, label):
    """torch or scipy imported by an earlier cell (the notebook's set-up) stays refused while an
    exercise that forbids it runs, however the learner holds on to it; the next cell outside
    the exercise has it back."""
    test = "f(np.zeros((1, 3)))"
    after = "y = torch.zeros(1) + sp.softmax(np.zeros(2))[0] + held[0].ones(1)"
    cells = _cells(HELD, answer, test) + [{"index": 3, "kind": "code", "source": after,
                                           "forbid": []}]
    result = run_cells(cells, "self", FAST)
    assert label in result.forbidden.get(2, []), (result.forbidden, result.errors)
    assert result.statuses[0] == result.statuses[3] == "ok", result.errors
    free = run_cells(_cells(HELD, answer, test, forbid_list=()), "self", FAST)
    assert free.forbidden == {} and free.statuses[2] == "ok", free.errors
