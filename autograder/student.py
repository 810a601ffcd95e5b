"""Helpers that test cells call: ``check`` for values, ``quiz`` for multiple choice.

Imports only numpy and the standard library (and ``autograder.diagnosis``, which does the same),
so a test cell stays fast. In self-study mode (the default) both compare at once and explain a
failure in pt-BR: where a value differs and by how much, the named typical mistake it matches,
the next level of the hint, and, first, an earlier exercise whose function it calls that still
fails. In graded mode (switched on by the grader's runner before any student code runs) they
never compare: they record plain float64 arrays / strings, which the grader process compares
with the reference run outside the sandbox.

A released exercise test cell starts with ``diagnostico("<its grade id>")`` (written by
``autograder release``), which picks that cell's data from the notebook's data cell
(``diagnosticos("<dados>")``, run once near the top): the cell's exercise, its visible checks,
the functions each exercise defines, and the values the exercise's declared typical mistakes
produce on the visible inputs. The source notebook has neither; ``check`` then works without.
"""

import base64
import hashlib
import importlib
import json
import re
import sys
import zlib

import numpy as np

from . import diagnosis

_GRADED = False  # set by autograder._runner; never by a notebook
_records: dict[str, np.ndarray] = {}
_MAX_ELEMENTS = 5_000_000
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_context: dict = {}  # the running test cell's diagnostico() data
_states: dict[str, bool] = {}  # exercise grade_id -> its visible checks all passed (this kernel)
_passed_now: set = set()  # visible checks of the running cell that passed
_attempts: dict = {}  # (cell, check name) -> failed attempts seen in this kernel
_titles: dict[str, str] = {}  # exercise grade_id -> title, from every diagnostico() seen
_table: dict = {}  # test cell grade_id -> its data, from the notebook's data cell
_sealed: dict = {}  # quiz name -> its sealed explanations (study release), from the same cell


class Falha(AssertionError):
    """A failed check: shown in the notebook as its pt-BR message, with no traceback."""

    def _render_traceback_(self):
        return [f"\x1b[0;31mO teste não passou.\x1b[0m\n{self}"]


def _valid_name(name):
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"nome de verificação inválido: {name!r} (use letras, dígitos e _)")


# --- the released cell's data --------------------------------------------------------------

def encode(data):
    """``diagnostico``'s argument for ``data`` (used by the release)."""
    raw = zlib.compress(json.dumps(data, ensure_ascii=False).encode(), 9)
    return base64.b64encode(raw).decode()


def _decode(dados):
    try:
        data = json.loads(zlib.decompress(base64.b64decode(dados, validate=True)))
    except Exception:
        return {}
    return data if isinstance(data, dict) else {}


def diagnosticos(dados):
    """The released notebook's data cell: every exercise test cell's data, by grade id, and
    the quiz explanations sealed per letter (study release)."""
    data = _decode(dados)
    _table.clear()
    _table.update(data.get("testes") or {})
    _sealed.clear()
    _sealed.update(data.get("explicacoes") or {})


def diagnostico(celula):
    """Start of a released test cell: what the checks below need to explain a failure.

    ``celula`` names the test cell in the data cell's table (a release before the data cell
    passed the encoded data itself, still read).
    """
    global _context
    _context = _table.get(celula) or _decode(celula)
    _passed_now.clear()
    exercise = _context.get("exercicio")
    _titles.update(_context.get("titulos") or {})
    if exercise and not _GRADED:
        _states[exercise] = not _context.get("visiveis")


def _mark_passed(name):
    exercise = _context.get("exercicio")
    if not exercise:
        return
    _passed_now.add(name)
    if set(_context.get("visiveis") or []) <= _passed_now:
        _states[exercise] = True


# --- failure text ----------------------------------------------------------------------------

def _levels(dica):
    if isinstance(dica, (list, tuple)):
        return [str(d) for d in dica if str(d).strip()]
    return [str(dica)] if str(dica).strip() else []


def _hint_text(name, dica):
    """The hint levels opened so far: one more at each failed attempt in this kernel."""
    levels = _levels(dica)
    if not levels:
        return ""
    key = (_context.get("celula"), name)
    _attempts[key] = _attempts.get(key, 0) + 1
    shown = min(_attempts[key], len(levels))
    if len(levels) == 1:
        return f"\nDica: {levels[0]}"
    text = "".join(f"\nDica {i + 1} de {len(levels)}: {levels[i]}" for i in range(shown))
    if shown < len(levels):
        text += "\n(Corrija e rode de novo: se ainda falhar, aparece a próxima dica.)"
    return text


def _called_names(func, depth=3):
    """Global names a function's code uses, following the notebook functions it calls."""
    names, todo, seen = set(), [(getattr(func, "__code__", None), depth)], set()
    glob = getattr(func, "__globals__", {})
    while todo:
        code, d = todo.pop()
        if code is None or id(code) in seen:
            continue
        seen.add(id(code))
        for name in code.co_names:
            names.add(name)
            target = glob.get(name)
            if d > 0 and callable(target) and hasattr(target, "__code__"):
                todo.append((target.__code__, d - 1))
        todo += [(c, d) for c in code.co_consts if hasattr(c, "co_names")]
    return names


def earlier_failure(namespace):
    """pt-BR note when this exercise's functions call an earlier exercise's failing function."""
    exercise = _context.get("exercicio")
    funcs = _context.get("funcoes") or {}
    if not exercise or exercise not in funcs:
        return ""
    used = set()
    for fname in funcs[exercise]:
        used |= _called_names(namespace.get(fname))
    order = list(funcs)
    for earlier in order[:order.index(exercise)]:
        broken = [f for f in funcs[earlier] if f in used]
        if broken and _states.get(earlier) is False:
            title = _titles.get(earlier, earlier)
            return (f"Primeiro, o exercício anterior: a sua resposta chama {', '.join(broken)}, "
                    f"de \"{title}\", que ainda não passa nos próprios testes. Corrija-o "
                    "antes: esta falha pode vir de lá.\n")
    return ""


def _namespace():
    """The notebook's globals (the test cell's frame, two levels above the helpers)."""
    frame = sys._getframe(0)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    return frame.f_globals if frame is not None else {}


def _misconception(name, got, rtol, atol):
    """The declared typical mistakes whose visible value ``got`` matches ('' if none)."""
    found = []
    for item in (_context.get("equivocos") or {}).get(name, []):
        value = np.asarray(item.get("valor"), dtype=np.float64)
        if value.shape == got.shape and np.allclose(got, value, rtol=rtol, atol=atol,
                                                    equal_nan=True):
            found.append(item.get("mensagem", ""))
    return "; ou ".join(found)


def _fail(name, what, dica, got=None, rtol=0.0, atol=0.0):
    mistake = _misconception(name, got, rtol, atol) if got is not None else ""
    text = earlier_failure(_namespace()) + f"[{name}] {what}."
    if mistake:
        text += f"\nErro típico: {mistake}."
    if _context.get("exercicio"):
        _states[_context["exercicio"]] = False
    raise Falha(text + _hint_text(name, dica)) from None


# --- the helpers test cells call -------------------------------------------------------------

def _parts(value):
    """A dict or tuple of arrays checked together: [(name, part)]; None for a single value."""
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, (tuple, list)) and value and all(
            isinstance(v, np.ndarray) for v in value):
        if len({np.shape(v) for v in value}) > 1:
            return [(str(i), v) for i, v in enumerate(value)]
    return None


def _as_float(value):
    try:
        return np.asarray(value, dtype=np.float64)
    except Exception:
        return None


def _record(name, value, rtol, atol, dica):
    arr = _as_float(value)
    if arr is not None and arr.size <= _MAX_ELEMENTS:
        _records["v:" + name] = np.array(arr, dtype=np.float64, copy=True)
        _records["t:" + name] = np.array([rtol, atol], dtype=np.float64)
        _records["d:" + name] = np.array("\n".join(_levels(dica)))


def check(name, value, expected=None, *, rtol=1e-6, atol=1e-8, dica="", eixos=None,
          portas=None):
    """Check ``value`` (self-study) or record it for the grader (graded mode).

    ``dica``: a string, or a list of levels (the idea, the equation, the shapes) shown one more
    at each failed attempt. ``eixos``: names of the axes (``("passo", "exemplo", None)``) used
    to say where a value first differs; ``portas``: gate names stacked along axis 0
    (``"ifgo"``), or ``(names, axis)``. ``value`` may be a dict or a tuple of arrays of
    different shapes (gradients): each part is compared and reported in a table.
    """
    _valid_name(name)
    parts = _parts(value)
    if _GRADED:
        if parts is None:
            _record(name, value, rtol, atol, dica)
        else:
            for key, part in parts:
                _record(f"{name}.{key}" if _NAME.match(key) else name, part, rtol, atol, dica)
        return
    if parts is not None:
        return _check_parts(name, parts, expected, rtol, atol, dica)
    got = _as_float(value)
    if got is None:
        _fail(name, f"o valor não é numérico (recebi {type(value).__name__})", dica)
    if not np.all(np.isfinite(got)):
        _fail(name, "o valor contém NaN ou infinito", dica, got, rtol, atol)
    if expected is None:
        _mark_passed(name)
        return
    want = np.asarray(expected, dtype=np.float64)
    text = diagnosis.describe(name, got, want, rtol, atol, eixos, portas)
    if text:
        _fail(name, text, dica, got, rtol, atol)
    _mark_passed(name)


def _check_parts(name, parts, expected, rtol, atol, dica):
    want = dict(_parts(expected) or []) if expected is not None else None
    rows = []
    for key, part in parts:
        got = _as_float(part)
        if got is not None and not np.all(np.isfinite(got)):
            rows.append((key, "errado", "contém NaN ou infinito"))
        elif want is None or key not in want:
            rows.append((key, "exato" if got is not None else "errado",
                         "sem valor esperado" if got is not None else "não numérico"))
        else:
            rows += diagnosis.compare_table([(key, got, np.asarray(want[key], np.float64))],
                                            rtol, atol)
    bad = [r for r in rows if r[1] == "errado"]
    if bad:
        table = diagnosis.format_table(rows)
        _fail(name, f"{len(bad)} de {len(rows)} partes erradas:\n{table}", dica)
    _mark_passed(name)


def _normalize(answer):
    return answer.strip().lower() if isinstance(answer, str) else None


def quiz_digest(salt, name, answer):
    """Salted hash of a normalized quiz answer (used by the release and by ``quiz``)."""
    data = f"{salt}:{name}:{_normalize(answer)}".encode()
    return hashlib.sha256(data).hexdigest()[:24]


def _keystream(salt, name, answer, size):
    out, counter = b"", 0
    while len(out) < size:
        out += hashlib.sha256(f"{salt}:{name}:{answer}:{counter}".encode()).digest()
        counter += 1
    return out[:size]


def seal_explanations(salt, name, explanations):
    """Explanations readable only with their own letter: the study release's ``explicacoes``."""
    sealed = {}
    for letter, text in explanations.items():
        data = text.encode()
        stream = _keystream(salt, name, _normalize(letter), len(data))
        tag = quiz_digest(salt + "/explicacao", name, letter)[:12]
        sealed[tag] = base64.b64encode(bytes(a ^ b for a, b in zip(data, stream,
                                                                      strict=True))).decode()
    return base64.b64encode(json.dumps(sealed).encode()).decode()


def open_explanation(salt, name, answer, sealed):
    """The explanation sealed for ``answer``; '' when there is none."""
    try:
        table = json.loads(base64.b64decode(sealed))
        data = base64.b64decode(table[quiz_digest(salt + "/explicacao", name, answer)[:12]])
        stream = _keystream(salt, name, _normalize(answer), len(data))
        return bytes(a ^ b for a, b in zip(data, stream, strict=True)).decode()
    except Exception:
        return ""


def quiz(name, answer, chave=None, explicacoes=None):
    """Multiple-choice answer: immediate feedback in self-study, recorded when graded."""
    _valid_name(name)
    norm = _normalize(answer)
    if _GRADED:
        if norm is not None and len(norm) <= 1000:
            _records["q:" + name] = np.array(norm)
        return
    if norm is None or norm == "":
        raise Falha(f"[{name}] ainda sem resposta: escolha uma das alternativas e "
                    f"troque None pela letra dela em resposta_{name}.")
    if chave is None:
        print(f"[{name}] resposta registrada: {norm!r}. O gabarito e a explicação vêm no "
              "retorno da correção.")
        return
    salt, _, digest = chave.partition("$")
    explicacoes = explicacoes or _sealed.get(name)  # given here by releases before the data cell
    why = open_explanation(salt, name, norm, explicacoes) if explicacoes else ""
    if quiz_digest(salt, name, norm) != digest:
        raise Falha(f"[{name}] resposta {norm!r} incorreta."
                    + (f" {why}" if why else "") + " Releia a seção e tente de novo.")
    print(f"[{name}] correto!" + (f" {why}" if why else ""))


# --- numpy errors raised by the learner's function inside a test cell ------------------------

def explain(exc):
    """pt-BR text for a numpy shape error raised in notebook code (None for other errors),
    preceded by the earlier failing exercise the code calls, if any."""
    text = diagnosis.explain_error(exc)
    if text is None:
        return None
    frames = diagnosis.learner_frames(exc.__traceback__)
    return (earlier_failure(frames[0][0].f_globals) if frames else "") + text


def _explain_handler(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: numpy shape errors explained in pt-BR; any other
    ValueError shown as IPython would. It shows the error itself (IPython ignores the return)."""
    text = None if _GRADED else explain(value.with_traceback(tb))
    if text is None:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    else:
        stb = [f"\x1b[0;31m{text}\x1b[0m", f"(mensagem do NumPy: {value})"]
    shell._showtraceback(etype, value, stb)


def _install():
    """Register the handler in an IPython kernel (not in the grader's runner)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "_autograder_handler", False):
        return
    if type(shell).__name__ == "InteractiveShell":  # the grader's runner: no display there
        return
    shell.set_custom_exc((ValueError,), _explain_handler)
    shell._autograder_handler = True


_install()


def _kernel_rules():
    """In a learner's Jupyter kernel, apply the released notebook's forbid rule (see
    ``autograder.kernel_rules``, loaded only there: test cells elsewhere stay light); never in
    the grader's sandbox, which has its own gates."""
    try:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
        if shell is not None and getattr(shell, "kernel", None) is not None:
            importlib.import_module("autograder.kernel_rules").install(shell)
    except Exception:  # the warnings are a help: never break the learner's import
        pass


_kernel_rules()
