"""Nothing lost: reruns, kill -9, two batches, layouts, zip, reports and feedback."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest
from conftest import CHAPTER, COURSE, FAST, FAST_CACHE, SOURCE
from planted.cases import build

from autograder.batch import BatchLocked, Lock, grade_batch
from autograder.feedback import write_feedback
from autograder.submissions import discover

QUIET = {"limits": FAST, "log": lambda *a: None, "cache_dir": FAST_CACHE}


def _wrong(source_nb):
    nb = json.loads(json.dumps(source_nb))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "q1":
            cell["source"] = 'resposta_q1 = "d"'
    return json.dumps(nb).encode()


def _results(out):
    return {p.stem: json.loads(p.read_text()) for p in (out / "results" / CHAPTER).glob("*.json")}


def test_rerun_skips_finished_and_regrades_changed(tmp_path, source_nb):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for name in ("ana", "bia"):
        (subs / name).mkdir(parents=True)
        (subs / name / f"{CHAPTER}.ipynb").write_bytes(SOURCE.read_bytes())
    rows = grade_batch(subs, COURSE, out, workers=1, **QUIET)
    assert [r["total"] for r in rows] == [7, 7]
    first = _results(out)
    rows = grade_batch(subs, COURSE, out, workers=1, **QUIET)
    assert _results(out) == first  # unchanged: not graded again
    (subs / "bia" / f"{CHAPTER}.ipynb").write_bytes(_wrong(source_nb))  # resubmission
    rows = grade_batch(subs, COURSE, out, workers=1, **QUIET)
    again = _results(out)
    assert again["ana"] == first["ana"]
    assert again["bia"]["graded_at"] > first["bia"]["graded_at"]
    assert {r["student"]: r["total"] for r in rows} == {"ana": 7, "bia": 6}


def test_kill_and_rerun_finishes_without_regrading(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for i in range(8):
        (subs / f"aluno{i}").mkdir(parents=True)
        (subs / f"aluno{i}" / f"{CHAPTER}.ipynb").write_bytes(SOURCE.read_bytes())
    cmd = [sys.executable, "-m", "autograder", "grade", str(subs), "--course", str(COURSE),
           "--out", str(out), "--workers", "1", "--cell-timeout", "6"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while len(_results(out) if (out / "results").exists() else {}) < 2:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _results(out)
    assert 2 <= len(before) < 8
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    after = _results(out)
    assert len(after) == 8
    for name, record in before.items():
        assert after[name]["graded_at"] == record["graded_at"]  # never graded twice
    rows = json.loads((out / "grades.json").read_text())
    assert len(rows) == 8 and all(r["total"] == 7 and r["status"] == "ok" for r in rows)
    assert not list(out.rglob("*.tmp"))


def test_second_batch_refuses_while_first_runs(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "ana").mkdir(parents=True)
    (subs / "ana" / f"{CHAPTER}.ipynb").write_bytes(SOURCE.read_bytes())
    with Lock(out):
        with pytest.raises(BatchLocked):
            grade_batch(subs, COURSE, out, **QUIET)
        cli = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs),
                              "--course", str(COURSE), "--out", str(out)],
                             capture_output=True, text=True)
        assert cli.returncode == 3 and "outra correção" in cli.stderr
    assert grade_batch(subs, COURSE, out, **QUIET)[0]["total"] == 7


def test_layouts_and_zip(tmp_path, source_nb):
    nb = SOURCE.read_bytes()
    files = {
        f"ana/{CHAPTER}/{CHAPTER}.ipynb": nb,  # nbgrader / JupyterHub
        f"bia+{CHAPTER}+2026-11-23 10:00:00/{CHAPTER}.ipynb": nb,  # exchange inbound
        f"caio_{CHAPTER}.ipynb": nb,  # file named by student
        f"dani/{CHAPTER} (1).ipynb": nb,  # renamed copy in a student folder
        f"edu/{CHAPTER}/.ipynb_checkpoints/{CHAPTER}-checkpoint.ipynb": nb,
    }
    archive = tmp_path / "turma.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    found = {(s.student, s.chapter, s.path is not None)
             for s in discover(_extract(archive, tmp_path), [CHAPTER], CHAPTER)}
    assert found == {("ana", CHAPTER, True), ("bia", CHAPTER, True), ("caio", CHAPTER, True),
                     ("dani", CHAPTER, True), ("edu", CHAPTER, False)}
    rows = grade_batch(archive, COURSE, tmp_path / "out", chapter=CHAPTER, **QUIET)
    by = {r["student"]: r for r in rows}
    assert by["edu"]["status"] == "needs_review" and by["edu"]["reason"] == "missing notebook"
    assert all(by[s]["total"] == 7 for s in ("ana", "bia", "caio", "dani"))


def _extract(archive, tmp_path):
    from autograder.submissions import extract_zip

    return extract_zip(archive, tmp_path / "x")


def test_feedback_shows_hints_but_no_secrets(tmp_path, source_nb, released):
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "ana").mkdir(parents=True)
    (subs / "ana" / f"{CHAPTER}.ipynb").write_bytes(_wrong(source_nb))
    (subs / "bia").mkdir(parents=True)
    (subs / "bia" / f"{CHAPTER}.ipynb").write_bytes(released.read_bytes())
    grade_batch(subs, COURSE, out, **QUIET)
    pages = {p.parent.name: p.read_text(encoding="utf-8") for p in write_feedback(out)}
    assert "6 de 7" in pages["ana"]
    # the quiz answered wrong: the answer, the key and why, after grading
    assert "Sua resposta: <b>d</b> · gabarito: <b>b</b>" in pages["ana"]
    assert "derivada da exponencial" in pages["ana"] and "1 - tanh²" in pages["ana"]
    bia = pages["bia"]
    assert "A saída deve ter forma (N, H)." in bia and "Some o viés" in bia
    for page in pages.values():
        for secret in ("oculto", "dx_uns", "HIDDEN", "-0.848", "chave", 'resposta_q1 = "b"'):
            assert secret not in page


def test_gradebook_has_per_cell_scores(tmp_path, source_nb):
    from nbgrader.api import Gradebook

    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "ana").mkdir(parents=True)
    (subs / "ana" / f"{CHAPTER}.ipynb").write_bytes(_wrong(source_nb))
    (subs / "bia").mkdir(parents=True)
    (subs / "bia" / f"{CHAPTER}.ipynb").write_text("nada", encoding="utf-8")
    grade_batch(subs, COURSE, out, **QUIET)
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", course_id="curso-rnn") as gb:
        grade = gb.find_grade("test_q1", CHAPTER, CHAPTER, "ana")
        assert grade.auto_score == 0 and not grade.needs_manual_grade
        assert gb.find_grade("test_q2", CHAPTER, CHAPTER, "ana").auto_score == 1
        bia = gb.find_grade("test_q2", CHAPTER, CHAPTER, "bia")
        assert bia.auto_score is None and bia.needs_manual_grade


def test_planted_build_is_deterministic(source_nb):
    assert build("solution", source_nb, {}) == build("solution", source_nb, {})


@pytest.mark.parametrize("writable", [False, True], ids=["padrao", "curso-gravavel"])
def test_course_edited_during_a_batch(tmp_path, forced_isolation, writable):
    """Someone edits the chapter while a batch runs: where submissions cannot write the course
    (bwrap or a separate uid) the batch warns and keeps the edit; where they can, it is undone
    and the submission graded meanwhile goes to review."""
    from autograder.confine import source_protected

    if writable:
        forced_isolation("none", same_uid=True)
    course = tmp_path / "curso"
    shutil.copytree(COURSE, course)
    source = course / CHAPTER / f"{CHAPTER}.ipynb"
    subs, out = tmp_path / "subs", tmp_path / "out"
    for name in ("ana", "bia"):
        (subs / name).mkdir(parents=True)
        (subs / name / f"{CHAPTER}.ipynb").write_bytes(SOURCE.read_bytes())
    messages = []

    def log(text):
        messages.append(text)
        if "ana" in text and "/" in text:  # ana graded: edit the course before bia
            source.write_text(source.read_text(encoding="utf-8").replace("Capítulo de amostra",
                                                                         "Capítulo editado"))

    rows = grade_batch(subs, course, out, workers=1, limits=FAST, log=log, cache_dir=FAST_CACHE)
    by = {r["student"]: r for r in rows}
    assert not (writable and source_protected())
    if source_protected():
        assert "Capítulo editado" in source.read_text(encoding="utf-8")
        assert any("o curso mudou durante a correção" in m for m in messages), messages
        assert all(r["status"] == "ok" and r["total"] == 7 for r in rows)
    else:
        assert "Capítulo editado" not in source.read_text(encoding="utf-8")
        assert by["bia"]["status"] == "needs_review" and "tampering" in by["bia"]["reason"]
        assert by["ana"]["status"] == "ok"


def test_one_student_cannot_stop_the_batch(tmp_path, source_nb):
    """A folder named with the byte 0xff, a link to the course's source notebook, a folder
    starting with '.', deeply nested JSON: each gets its own row; the others are graded."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    nb = SOURCE.read_bytes()
    (subs / "ana").mkdir(parents=True)
    (subs / "ana" / f"{CHAPTER}.ipynb").write_bytes(nb)
    odd = os.fsencode(subs) + b"/aluno\xff"
    os.makedirs(odd)
    with open(odd + f"/{CHAPTER}.ipynb".encode(), "wb") as fh:
        fh.write(nb)
    (subs / "ligado" / CHAPTER).mkdir(parents=True)
    (subs / "ligado" / CHAPTER / f"{CHAPTER}.ipynb").symlink_to(SOURCE)
    (subs / ".bia").mkdir(parents=True)
    (subs / ".bia" / f"{CHAPTER}.ipynb").write_bytes(nb)
    (subs / "fundo").mkdir(parents=True)
    (subs / "fundo" / f"{CHAPTER}.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    rows = {r["student"]: r for r in grade_batch(subs, COURSE, out, chapter=CHAPTER, **QUIET)}
    assert rows["ana"]["total"] == 7 and rows[".bia"]["total"] == 7
    odd_row = [r for name, r in rows.items() if name.startswith("aluno")]
    assert len(odd_row) == 1 and odd_row[0]["total"] == 7
    assert rows["ligado"]["total"] == "" and rows["ligado"]["reason"] == "missing notebook"
    assert rows["fundo"]["reason"] == "invalid notebook"
    assert (out / "grades.csv").read_text(encoding="utf-8").count("\n") == 6
    assert len(write_feedback(out)) == 5


def test_reports_cover_every_result_in_the_folder(tmp_path):
    course = tmp_path / "curso"
    shutil.copytree(COURSE, course)
    other = "02-amostra"
    (course / other).mkdir()
    shutil.copy(SOURCE, course / other / f"{other}.ipynb")
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "ana").mkdir(parents=True)
    (subs / "ana" / f"{CHAPTER}.ipynb").write_bytes(SOURCE.read_bytes())
    (subs / "ana" / f"{other}.ipynb").write_bytes(SOURCE.read_bytes())
    grade_batch(subs, course, out, chapter=CHAPTER, **QUIET)
    rows = grade_batch(subs, course, out, chapter=other, **QUIET)
    assert [r["chapter"] for r in rows] == [other]  # what this batch graded
    report = json.loads((out / "grades.json").read_text())
    assert sorted(r["chapter"] for r in report) == [CHAPTER, other]
    csv_text = (out / "grades.csv").read_text()
    assert CHAPTER in csv_text and other in csv_text


def test_a_capture_that_declares_a_huge_array_is_refused_before_loading():
    import io
    import resource

    import numpy as np

    from autograder.sandbox import _load_npz

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (300_000_000,)})
    member = header.getvalue() + b"\0" * (1 << 20)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("v:dx.npy", member)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert _load_npz(bomb.getvalue()) is None
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB
    good = io.BytesIO()
    np.savez(good, **{"v:dx": np.ones(3)})
    assert _load_npz(good.getvalue())["v:dx"].tolist() == [1.0, 1.0, 1.0]


def test_captures_of_one_run_share_one_memory_budget():
    """Each capture under its own cap, many cells together could still fill the grader's
    memory: past the run's budget a cell records nothing (its test fails), in cell order."""
    import io

    import numpy as np

    from autograder.sandbox import load_within

    def npz(n):
        buf = io.BytesIO()
        np.savez(buf, **{"v:x": np.zeros(n)})
        return buf.getvalue()

    captured = {5: npz(100), 2: npz(100), 9: npz(100), 7: b"not a zip"}
    records = load_within(captured, budget=2 * 100 * 8 + 300)  # + the .npy headers
    assert sorted(records) == [2, 5] and captured == {}
    assert records[2]["v:x"].shape == (100,)


@pytest.mark.skipif(os.geteuid() != 0, reason="precisa de root para criar arquivos de outro dono")
def test_exchange_inbound_counts_only_what_the_student_owns(tmp_path):
    """In nbgrader's inbound/, the folder name says who submitted: an account writing
    ``daemon+...`` must not submit as daemon (nbgrader's collect checks the owner too)."""
    import pwd

    inbound, out = tmp_path / "inbound", tmp_path / "out"
    nb = SOURCE.read_bytes()
    for student in ("root", "daemon"):
        folder = inbound / f"{student}+{CHAPTER}+2026-12-02 10:00:00.000000 UTC"
        folder.mkdir(parents=True)
        (folder / f"{CHAPTER}.ipynb").write_bytes(nb)  # both written by root
    rows = {r["student"]: r for r in grade_batch(inbound, COURSE, out, chapter=CHAPTER,
                                                 **QUIET)}
    assert rows["root"]["total"] == 7
    assert rows["daemon"]["total"] == "" and rows["daemon"]["reason"] == "missing notebook"
    assert "outra conta" in " ".join(rows["daemon"]["notes"])
    uid = pwd.getpwnam("daemon").pw_uid
    folder = inbound / f"daemon+{CHAPTER}+2026-12-02 10:00:00.000000 UTC"
    for path in (folder, folder / f"{CHAPTER}.ipynb"):
        os.chown(path, uid, uid)
    rows = {r["student"]: r for r in grade_batch(inbound, COURSE, out, chapter=CHAPTER,
                                                 **QUIET)}
    assert rows["daemon"]["total"] == 7


def test_without_bubblewrap_nor_tmpfs_the_work_folder_quota_is_watched(
        tmp_path, forced_isolation, monkeypatch):
    """Where neither bubblewrap nor a tmpfs (root) bounds the work folder, the grader measures
    it while the runner works: the cell that fills it is stopped as a crash, the folder goes
    back to the chapter's data, and the cells after it run."""
    import dataclasses

    from conftest import FAST

    from autograder import sandbox

    forced_isolation("none")
    monkeypatch.setattr(sandbox, "quota_workdir", lambda workdir, quota: None)
    data = tmp_path / "dados"
    data.mkdir()
    (data / "nomes.txt").write_text("ana\n", encoding="utf-8")
    fill = ("import os, tempfile, time\nfor i in range(6):\n"
            "    with open(f'lixo{i}.bin', 'wb') as fh:\n        fh.write(b'x' * (2 << 20))\n"
            "    with open(os.path.join(tempfile.gettempdir(), f't{i}.bin'), 'wb') as fh:\n"
            "        fh.write(b'x' * (2 << 20))\n"
            "time.sleep(30)\n")
    after = ("import os\nassert not os.path.exists('lixo0.bin')\n"
             "assert open('nomes.txt').read() == 'ana\\n'\n")
    cells = [{"index": 0, "kind": "code", "source": "x = 1"},
             {"index": 1, "kind": "code", "source": fill},
             {"index": 2, "kind": "code", "source": after}]
    limits = dataclasses.replace(FAST, workdir_bytes=16 << 20, cell_timeout=20.0)
    result = sandbox.run_cells(cells, "self", limits, data_dir=data)
    assert result.statuses == {0: "ok", 1: "crash", 2: "ok"}, (result.statuses, result.errors)
    assert any("cota de disco" in n for n in result.notes)
