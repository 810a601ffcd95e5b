"""Save and load parameters as ``.npz`` (numpy's zip of arrays, no pickle).

Keys are the layer's parameter names (torch's: ``weight_ih_l0``...). torch tensors are
saved as numpy arrays; :func:`load_into` converts back to the layer's kind, dtype and device.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._backend import to_numpy

__all__ = ["save", "load", "load_into"]


def _params_of(obj) -> dict:
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "state_dict"):
        return obj.state_dict()
    if hasattr(obj, "params"):
        return obj.params
    raise TypeError(
        f"layer_or_params: expected a layer (with state_dict) or a dict of arrays, "
        f"got {type(obj).__name__}"
    )


def save(layer_or_params, path) -> Path:
    """Write a layer's parameters (or a dict name -> array/tensor) to ``path`` (``.npz``
    is appended when missing). Returns the path written."""
    params = _params_of(layer_or_params)
    arrays = {}
    for k, v in params.items():
        if not isinstance(k, str):
            raise TypeError(f"params: keys must be strings, got {k!r}")
        arrays[k] = to_numpy(v)
        if arrays[k].dtype == object:
            raise TypeError(f"params[{k!r}]: expected a numeric array, got dtype object")
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


def load(path) -> dict:
    """Read a ``.npz`` written by :func:`save` -> dict name -> numpy array."""
    path = Path(path)
    if not path.exists() and path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def load_into(layer, path):
    """Load the parameters saved at ``path`` into ``layer`` (numpy or torch, any device:
    converted to the layer's kind) through ``layer.load_state_dict``. Returns the layer."""
    layer.load_state_dict(load(path))
    return layer
