"""rnnlib on torch tensors vs torch.nn.LSTM: forward + backward, CPU and (when present) CUDA.

The same rnnlib code runs on torch tensors (``layer.to(device)``); torch.nn.LSTM runs its own
kernels (cuDNN on the GPU). Both are timed interleaved (rnnlib, torch, rnnlib, ...) so machine
noise hits both alike; we print the median of each and the median of the per-pair ratios
(rnnlib time / torch time). TF32 is switched off so both do true float32 products.
Shape T=128, N=64, D=256, H=512, float32. Target on GPU: ratio at most 2.

    python bench/bench_gpu.py [--cpu-reps 3] [--gpu-reps 20] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--cpu-reps", type=int, default=3, help="small: slow on a 2-core machine")
parser.add_argument("--gpu-reps", type=int, default=20)
parser.add_argument("--threads", type=int, default=os.cpu_count())
parser.add_argument("--shape", type=int, nargs=4, default=[128, 64, 256, 512], metavar="TNDH")
args = parser.parse_args()

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import rnnlib  # noqa: E402

torch.set_num_threads(args.threads)
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def bench(device, reps):
    T, N, D, H = args.shape
    torch.manual_seed(0)
    module = torch.nn.LSTM(D, H).to(device)
    layer = rnnlib.from_torch(module, as_numpy=False)  # torch tensors on the module's device
    x = torch.randn(T, N, D, device=device)
    dout = torch.randn(T, N, H, device=device)
    xt = x.clone().requires_grad_(True)

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    def run_rnnlib():
        layer.forward(x)
        layer.backward(dout)

    def run_torch():
        module.zero_grad(set_to_none=True)
        xt.grad = None
        out, _ = module(xt)
        out.backward(dout)

    for f in (run_rnnlib, run_torch):  # warm-up (and cuDNN plan selection)
        f()
    sync()
    mine, theirs = [], []
    for _ in range(reps):
        for f, sink in ((run_rnnlib, mine), (run_torch, theirs)):
            sync()
            t0 = time.perf_counter()
            f()
            sync()
            sink.append(time.perf_counter() - t0)
    ratio = float(np.median(np.array(mine) / np.array(theirs)))
    return np.median(mine) * 1e3, np.median(theirs) * 1e3, ratio


def main():
    T, N, D, H = args.shape
    print(
        f"torch {torch.__version__}, threads={args.threads}, LSTM T={T} N={N} D={D} H={H} "
        "float32, forward+backward, TF32 off"
    )
    print(f"{'device':8} {'reference':16} {'rnnlib ms':>10} {'torch ms':>10} {'ratio':>6}")
    ms, tms, ratio = bench("cpu", args.cpu_reps)
    print(f"{'cpu':8} {'torch.nn.LSTM':16} {ms:10.1f} {tms:10.1f} {ratio:6.2f}", flush=True)
    if torch.cuda.is_available():
        ms, tms, ratio = bench("cuda", args.gpu_reps)
        name = torch.cuda.get_device_name()
        print(f"{'cuda':8} {'cuDNN LSTM':16} {ms:10.1f} {tms:10.1f} {ratio:6.2f}  ({name})")
        print(f"GPU target (ratio <= 2): {'met' if ratio <= 2 else 'NOT met'}")
    else:
        print("cuda: not available, GPU comparison skipped")
    print("ratio = median over interleaved pairs of rnnlib time / torch time (lower is better)")


if __name__ == "__main__":
    main()
