"""Student release: source lint, nbgrader generate_assignment, quiz cells and keys, leak check."""

import ast
import json
import os
import re
import secrets
import textwrap
from pathlib import Path

from . import notebook as nbmod
from .student import quiz_digest

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_END = "### END HIDDEN TESTS"
_QUIZ_CALL = re.compile(r"quiz\(\s*(['\"])(\w+)\1\s*,\s*(resposta_\w+)\s*\)")
_STUB = re.compile(r"[ \t]*# SEU CÓDIGO AQUI\n[ \t]*raise NotImplementedError\(\)[ \t]*\n?")
_EXPECTED_TEXT = re.compile(r"\bcheck\s*\((?:[^()]|\([^()]*\))*?\bexpected\s*=")


class ReleaseError(Exception):
    """The release failed or would leak something."""


def chapters(course_dir):
    """Chapter names: folders ``NAME`` holding ``NAME/NAME.ipynb``."""
    return sorted(p.name for p in Path(course_dir).iterdir()
                  if p.is_dir() and (p / f"{p.name}.ipynb").is_file())


def solution_regions(source):
    """Text between BEGIN/END SOLUTION markers."""
    return re.findall(re.escape(SOLUTION_BEGIN) + r"(.*?)" + re.escape(SOLUTION_END),
                      source, flags=re.S)


def quiz_answers(cells):
    """{variable name: correct answer} from the answer cells' solution regions."""
    keys = {}
    for c in cells:
        if c["kind"] != "answer":
            continue
        for region in solution_regions(c["source"]):
            try:
                tree = ast.parse(re.sub(r"(?m)^\s+", "", region))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                        and isinstance(node.value.value, str)):
                    for target in node.targets:
                        if isinstance(target, ast.Name) and target.id.startswith("resposta_"):
                            keys[target.id] = node.value.value
    return keys


def _passes_expected(region):
    """Whether a hidden-test region calls ``check`` with an expected value."""
    try:
        tree = ast.parse(textwrap.dedent(region))
    except SyntaxError:
        return bool(_EXPECTED_TEXT.search(region))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name == "check" and (len(node.args) >= 3
                                    or any(k.arg == "expected" for k in node.keywords)):
                return True
    return False


def lint(cells, chapter):
    """Problems of a source notebook that would weaken grading (pt-BR, one per cell)."""
    problems = []
    for c in cells:
        if c["kind"] == "test" and nbmod.HIDDEN_BEGIN in c["source"]:
            region = c["source"].split(nbmod.HIDDEN_BEGIN, 1)[1].split(HIDDEN_END, 1)[0]
            if _passes_expected(region):
                problems.append(
                    f"capítulo {chapter}, célula {c['grade_id']}: um teste oculto passa o valor "
                    "esperado a check() (expected=); o código do aluno roda no mesmo processo e "
                    "poderia lê-lo. Tire o valor esperado: a correção já compara com a solução.")
    return problems


def open_quiz_answers(release_nb, cells):
    """Quiz answer cells keep ``resposta_X = None`` and lose nbgrader's raising stub.

    A learner who runs every cell then reaches each question's feedback; ``None`` still
    scores nothing when graded.
    """
    variables = {c["exercise"]: m.group(3) for c in cells if c["kind"] == "test" and c["quiz"]
                 for m in [_QUIZ_CALL.search(c["visible"])] if m}
    for cell in release_nb["cells"]:
        var = variables.get(nbmod.nbgrader_meta(cell).get("grade_id"))
        if var is None or nbmod.cell_kind(cell) != "answer":
            continue
        source = _STUB.sub("", nbmod.source_text(cell)).rstrip()
        if not re.search(rf"(?m)^{var}\s*=\s*None\s*$", source):
            source += f"\n{var} = None"
        cell["source"] = source


def inject_keys(release_nb, answers):
    """Add ``chave=`` (salted hash of the right answer) to each released quiz call."""
    def add_key(match):
        name, var = match.group(2), match.group(3)
        if var not in answers:
            raise ReleaseError(f"pergunta {name}: gabarito {var} não encontrado na fonte")
        salt = secrets.token_hex(8)
        chave = f"{salt}${quiz_digest(salt, name, answers[var])}"
        return f'quiz("{name}", {var}, chave="{chave}")'

    for cell in release_nb["cells"]:
        if nbmod.cell_kind(cell) == "test":
            cell["source"] = _QUIZ_CALL.sub(add_key, nbmod.source_text(cell))


def drop_source_only(release_nb):
    """Metadata that never leaves the source: the typical mistakes (their wrong code) and the
    quiz explanations of ``"autograder"`` (notes/NOTES.md formats 1 and 2)."""
    for cell in release_nb["cells"]:
        declared = cell.get("metadata", {}).get("autograder")
        if isinstance(declared, dict):
            declared.pop("equivocos", None)
            declared.pop("explicacoes", None)


def leaks(source_cells, release_nb):
    """What the release would reveal: markers, solution lines, hidden test lines, answers."""
    text_lines = {line.strip() for cell in release_nb["cells"]
                  for line in nbmod.source_text(cell).splitlines()}
    text = "\n".join(nbmod.source_text(cell) for cell in release_nb["cells"])
    found = [m for m in (SOLUTION_BEGIN, SOLUTION_END, nbmod.HIDDEN_BEGIN, "HIDDEN TESTS")
             if m in text]
    secret_lines = []
    for c in source_cells:
        if c["kind"] == "answer":
            for region in solution_regions(c["source"]):
                secret_lines += region.splitlines()
        elif c["kind"] == "test" and nbmod.HIDDEN_BEGIN in c["source"]:
            secret_lines += c["source"].split(nbmod.HIDDEN_BEGIN, 1)[1].splitlines()
    visible = {line.strip() for c in source_cells if c["kind"] not in ("answer", "test")
               for line in c["source"].splitlines()}
    for c in source_cells:
        if c["kind"] == "test":
            visible |= {line.strip() for line in c["visible"].splitlines()}
    for line in secret_lines:
        s = line.strip()
        if len(s) >= 8 and not s.startswith("#") and s in text_lines and s not in visible:
            found.append(s)
    for cell in release_nb["cells"]:
        if cell.get("outputs"):
            found.append("saídas de execução")
    return found


def release(course_dir, out_dir, chapter=None):
    """Generate the student version of one chapter (or all); returns released notebook paths."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from .nbgrader_config import configure, ensure_alembic_on_path

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    ensure_alembic_on_path()
    config = configure(Config(), source_dir=Path(course_dir).resolve(),
                       out_dir=Path(out_dir).resolve())
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    names = [chapter] if chapter else chapters(course_dir)
    written = []
    for name in names:
        source_path = Path(course_dir) / name / f"{name}.ipynb"
        if not source_path.is_file():
            raise ReleaseError(f"capítulo {name} não encontrado em {course_dir}")
        cells = nbmod.layout(json.loads(source_path.read_text(encoding="utf-8")))
        problems = lint(cells, name)
        if problems:
            raise ReleaseError("\n".join(problems))
        outcome = api.generate_assignment(name, force=True)
        if not outcome.get("success"):
            detail = f"{outcome.get('error') or ''}{outcome.get('log') or ''}"[-3000:]
            raise ReleaseError(f"nbgrader falhou em {name}:\n{detail}")
        path = Path(out_dir) / "release" / name / f"{name}.ipynb"
        nb = json.loads(path.read_text(encoding="utf-8"))
        open_quiz_answers(nb, cells)
        inject_keys(nb, quiz_answers(cells))
        drop_source_only(nb)
        problems = leaks(cells, nb)
        if problems:
            path.unlink()
            raise ReleaseError(f"a versão do aluno de {name} revelaria: {problems[:5]}")
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written
