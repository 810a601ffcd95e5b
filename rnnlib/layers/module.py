"""The thin base of every layer: parameters, their gradients, one cache from the last forward."""

from __future__ import annotations

import numpy as np

from .._backend import is_torch, same_kind


class Module:
    """``params`` and ``grads`` are dicts with the same keys (torch's parameter names).

    Subclasses set ``self.params`` in ``__init__`` and fill ``self.grads`` in ``backward``.
    There is no optimizer and no step counter inside a layer.
    """

    params: dict
    grads: dict

    def __init__(self):
        self.params = {}
        self.grads = {}
        self._cache = None

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def _require_cache(self):
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before forward: run forward first "
                "(each backward uses the cache of the last forward)"
            )
        return self._cache

    def zero_grad(self):
        self.grads = {k: v * 0 for k, v in self.params.items()}

    def state_dict(self) -> dict:
        """A copy of the parameters, keyed by torch's names."""
        return {k: (v.clone() if is_torch(v) else v.copy()) for k, v in self.params.items()}

    def load_state_dict(self, state: dict) -> None:
        """Load numpy arrays or torch tensors (converted to this layer's kind, dtype and device)."""
        check_state_keys(self.params, state)
        for k, v in state.items():
            if tuple(v.shape) != tuple(self.params[k].shape):
                raise ValueError(
                    f"state_dict[{k!r}]: expected shape {tuple(self.params[k].shape)}, "
                    f"got {tuple(v.shape)}"
                )
            self.params[k] = same_kind(v, self.params[k])

    def to(self, device=None, dtype=None):
        """Move the parameters: ``"numpy"``, or a torch device (``"cpu"``, ``"cuda"``), and/or
        a dtype. Returns self, so ``layer = LSTM(...).to("cuda")`` works."""
        for k, v in self.params.items():
            if device == "numpy":
                v = v.detach().cpu().numpy() if is_torch(v) else v
                v = v.astype(dtype) if dtype is not None else v
            elif device is not None or is_torch(v):
                import torch

                v = torch.as_tensor(v).to(device=device, dtype=_torch_dtype(dtype, v))
            elif dtype is not None:
                v = v.astype(dtype)
            self.params[k] = v
        self.grads = {}
        self._cache = None
        return self

    def num_parameters(self) -> int:
        return int(sum(np.prod(tuple(v.shape)) for v in self.params.values()))


def _torch_dtype(dtype, like):
    import torch

    if dtype is None:
        return like.dtype if is_torch(like) else getattr(torch, np.dtype(like.dtype).name)
    if isinstance(dtype, torch.dtype):
        return dtype
    return getattr(torch, np.dtype(dtype).name)


def check_state_keys(params: dict, state: dict) -> None:
    """Raise KeyError naming the missing and unexpected keys unless ``state`` has exactly the
    keys of ``params``."""
    missing = set(params) - set(state)
    unexpected = set(state) - set(params)
    if missing or unexpected:
        raise KeyError(
            f"state_dict: missing keys {sorted(missing)}, unexpected keys {sorted(unexpected)}"
        )
