"""rnnlib vs torch.nn on the CPU: forward + backward of RNN, LSTM and GRU.

Both run in this process with the same thread count, interleaved (rnnlib, torch, rnnlib, ...),
so that machine noise hits both alike; we report the median of each and the median of the
per-pair ratios (rnnlib time / torch time). Each timed call follows an untimed one of the same
library: both libraries' worker threads (OpenBLAS's, torch's OpenMP) keep spinning for a while
after a call, and without it one library's spinning tail would slow the other's timed run.
A third contestant in the same interleaving is numpy doing nothing but rnnlib's matrix
products (same shapes, same memory layouts): its time is rnnlib's floor, and floor / torch time
is the lowest ratio that numpy's BLAS, as this machine configures it, allows.
GFLOP/s counts the matrix products of forward and backward (about 3x the forward's).

    python bench/bench_rnn.py [--threads 2] [--reps 7] [--quick | --shapes large]
                              [--layers LSTM,GRU] [--dtypes float32] [--torch-no-onednn]
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
parser.add_argument("--shapes", default="small,large", help="of small, large (T, N, D, H below)")
parser.add_argument("--layers", default="RNN,LSTM,GRU")
parser.add_argument("--dtypes", default="float32,float64")
parser.add_argument(
    "--torch-no-onednn",
    action="store_true",
    help="torch without oneDNN (its fused float32 LSTM): ATen's generic path",
)
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)  # before numpy and torch load their BLAS

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import rnnlib  # noqa: E402

torch.set_num_threads(args.threads)
torch.backends.mkldnn.enabled = not args.torch_no_onednn
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
ALL_SHAPES = {"small": (64, 32, 64, 128), "large": (128, 64, 256, 512)}
SHAPES = [ALL_SHAPES[s] for s in (["small"] if args.quick else args.shapes.split(","))]
KINDS = args.layers.split(",")
DTYPES = [np.dtype(d).type for d in args.dtypes.split(",")]
TARGETS = {(k, d): t for k in ("LSTM", "GRU") for d, t in (("float32", 1.3), ("float64", 0.5))}


def flops(kind, T, N, D, H):
    G = GATES[kind]
    forward = 2 * T * N * G * H * (D + H)
    return 3 * forward  # backward: dx and dW_ih, dh and dW_hh


def products(kind, T, N, D, H, dtype):
    """A callable doing only the matrix products of rnnlib's forward + backward, in the same
    shapes and memory layouts (gate-major for LSTM and GRU): the floor of rnnlib's time."""
    rng = np.random.default_rng(0)
    G = GATES[kind]

    def rand(*shape):
        return rng.standard_normal(shape).astype(dtype)

    W_ih, W_hh, x = rand(G * H, D), rand(G * H, H), rand(T, N, D)
    if kind == "RNN":  # rnnlib's RNN works in the (N, H) layout
        h, dxw, hs = rand(N, H), rand(T * N, H), rand(T * N, H)

        def run():
            x.reshape(T * N, D) @ W_ih.T
            for _ in range(T):
                h @ W_hh.T
            for _ in range(T):
                h @ W_hh
            dxw.T @ x.reshape(T * N, D), dxw.T @ hs, dxw @ W_ih

        return run
    h, ah, dh, da = rand(H, N), rand(G * H, N), rand(H, N), rand(G * H, N)
    das, hs = rand(G * H, T * N), rand(T * N, H)

    def run():
        W_ih @ x.mT  # (T, G*H, N)
        for _ in range(T):
            np.matmul(W_hh, h, out=ah)
        for _ in range(T):
            np.matmul(W_hh.T, da, out=dh)
        das @ x.reshape(T * N, D), das @ hs, das.T @ W_ih

    return run


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

    floor = products(kind, T, N, D, H, dtype)
    mine, theirs, mm = [], [], []
    for _ in range(args.reps):
        for f, sink in ((run_rnnlib, mine), (run_torch, theirs), (floor, mm)):
            f()  # untimed: wakes this library's threads while the other's stop spinning
            t0 = time.perf_counter()
            f()
            sink.append(time.perf_counter() - t0)
    mine, theirs, mm = np.array(mine), np.array(theirs), np.array(mm)
    work = flops(kind, T, N, D, H) / 1e9
    return {
        "ms": np.median(mine) * 1e3,
        "torch_ms": np.median(theirs) * 1e3,
        "ratio": np.median(mine / theirs),
        "gflops": work / np.median(mine),
        "torch_gflops": work / np.median(theirs),
        "mm_ms": np.median(mm) * 1e3,
        "mm_share": np.median(mm / mine),  # rnnlib's rate as a share of numpy's matmul rate
        "floor": np.median(mm / theirs),  # the best ratio numpy's matmul allows
    }


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
    onednn = " (oneDNN off)" if args.torch_no_onednn else ""
    print(f"threads={args.threads} reps={args.reps} {versions}{onednn} OpenBLAS core {core}")
    print(
        f"{'layer':5} {'dtype':7} {'T,N,D,H':16} {'rnnlib ms':>9} {'torch ms':>9} {'ratio':>6} "
        f"{'target':>6} {'mm ms':>7} {'floor':>6} {'GFLOP/s':>7} {'torch GF':>8} {'mm share':>8}"
    )
    for T, N, D, H in SHAPES:
        for dtype in DTYPES:
            for kind in KINDS:
                r = bench(kind, T, N, D, H, dtype)
                name = np.dtype(dtype).name
                target = TARGETS.get((kind, name))
                target = f"{target:6.1f}" if target else f"{'-':>6}"
                print(
                    f"{kind:5} {name:7} {f'{T},{N},{D},{H}':16} {r['ms']:9.1f} "
                    f"{r['torch_ms']:9.1f} {r['ratio']:6.2f} {target} {r['mm_ms']:7.1f} "
                    f"{r['floor']:6.2f} {r['gflops']:7.1f} {r['torch_gflops']:8.1f} "
                    f"{100 * r['mm_share']:7.0f}%",
                    flush=True,
                )
    print("ratio  = median over interleaved runs of rnnlib time / torch.nn time (lower is better)")
    print("target = the project's goal for that ratio")
    print("mm ms  = numpy doing only rnnlib's matrix products (same shapes, same layouts);")
    print("floor  = mm ms / torch ms: the lowest ratio numpy's matrix products allow here")
    print("GFLOP/s = rnnlib's rate, torch GF = torch.nn's, over the same count of operations")
    print("mm share = mm ms / rnnlib ms: the fraction of numpy's own matrix-product rate that")
    print("rnnlib reaches, i.e. the share of its time that the products need")


if __name__ == "__main__":
    main()
