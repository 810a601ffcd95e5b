"""Planted submissions built from the sample chapter, each with the grade it must get.

``build(case, source_nb, release_nb, secrets)`` returns the submission's bytes. ``secrets`` holds
absolute paths the sandbox must not reach (source, gradebook, other submissions) and an
environment variable it must not see. Many plants are correct answers that sabotage
themselves if the attack *works*, so full marks prove the attack failed.
"""

import copy
import json

SOLUTION = {"test_tanh_forward": 2, "test_tanh_backward": 3, "test_q1": 1, "test_q2": 1}
ZERO = dict.fromkeys(SOLUTION, 0)

FORWARD_OK = '''def tanh_forward(x, W, b):
    return np.tanh(x @ W + b)
'''
FORWARD_WRONG = '''def tanh_forward(x, W, b):
    return np.zeros((x.shape[0], W.shape[1]))
'''
BACKWARD_OK = '''def tanh_backward(dh, x, W, b):
    h = np.tanh(x @ W + b)
    da = dh * (1 - h**2)
    return da @ W.T, x.T @ da, da.sum(axis=0)
'''


def _cell(nb, gid):
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid:
            return cell
    raise KeyError(gid)


def _answer(gid, src):
    def mutate(nb, secrets):
        _cell(nb, gid)["source"] = src
        return nb
    return mutate


def _raw(src):
    def mutate(nb, secrets):
        _cell(nb, "tanh_forward")["source"] = src.replace("@@", repr(secrets))
        return nb
    return mutate


def _strip_metadata(nb, secrets):
    for cell in nb["cells"]:
        cell["metadata"] = {}
    return nb


def _delete_tests(nb, secrets):
    nb["cells"] = [c for c in nb["cells"] if not c["metadata"].get("nbgrader", {}).get("grade")]
    return nb


def _edit_tests(nb, secrets):
    for cell in nb["cells"]:
        nbg = cell["metadata"].get("nbgrader", {})
        if nbg.get("grade"):
            nbg["points"] = 100
            cell["source"] = "check('forma', (2, 4), (2, 4))"
    _cell(nb, "tanh_forward")["source"] = FORWARD_WRONG
    return nb


def _duplicate(nb, secrets):
    i = nb["cells"].index(_cell(nb, "tanh_forward"))
    dup = copy.deepcopy(nb["cells"][i])
    dup["source"] = FORWARD_WRONG
    nb["cells"].insert(i + 1, dup)
    test = copy.deepcopy(_cell(nb, "test_tanh_forward"))
    nb["cells"].append(test)
    return nb


def _add_cell(nb, secrets):
    cell = copy.deepcopy(_cell(nb, "test_q2"))
    cell["metadata"]["nbgrader"].update(grade_id="bonus", points=100)
    cell["source"] = "check('bonus', 1.0, 1.0)"
    nb["cells"].append(cell)
    return nb


def _wrong_quiz(nb, secrets):
    _cell(nb, "q1")["source"] = 'resposta_q1 = "a"'
    return nb


_LEAK_CHECK = '''import os
leaked = [p for p in @@["paths"] if os.path.exists(p)]
leaked += [k for k in os.environ if k == @@["env"]]
''' + FORWARD_OK + '''if leaked:
    tanh_forward = lambda x, W, b: 0 * x @ W
'''

_WRITE_ATTACK = '''import os
for p in @@["paths"]:
    for target in (p, os.path.join(os.path.dirname(p), "planted.txt")):
        try:
            with open(target, "w") as fh:
                fh.write("hacked")
        except OSError:
            pass
''' + FORWARD_OK

_NETWORK = '''import socket
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2).close()
    connected = True
except OSError:
    connected = False
''' + FORWARD_OK + '''if connected:
    tanh_forward = lambda x, W, b: 0 * x @ W
'''

# name -> (mutation or None (solution as is), expected points per test cell, status, reasons)
CASES = {
    "solution": (None, SOLUTION, "ok", []),
    "error_in_answer": (_answer("tanh_forward", "raise ValueError('ops')"),
                        {**SOLUTION, "test_tanh_forward": 0}, "ok", []),
    "infinite_loop": (_answer("tanh_forward", "while True:\n    pass"),
                      {**SOLUTION, "test_tanh_forward": 0}, "needs_review", ["timeout"]),
    "swallow_interrupt": (_answer("tanh_forward", FORWARD_OK + "import time\nwhile True:\n"
                                  "    try:\n        time.sleep(0.1)\n"
                                  "    except KeyboardInterrupt:\n        pass\n"),
                          {**SOLUTION, "test_tanh_forward": 0}, "needs_review", ["timeout"]),
    "tests_edited": (_edit_tests, {**SOLUTION, "test_tanh_forward": 0}, "ok", []),
    "tests_deleted": (_delete_tests, SOLUTION, "ok", []),
    "metadata_stripped": (_strip_metadata, ZERO, "needs_review", ["missing cells"]),
    "duplicated_cells": (_duplicate, SOLUTION, "needs_review", ["duplicated cells"]),
    "added_cell": (_add_cell, SOLUTION, "ok", []),
    "allclose_monkeypatch": (_answer("tanh_forward", FORWARD_WRONG + "np.allclose = lambda *a, **k: True\n"
                                     "np.testing.assert_allclose = lambda *a, **k: None\n"
                                     "import autograder.student as s\n"
                                     "s.check = lambda *a, **k: None\n"),
                             {**SOLUTION, "test_tanh_forward": 0}, "ok", []),
    "rewrite_cells_hook": (_answer("tanh_forward", FORWARD_WRONG +
                                   "get_ipython().input_transformers_post.append(\n"
                                   "    lambda lines: [] if 'check(' in ''.join(lines) else lines)\n"),
                           {**ZERO, "test_q1": 1, "test_q2": 1}, "needs_review",
                           ["tampering", "forbidden reference"]),
    "equal_subclass": (_answer("tanh_forward", '''class Igual(np.ndarray):
    def __eq__(self, other):
        return True
    def __array_function__(self, func, types, args, kwargs):
        return True
    def __float__(self):
        return 0.0

def tanh_forward(x, W, b):
    return np.zeros((x.shape[0], W.shape[1])).view(Igual)
'''), {**SOLUTION, "test_tanh_forward": 0}, "ok", []),
    "silence_traceback": (_answer("tanh_forward", FORWARD_WRONG +
                                  "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
                                  "ip.set_custom_exc((Exception,), lambda *a, **k: None)\n"),
                          {**SOLUTION, "test_tanh_forward": 0, "test_tanh_backward": 0},
                          "needs_review", ["tampering", "forbidden reference"]),
    "env_cheat": (_answer("tanh_forward", "import os\n" + FORWARD_WRONG +
                          "if os.environ.get('NBGRADER_EXECUTION') != 'autograde':\n"
                          "    tanh_forward = lambda x, W, b: np.tanh(x @ W + b)\n"),
                  SOLUTION, "ok", []),
    "read_secrets": (_raw(_LEAK_CHECK), SOLUTION, "ok", []),
    "write_gradebook_and_source": (_raw(_WRITE_ATTACK), SOLUTION, "ok", []),
    "network": (_raw(_NETWORK), SOLUTION, "ok", []),
    "os_exit": (_answer("q1", "import os\nos._exit(0)"), {**SOLUTION, "test_q1": 0},
                "needs_review", ["crash"]),
    "segfault": (_answer("tanh_backward", "import ctypes\nctypes.string_at(0)"),
                 {**SOLUTION, "test_tanh_backward": 0}, "needs_review", ["crash"]),
    "memory_bomb": (_answer("tanh_forward", "blocos = []\nwhile True:\n"
                            "    blocos.append(np.empty(2**26))  # 512 MiB of address space each\n" + FORWARD_OK),
                    {**SOLUTION, "test_tanh_forward": 0}, "ok", []),
    "fork_bomb": (_answer("q2", "import os\nwhile True:\n    try:\n        os.fork()\n"
                          "    except OSError:\n        pass\n"),
                  {**SOLUTION, "test_q2": 0}, "needs_review", ["timeout"]),
    "output_flood": (_answer("tanh_forward", "for i in range(300_000):\n"
                             "    print('linha', i)\n" + FORWARD_OK), SOLUTION, "ok", []),
    "warns": (_answer("tanh_forward", "import sys, warnings\n" + FORWARD_OK +
                      "warnings.warn('cuidado', RuntimeWarning)\n"
                      "print('aviso no stderr', file=sys.stderr)\n"), SOLUTION, "ok", []),
    "forbidden_reference": (_answer("tanh_backward", "def tanh_backward(dh, x, W, b):\n"
                                    "    return tanh_backward_ref(dh, x, W, b)\n"),
                            {**SOLUTION, "test_tanh_backward": 0}, "needs_review",
                            ["forbidden reference"]),
    "forbidden_via_globals": (_answer("tanh_backward", "def tanh_backward(dh, x, W, b):\n"
                                      "    f = globals()['tanh_backward' + '_ref']\n"
                                      "    return f(dh, x, W, b)\n"),
                              {**SOLUTION, "test_tanh_backward": 0}, "needs_review",
                              ["forbidden reference", "tampering"]),
    "wrong_quiz": (_wrong_quiz, {**SOLUTION, "test_q1": 0}, "ok", []),
    "grading_mode_off": (_answer("q1", "import autograder.student as s\ns._GRADED = False\n"
                                 "resposta_q1 = 'b'"), {**SOLUTION, "test_q1": 0, "test_q2": 0},
                         "ok", []),
}


def build(case, source_nb, secrets):
    """Bytes of the planted submission ``case`` (``source_nb`` is the solution notebook)."""
    mutate = CASES[case][0]
    nb = copy.deepcopy(source_nb)
    if mutate is not None:
        nb = mutate(nb, secrets)
    return json.dumps(nb, ensure_ascii=False).encode()
