"""Student release: source lint, nbgrader generate_assignment, quiz cells and keys, leak check."""

import ast
import json
import os
import re
import secrets
import textwrap
from pathlib import Path

import numpy as np

from . import notebook as nbmod
from .student import encode, quiz_digest, seal_explanations

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_END = "### END HIDDEN TESTS"
_QUIZ_CALL = re.compile(r"quiz\(\s*(['\"])(\w+)\1\s*,\s*(resposta_\w+)\s*\)")
_STUB = re.compile(r"[ \t]*# SEU CÓDIGO AQUI\n[ \t]*raise NotImplementedError\(\)[ \t]*\n?")
_EXPECTED_TEXT = re.compile(r"\bcheck\s*\((?:[^()]|\([^()]*\))*?\bexpected\s*=")


MODES = ("study", "class")  # study: keys hashed, immediate feedback; class: nothing to peek at
# A released exercise test cell starts with a short readable line naming itself; the data its
# checks use (the values of typical mistakes on the visible inputs), and in a study release the
# sealed quiz explanations, sit once per notebook in a collapsed code cell after the setup cell,
# tagged DATA_TAG.
DATA_TAG = nbmod.DATA_TAG
DIAGNOSTICO = 'from autograder.student import diagnostico; diagnostico("{}")\n'
DATA_CELL = ("# Dados dos testes deste caderno, gravados pela liberação: o que cada teste\n"
             "# usa para explicar uma falha (os valores que os erros típicos dão nas entradas\n"
             "# visíveis, nunca o código deles). Rode esta célula antes dos testes e não a\n"
             "# altere.\n"
             "from autograder.student import diagnosticos\n"
             'diagnosticos("{}")\n')


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
            reused = sorted({n for n, _, _ in visible_checks(c["visible"])}
                            & {n for n, _, _ in visible_checks(region)})
            if reused:
                problems.append(
                    f"capítulo {chapter}, célula {c['grade_id']}: um teste oculto repete o nome "
                    f"do teste visível {reused[0]!r}; a correção guarda um valor por nome, e o "
                    "diagnóstico do teste visível usaria o valor oculto. Dê outro nome ao oculto.")
    return problems


def declares_mistakes(cells):
    """Whether the chapter declares typical mistakes: then it is held to :func:`teaching_lint`."""
    return any(c["kind"] == "answer" and c["equivocos"] for c in cells)


def visible_checks(visible):
    """``check(...)`` calls of a test cell's visible part: [(name, has expected, hint levels)]."""
    try:
        tree = ast.parse(textwrap.dedent(visible))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "check" and node.args
                and isinstance(node.args[0], ast.Constant)):
            continue
        has_expected = len(node.args) >= 3 or any(k.arg == "expected" for k in node.keywords)
        levels = []
        for k in node.keywords:
            if k.arg == "dica":
                try:
                    value = ast.literal_eval(k.value)
                except ValueError:
                    value = ""
                levels = [value] if isinstance(value, str) else [str(v) for v in value]
        found.append((str(node.args[0].value), has_expected, levels))
    return found


def _squeeze(text):
    """Text without the spaces around operators and brackets (code and prose alike)."""
    return re.sub(r"\s*([^\w\s])\s*", r"\1", text)


def _code_fragments(region):
    """Sub-expressions of a solution (with an operator or a call, 10+ characters, squeezed)."""
    fragments = set()
    for line in region.splitlines():
        text = line.strip().removeprefix("return ")
        if not text or text.startswith("#"):
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.BinOp, ast.Call, ast.Assign)):
                code = _squeeze(ast.unparse(node))
                if len(code) >= 10:
                    fragments.add(code)
    return fragments


def teaching_lint(cells, chapter):
    """Visible checks compare values (or declare why not); no hint level holds solution code;
    declared typical mistakes are well formed."""
    problems, solution = [], set()
    where = f"capítulo {chapter}, célula"
    for c in cells:
        if c["kind"] == "answer":
            solution = set().union(*[_code_fragments(r) for r in solution_regions(c["source"])])
            ids = [e.get("id") if isinstance(e, dict) else None for e in c["equivocos"]]
            for item, ident in zip(c["equivocos"], ids, strict=True):
                if not (isinstance(ident, str) and re.fullmatch(r"[a-z0-9_]+", ident)
                        and ids.count(ident) == 1 and item.get("mensagem")
                        and item.get("codigo")):
                    problems.append(f"{where} {c['grade_id']}: erro típico mal declarado "
                                    f"({ident!r}): precisa de id único [a-z0-9_]+, mensagem e "
                                    "codigo")
        if c["kind"] != "test" or c["quiz"]:
            continue
        for name, has_expected, levels in visible_checks(c["visible"]):
            if not has_expected and name not in c["sem_esperado"]:
                problems.append(f"{where} {c['grade_id']}: o teste visível {name!r} não tem valor "
                                "esperado; quem estuda sozinho receberia \"ok\" para uma resposta "
                                "errada. Passe expected= ou declare o motivo em "
                                "autograder.sem_esperado.")
            for level in levels:
                plain = _squeeze(level)
                leaked = sorted(f for f in solution
                                if re.search(rf"(?<![\w.]){re.escape(f)}(?!\w)", plain))
                if leaked:
                    problems.append(f"{where} {c['grade_id']}: a dica de {name!r} contém código "
                                    f"da solução ({leaked[0]}); uma dica dá a ideia, a equação "
                                    "ou as formas, nunca a linha de código.")
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


def inject_keys(release_nb, answers, explanations=None):
    """Add ``chave=`` (salted hash of the right answer) to each released quiz call; returns
    {question name: its explanations sealed per letter (readable only with that letter)} for
    the questions that have them (:func:`inject_diagnostics` puts them in the data cell)."""
    explanations, sealed = explanations or {}, {}

    def add_key(match):
        name, var = match.group(2), match.group(3)
        if var not in answers:
            raise ReleaseError(f"pergunta {name}: gabarito {var} não encontrado na fonte")
        salt = secrets.token_hex(8)
        chave = f"{salt}${quiz_digest(salt, name, answers[var])}"
        if explanations.get(var):
            sealed[name] = seal_explanations(salt, name, explanations[var])
        return f'quiz("{name}", {var}, chave="{chave}")'

    for cell in release_nb["cells"]:
        if nbmod.cell_kind(cell) == "test":
            cell["source"] = _QUIZ_CALL.sub(add_key, nbmod.source_text(cell))
    return sealed


def quiz_explanations(cells):
    """{answer variable: {letter: explanation}} from the quiz answer cells' metadata."""
    out = {}
    for c in cells:
        if c["kind"] == "answer" and c.get("explicacoes"):
            for var in quiz_answers([c]):
                out[var] = c["explicacoes"]
    return out


def defined_functions(source):
    """Top-level function names an answer cell defines."""
    try:
        tree = ast.parse(_STUB.sub("", source))
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]


def diagnostics(cells, ref=None):
    """{test cell grade_id: ``diagnostico()`` data}: the exercise, its visible checks, the
    functions of every exercise up to it, titles, and the values of the exercise's typical
    mistakes on the visible checks (from ``ref``, the reference run; never the code)."""
    from .grading import mistake_records

    titles = nbmod.titles(cells)
    functions = {c["grade_id"]: defined_functions(c["source"]) for c in cells
                 if c["kind"] == "answer" and not quiz_answers([c])}
    mistakes = mistake_records(ref, cells) if ref else {}
    messages = {(c["grade_id"], e["id"]): e["mensagem"] for c in cells if c["kind"] == "answer"
                for e in c["equivocos"]}
    out = {}
    for c in cells:
        if c["kind"] != "test" or c["quiz"] or c["exercise"] not in functions:
            continue
        visible = [name for name, _, _ in visible_checks(c["visible"])]
        order = list(functions)
        upto = order[:order.index(c["exercise"]) + 1]
        data = {"celula": c["grade_id"], "exercicio": c["exercise"], "visiveis": visible,
                "funcoes": {g: functions[g] for g in upto},
                "titulos": {g: titles.get(g, g) for g in upto}, "equivocos": {}}
        want = (ref or {}).get(c["index"], {})
        for (exercise, ident), records in mistakes.items():
            rec = records.get(c["index"]) or {}
            name = _first_difference(rec, want, visible) if exercise == c["exercise"] else None
            if name is not None:
                data["equivocos"].setdefault(name, []).append(
                    {"id": ident, "mensagem": messages[(exercise, ident)],
                     "valor": rec["v:" + name].tolist()})
        out[c["grade_id"]] = data
    return out


def _first_difference(rec, want, visible):
    """The first visible check, in the order the mistake's run made them, whose value differs
    from the solution's (None if none): the self-check stops there, so a later check never sees
    this mistake, and naming it there would mislead a learner whose different mistake gives
    the same later value."""
    for key, value in rec.items():
        name = key[2:]
        if not key.startswith("v:") or name not in visible:
            continue
        right = want.get(key)
        rtol, atol = want.get("t:" + name, (1e-6, 1e-8))
        if right is None or right.shape != value.shape or not np.allclose(
                value, right, rtol=rtol, atol=atol):
            return name
    return None


is_data_cell = nbmod.is_data_cell


def inject_diagnostics(release_nb, data, sealed=None):
    """Put ``diagnostico("<test cell>")`` at the top of each released exercise test cell, and
    the data of them all (with ``sealed``, the study release's quiz explanations) in one
    collapsed cell right after the setup cell (the first plain code cell before the first test;
    without one, before the first answer cell)."""
    cells = release_nb["cells"]
    for cell in cells:
        gid = nbmod.nbgrader_meta(cell).get("grade_id")
        if nbmod.cell_kind(cell) == "test" and gid in data:
            cell["source"] = DIAGNOSTICO.format(gid) + nbmod.source_text(cell)
    if not data and not sealed:
        return
    kinds = [nbmod.cell_kind(c) for c in cells]
    first_test = kinds.index("test")
    setup = [k for k in range(first_test) if kinds[k] == "code"]
    where = setup[0] + 1 if setup else kinds.index("answer")
    cell = {"cell_type": "code", "execution_count": None,
            "metadata": {"jupyter": {"source_hidden": True}, "tags": [DATA_TAG]},
            "outputs": [],
            "source": DATA_CELL.format(encode({"testes": data, "explicacoes": sealed or {}}))}
    if release_nb.get("nbformat", 4) == 4 and release_nb.get("nbformat_minor", 0) >= 5:
        cell["id"] = DATA_TAG
    cells.insert(where, cell)


def strip_source_only(release_nb):
    """Drop what never leaves the source from the released cells' metadata: the code and the
    messages of typical mistakes (shipped as values only) and the quiz explanations."""
    for cell in release_nb["cells"]:
        declared = (cell.get("metadata") or {}).get("autograder")
        if isinstance(declared, dict):
            for key in ("equivocos", "explicacoes"):
                declared.pop(key, None)
            if not declared:
                del cell["metadata"]["autograder"]


def refresh_checksums(release_nb):
    """nbgrader checksums of the cells the release changed after ``generate_assignment``, so
    its Validate reports no changed test cell on an untouched release."""
    import nbformat
    from nbgrader.utils import compute_checksum

    for cell in release_nb["cells"]:
        meta = nbmod.nbgrader_meta(cell)
        if "checksum" in meta:
            node = nbformat.from_dict({**cell, "source": nbmod.source_text(cell)})
            meta["checksum"] = compute_checksum(node)


def leaks(source_cells, release_nb, mode="study"):
    """What the release would reveal: markers, solution lines, hidden test lines, answers, the
    code of typical mistakes, quiz explanations in clear (and in class mode any key)."""
    text_lines = {line.strip() for cell in release_nb["cells"]
                  for line in nbmod.source_text(cell).splitlines()}
    text = "\n".join(nbmod.source_text(cell) for cell in release_nb["cells"])
    everything = json.dumps(release_nb, ensure_ascii=False)
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
    stubs = {line.strip() for c in source_cells if c["kind"] == "answer"
             for line in re.sub(re.escape(SOLUTION_BEGIN) + r".*?" + re.escape(SOLUTION_END), "",
                                c["source"], flags=re.S).splitlines()}
    for c in source_cells:
        for item in c.get("equivocos", []) if c["kind"] == "answer" else []:
            for line in item.get("codigo", "").splitlines():
                s = line.strip()
                if (len(s) >= 8 and not s.startswith("#") and s in text_lines
                        and s not in visible | stubs):
                    found.append(f"código do erro típico {item.get('id')}: {s}")
            if item.get("codigo") and json.dumps(item["codigo"], ensure_ascii=False) in everything:
                found.append(f"código do erro típico {item.get('id')} nos metadados")
        for letter, why in (c.get("explicacoes") or {}).items() if c["kind"] == "answer" else []:
            if len(why) >= 12 and json.dumps(why, ensure_ascii=False)[1:-1] in everything:
                found.append(f"explicação da alternativa {letter} de {c['grade_id']}")
    if mode == "class" and re.search(r"\b(chave|explicacoes)\s*=", text):
        found.append("gabarito de pergunta (chave/explicacoes) numa liberação para turma")
    for cell in release_nb["cells"]:
        if cell.get("outputs"):
            found.append("saídas de execução")
    return found


def release(course_dir, out_dir, chapter=None, mode="study", cache_dir=None, limits=None):
    """Generate the student version of one chapter (or all); returns released notebook paths.

    ``mode`` "study": quiz keys hashed and explanations sealed in the notebook (immediate
    feedback); "class": neither (the key and explanation come with the graded feedback). In
    both, exercise test cells get ``diagnostico(...)`` with the values of the declared typical
    mistakes on the visible inputs, computed by the reference run (cached in ``cache_dir``).
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from .grading import reference
    from .nbgrader_config import configure, ensure_alembic_on_path

    if mode not in MODES:
        raise ReleaseError(f"modo desconhecido: {mode!r} (use {' ou '.join(MODES)})")
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
        declared = declares_mistakes(cells)
        problems = lint(cells, name) + (teaching_lint(cells, name) if declared else [])
        if problems:
            raise ReleaseError("\n".join(problems))
        outcome = api.generate_assignment(name, force=True)
        if not outcome.get("success"):
            detail = f"{outcome.get('error') or ''}{outcome.get('log') or ''}"[-3000:]
            raise ReleaseError(f"nbgrader falhou em {name}:\n{detail}")
        path = Path(out_dir) / "release" / name / f"{name}.ipynb"
        nb = json.loads(path.read_text(encoding="utf-8"))
        open_quiz_answers(nb, cells)
        strip_source_only(nb)
        sealed = {}
        if mode == "study":
            sealed = inject_keys(nb, quiz_answers(cells), quiz_explanations(cells))
        ref = reference(source_path, limits, cache_dir) if declared else None
        inject_diagnostics(nb, diagnostics(cells, ref), sealed)
        nbmod.ship_forbid(nb, cells)
        refresh_checksums(nb)
        problems = leaks(cells, nb, mode)
        if problems:
            path.unlink()
            raise ReleaseError(f"a versão do aluno de {name} revelaria: {problems[:5]}")
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written
