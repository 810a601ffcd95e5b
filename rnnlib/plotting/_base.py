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


def _strip(ax, name, values, x, y, cmap, vmin, vmax, width=1.4, height=0.5, vertical=False):
    """One row of squares (one per unit) centred at (x, y), or a column when ``vertical``
    (``width`` is then its height); returns its PatchCollection, labelled ``name``, whose
    ``get_array()`` holds the values."""
    import matplotlib.colors as mcolors
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    H = len(values)
    w = width / H
    if vertical:
        rects = [Rectangle((x - height / 2, y + width / 2 - (k + 1) * w), height, w)
                 for k in range(H)]
    else:
        rects = [Rectangle((x - width / 2 + k * w, y - height / 2), w, height) for k in range(H)]
    coll = PatchCollection(rects, cmap=cmap, norm=mcolors.Normalize(vmin, vmax),
                           edgecolor="black", linewidth=0.4, zorder=3)
    coll.set_array(np.asarray(values, dtype=float))
    coll.set_label(name)
    ax.add_collection(coll)
    return coll
