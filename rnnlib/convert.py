"""Build an rnnlib layer from a ``torch.nn.RNN``, ``LSTM`` or ``GRU`` with the same weights."""

from __future__ import annotations

import numpy as np


def from_torch(module, *, as_numpy: bool = True):
    """The matching rnnlib layer, weights copied (numpy by default, or torch tensors on the
    module's device with ``as_numpy=False``)."""
    import torch

    from .layers import GRU, LSTM, RNN

    kinds = {torch.nn.RNN: RNN, torch.nn.LSTM: LSTM, torch.nn.GRU: GRU}
    cls = kinds.get(type(module))
    if cls is None:
        raise TypeError(f"module: expected torch.nn.RNN, LSTM or GRU, got {type(module).__name__}")
    if getattr(module, "proj_size", 0):
        raise ValueError("module: LSTM with proj_size is not supported")
    if module.dropout:
        raise ValueError("module: dropout between layers is not supported")
    kwargs = dict(
        num_layers=module.num_layers,
        bias=module.bias,
        batch_first=module.batch_first,
        bidirectional=module.bidirectional,
    )
    if cls is RNN:
        kwargs["nonlinearity"] = module.nonlinearity
    dtype = np.dtype(str(module.weight_ih_l0.dtype).replace("torch.", ""))
    layer = cls(module.input_size, module.hidden_size, **kwargs, dtype=dtype)
    state = {k: v.detach() for k, v in module.state_dict().items()}
    if as_numpy:
        layer.load_state_dict({k: v.cpu().numpy() for k, v in state.items()})
    else:
        layer.params = {k: v.clone() for k, v in state.items()}
    return layer
