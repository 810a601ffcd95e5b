"""Helpers that test cells call: ``check`` for values, ``quiz`` for multiple choice.

Imports only numpy and the standard library, so a test cell stays fast. In self-study mode (the
default) both compare at once and explain a failure in pt-BR. In graded mode (switched on by the
grader's runner before any student code runs) they never compare: they record plain float64
arrays / strings, which the grader process compares with the reference run outside the sandbox.
"""

import hashlib
import re

import numpy as np

_GRADED = False  # set by autograder._runner; never by a notebook
_records: dict[str, np.ndarray] = {}
_MAX_ELEMENTS = 5_000_000
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def _valid_name(name):
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"nome de verificação inválido: {name!r} (use letras, dígitos e _)")


def check(name, value, expected=None, *, rtol=1e-6, atol=1e-8, dica=""):
    """Check ``value`` (self-study) or record it for the grader (graded mode)."""
    _valid_name(name)
    if _GRADED:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except Exception:  # not numbers: nothing recorded, the check fails in the grader
            return
        if arr.size <= _MAX_ELEMENTS:
            _records["v:" + name] = np.array(arr, dtype=np.float64, copy=True)
            _records["t:" + name] = np.array([rtol, atol], dtype=np.float64)
            _records["d:" + name] = np.array(str(dica))
        return
    hint = f"\nDica: {dica}" if dica else ""
    try:
        got = np.asarray(value, dtype=np.float64)
    except Exception:
        raise AssertionError(
            f"[{name}] o valor não é numérico (recebi {type(value).__name__}).{hint}"
        ) from None
    if not np.all(np.isfinite(got)):
        raise AssertionError(f"[{name}] o valor contém NaN ou infinito.{hint}")
    if expected is None:
        return
    want = np.asarray(expected, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError(
            f"[{name}] forma errada: esperava {want.shape}, recebi {got.shape}.{hint}"
        )
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(got - want)))
        raise AssertionError(f"[{name}] valores diferentes (maior diferença {err:.3g}).{hint}")


def _normalize(answer):
    return answer.strip().lower() if isinstance(answer, str) else None


def quiz_digest(salt, name, answer):
    """Salted hash of a normalized quiz answer (used by the release and by ``quiz``)."""
    data = f"{salt}:{name}:{_normalize(answer)}".encode()
    return hashlib.sha256(data).hexdigest()[:24]


def quiz(name, answer, chave=None):
    """Multiple-choice answer: immediate feedback in self-study, recorded when graded."""
    _valid_name(name)
    norm = _normalize(answer)
    if _GRADED:
        if norm is not None and len(norm) <= 1000:
            _records["q:" + name] = np.array(norm)
        return
    if norm is None or norm == "":
        raise AssertionError(f"[{name}] ainda sem resposta: escolha uma das alternativas e "
                             f"troque None pela letra dela em resposta_{name}.")
    if chave is None:
        print(f"[{name}] resposta registrada: {norm!r} (sem gabarito neste caderno).")
        return
    salt, _, digest = chave.partition("$")
    if quiz_digest(salt, name, norm) != digest:
        raise AssertionError(f"[{name}] resposta {norm!r} incorreta. Releia a seção e tente "
                             "de novo.")
    print(f"[{name}] correto!")
