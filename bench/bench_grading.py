"""Grading benchmark: 60 submissions of one chapter with 1 and with 2 workers.

    python bench/bench_grading.py [--course DIR] [--chapter NAME] [--n 60] [--rounds 1]

Defaults to the sample chapter of the autograder tests. Half the submissions are the solution,
half the untouched release, so both full and empty answers are timed. Before timing, a warm-up
batch per worker count pays the one-time costs (the sandbox probes, the reference run, the
first imports and the disk cache), so neither measured pass carries them. With ``--rounds``
above 1 the passes alternate (1, 2, 1, 2, ...) and the median is printed. Not run by the tests.
"""

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from autograder.batch import grade_batch
from autograder.confine import describe_isolation
from autograder.grading import reference
from autograder.release import release

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "tests" / "autograder" / "sample" / "course"
WARMUP = 4  # submissions per worker count in the warm-up batch


def _submissions(folder, chapter, source, released, n):
    for i in range(n):
        target = folder / f"aluno{i:03d}" / chapter
        target.mkdir(parents=True)
        shutil.copy(source if i % 2 == 0 else released, target / f"{chapter}.ipynb")
    return folder


def _batch(subs, args, cache, out, workers):
    t0 = time.perf_counter()
    grade_batch(subs, args.course, out, workers=workers, chapter=args.chapter,
                cache_dir=cache, log=lambda *a: None)
    return time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--course", default=str(SAMPLE))
    p.add_argument("--chapter", default="01-amostra")
    p.add_argument("--n", type=int, default=60)
    p.add_argument("--rounds", type=int, default=1)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        source = Path(args.course) / args.chapter / f"{args.chapter}.ipynb"
        (released,) = release(args.course, work / "release", args.chapter)
        subs = _submissions(work / "entregas", args.chapter, source, released, args.n)
        warm = _submissions(work / "aquecimento", args.chapter, source, released, WARMUP)
        cache = work / "cache"
        print(f"isolamento: {describe_isolation()}")
        reference(source, cache_dir=cache)  # the reference run is paid once, not per submission
        times = {1: [], 2: []}
        for workers in (1, 2):  # warm-up: not timed
            _batch(warm, args, cache, work / f"aquecimento{workers}", workers)
        for r in range(args.rounds):
            for workers in (1, 2):
                out = work / f"saida{workers}-{r}"
                times[workers].append(_batch(subs, args, cache, out, workers))
        per = {w: statistics.median(t) / args.n for w, t in times.items()}
        for workers in (1, 2):
            print(f"{workers} worker(s): {statistics.median(times[workers]):.1f} s, "
                  f"{per[workers]:.2f} s por entrega ({args.n} entregas de {args.chapter}, "
                  f"mediana de {args.rounds} rodada(s))")
        print(f"aceleração com 2 workers: {per[1] / per[2]:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
