"""The CPU benchmark runs and prints a complete table (its figures are read by people, not here:
timing assertions on a shared machine would only measure the neighbours)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bench(*args):
    cmd = [sys.executable, str(ROOT / "bench" / "bench_rnn.py"), "--quick", "--reps", "1", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines()]
    return out.stdout, [r for r in rows if r and r[0] in ("RNN", "LSTM", "GRU")]


def test_bench_prints_every_layer_and_dtype_with_its_floor():
    text, rows = run_bench("--threads", "1")
    assert "threads=1" in text and "OpenBLAS core" in text
    assert [(r[0], r[1]) for r in rows] == [
        (k, d) for d in ("float32", "float64") for k in ("RNN", "LSTM", "GRU")
    ]
    for kind, dtype, shape, ms, torch_ms, ratio, target, mm_ms, floor, gf, tgf, share in rows:
        assert shape == "64,32,64,128"
        assert float(ms) > 0 and float(torch_ms) > 0 and float(mm_ms) > 0
        assert abs(float(ratio) - float(ms) / float(torch_ms)) < 0.5 * float(ratio) + 0.05
        assert float(floor) > 0 and float(gf) > 0 and float(tgf) > 0 and share.endswith("%")
        assert target == ("-" if kind == "RNN" else {"float32": "1.3", "float64": "0.5"}[dtype])


def test_bench_filters_layers_and_can_turn_onednn_off():
    text, rows = run_bench("--layers", "LSTM", "--dtypes", "float32", "--torch-no-onednn")
    assert "(oneDNN off)" in text
    assert [(r[0], r[1]) for r in rows] == [("LSTM", "float32")]
