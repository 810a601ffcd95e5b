"""What a learner reads when a value or a shape is wrong: pt-BR diagnosis, no grading logic.

Used by ``autograder.student`` in the learner's kernel (numpy and the standard library only):

- :func:`describe_difference` says where two arrays first differ (the index, named by the check's
  ``eixos`` and gate blocks when given), by how much and how many entries differ;
- :func:`describe_shapes` says when a received shape is the transpose of the expected one;
- :func:`compare_table` is a per-tensor table for a dict or tuple of gradients, in the spirit of
  Karpathy's ``cmp()``: exato / aproximado / errado and the largest difference;
- :func:`explain_error` turns numpy's shape errors (matmul, broadcasting, concatenate, reshape)
  raised inside the learner's function into pt-BR with the shapes of the operands on the line.
"""

import ast
import linecache
import os
import re

import numpy as np

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def fmt_shape(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _num(x):
    return f"{float(x):.4g}"


def describe_shapes(got_shape, want_shape):
    """pt-BR sentence about a shape mismatch (mentions a transpose when it is one)."""
    text = f"forma errada: esperava {fmt_shape(want_shape)}, recebi {fmt_shape(got_shape)}"
    if len(got_shape) >= 2 and tuple(got_shape) == tuple(want_shape)[::-1]:
        text += " (a transposta da esperada: falta ou sobra um .T?)"
    elif len(got_shape) == len(want_shape) - 1 and tuple(got_shape) == tuple(want_shape)[1:]:
        text += " (falta o primeiro eixo: devolveu um só passo ou um só exemplo?)"
    elif len(got_shape) == len(want_shape) + 1 and tuple(got_shape)[1:] == tuple(want_shape):
        text += " (sobra um eixo no começo)"
    return text


def looks_like_shape(name, got, want):
    """A check of a shape tuple (``check("forma", np.shape(h), (2, 4))``)."""
    return (name.startswith("forma") and got.ndim == 1 and want.ndim == 1
            and np.all(want == np.round(want)) and np.all(want >= 0))


def _index_text(index, eixos, portas, shape):
    """``[2, 1, 3]`` plus the axis names and the gate block when known."""
    text = "[" + ", ".join(str(int(i)) for i in index) + "]"
    parts = []
    if eixos:
        parts += [f"{nome} {int(i)}" for nome, i in zip(eixos, index, strict=False) if nome]
    if portas and len(index) >= 1:
        nomes, axis = (portas, 0) if isinstance(portas, (list, tuple, str)) else portas
        axis = axis % len(shape)
        size = shape[axis] // len(nomes) if len(nomes) else 0
        if size:
            k = int(index[axis]) // size
            first, last = k * size, (k + 1) * size - 1
            where = "linhas" if axis == 0 else "colunas"
            parts.append(f"{where} da porta {nomes[k]} ({where} {first} a {last})")
    return text + (f" ({', '.join(parts)})" if parts else "")


def describe_difference(got, want, rtol, atol, eixos=None, portas=None):
    """Where ``got`` (same shape as ``want``) first differs, by how much; None when close."""
    close = np.isclose(got, want, rtol=rtol, atol=atol)
    if np.all(close):
        return None
    diff = np.abs(got - want)
    biggest = float(np.max(diff))
    if got.ndim == 0:
        return (f"valor diferente: recebi {_num(got)}, esperava {_num(want)} "
                f"(diferença {biggest:.3g})")
    wrong = np.argwhere(~close)
    first = tuple(wrong[0])
    where = _index_text(first, eixos, portas, got.shape)
    text = (f"valores diferentes em {len(wrong)} de {got.size} posições; a primeira em {where}: "
            f"recebi {_num(got[first])}, esperava {_num(want[first])}; "
            f"maior diferença {biggest:.3g}")
    if eixos and eixos[0] and got.ndim >= 2 and first[0] > 0:
        text += f". Até {eixos[0]} {first[0] - 1} está tudo certo"
    return text


def describe(name, got, want, rtol, atol, eixos=None, portas=None):
    """pt-BR diagnosis of ``got`` (float64 array) against ``want``; None when they agree.

    The same text in the learner's kernel (``check``) and in the graded feedback."""
    if (looks_like_shape(name, got, want) and np.all(np.isfinite(got))
            and not np.array_equal(got, want)):  # the shapes themselves, of any length
        return describe_shapes(tuple(got.astype(int)), tuple(want.astype(int)))
    if got.shape != want.shape:
        return describe_shapes(got.shape, want.shape)
    if not np.all(np.isfinite(got)):
        return "o valor contém NaN ou infinito"
    return describe_difference(got, want, rtol, atol, eixos, portas)


def compare_table(parts, rtol, atol):
    """Rows ``(name, verdict, text)`` for ``parts`` = [(name, got, want)] (Karpathy's cmp)."""
    rows = []
    for name, got, want in parts:
        if got is None:
            rows.append((name, "errado", "não é um array de números"))
        elif got.shape != want.shape:
            rows.append((name, "errado", describe_shapes(got.shape, want.shape)))
        elif np.array_equal(got, want):
            rows.append((name, "exato", "diferença 0"))
        elif np.allclose(got, want, rtol=rtol, atol=atol):
            diff = float(np.max(np.abs(got - want)))
            rows.append((name, "aproximado", f"maior diferença {diff:.2g}"))
        else:
            rows.append((name, "errado", describe_difference(got, want, rtol, atol)))
    return rows


def format_table(rows):
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"  {name:<{width}}  {verdict:<10}  {text}" for name, verdict, text in rows)


# --- numpy errors inside the learner's code ------------------------------------------------

def learner_frames(tb):
    """Traceback entries ``(frame, lineno)`` of notebook code (not numpy's, not ours)."""
    frames = []
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        mine = filename.startswith(_PACKAGE)
        library = "site-packages" in filename or "/lib/python" in filename
        if not mine and not library:
            frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def _shape_of(node, names):
    """Shape of a simple expression (name, ``.T``, ``x[t]``) from ``names``; None otherwise.

    Never runs code: only looks values up and reads ``.shape``.
    """
    if isinstance(node, ast.Name):
        value = names.get(node.id)
        shape = getattr(value, "shape", None)
        return tuple(shape) if isinstance(shape, tuple) else None
    if isinstance(node, ast.Attribute) and node.attr == "T":
        inner = _shape_of(node.value, names)
        return inner[::-1] if inner is not None else None
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, (ast.Slice, ast.Tuple)):
        inner = _shape_of(node.value, names)
        return inner[1:] if inner else None
    return None


def operand_shapes(frame, lineno):
    """[(expression text, shape)] of the names and ``@`` operands on the failing line."""
    line = linecache.getline(frame.f_code.co_filename, lineno).strip()
    if not line:
        return line, []
    names = {**frame.f_globals, **frame.f_locals}
    try:
        tree = ast.parse(line.removeprefix("return ").removesuffix(":"), mode="exec")
    except SyntaxError:
        return line, []
    found, seen = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            left, right = _shape_of(node.left, names), _shape_of(node.right, names)
            if left is not None and right is not None:
                text = f"{ast.unparse(node.left)} @ {ast.unparse(node.right)}"
                found.append((text, f"{fmt_shape(left)} @ {fmt_shape(right)}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in seen:
            shape = _shape_of(node, names)
            if shape is not None:
                seen.add(node.id)
                found.append((node.id, fmt_shape(shape)))
    return line, found


def _meaning(message):
    m = re.search(r"\(size (\d+) is different from (\d+)\)", message)
    if message.startswith("matmul:") and m:
        return ("multiplicação de matrizes com formas que não combinam: em A @ B, o último eixo "
                f"de A precisa ter o tamanho do penúltimo de B (aqui {m.group(2)} e "
                f"{m.group(1)}). Falta ou sobra uma transposta (.T)?")
    m = re.search(r"shapes (\(.*?\)) and (\(.*?\)) not aligned", message)
    if m:
        return (f"np.dot com formas que não combinam: {m.group(1)} e {m.group(2)}. "
                "Falta ou sobra uma transposta (.T)?")
    m = re.search(r"could not be broadcast together with shapes (.*?)\s*$", message)
    if m:
        return (f"soma ou produto elemento a elemento entre formas incompatíveis: "
                f"{m.group(1).strip()}. Os eixos são comparados a partir do último; cada par "
                "precisa ser igual ou ter um deles 1.")
    if "concatenation axis must match" in message:
        return ("np.concatenate recebeu arrays cujos tamanhos não batem fora do eixo da "
                "concatenação. Confira o eixo (axis=) e a ordem dos pedaços.")
    m = re.search(r"cannot reshape array of size (\d+) into shape (\(.*?\))", message)
    if m:
        return (f"reshape impossível: um array de {m.group(1)} números não cabe na forma "
                f"{m.group(2)}.")
    return None


def explain_error(exc):
    """pt-BR explanation of a numpy shape error raised in notebook code; None for others."""
    if not isinstance(exc, ValueError):
        return None
    meaning = _meaning(str(exc))
    if meaning is None:
        return None
    frames = learner_frames(exc.__traceback__)
    text = f"Erro de formas do NumPy: {meaning}"
    if frames:
        frame, lineno = frames[-1]
        line, shapes = operand_shapes(frame, lineno)
        where = frame.f_code.co_name
        origin = f"na função {where}" if where != "<module>" else "nesta célula"
        if line:
            text += f"\nNa linha `{line}` ({origin}):"
        for expr, shape in shapes:
            text += f"\n  {expr}: {shape}"
    return text
