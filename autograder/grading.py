"""Grade one submission against the trusted source notebook.

The source notebook (solutions) is run once in the same sandbox and its recorded values are the
reference (cached by a hash of the chapter folder and the grading code). The student's rebuilt
notebook is run the same way; this process then compares the two, cell by cell.
"""

import ast
import builtins
import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import diagnosis
from . import notebook as nbmod
from . import status as st
from .confine import package_root
from .sandbox import _load_captures, run_cells

MAX_NOTEBOOK_BYTES = 20 << 20
VARIANT_BASE = 1_000_000  # cell index offset of the typical-mistake runs in the reference
_VERSIONED = ("numpy", "torch", "ipython")
CANNOT_GRADE = st.CANNOT_GRADE


class SourceNotebookError(Exception):
    """The source notebook itself does not run cleanly: the chapter needs fixing."""


@dataclass
class CellGrade:
    grade_id: str
    exercise: str | None
    quiz: bool
    points: float
    max_points: float
    status: str  # a cell status of ``status`` (passed, failed, unanswered, forbidden...)
    failed_hints: list = field(default_factory=list)  # [(visible check name, dica)]
    detail: list = field(default_factory=list)  # forbidden: the names the exercise used
    answer: str | None = None  # quiz cells: the learner's normalized answer (class report)
    misconceptions: list = field(default_factory=list)  # ids of the typical mistakes matched
    misconception_messages: list = field(default_factory=list)  # their pt-BR messages
    title: str = ""  # the heading above the exercise, or "Pergunta N"
    question: str = ""  # quiz: the question's text
    key: str | None = None  # quiz: the right answer
    explanation: str = ""  # quiz: why the key is right (and the learner's letter, if wrong)
    diagnoses: list = field(default_factory=list)  # [(visible check name, pt-BR diagnosis)]
    earlier: dict = field(default_factory=dict)  # failed because of an earlier exercise:
    # {"exercise", "title", "functions"}: its functions the answer calls (it failed too)


@dataclass
class GradeResult:
    chapter: str
    cells: list = field(default_factory=list)
    score: float | None = 0.0
    max_score: float = 0.0
    status: str = st.OK
    reasons: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    answer_errors: dict = field(default_factory=dict)  # answer grade_id -> exception name
    isolation: str = ""
    seconds: float = 0.0

    def scores(self):
        return {c.grade_id: c.points for c in self.cells}

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        data["cells"] = [CellGrade(**c) for c in data.get("cells", [])]
        return cls(**data)


def _files(folder):
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink()
                  and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts)


def source_hash(source_nb_path):
    """The reference cache key: everything the reference run reads or imports.

    The chapter folder, the packages the sandbox imports (its private copy of ``autograder``
    and ``rnnlib``) and the versions of numpy, torch and IPython."""
    from importlib import metadata

    digest = hashlib.sha256()
    folder = Path(source_nb_path).resolve().parent
    root = package_root()
    for base, files in ((folder, _files(folder)), (root, _files(root))):
        for path in files:
            digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes()
                          + b"\0")
    for dist in _VERSIONED:
        try:
            digest.update(f"{dist}={metadata.version(dist)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=-\0".encode())
    return digest.hexdigest()[:32]


def _default_cache():
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "autograder"


def load_source(source_nb_path):
    data = Path(source_nb_path).read_bytes()
    return nbmod.layout(nbmod.load_json_notebook(data))


def declared_mistakes(cells):
    """[(exercise grade_id, {"id", "mensagem", "codigo"})] in source order."""
    return [(c["grade_id"], item) for c in cells if c["kind"] == "answer"
            for item in c.get("equivocos", [])]


def _mistake_runs(cells, answers):
    """Cells that rerun each exercise's test cells with a typical mistake in its answer cell,
    then restore the solution; indices ``VARIANT_BASE * (j + 1) + index`` for mistake j."""
    run = []
    by_id = {c["grade_id"]: c for c in cells if c["kind"] == "answer"}
    for j, (exercise, item) in enumerate(declared_mistakes(cells)):
        base, answer = VARIANT_BASE * (j + 1), by_id[exercise]
        run.append({"index": base + answer["index"], "source": item["codigo"], "kind": "answer"})
        run += [{"index": base + c["index"], "source": c["source"], "kind": "test"}
                for c in cells if c["kind"] == "test" and c["exercise"] == exercise]
        run.append({"index": base + VARIANT_BASE // 2 + answer["index"],
                    "source": answers[exercise], "kind": "answer"})
    return run


def mistake_records(ref, cells):
    """{(exercise, mistake id): {test cell index: record}} from a reference's captures."""
    out = {}
    for j, (exercise, item) in enumerate(declared_mistakes(cells)):
        base = VARIANT_BASE * (j + 1)
        out[(exercise, item["id"])] = {c["index"]: ref.get(base + c["index"], {}) for c in cells
                                      if c["kind"] == "test" and c["exercise"] == exercise}
    return out


def _exercise(cell):
    return cell["grade_id"] if cell["kind"] == "answer" else cell.get("exercise")


def _needs_missing_torch(cells, result):
    """Exercises whose cells stopped on ``rnnlib.TorchMissingError``: torch is optional for a
    learner (its install leaves it out), so the reference of a torch-less release has no values
    for them; everything else must still run clean."""
    return {_exercise(cells[k]) for k, error in result.errors.items()
            if k < VARIANT_BASE and error and error[0] == "TorchMissingError"}


def reference(source_nb_path, limits=None, cache_dir=None):
    """Captures of the source notebook run with its solutions: {test cell index: record}.

    The same run then reruns each exercise's test cells with each of its declared typical
    mistakes (outside any learner's sandbox: this is the author's code); those records have
    indices from ``VARIANT_BASE`` up (see :func:`mistake_records`).
    """
    return reference_run(source_nb_path, limits, cache_dir)[0]


def reference_run(source_nb_path, limits=None, cache_dir=None):
    """(captures, calls) of the source notebook run with its solutions; see :func:`reference`.

    ``calls``: {cell index: forbidden calls the solution's run made there}, which only the
    test cells' own code can make (a test that hands ``F.lstm_cell_forward`` to the learner's
    function): those stay allowed in that cell."""
    cells = load_source(source_nb_path)
    cache = Path(cache_dir or _default_cache()) / f"ref-{source_hash(source_nb_path)}"
    if (cache / "complete").exists():
        return _load_captures(cache), _load_calls(cache)
    answers = {c["grade_id"]: c["source"] for c in cells if c["kind"] == "answer"}
    run = nbmod.runnable(cells, answers) + _mistake_runs(cells, answers)
    result = run_cells(run, "graded", limits, data_dir=Path(source_nb_path).parent,
                       observe=True)
    without_torch = _needs_missing_torch(cells, result)
    problems = [f"célula {cells[k]['grade_id'] or k}: {s} {result.errors.get(k, '')}"
                for k, s in sorted(result.statuses.items())
                if s != "ok" and k < VARIANT_BASE and _exercise(cells[k]) not in without_torch]
    problems += [f"a solução de {cells[k]['grade_id']} usa {', '.join(names)}, que o exercício "
                 "proíbe" for k, names in sorted(result.forbidden.items())
                 if k < VARIANT_BASE and cells[k]["kind"] == "answer"]
    for c in cells:
        if c["kind"] != "test" or c["exercise"] in without_torch:
            continue
        rec = result.captures.get(c["index"], {})
        if not any(k.startswith(("v:", "q:")) for k in rec):
            problems.append(f"célula de teste {c['grade_id']}: nenhum check()/quiz() registrado")
        if any(k.startswith("v:") and not np.all(np.isfinite(v)) for k, v in rec.items()):
            problems.append(f"célula de teste {c['grade_id']}: valor de referência não finito")
    if problems:
        raise SourceNotebookError("o caderno-fonte não roda limpo: " + "; ".join(problems))
    if without_torch:  # a learner's install without torch: usable, but never cached as whole
        return result.captures, dict(result.forbidden)
    tmp = cache.with_name(cache.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for k, rec in result.captures.items():
        np.savez(tmp / f"{k}.npz", **rec)
    (tmp / "calls.json").write_text(json.dumps(result.forbidden), encoding="utf-8")
    (tmp / "complete").write_text("ok")
    try:
        tmp.rename(cache)
    except OSError:  # another worker finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return result.captures, dict(result.forbidden)


def _load_calls(cache):
    try:
        data = json.loads((cache / "calls.json").read_text(encoding="utf-8"))
        return {int(k): list(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError):
        return {}


def matched_mistakes(cell, ref, student_rec, mistakes):
    """[(id, mensagem)] of the exercise's typical mistakes whose records the learner's equal.

    A mistake matches when it differs from the reference somewhere and the learner's values
    equal the mistake's on every check the mistake recorded.
    """
    found = []
    for (exercise, ident), records in mistakes.items():
        rec = records.get(cell["index"]) or {}
        recorded = any(k.startswith(("v:", "q:")) for k in rec)
        if exercise != cell["exercise"] or not recorded or not compare(ref, rec):
            continue
        if _same_values(rec, student_rec):
            found.append(ident)
    return found


def _same_values(rec, got):
    """Whether ``got`` has every value ``rec`` recorded, equal under ``rec``'s tolerances
    (NaN equal to NaN: a typical mistake may overflow)."""
    for key, want in rec.items():
        kind, _, name = key.partition(":")
        have = got.get(key)
        if kind == "q" and (have is None or str(have) != str(want)):
            return False
        if kind == "v":
            rtol, atol = (float(x) for x in rec["t:" + name])
            if have is None or np.shape(have) != want.shape or not np.allclose(
                    have, want, rtol=rtol, atol=atol, equal_nan=True):
                return False
    return True


def compare(ref, got):
    """Names recorded by the reference that the student's record misses or gets wrong."""
    failed = []
    for key, want in ref.items():
        kind, _, name = key.partition(":")
        if kind not in ("v", "q"):
            continue
        have = got.get(key)
        try:
            if kind == "q":
                ok = have is not None and have.dtype.kind == "U" and str(have) == str(want)
            else:
                have = np.asarray(have, dtype=np.float64)
                rtol, atol = (float(x) for x in ref["t:" + name])
                ok = (have.shape == want.shape and bool(np.all(np.isfinite(have)))
                      and bool(np.allclose(have, want, rtol=rtol, atol=atol)))
        except Exception:
            ok = False
        if not ok:
            failed.append(name)
    return failed


def _quiz_answer(cell, captured):
    """The answer a quiz test cell recorded (``q:`` capture), as text; None otherwise."""
    if not cell["quiz"]:
        return None
    answers = [v for key, v in captured.items() if key.startswith("q:")]
    return str(answers[0])[:20] if answers and answers[0].dtype.kind == "U" else None


def _add_reason(result, reason):
    if reason not in result.reasons:
        result.reasons.append(reason)


def _empty_result(cells, chapter, reason, note):
    result = GradeResult(chapter=chapter, score=None, status=st.NEEDS_REVIEW)
    for c in cells:
        if c["kind"] == "test":
            result.cells.append(CellGrade(c["grade_id"], c["exercise"], c["quiz"], 0.0,
                                          c["points"], st.NOT_RUN))
            result.max_score += c["points"]
    result.reasons.append(reason)
    result.notes.append(note)
    return result


def grade_notebook(source_nb_path, submission_nb_path, *, limits=None, cache_dir=None,
                   uid=None, chapter=None):
    """Grade ``submission_nb_path`` against the source notebook; returns a GradeResult."""
    chapter = chapter or Path(source_nb_path).parent.name
    cells = load_source(source_nb_path)
    ref, allowed_calls = reference_run(source_nb_path, limits, cache_dir)
    path = Path(submission_nb_path)
    if path.is_symlink() or not path.is_file():  # never read through a link
        return _empty_result(cells, chapter, st.R_MISSING, "caderno não encontrado")
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        return _empty_result(cells, chapter, st.R_TOO_LARGE,
                             f"caderno maior que {MAX_NOTEBOOK_BYTES >> 20} MB")
    try:
        student_nb = nbmod.load_json_notebook(path.read_bytes())
    except nbmod.InvalidNotebook as exc:
        return _empty_result(cells, chapter, st.R_INVALID, str(exc))
    run, answers, reasons, notes = nbmod.rebuild(cells, student_nb)
    result = GradeResult(chapter=chapter, notes=notes)
    for reason in reasons:
        _add_reason(result, reason)
    disqualified, tricky = nbmod.forbidden_uses(cells, answers)
    if tricky:
        _add_reason(result, st.R_TAMPERING)
        for gid, tricks in tricky.items():
            result.notes.append(f"construções suspeitas em {gid}: {', '.join(tricks)}")
    for cell in run:
        cell["allow"] = allowed_calls.get(cell["index"], [])
    outcome = run_cells(run, "graded", limits, data_dir=Path(source_nb_path).parent, uid=uid)
    result.isolation, result.seconds = outcome.isolation, outcome.seconds
    if outcome.fatal:
        return _empty_result(cells, chapter, st.R_INTERNAL, outcome.fatal)
    result.notes += outcome.notes
    used = forbidden_calls(cells, outcome.forbidden, allowed_calls)
    for gid, names in used.items():
        disqualified.setdefault(gid, "usa " + ", ".join(names))
    if disqualified:
        _add_reason(result, st.R_FORBIDDEN)
        for gid, why in disqualified.items():
            result.notes.append(f"exercício {gid} sem crédito: {why}")
    for k, status in outcome.statuses.items():
        if status in ("timeout", "crash"):
            _add_reason(result, status)
            result.notes.append(f"{status} na célula {cells[k]['grade_id'] or k}")
        if status == "error" and cells[k]["kind"] == "answer":
            result.answer_errors[cells[k]["grade_id"]] = _error_name(outcome.errors[k][0])
    if any(s == "not_run" for s in outcome.statuses.values()) and st.R_TIMEOUT not in \
            result.reasons:
        _add_reason(result, st.R_CRASH)
    mistakes, names = mistake_records(ref, cells), nbmod.titles(cells)
    messages = {(e, item["id"]): item["mensagem"] for e, item in declared_mistakes(cells)}
    answer_cells = {c["grade_id"]: c for c in cells if c["kind"] == "answer"}
    for c in cells:
        if c["kind"] != "test":
            continue
        k = c["index"]
        status = outcome.statuses.get(k, "not_run")
        visible = nbmod.visible_check_names(c["visible"])
        ref_rec, got = ref.get(k, {}), outcome.captures.get(k, {})
        failed = compare(ref_rec, got)
        if status in ("timeout", "crash", "not_run"):
            cell_status = status
        elif c["exercise"] in disqualified:
            cell_status = st.FORBIDDEN
        elif not failed:
            cell_status = st.PASSED
        elif _unanswered(c, outcome, ref_rec):
            cell_status = st.UNANSWERED
        else:
            cell_status = st.FAILED
        hints = [(n, str(ref_rec.get("d:" + n, ""))) for n in failed
                 if n.split(".")[0] in visible]  # "grads.dW": a part of check "grads"
        points = c["points"] if cell_status == st.PASSED else 0.0
        grade = CellGrade(c["grade_id"], c["exercise"], c["quiz"], points, c["points"],
                          cell_status, hints, title=names.get(c["exercise"], ""),
                          answer=_quiz_answer(c, got))
        if cell_status == st.FORBIDDEN:
            grade.detail = used.get(c["exercise"], [])
        if cell_status == st.FAILED:
            grade.diagnoses = [(n, _diagnose(n, ref_rec, got)) for n, _ in hints]
            grade.misconceptions = matched_mistakes(c, ref_rec, got, mistakes)
            grade.misconception_messages = [messages[(c["exercise"], i)]
                                            for i in grade.misconceptions]
        if c["quiz"]:
            _quiz_details(grade, ref_rec, answer_cells.get(c["exercise"]) or {}, names)
        result.cells.append(grade)
    note_earlier_failures(result.cells, cells, answers, names)
    result.score = sum(c.points for c in result.cells)
    result.max_score = sum(c.max_points for c in result.cells)
    result.status = st.NEEDS_REVIEW if result.reasons else st.OK
    return result


def _calls(source, functions):
    """Which of ``functions`` an answer's code calls (by name; a text search if it does not
    parse)."""
    try:
        used = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    except SyntaxError:
        used = set(re.findall(r"\b(\w+)\s*\(", source))
    return [f for f in functions if f in used]


def note_earlier_failures(grades, cells, answers, titles):
    """Mark each failed exercise whose answer calls a function of an earlier exercise that
    failed its own tests (the first such exercise): its failure may come from there."""
    from .release import defined_functions

    functions = {c["grade_id"]: defined_functions(c["source"]) for c in cells
                 if c["kind"] == "answer"}
    failing = {g.exercise for g in grades if g.status in (st.FAILED, st.UNANSWERED)}
    order = [c["grade_id"] for c in cells if c["kind"] == "answer"]
    for grade in grades:
        if grade.status != st.FAILED or grade.exercise not in order:
            continue
        for earlier in order[:order.index(grade.exercise)]:
            called = _calls(answers.get(grade.exercise, ""), functions[earlier])
            if called and earlier in failing:
                grade.earlier = {"exercise": earlier, "title": titles.get(earlier, earlier),
                                 "functions": called}
                break


_BUILTIN_ERRORS = {name for name, value in vars(builtins).items()
                   if isinstance(value, type) and issubclass(value, BaseException)}


def _error_name(name):
    """What feedback may say about a learner's exception: a built-in exception's name, or a
    generic word (a class name is the learner's text: it could carry anything it read)."""
    return name if name in _BUILTIN_ERRORS | {"ForbiddenReference"} else "Exception"


def forbidden_calls(cells, calls, allowed=None):
    """{exercise: forbidden names its cells called} from a run's ``calls`` per cell index,
    leaving out those the reference run made in the same cell (the test's own)."""
    allowed = allowed or {}
    by_index = {c["index"]: c for c in cells}
    used = {}
    for index, names in sorted(calls.items()):
        cell = by_index.get(index)
        if cell is None:
            continue
        exercise = cell["grade_id"] if cell["kind"] == "answer" else cell.get("exercise")
        names = [n for n in names if n not in allowed.get(index, [])]
        if exercise and names:
            used.setdefault(exercise, [])
            used[exercise] += [n for n in names if n not in used[exercise]]
    return used


def _unanswered(cell, outcome, ref_rec):
    """Whether a failed test cell failed because its answer is still the release's stub: the
    test stopped on ``NotImplementedError`` (the stub's), or a quiz recorded no answer."""
    error = outcome.errors.get(cell["index"])
    if error and error[0] == "NotImplementedError":
        return True
    return cell["quiz"] and not any(k.startswith("q:") for k in outcome.captures.get(
        cell["index"], {})) and any(k.startswith("q:") for k in ref_rec)


def _diagnose(name, ref_rec, got):
    """Where a visible check's value differs from the reference (visible values only: the
    learner's notebook shows the expected value of a visible check anyway)."""
    want, have = ref_rec.get("v:" + name), got.get("v:" + name)
    if want is None:
        return ""
    if have is None:
        return "nenhum valor registrado: a célula parou antes deste teste (erro na resposta?)"
    rtol, atol = (float(x) for x in ref_rec["t:" + name])
    try:
        have = np.asarray(have, dtype=np.float64)
    except (TypeError, ValueError):
        return "o valor não é numérico"
    return diagnosis.describe(name, have, want, rtol, atol) or ""


def _quiz_details(grade, ref_rec, answer_cell, names):
    """The question, the learner's answer, the key and the explanations (class feedback)."""
    key = next((str(v) for n, v in ref_rec.items() if n.startswith("q:")), None)
    answer = grade.answer
    explanations = answer_cell.get("explicacoes") or {}
    grade.question = names.get(f"{grade.exercise}/texto", "")
    grade.key = key
    parts = [explanations.get(key, "")] if key else []
    if answer and answer != key and explanations.get(answer):
        parts.append(f"Sobre a alternativa {answer}: {explanations[answer]}")
    grade.explanation = " ".join(p for p in parts if p)


def substitute_answer(source_nb_path, grade_id, new_source, out_path):
    """Write a copy of the source notebook with one answer cell's code replaced.

    Chapter tests use it to show that typical wrong answers are caught.
    """
    nb = json.loads(Path(source_nb_path).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if nbmod.nbgrader_meta(cell).get("grade_id") == grade_id:
            if nbmod.cell_kind(cell) != "answer":
                raise ValueError(f"{grade_id} não é uma célula de resposta")
            cell["source"] = new_source
            break
    else:
        raise KeyError(f"célula {grade_id} não encontrada")
    Path(out_path).write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    return out_path
