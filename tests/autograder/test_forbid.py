"""The forbidden-name rule is per exercise, and it holds for every chapter in course/.

Exercise k earns nothing when a name of its ``forbid`` list appears in its own answer cell or in
an earlier one (a helper there may call the reference), or when such a cell uses a dynamic
lookup; a name forbidden only for an earlier exercise is free in a later one.
"""

import json
from pathlib import Path

import pytest
from conftest import SOURCE

from autograder import grade_notebook, substitute_answer
from autograder import notebook as nbmod
from autograder.release import chapters

COURSE = Path(__file__).resolve().parents[2] / "course"


def _layout(path):
    return nbmod.layout(json.loads(Path(path).read_text(encoding="utf-8")))


def _answers(cells, **changed):
    answers = {c["grade_id"]: c["source"] for c in cells if c["kind"] == "answer"}
    return {**answers, **changed}


def test_rule_on_the_sample_chapter():
    cells = _layout(SOURCE)
    ok = _answers(cells)
    assert nbmod.forbidden_uses(cells, ok) == ({}, {})
    own = _answers(cells, tanh_backward="def tanh_backward(*a):\n    return tanh_backward_ref(*a)")
    assert set(nbmod.forbidden_uses(cells, own)[0]) == {"tanh_backward"}
    helper = _answers(cells, tanh_forward=ok["tanh_forward"] + "\najuda = tanh_backward_ref\n",
                      tanh_backward="def tanh_backward(*a):\n    return ajuda(*a)")
    why = nbmod.forbidden_uses(cells, helper)[0]["tanh_backward"]
    assert "tanh_backward_ref" in why and "tanh_forward" in why
    later = _answers(cells, q2='resposta_q2 = "c"\nx = tanh_backward_ref')
    assert nbmod.forbidden_uses(cells, later) == ({}, {})
    trick_later = _answers(cells, q1="resposta_q1 = eval('\"b\"')")
    assert nbmod.forbidden_uses(cells, trick_later) == ({}, {"q1": ["eval"]})
    trick_before = _answers(cells, tanh_forward=ok["tanh_forward"] + "\ng = globals()\n")
    disqualified, tricky = nbmod.forbidden_uses(cells, trick_before)
    assert set(disqualified) == {"tanh_backward"} and tricky == {"tanh_forward": ["globals"]}


@pytest.mark.parametrize("source", ["%timeit tanh_forward(x, W, b)", "%%time\ny = 1",
                                    "%matplotlib inline"])
def test_timing_and_plot_magics_are_not_tricks(source):
    assert nbmod.answer_names(source)[1] == []


@pytest.mark.parametrize("source", ["import subprocess", "import os\nos.system('python')",
                                    "import sys\nsys.path.insert(0, '.')", "%run outro.py",
                                    "from operator import attrgetter", "import ctypes",
                                    "np.load('a.npy', allow_pickle=True)", "import pickle"])
def test_lookups_by_string_are_tricks(source):
    assert nbmod.answer_names(source)[1]


@pytest.mark.parametrize("chapter", chapters(COURSE))
def test_every_chapter_follows_the_rule(chapter):
    cells = _layout(COURSE / chapter / f"{chapter}.ipynb")
    answers = _answers(cells)
    assert nbmod.forbidden_uses(cells, answers) == ({}, {}), "a solução usa nome proibido"
    order = [c["grade_id"] for c in cells if c["kind"] == "answer"]
    for k, cell in enumerate(c for c in cells if c["kind"] == "answer"):
        for name in cell["forbid"]:
            use = f"\n_uso = {name}\n"
            for j, gid in enumerate(order):
                lost = nbmod.forbidden_uses(cells, {**answers, gid: answers[gid] + use})[0]
                assert (cell["grade_id"] in lost) == (j <= k), (chapter, cell["grade_id"], gid)


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
