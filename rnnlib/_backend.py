"""One code path for numpy arrays and torch tensors (CPU or CUDA).

Every op in :mod:`rnnlib.functional` asks ``ops = namespace(x)`` for the kind of
array it was given and calls the few primitives below through it. numpy arrays
get :data:`NUMPY`; torch tensors get :data:`TORCH`. torch is imported only when a
torch tensor actually arrives (we look it up in ``sys.modules``: if torch was
never imported, the argument cannot be a tensor).

The primitives are the handful that differ between the two libraries in name or
signature (``axis`` vs ``dim``, ``concatenate`` vs ``cat``, in-place ``out=``);
everything else is written with operators (``@``, ``*``, ``+``) that both share.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np


def is_torch(x) -> bool:
    """True when ``x`` is a torch tensor (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def to_numpy(x, dtype=None) -> np.ndarray:
    """Any array as a numpy array: a torch tensor (any device) is detached and copied to the
    CPU; numpy arrays and lists pass through ``np.asarray``. The one conversion to numpy."""
    if is_torch(x):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype)


def _numpy_ops() -> SimpleNamespace:
    def sigmoid(x, out=None):
        # 0.5 * (1 + tanh(x / 2)): exact, never overflows, one transcendental call.
        out = np.multiply(x, 0.5, out=out)
        np.tanh(out, out=out)
        out *= 0.5
        out += 0.5
        return out

    return SimpleNamespace(
        name="numpy",
        tanh=lambda x, out=None: np.tanh(x, out=out),
        sigmoid=sigmoid,
        exp=np.exp,
        log=np.log,
        sqrt=np.sqrt,
        abs=np.abs,
        maximum=np.maximum,
        where=np.where,
        sum=lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims),
        max=lambda x, axis=None, keepdims=False: np.max(x, axis=axis, keepdims=keepdims),
        stack=lambda xs, axis=0: np.stack(xs, axis=axis),
        concat=lambda xs, axis=0: np.concatenate(xs, axis=axis),
        flip=lambda x, axis=0: np.flip(x, axis=axis),
        zeros=lambda shape, like: np.zeros(shape, dtype=like.dtype),
        empty=lambda shape, like: np.empty(shape, dtype=like.dtype),
        zeros_like=np.zeros_like,
        clip=np.clip,
        copy=np.array,
        contiguous=np.ascontiguousarray,
        contiguous_copy=lambda x: np.array(x, order="C", copy=True),
        matmul=lambda a, b, out=None: np.matmul(a, b, out=out),
        multiply=lambda a, b, out=None: np.multiply(a, b, out=out),
        subtract=lambda a, b, out=None: np.subtract(a, b, out=out),
        to_numpy=to_numpy,
        is_floating=lambda x: x.dtype.kind == "f",
        index_add=_np_index_add,
        arange=lambda n, like: np.arange(n),
        astype=lambda x, like: np.asarray(x).astype(like.dtype, copy=False),
    )


def _np_index_add(target, index, values):
    np.add.at(target, index, values)
    return target


def _torch_ops() -> SimpleNamespace:
    import torch

    return SimpleNamespace(
        name="torch",
        tanh=lambda x, out=None: torch.tanh(x, out=out),
        sigmoid=lambda x, out=None: torch.sigmoid(x, out=out),
        exp=torch.exp,
        log=torch.log,
        sqrt=torch.sqrt,
        abs=torch.abs,
        maximum=lambda a, b: (
            torch.clamp(a, min=b) if not isinstance(b, torch.Tensor) else torch.maximum(a, b)
        ),
        where=torch.where,
        sum=lambda x, axis=None, keepdims=False: (
            x.sum() if axis is None else x.sum(dim=axis, keepdim=keepdims)
        ),
        max=lambda x, axis=None, keepdims=False: (
            x.max() if axis is None else x.amax(dim=axis, keepdim=keepdims)
        ),
        stack=lambda xs, axis=0: torch.stack(list(xs), dim=axis),
        concat=lambda xs, axis=0: torch.cat(list(xs), dim=axis),
        flip=lambda x, axis=0: torch.flip(x, dims=(axis,)),
        zeros=lambda shape, like: torch.zeros(shape, dtype=like.dtype, device=like.device),
        empty=lambda shape, like: torch.empty(shape, dtype=like.dtype, device=like.device),
        zeros_like=torch.zeros_like,
        clip=torch.clamp,
        copy=lambda x: x.clone(),
        contiguous=lambda x: x.contiguous(),
        contiguous_copy=lambda x: x.clone(memory_format=torch.contiguous_format),
        matmul=lambda a, b, out=None: torch.matmul(a, b, out=out),
        multiply=lambda a, b, out=None: torch.mul(a, b, out=out),
        subtract=lambda a, b, out=None: torch.sub(a, b, out=out),
        to_numpy=to_numpy,
        is_floating=lambda x: x.is_floating_point(),
        index_add=lambda target, index, values: target.index_put_(
            (torch.as_tensor(index, device=target.device),), values, accumulate=True
        ),
        arange=lambda n, like: torch.arange(n, device=like.device),
        astype=lambda x, like: torch.as_tensor(x).to(dtype=like.dtype, device=like.device),
    )


NUMPY = _numpy_ops()
_TORCH = None


def namespace(*arrays) -> SimpleNamespace:
    """The ops for the kind of the first array that is not None (numpy by default)."""
    global _TORCH
    for a in arrays:
        if a is None:
            continue
        if is_torch(a):
            if _TORCH is None:
                _TORCH = _torch_ops()
            return _TORCH
        return NUMPY
    return NUMPY


def same_kind(x, like):
    """Return ``x`` (numpy or torch) as the kind, dtype and device of ``like``."""
    if is_torch(like):
        import torch

        return torch.as_tensor(np.asarray(x) if not is_torch(x) else x).to(
            dtype=like.dtype, device=like.device
        )
    return to_numpy(x, dtype=like.dtype)
