"""One cell step (forward, backward, both) of rnnlib's RNN, LSTM and GRU cells, in microseconds.

The small step a decoder or a sampler runs once per token: at this size Python overhead, not
the matrix products, sets the time. Reports the median and the range over ``--reps`` rounds
(each round times a loop of ``--loops`` calls).

    python bench/bench_cell.py [--N 8] [--D 64] [--H 64] [--reps 7] [--loops 300] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--N", type=int, default=8)
parser.add_argument("--D", type=int, default=64)
parser.add_argument("--H", type=int, default=64)
parser.add_argument("--reps", type=int, default=7)
parser.add_argument("--loops", type=int, default=300)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--dtype", default="float64")
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)  # before numpy loads its BLAS

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from rnnlib import functional as F  # noqa: E402

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def cell_calls(kind, N, D, H, dtype):
    """(forward(), backward(cache)) closures for one step of the cell ``kind``."""
    rng = np.random.default_rng(0)

    def rand(*shape):
        return rng.standard_normal(shape).astype(dtype)

    G = GATES[kind]
    x, h, c, dh = rand(N, D), rand(N, H), rand(N, H), rand(N, H)
    w = (rand(G * H, D), rand(G * H, H), rand(G * H), rand(G * H))
    if kind == "LSTM":
        return (
            lambda: F.lstm_cell_forward(x, h, c, *w)[2],
            lambda cache: F.lstm_cell_backward(dh, dh, cache),
        )
    forward = F.rnn_cell_forward if kind == "RNN" else F.gru_cell_forward
    backward = F.rnn_cell_backward if kind == "RNN" else F.gru_cell_backward
    return lambda: forward(x, h, *w)[1], lambda cache: backward(dh, cache)


def time_us(f, loops):
    t0 = time.perf_counter()
    for _ in range(loops):
        f()
    return (time.perf_counter() - t0) / loops * 1e6


def main():
    dtype = np.dtype(args.dtype).type
    print(
        f"N={args.N} D={args.D} H={args.H} {args.dtype} threads={args.threads} "
        f"reps={args.reps} loops={args.loops}: median [min-max] microseconds per call"
    )
    print(f"{'cell':5} {'forward':>20} {'backward':>20} {'both':>20}")
    for kind in GATES:
        cols = [f"{np.median(v):6.1f} [{v.min():5.1f}-{v.max():5.1f}]" for v in row(kind, dtype)]
        print(f"{kind:5} " + " ".join(f"{c:>20}" for c in cols), flush=True)


def row(kind, dtype):
    """Times (microseconds, one per rep) of forward, backward and both for the cell ``kind``."""
    forward, backward = cell_calls(kind, args.N, args.D, args.H, dtype)
    cache = forward()
    calls = (forward, lambda: backward(cache), lambda: backward(forward()))
    return [np.array([time_us(f, args.loops) for _ in range(args.reps)]) for f in calls]


if __name__ == "__main__":
    main()
