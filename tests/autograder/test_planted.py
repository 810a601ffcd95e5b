"""Every planted submission gets exactly the grade it earned, in one batch that goes on."""

import hashlib
import json
import os

import pytest
from conftest import CHAPTER, COURSE, FAST, SOURCE
from planted.cases import CASES, SOLUTION, build

from autograder.batch import grade_batch
from autograder.grading import MAX_NOTEBOOK_BYTES
from autograder.sandbox import isolation

SECRET_ENV = "AUTOGRADER_TEST_SECRET"
FILE_CASES = {  # submissions that are broken as files rather than as code
    "malformed_json": ("invalid notebook", None),
    "too_large": ("too large", None),
    "missing_notebook": ("missing notebook", None),
    "renamed_file": (None, SOLUTION),
}


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def batch(tmp_path_factory, source_nb, released):
    root = tmp_path_factory.mktemp("planted")
    subs, out = root / "entregas", root / "saida"
    out.mkdir()
    (out / "gradebook.db").write_bytes(b"")
    other = subs / "solution" / CHAPTER / f"{CHAPTER}.ipynb"
    secrets = {"paths": [str(SOURCE), str(out / "gradebook.db"), str(other),
                         str(out / "results"), str(COURSE), "/root/.bashrc", "/etc/passwd"],
               "env": SECRET_ENV}
    os.environ[SECRET_ENV] = "segredo"
    cases = dict(CASES)
    if isolation() != "bwrap" and os.geteuid() == 0:
        cases.pop("fork_bomb")  # without a separate uid, RLIMIT_NPROC does not bind root
    for name in cases:
        path = subs / name / CHAPTER / f"{CHAPTER}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_bytes(build(name, source_nb, secrets))
    (subs / "malformed_json" / CHAPTER).mkdir(parents=True)
    (subs / "malformed_json" / CHAPTER / f"{CHAPTER}.ipynb").write_text('{"cells": [', "utf-8")
    big = json.loads(build("solution", source_nb, secrets))
    big["metadata"]["lixo"] = "x" * (MAX_NOTEBOOK_BYTES + 1024)
    (subs / "too_large" / CHAPTER).mkdir(parents=True)
    (subs / "too_large" / CHAPTER / f"{CHAPTER}.ipynb").write_text(json.dumps(big), "utf-8")
    (subs / "missing_notebook" / CHAPTER).mkdir(parents=True)
    (subs / "renamed_file" / CHAPTER).mkdir(parents=True)
    (subs / "renamed_file" / CHAPTER / f"{CHAPTER} (1).ipynb").write_bytes(
        build("solution", source_nb, secrets))
    (subs / "release_untouched" / CHAPTER).mkdir(parents=True)
    (subs / "release_untouched" / CHAPTER / f"{CHAPTER}.ipynb").write_bytes(released.read_bytes())
    before = {p: _digest(p) for p in [SOURCE, *subs.rglob("*.ipynb")]}
    rows = grade_batch(subs, COURSE, out, workers=2, limits=FAST, log=lambda *a: None)
    del os.environ[SECRET_ENV]
    return {r["student"]: r for r in rows}, before, out, cases


def test_every_case_has_a_row(batch):
    rows, _, _, cases = batch
    assert set(rows) == set(cases) | set(FILE_CASES) | {"release_untouched"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_planted_case(batch, case):
    rows, _, _, cases = batch
    if case not in cases:
        pytest.skip("fork bomb needs bubblewrap + a separate uid here")
    _, expected, status, reasons = CASES[case]
    row = rows[case]
    assert row["cells"] == expected, row
    assert row["total"] == sum(expected.values())
    assert row["status"] == status, row
    assert set(row["reason"].split(";") if row["reason"] else []) == set(reasons), row


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_broken_files_are_flagged_not_zero(batch, case):
    rows, _, _, _ = batch
    reason, expected = FILE_CASES[case]
    row = rows[case]
    if expected is None:
        assert row["status"] == "needs_review" and row["reason"] == reason
        assert row["total"] == "" and set(row["cells"].values()) == {""}
    else:
        assert row["cells"] == expected and row["status"] == "ok"


def test_untouched_release_is_a_real_zero(batch):
    row = batch[0]["release_untouched"]
    assert row["total"] == 0 and row["status"] == "ok"


def test_nothing_was_modified_or_planted(batch):
    _, before, out, _ = batch
    for path, digest in before.items():
        assert _digest(path) == digest, path
    assert not list(COURSE.rglob("planted.txt"))
    assert not list(out.rglob("planted.txt"))
    assert not (SOURCE.parent / "planted.txt").exists()


def test_csv_has_one_row_per_submission(batch):
    rows, _, out, _ = batch
    lines = (out / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(rows) + 1
    assert lines[0].startswith("student,chapter,test_tanh_forward,test_tanh_backward")
