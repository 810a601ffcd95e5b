"""Planted submissions built from the sample chapter, each with the grade it must get.

``build(case, source_nb, secrets)`` returns the submission's bytes. ``secrets`` holds absolute
``paths`` the sandbox must not read (source, gradebook, other submissions, system files), the
``writable`` ones it must not write (only test-owned copies: never system files) and an
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
for p in @@["writable"]:
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

BACKWARD_ZEROS = '''def tanh_backward(dh, x, W, b):
    return np.zeros_like(x), np.zeros_like(W), np.zeros_like(b)
'''

# exercise 2's forbidden reference wrapped in a helper defined in exercise 1's cell
_HELPER_FORWARD = FORWARD_OK + '''

def ajuda(dh, x, W, b):
    return tanh_backward_ref(dh, x, W, b)
'''

# a later cell (where the reference is allowed) recomputes exercise 2's hidden values with it
# and sends them as exercise 2's capture: the grader must keep the values sent first
_SPY_BACKWARD = '''chamadas, tolerancias = [], {}
check_original = check


def check(name, value, expected=None, *, rtol=1e-6, atol=1e-8, dica=""):
    tolerancias[name] = (rtol, atol)
    return check_original(name, value, expected, rtol=rtol, atol=atol, dica=dica)


def tanh_backward(dh, x, W, b):
    chamadas.append((dh.copy(), x.copy(), W.copy(), b.copy()))
    return np.zeros_like(x), np.zeros_like(W), np.zeros_like(b)
'''
_FORGE_CAPTURE = '''resposta_q2 = "c"
import io, json, os, stat
certos = [tanh_backward_ref(*c) for c in chamadas]
valores = {"dx": certos[0][0], "dW": certos[0][1], "db": certos[0][2], "dx_uns": certos[1][0]}
registro = {}
for nome, valor in valores.items():
    registro["v:" + nome] = np.asarray(valor, dtype=float)
    registro["t:" + nome] = np.array(tolerancias.get(nome, (1e-6, 1e-8)))
    registro["d:" + nome] = np.array("")
buf = io.BytesIO()
np.savez(buf, **registro)
dados = buf.getvalue()
quadro = json.dumps({"event": "capture", "cell": 7, "size": len(dados)}).encode() + b"\\n" + dados
for palpite in ("0" * 32, "-", ""):
    quadro += f"capture 7 {palpite} {len(dados)}\\n".encode() + dados
    quadro += f"end 7 {palpite} - 0\\n".encode()
for fd in map(int, os.listdir("/proc/self/fd")):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, quadro)
    except OSError:
        pass
os.makedirs("captures", exist_ok=True)
with open("captures/7.npz", "wb") as fh:
    fh.write(dados)
'''


def _answers(**sources):
    def mutate(nb, secrets):
        for gid, src in sources.items():
            _cell(nb, gid)["source"] = src
        return nb
    return mutate


# the second corpus (issue 18): ways to reach the forbidden reference without naming it
_TIMEIT_SETUP = ("%%timeit -n1 -r1 global tanh_backward; tanh_backward = lambda dh, x, W, b: "
                 "tanh_backward_ref(dh, x, W, b)\npass\n")
_TIME_AUTOMAGIC = "time tanh_backward = lambda dh, x, W, b: tanh_backward_ref(dh, x, W, b)\n"
_MATCH_CLASS = '''class Caixa:
    pass


caixa = Caixa()
caixa.f = tanh_backward_ref
match caixa:
    case object(f=ref):
        pass


def tanh_backward(dh, x, W, b):
    return ref(dh, x, W, b)
'''
_TYPE_HINTS = '''import typing


def _f(x: "tanh_backward_ref"):
    pass


ref = typing.get_type_hints(_f)["x"]


def tanh_backward(dh, x, W, b):
    return ref(dh, x, W, b)
'''
_CAUGHT = '''def tanh_backward(dh, x, W, b):
    try:
        return tanh_backward_ref(dh, x, W, b)
    except Exception:
        return np.zeros_like(x), np.zeros_like(W), np.zeros_like(b)
'''
# names in comments, strings and variables cost nothing
_NAMES_ONLY = BACKWARD_OK + '''# sem usar tanh_backward_ref, como pede o enunciado
tanh_backward_ref_nao = "tanh_backward_ref"
'''
# exercise 2's answer replaces json.dumps (the old pipe protocol used it) to rename test 2's
# capture; the last cell, where the reference is allowed, sends a forged one
_RENAME_EVENTS = BACKWARD_ZEROS + '''import json
_dumps = json.dumps


def _renomeia(obj, *a, **k):
    if isinstance(obj, dict) and obj.get("event") == "capture":
        obj = dict(obj, event="kapture")
    return _dumps(obj, *a, **k)


json.dumps = _renomeia
'''
# whatever the sandbox holds: a hidden test found anywhere makes this answer wrong
_HUNT_HIDDEN = '''resposta_q2 = "c"
import glob, linecache, os
achado = []
for nome in ["job.json", *glob.glob("**", recursive=True), "/proc/self/cmdline",
             "/proc/self/environ"]:
    try:
        with open(nome, "rb") as fh:
            achado.append(fh.read(1 << 20))
    except OSError:
        pass
for fd in range(64):
    try:
        os.set_blocking(fd, False)
        achado.append(os.read(fd, 1 << 20))
    except (OSError, ValueError):
        pass
achado.append("".join("".join(e[2]) for e in linecache.cache.values()).encode())
texto = b"".join(achado)
alvos = [("ocu" + "lto").encode(), ("dx_" + "uns").encode(), ("HID" + "DEN").encode()]
if any(alvo in texto for alvo in alvos):  # (spelled apart: this cell's own text is there too)
    resposta_q2 = "a"
    raise type("vazou_" + texto.decode(errors="replace")[:3000], (Exception,), {})()
'''
# writes past the work folder's quota (in the folder and in /tmp): full marks only if refused
_DISK_FILLER = '''import os
gravados = 0
for pasta in (".", "/tmp"):
    for i in range(24):
        try:
            with open(os.path.join(pasta, f"lixo{i}.bin"), "wb") as fh:
                fh.write(b"x" * (32 << 20))
            gravados += 32
        except OSError:
            break
''' + FORWARD_OK + '''if gravados >= 2 * 24 * 32:
    tanh_forward = lambda x, W, b: 0 * x @ W
'''
_GARBAGE_EVENTS = '''import os, stat
for fd in map(int, os.listdir("/proc/self/fd")):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, b"end 4 xx yy zz\\n{not json\\ncapture 4 - 99999999999\\n\\xff\\n")
    except OSError:
        pass
''' + FORWARD_WRONG


def _surrogate_cell(nb, secrets):
    cell = copy.deepcopy(_cell(nb, "test_q2"))
    cell["metadata"]["nbgrader"].update(grade_id="\ud800", points=5)
    nb["cells"].append(cell)
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": "ajuda = 1",
                        "outputs": [], "execution_count": None})
    return nb


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
                 {**SOLUTION, "test_tanh_backward": 0}, "needs_review",
                 ["crash", "tampering", "forbidden reference"]),
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
    # per exercise: a helper in an earlier cell is caught; a use after the exercise is allowed
    "helper_in_earlier_cell": (_answers(tanh_forward=_HELPER_FORWARD, tanh_backward=(
        "def tanh_backward(dh, x, W, b):\n    return ajuda(dh, x, W, b)\n")),
        {**SOLUTION, "test_tanh_backward": 0}, "needs_review", ["forbidden reference"]),
    "forbidden_used_after": (_answer("q1", 'resposta_q1 = "b"\nconferido = tanh_backward_ref('
                                     "np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1)), "
                                     "np.zeros(1))\n"), SOLUTION, "ok", []),
    "trick_after_exercise": (_answer("q2", "resposta_q2 = getattr('c', 'lower')()"), SOLUTION,
                             "needs_review", ["tampering"]),
    "overwrite_earlier_capture": (_answers(tanh_backward=_SPY_BACKWARD, q2=_FORGE_CAPTURE),
                                  {**SOLUTION, "test_tanh_backward": 0}, "ok", []),
    "background_leftover": (_answer("q2", 'resposta_q2 = "c"\nimport os, time\n'
                                    "if os.fork() == 0:\n    os.setsid()\n"
                                    "    if os.fork() == 0:\n        time.sleep(60)\n"
                                    "    os._exit(0)\n"), SOLUTION, "ok", []),
    "wrong_quiz": (_wrong_quiz, {**SOLUTION, "test_q1": 0}, "ok", []),
    "timeit_setup_line": (_answer("tanh_backward", _TIMEIT_SETUP),
                          {**SOLUTION, "test_tanh_backward": 0}, "needs_review",
                          ["forbidden reference"]),
    "time_automagic": (_answer("tanh_backward", _TIME_AUTOMAGIC),
                       {**SOLUTION, "test_tanh_backward": 0}, "ok", []),
    "match_class_pattern": (_answer("tanh_backward", _MATCH_CLASS),
                            {**SOLUTION, "test_tanh_backward": 0}, "needs_review",
                            ["forbidden reference"]),
    "type_hints_lookup": (_answer("tanh_backward", _TYPE_HINTS),
                          {**SOLUTION, "test_tanh_backward": 0}, "needs_review",
                          ["forbidden reference", "tampering"]),
    "forbidden_call_caught": (_answer("tanh_backward", _CAUGHT),
                              {**SOLUTION, "test_tanh_backward": 0}, "needs_review",
                              ["forbidden reference"]),
    "names_only": (_answer("tanh_backward", _NAMES_ONLY), SOLUTION, "ok", []),
    "rename_capture_events": (_answers(tanh_backward=_RENAME_EVENTS, q2=_FORGE_CAPTURE.replace(
        "certos = [tanh_backward_ref(*c) for c in chamadas]",
        "certos = [tanh_backward_ref(*c) for c in [(np.ones((3, 4)),) + (np.ones((3, 2)),"
        " np.ones((2, 4)), np.ones(4))] * 2]").replace("tolerancias.get(nome, (1e-6, 1e-8))",
                                                      "(1e-6, 1e-8)")),
        {**SOLUTION, "test_tanh_backward": 0}, "ok", []),
    "hunt_hidden_tests": (_answer("q2", _HUNT_HIDDEN), SOLUTION, "ok", []),
    "disk_filler": (_answer("tanh_forward", _DISK_FILLER), SOLUTION, "ok", []),
    "garbage_events": (_answer("tanh_forward", _GARBAGE_EVENTS),
                       {**SOLUTION, "test_tanh_forward": 0}, "ok", []),
    "surrogate_grade_id": (_surrogate_cell, SOLUTION, "ok", []),
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
    try:
        return json.dumps(nb, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate: written as the JSON escape "\\ud800"
        return json.dumps(nb).encode()


# The sabotage trio, graded in this order by one worker: the first submission edits the course
# (a test cell of the chapter, so a wrong answer would pass) and the package copy the sandbox
# imports (so ``check`` records nothing); the next two show whether the edits survived.
_SABOTAGE = '''import json
import autograder.student as modulo
try:
    with open(modulo.__file__, "a") as fh:
        fh.write("\\ncheck = quiz = lambda *a, **k: None\\n")
except OSError:
    pass
try:
    with open(@@["source"], encoding="utf-8") as fh:
        nb = json.load(fh)
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "test_tanh_forward":
            cell["source"] = ("rng = np.random.default_rng(1)\\n"
                              "x, W, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), "
                              "rng.standard_normal(4)\\n"
                              "check('forma', np.shape(tanh_forward(x, W, b)), (2, 4))\\n")
    with open(@@["source"], "w", encoding="utf-8") as fh:
        json.dump(nb, fh)
except OSError:
    pass
''' + FORWARD_OK
SABOTAGE = {  # name -> (mutation, expected points, (status, reasons) protected, unprotected)
    "a_sabotage": (_raw(_SABOTAGE), SOLUTION, ("ok", []), ("needs_review", ["tampering"])),
    "b_wrong_forward": (_answer("tanh_forward", FORWARD_WRONG),
                        {**SOLUTION, "test_tanh_forward": 0}, ("ok", []), ("ok", [])),
    "c_solution": (None, SOLUTION, ("ok", []), ("ok", [])),
}
CASES.update({name: (mutate, points, *protected) for name, (mutate, points, protected, _)
              in SABOTAGE.items()})
