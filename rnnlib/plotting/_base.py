"""Helpers shared by the figure modules of :mod:`rnnlib.plotting`."""

from __future__ import annotations

import numpy as np

from .._backend import is_torch


def _np(a) -> np.ndarray:
    if is_torch(a):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def _axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    else:
        fig = ax.figure
    return fig, ax
