"""Every planted submission gets exactly the grade it earned, in one batch that goes on.

The full corpus runs under bubblewrap; a smaller one runs under each weaker isolation level
(``AUTOGRADER_ISOLATION``), where the course must still come out intact and the sabotage of one
submission must not change the grade of the next.
"""

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import CHAPTER, COURSE, FAST
from planted.cases import CASES, SABOTAGE, SOLUTION, build
from sysdeps import require_tool

from autograder import confine as sandbox
from autograder.batch import grade_batch
from autograder.grading import MAX_NOTEBOOK_BYTES

SECRET_ENV = "AUTOGRADER_TEST_SECRET"
FILE_CASES = {  # submissions that are broken as files rather than as code
    "malformed_json": ("invalid notebook", None),
    "too_large": ("too large", None),
    "missing_notebook": ("missing notebook", None),
    "renamed_file": (None, SOLUTION),
}
# under the weaker levels: what does not depend on the sandbox being unable to write
FALLBACK_CASES = ["solution", "os_exit", "memory_bomb", "overwrite_earlier_capture",
                  "background_leftover", *SABOTAGE]


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _setup(root, cases, source_nb):
    """A private copy of the sample course, the planted submissions and the secrets they hunt."""
    course, subs, out = root / "curso", root / "entregas", root / "saida"
    shutil.copytree(COURSE, course)
    source = course / CHAPTER / f"{CHAPTER}.ipynb"
    out.mkdir()
    (out / "gradebook.db").write_bytes(b"")
    other = subs / "solution" / CHAPTER / f"{CHAPTER}.ipynb"
    writable = [str(source), str(out / "gradebook.db"), str(other), str(out / "results"),
                str(course)]
    secrets = {"paths": [*writable, "/root/.bashrc", "/etc/passwd"], "writable": writable,
               "source": str(source), "env": SECRET_ENV}
    for name in cases:
        path = subs / name / CHAPTER / f"{CHAPTER}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_bytes(build(name, source_nb, secrets))
    return course, subs, out


def _check_row(row, expected, status, reasons):
    assert row["cells"] == expected, row
    assert row["total"] == sum(expected.values())
    assert row["status"] == status, row
    assert set(row["reason"].split(";") if row["reason"] else []) == set(reasons), row


def _processes_of(uid):
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uids = next(line for line in status.read_text().splitlines() if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if str(uid) in uids.split()[1:]:
            found.append(status.parent.name)
    return found


def _changed(before):
    return [p for p, d in before.items() if not p.is_file() or _digest(p) != d]


@pytest.fixture(scope="module")
def batch(tmp_path_factory, source_nb, released):
    require_tool("bwrap", "sandbox do corretor")
    if sandbox.isolation() != "bwrap":
        message = "bwrap instalado, mas não funciona nesta máquina"
        if os.environ.get("RNN_CURSO_STRICT") == "1":
            pytest.fail(message)
        pytest.skip(message)
    cases = dict(CASES)
    if not sandbox.separate_uid() and os.geteuid() == 0:
        # without a separate uid, RLIMIT_NPROC does not bind root; as root with bwrap working
        # the uid must work too, wherever the checkout and the Python live
        if os.environ.get("RNN_CURSO_STRICT") == "1" and shutil.which("setpriv"):
            pytest.fail("bwrap funciona, mas o corretor (root) não consegue um uid separado")
        cases.pop("fork_bomb")
    root = tmp_path_factory.mktemp("planted")
    course, subs, out = _setup(root, cases, source_nb)
    (subs / "malformed_json" / CHAPTER).mkdir(parents=True)
    (subs / "malformed_json" / CHAPTER / f"{CHAPTER}.ipynb").write_text('{"cells": [', "utf-8")
    big = json.loads(build("solution", source_nb, {}))
    big["metadata"]["lixo"] = "x" * (MAX_NOTEBOOK_BYTES + 1024)
    (subs / "too_large" / CHAPTER).mkdir(parents=True)
    (subs / "too_large" / CHAPTER / f"{CHAPTER}.ipynb").write_text(json.dumps(big), "utf-8")
    (subs / "missing_notebook" / CHAPTER).mkdir(parents=True)
    (subs / "renamed_file" / CHAPTER).mkdir(parents=True)
    (subs / "renamed_file" / CHAPTER / f"{CHAPTER} (1).ipynb").write_bytes(
        build("solution", source_nb, {}))
    (subs / "release_untouched" / CHAPTER).mkdir(parents=True)
    (subs / "release_untouched" / CHAPTER / f"{CHAPTER}.ipynb").write_bytes(released.read_bytes())
    files = [*course.rglob("*"), *subs.rglob("*.ipynb")]
    before = {p: _digest(p) for p in files if p.is_file()}
    os.environ[SECRET_ENV] = "segredo"
    try:
        rows = grade_batch(subs, course, out, workers=2, limits=FAST, log=lambda *a: None)
    finally:
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
    _check_row(rows[case], expected, status, reasons)


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
    assert _changed(before) == []
    assert not [p for p in out.parent.rglob("planted.txt")]
    assert not (out / "tamper").exists()  # writes were impossible: nothing to restore


def test_csv_has_one_row_per_submission(batch):
    rows, _, out, _ = batch
    lines = (out / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(rows) + 1
    assert lines[0].startswith("student,chapter,test_tanh_forward,test_tanh_backward")


FALLBACKS = {"unshare": {"AUTOGRADER_ISOLATION": "unshare"},
             "rlimit": {"AUTOGRADER_ISOLATION": "none"},
             "rlimit-mesmo-uid": {"AUTOGRADER_ISOLATION": "none", "AUTOGRADER_SAME_UID": "1"}}


@pytest.fixture(scope="module", params=sorted(FALLBACKS))
def fallback(request, tmp_path_factory, source_nb):
    """One batch under a weaker isolation level; returns (rows, cases, protected, before, out)."""
    if request.param == "unshare":
        require_tool("unshare", "isolamento de rede sem bubblewrap")
    mp = pytest.MonkeyPatch()
    for key, value in FALLBACKS[request.param].items():
        mp.setenv(key, value)
    sandbox.isolation.cache_clear()
    sandbox.separate_uid.cache_clear()
    try:
        protected = sandbox.source_protected()
        cases = list(FALLBACK_CASES)
        if protected:  # these attacks would succeed where the sandbox can write: not run there
            cases.append("write_gradebook_and_source")
            if sandbox.separate_uid() or os.geteuid() != 0:
                cases.append("fork_bomb")
        if request.param == "unshare":
            cases.append("network")
        course, subs, out = _setup(tmp_path_factory.mktemp(request.param), cases, source_nb)
        before = {p: _digest(p) for p in course.rglob("*") if p.is_file()}
        packages = {p: _digest(p) for p in sandbox.package_root().rglob("*") if p.is_file()}
        rows = grade_batch(subs, course, out, workers=1, limits=FAST, log=lambda *a: None)
        yield ({r["student"]: r for r in rows}, cases, protected, before, packages, out)
    finally:
        mp.undo()
        sandbox.isolation.cache_clear()
        sandbox.separate_uid.cache_clear()


def test_fallback_grades_each_case(fallback):
    rows, cases, protected, _, _, _ = fallback
    assert set(rows) == set(cases)
    for case in cases:
        if case in SABOTAGE:
            _, expected, on_protected, on_writable = SABOTAGE[case]
            _check_row(rows[case], expected, *(on_protected if protected else on_writable))
        else:
            _, expected, status, reasons = CASES[case]
            _check_row(rows[case], expected, status, reasons)
    isolation = {r["isolation"] for r in rows.values()}
    assert len(isolation) == 1 and "bwrap" not in isolation.pop()


def test_fallback_leaves_course_and_packages_intact(fallback):
    _, _, protected, before, packages, out = fallback
    assert _changed(before) == []
    assert _changed(packages) == []
    assert not [p for p in out.parent.rglob("planted.txt")]
    restored = [p for m in (out / "tamper").glob("*.json")
                for p in json.loads(m.read_text())["paths"]]
    if protected:
        assert restored == []  # the sandbox could not write: nothing had to be restored
        # the uid of this process's sandboxes runs nothing once the batch is over
        assert _processes_of(100000 + os.getpid()) == []
    else:
        assert any(p.endswith("student.py") for p in restored)
        assert any(p.endswith(f"{CHAPTER}.ipynb") for p in restored)
