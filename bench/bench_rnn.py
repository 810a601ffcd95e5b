"""rnnlib vs torch.nn on the CPU: forward + backward of RNN, LSTM and GRU.

Both run in this process with the same thread count, interleaved (rnnlib, torch, rnnlib, ...),
so that machine noise hits both alike; we report the median of each and the median of the
per-pair ratios (rnnlib time / torch time). Each timed call follows an untimed one of the same
library: both libraries' worker threads (OpenBLAS's, torch's OpenMP) keep spinning for a while
after a call, and without it one library's spinning tail would slow the other's timed run.
GFLOP/s counts the matrix products of forward and backward (about 3x the forward's);
"% numpy mm" compares with numpy's own rate for matrix products of the same shapes, the ceiling
rnnlib can reach, and "torch %" puts torch.nn's rate on the same scale.

    python bench/bench_rnn.py [--threads 2] [--reps 7] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--threads", type=int, default=os.cpu_count())
parser.add_argument("--reps", type=int, default=7)
parser.add_argument("--quick", action="store_true", help="small shape only")
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)  # before numpy and torch load their BLAS

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import rnnlib  # noqa: E402

torch.set_num_threads(args.threads)
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
SHAPES = [(64, 32, 64, 128)] + ([] if args.quick else [(128, 64, 256, 512)])


def flops(kind, T, N, D, H):
    G = GATES[kind]
    forward = 2 * T * N * G * H * (D + H)
    return 3 * forward  # backward: dx and dW_ih, dh and dW_hh


def numpy_mm_rate(T, N, D, H, G, dtype):
    """numpy's GFLOP/s for T step products (N, H) x (H, G*H) and one (T*N, D) x (D, G*H)."""
    rng = np.random.default_rng(0)

    def rand(*shape):
        return rng.standard_normal(shape).astype(dtype)

    a, b, c, d = rand(N, H), rand(H, G * H), rand(T * N, D), rand(D, G * H)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(T):
            a @ b
        c @ d
        times.append(time.perf_counter() - t0)
    return 2 * T * N * G * H * (D + H) / np.median(times) / 1e9


def bench(kind, T, N, D, H, dtype):
    tdtype = getattr(torch, np.dtype(dtype).name)
    torch.manual_seed(0)
    module = getattr(torch.nn, kind)(D, H).to(tdtype)
    layer = rnnlib.from_torch(module)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, D)).astype(dtype)
    dout = rng.standard_normal((T, N, H)).astype(dtype)
    xt, doutt = torch.from_numpy(x).requires_grad_(True), torch.from_numpy(dout)

    def run_rnnlib():
        layer.forward(x)
        layer.backward(dout)

    def run_torch():
        module.zero_grad(set_to_none=True)
        xt.grad = None
        out, _ = module(xt)
        out.backward(doutt)

    mine, theirs = [], []
    for _ in range(args.reps):
        for f, sink in ((run_rnnlib, mine), (run_torch, theirs)):
            f()  # untimed: wakes this library's threads while the other's stop spinning
            t0 = time.perf_counter()
            f()
            sink.append(time.perf_counter() - t0)
    ratio = float(np.median(np.array(mine) / np.array(theirs)))
    gf = flops(kind, T, N, D, H) / np.median(mine) / 1e9
    torch_gf = flops(kind, T, N, D, H) / np.median(theirs) / 1e9
    mm = numpy_mm_rate(T, N, D, H, GATES[kind], dtype)
    return np.median(mine) * 1e3, np.median(theirs) * 1e3, ratio, gf, 100 * gf / mm, torch_gf / mm


def openblas_core():
    """The OpenBLAS kernel family numpy runs ('Haswell' = AVX2, 'SkylakeX' = AVX-512)."""
    import ctypes

    maps = "/proc/self/maps"
    for line in open(maps).read().splitlines() if os.path.exists(maps) else []:
        path = line.split()[-1]
        if "openblas" in path.lower() and path.startswith("/"):
            lib = ctypes.CDLL(path)
            for name in ("scipy_openblas_get_corename64_", "openblas_get_corename"):
                if hasattr(lib, name):
                    getattr(lib, name).restype = ctypes.c_char_p
                    return getattr(lib, name)().decode()
    return "?"


def main():
    versions = f"numpy {np.__version__} torch {torch.__version__}"
    forced = os.environ.get("OPENBLAS_CORETYPE")
    core = openblas_core() + (f" (OPENBLAS_CORETYPE={forced})" if forced else "")
    print(f"threads={args.threads} reps={args.reps} {versions} OpenBLAS core {core}")
    print(f"{'layer':5} {'dtype':7} {'T,N,D,H':17} {'rnnlib ms':>10} {'torch ms':>10} "
          f"{'ratio':>6} {'GFLOP/s':>8} {'% numpy mm':>10} {'torch %':>8}")
    for T, N, D, H in SHAPES:
        for dtype in (np.float32, np.float64):
            for kind in ("RNN", "LSTM", "GRU"):
                ms, tms, ratio, gf, frac, tfrac = bench(kind, T, N, D, H, dtype)
                shape = f"{T},{N},{D},{H}"
                print(f"{kind:5} {np.dtype(dtype).name:7} {shape:17} {ms:10.1f} {tms:10.1f} "
                      f"{ratio:6.2f} {gf:8.1f} {frac:9.0f}% {100 * tfrac:7.0f}%", flush=True)
    print("ratio = median over interleaved pairs of rnnlib time / torch.nn time (lower is better)")
    print("% numpy mm = rnnlib's GFLOP/s over numpy's rate for the same products (its ceiling);")
    print("torch % = the same for torch.nn: above 100% its BLAS outruns numpy's on these shapes")


if __name__ == "__main__":
    main()
