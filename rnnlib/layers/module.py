"""The thin base of every layer and model: parameters, their gradients, one cache from the last
forward, and the child modules it is made of.

One way to compose, as in torch: a module assigned as an attribute (``self.rnn = GRU(...)``)
becomes a child, and ``params``, ``grads``, ``state_dict``, ``load_state_dict``, ``to`` and
``zero_grad`` reach every child, under dotted names: the module's own entries first, then each
child's under its attribute name (``"rnn.weight_ih_l0"``), like torch's ``named_parameters``.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager

import numpy as np

from .._backend import is_torch, namespace, same_kind, to_numpy
from .._checks import ShapeError


def _entries_property(attr: str, doc: str) -> property:
    """``params`` or ``grads``: this module's own entries (``attr``) and its children's by
    dotted name; assigning a dict replaces them all."""
    return property(lambda m: m._entries(attr), lambda m, v: m._set_entries(attr, v), doc=doc)


class Module:
    """``params`` and ``grads`` map names (torch's parameter names) to arrays.

    A layer puts its own parameters in ``self.params`` in ``__init__`` and sets ``self.grads``
    in ``backward``. A model assigns its layers as attributes; its ``params`` and ``grads``
    then hold theirs too, by dotted name, and writing through them (an optimizer's in-place
    update, ``load_state_dict``) reaches the layer that owns the array.
    There is no optimizer and no step counter inside a module.
    """

    def __init__(self):
        self._params = {}  # this module's own parameters
        self._grads = {}
        self._cache = None

    def __setattr__(self, name, value):
        children = self.__dict__.setdefault("_children", {})
        if isinstance(value, Module):
            children[name] = value
        else:
            children.pop(name, None)
        object.__setattr__(self, name, value)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- the tree ---------------------------------------------------------------------------
    def children(self) -> dict:
        """The direct child modules by attribute name, in the order they were assigned."""
        return dict(self.__dict__.get("_children", {}))

    def modules(self) -> Iterator[Module]:
        """This module, then every descendant (depth first)."""
        yield self
        for child in self.__dict__.get("_children", {}).values():
            yield from child.modules()

    params = _entries_property(
        "_params", "Every parameter by dotted name (a plain dict on a module without children)."
    )
    grads = _entries_property("_grads", "The gradients of the last backward, keyed as ``params``.")

    def _entries(self, attr):
        if not self.__dict__.get("_children"):
            return self.__dict__.setdefault(attr, {})
        return NamedEntries(self, attr)

    def _set_entries(self, attr, value):
        if not self.__dict__.get("_children"):
            object.__setattr__(self, attr, value if isinstance(value, dict) else dict(value))
            return
        for m in self.modules():
            object.__setattr__(m, attr, {})
        entries = self._entries(attr)
        for k, v in value.items():
            entries[k] = v

    # -- the cache of the last forward ------------------------------------------------------
    def _require_cache(self):
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before forward: run forward first "
                "(each backward uses the cache of the last forward)"
            )
        return self._cache

    @contextmanager
    def no_grad(self):
        """Forwards inside ``with module.no_grad():`` are not for backward: the caches of the
        last forward outside it (of this module and every child) are kept, so a pending
        backward computes the gradients of that forward. For sampling and decoding between a
        loss and its backward."""
        saved = [(m, m._cache) for m in self.modules()]
        try:
            yield self
        finally:
            for m, cache in saved:
                m._cache = cache

    # -- whole-tree operations --------------------------------------------------------------
    def zero_grad(self):
        for m in self.modules():
            m._grads = {k: v * 0 for k, v in m._params.items()}

    def state_dict(self) -> dict:
        """A copy of the parameters, keyed by dotted names."""
        return {k: namespace(v).copy(v) for k, v in self.params.items()}

    def load_state_dict(self, state: dict) -> None:
        """Load numpy arrays or torch tensors (converted to this module's kind, dtype and
        device). The keys must be exactly those of ``params``."""
        params = self.params
        check_state_keys(params, state)
        for k, v in state.items():
            if tuple(v.shape) != tuple(params[k].shape):
                raise ShapeError(
                    f"state_dict[{k!r}]: expected shape {tuple(params[k].shape)}, "
                    f"got {tuple(v.shape)}"
                )
            params[k] = same_kind(v, params[k])

    def to(self, device=None, dtype=None):
        """Move every parameter: ``"numpy"``, or a torch device (``"cpu"``, ``"cuda"``), and/or
        a dtype. Returns self, so ``layer = LSTM(...).to("cuda")`` works."""
        for m in self.modules():
            m._params = {k: _moved(v, device, dtype) for k, v in m._params.items()}
            m._grads = {}
            m._cache = None
        return self

    def num_parameters(self) -> int:
        return int(sum(np.prod(tuple(v.shape)) for v in self.params.values()))


class NamedEntries(MutableMapping):
    """A live view of a module's parameters (or gradients) and all its children's, by dotted
    name. Reading and writing an entry reach the dict of the module that owns it."""

    def __init__(self, module: Module, attr: str):
        self._module, self._attr = module, attr

    def _owner(self, key: str):
        """(the dict holding ``key``, the key inside it)."""
        module = self._module
        while "." in key:
            head, rest = key.split(".", 1)
            child = module.__dict__.get("_children", {}).get(head)
            if child is None:
                break
            module, key = child, rest
        return module.__dict__.setdefault(self._attr, {}), key

    def __getitem__(self, key):
        d, k = self._owner(key)
        return d[k]

    def __setitem__(self, key, value):
        d, k = self._owner(key)
        d[k] = value

    def __delitem__(self, key):
        d, k = self._owner(key)
        del d[k]

    def __iter__(self):
        yield from self._module.__dict__.get(self._attr, {})
        for name, child in self._module.__dict__.get("_children", {}).items():
            for k in child._entries(self._attr):
                yield f"{name}.{k}"

    def __len__(self):
        return sum(1 for _ in self)

    def __repr__(self):
        return f"NamedEntries({dict(self.items())!r})"


def _moved(v, device, dtype):
    """v as ``device`` ("numpy" or a torch device) and/or ``dtype``."""
    if device == "numpy":
        return to_numpy(v, dtype=dtype)
    if device is not None or is_torch(v):
        import torch

        return torch.as_tensor(v).to(device=device, dtype=_torch_dtype(dtype, v))
    return v.astype(dtype) if dtype is not None else v


def _torch_dtype(dtype, like):
    import torch

    if dtype is None:
        return like.dtype if is_torch(like) else getattr(torch, np.dtype(like.dtype).name)
    if isinstance(dtype, torch.dtype):
        return dtype
    return getattr(torch, np.dtype(dtype).name)


def check_state_keys(params, state: dict) -> None:
    """Raise KeyError naming the missing and unexpected keys unless ``state`` has exactly the
    keys of ``params``."""
    missing = set(params) - set(state)
    unexpected = set(state) - set(params)
    if missing or unexpected:
        raise KeyError(
            f"state_dict: missing keys {sorted(missing)}, unexpected keys {sorted(unexpected)}"
        )


class ModuleDict(Module):
    """Modules held under names, nothing else: ``ModuleDict(emb=emb, rnn=rnn).params`` is
    ``{"emb.weight": ..., "rnn.weight_ih_l0": ...}``, the layers' own arrays."""

    def __init__(self, **modules):
        super().__init__()
        for name, m in modules.items():
            if not isinstance(m, Module):
                raise TypeError(f"{name}: expected an rnnlib module, got {type(m).__name__}")
            setattr(self, name, m)
