"""Grading benchmark: 60 submissions of one chapter with 1 and with 2 workers.

    python bench/bench_grading.py [--course DIR] [--chapter NAME] [--n 60]

Defaults to the sample chapter of the autograder tests. Half the submissions are the solution,
half the untouched release, so both full and empty answers are timed. Not run by the tests.
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from autograder.batch import grade_batch
from autograder.grading import reference
from autograder.release import release

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "tests" / "autograder" / "sample" / "course"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--course", default=str(SAMPLE))
    p.add_argument("--chapter", default="01-amostra")
    p.add_argument("--n", type=int, default=60)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    source = Path(args.course) / args.chapter / f"{args.chapter}.ipynb"
    (released,) = release(args.course, work / "release", args.chapter)
    subs = work / "entregas"
    for i in range(args.n):
        folder = subs / f"aluno{i:03d}" / args.chapter
        folder.mkdir(parents=True)
        shutil.copy(source if i % 2 == 0 else released, folder / f"{args.chapter}.ipynb")
    cache = work / "cache"
    reference(source, cache_dir=cache)  # the reference run is paid once, not per submission
    times = {}
    for workers in (1, 2):
        out = work / f"saida{workers}"
        t0 = time.perf_counter()
        grade_batch(subs, args.course, out, workers=workers, chapter=args.chapter,
                    cache_dir=cache, log=lambda *a: None)
        times[workers] = time.perf_counter() - t0
        print(f"{workers} worker(s): {times[workers]:.1f} s, "
              f"{times[workers] / args.n:.2f} s por entrega")
    print(f"aceleração com 2 workers: {times[1] / times[2]:.2f}x")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
