"""Input validation with messages that name the tensor, the expected and the received shape."""

from __future__ import annotations

from ._backend import is_torch, namespace


class ShapeError(ValueError):
    """A tensor has the wrong rank or size."""


class DTypeError(TypeError):
    """A tensor has the wrong dtype (integer data where floats are needed, or mixed dtypes)."""


def _fmt(expected, names) -> str:
    parts = []
    for i, e in enumerate(expected):
        label = names[i] if names and i < len(names) else None
        if e is None:
            parts.append(label or "*")
        elif label:
            parts.append(f"{label}={e}")
        else:
            parts.append(str(e))
    return "(" + ", ".join(parts) + ")"


def check_shape(name: str, x, expected: tuple, dims: str | None = None) -> None:
    """Raise :class:`ShapeError` unless ``x.shape`` matches ``expected``.

    ``expected`` holds ints or None (any size); ``dims`` gives a letter per axis
    (``"TND"``) so that the message reads ``expected (T, N, D=4)``.
    """
    if x is None:
        raise ShapeError(f"{name}: expected an array of shape {_fmt(expected, dims)}, got None")
    shape = tuple(getattr(x, "shape", ()))
    if not hasattr(x, "shape"):
        raise ShapeError(
            f"{name}: expected an array of shape {_fmt(expected, dims)}, got {type(x).__name__}"
        )
    if len(shape) != len(expected) or any(
        e is not None and s != e for s, e in zip(shape, expected, strict=False)
    ):
        raise ShapeError(
            f"{name}: expected shape {_fmt(expected, dims)}, got {shape}"
            + (
                f" (rank {len(shape)} instead of {len(expected)})"
                if len(shape) != len(expected)
                else ""
            )
        )


def check_float(name: str, x, like=None) -> None:
    """Raise :class:`DTypeError` unless ``x`` is floating point (and the dtype of ``like``)."""
    ops = namespace(x)
    if not ops.is_floating(x):
        raise DTypeError(f"{name}: expected a floating-point array, got dtype {x.dtype}")
    if like is not None:
        if is_torch(x) != is_torch(like):
            raise DTypeError(
                f"{name}: is a {'torch tensor' if is_torch(x) else 'numpy array'} but the "
                f"parameters are {'torch tensors' if is_torch(like) else 'numpy arrays'}; "
                "convert one side (layer.to(...) or torch.as_tensor / .numpy())"
            )
        if x.dtype != like.dtype:
            raise DTypeError(
                f"{name}: expected dtype {like.dtype} (the parameters'), got {x.dtype}"
            )
