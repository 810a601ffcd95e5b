"""HTML feedback per student, in pt-BR, from the result files of ``grade``.

Per exercise: its title (the heading above it in the chapter), points, the status label
(``status``), first the earlier failing exercise its answer calls (if any), then for a failed
visible check its diagnosis (where the value differs), the typical mistake it matches by name
and the hint levels. Per question: the question, the learner's answer,
the key and the explanation (graded feedback comes after the deadline, so the key can be shown).
Never hidden tests or their values: the result files only hold diagnoses of visible checks.
"""

import html
import json
import re
from pathlib import Path

from . import status as st
from .files import safe_name, write_atomic

_STYLE = """body{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
.item{border:1px solid #ddd;border-left:6px solid #bbb;border-radius:4px;margin:1em 0;
padding:.6em 1em}
.item h2{font-size:1.05em;margin:.1em 0 .4em}.pts{float:right;font-weight:normal;color:#555}
.passed{border-left-color:#2a8f3a}.failed,.forbidden{border-left-color:#c62828}
.unanswered,.timeout,.crash,.not_run{border-left-color:#e0a000}
.status{font-weight:bold}.earlier{background:#e3f2fd;padding:.2em .4em;
border-radius:3px}.mistake{background:#fff3e0;padding:.2em .4em;border-radius:3px}
.question{white-space:pre-wrap;background:#f6f6f6;padding:.5em;border-radius:3px}
.review{color:#a60}code{background:#f2f2f2;padding:0 .2em}li{margin:.2em 0}"""


def _check_items(cell):
    """<li> per failed visible check: diagnosis, named mistake, hint levels."""
    esc = html.escape
    diagnoses = dict(cell.get("diagnoses") or [])
    items = []
    for name, dica in cell["failed_hints"]:
        text = f"<code>{esc(name)}</code>: {esc(diagnoses.get(name) or 'não passou')}"
        levels = [x for x in str(dica).split("\n") if x.strip()]
        if len(levels) == 1:
            text += f"<br>Dica: {esc(levels[0])}"
        elif levels:
            text += "<ol>" + "".join(f"<li>Dica {i}: {esc(x)}</li>"
                                     for i, x in enumerate(levels, 1)) + "</ol>"
        items.append(f"<li>{text}</li>")
    for message in cell.get("misconception_messages") or []:
        items.insert(0, f"<li class='mistake'>Erro típico: {esc(message)}.</li>")
    if cell.get("earlier"):
        items.insert(0, f"<li class='earlier'>{esc(earlier_text(cell['earlier']))}</li>")
    return items


def earlier_text(earlier):
    """pt-BR: this exercise's failure may come from an earlier one that its answer calls."""
    names = ", ".join(earlier["functions"])
    return (f"Primeiro, o exercício anterior: a sua resposta chama {names}, de "
            f"\"{earlier['title']}\", que não passou nos próprios testes. Esta falha pode vir "
            "de lá: corrija aquele exercício antes deste.")


def _plain_question(text):
    """The question's markdown without its heading and bold markers (the title says which)."""
    lines = [line for line in text.splitlines() if not re.match(r"#{1,6}\s", line)]
    text = re.sub(r"^\s*\*\*Pergunta[^*]*\*\*\s*", "", "\n".join(lines).strip())
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text)


def _quiz_items(cell):
    esc = html.escape
    items = []
    if cell.get("question"):
        items.append(f"<div class='question'>{esc(_plain_question(cell['question']))}</div>")
    answer = cell.get("answer")
    items.append(f"<p>Sua resposta: <b>{esc(answer) if answer else 'nenhuma'}</b>"
                 + (f" · gabarito: <b>{esc(cell['key'])}</b>" if cell.get("key") else "")
                 + "</p>")
    if cell.get("explanation"):
        items.append(f"<p>{esc(cell['explanation'])}</p>")
    return items


def render(record):
    """One student's feedback page for one chapter."""
    res = record["result"]
    esc = html.escape
    blocks = []
    for cell in res["cells"]:
        title = cell.get("title") or (f"Pergunta {cell['exercise']}" if cell["quiz"]
                                      else f"Exercício {cell['exercise']}")
        status = st.cell_label(cell["status"], cell.get("detail"))
        body = _quiz_items(cell) if cell["quiz"] else []
        items = [] if cell["quiz"] else _check_items(cell)
        error = res["answer_errors"].get(cell["exercise"] or "")
        if error and cell["status"] != st.PASSED and not cell["quiz"]:
            items.append(f"<li>a célula de resposta terminou com erro "
                         f"<code>{esc(error)}</code></li>")
        body += [f"<ul>{''.join(items)}</ul>"] if items else []
        blocks.append(f"<section class='item {esc(cell['status'])}'><h2>{esc(title)}"
                      f"<span class='pts'>{cell['points']:g} / {cell['max_points']:g}</span>"
                      f"</h2><p class='status'>{esc(status)}</p>{''.join(body)}</section>")
    if res["score"] is None:
        total = "não foi possível corrigir automaticamente"
    else:
        total = f"{res['score']:g} de {res['max_score']:g} pontos"
    review = ""
    if res["status"] != st.OK:
        reasons = st.reasons_label(res["reasons"])
        review = f"<p class='review'>Esta entrega será revista pelo professor: {esc(reasons)}.</p>"
    notes = "".join(f"<li>{esc(n)}</li>" for n in res["notes"])
    return f"""<!DOCTYPE html>
<html lang="pt-BR"><head><meta charset="utf-8">
<title>Retorno: {esc(record['chapter'])}</title>
<style>{_STYLE}</style></head>
<body><h1>Retorno do capítulo {esc(record['chapter'])}</h1>
<p>Aluno(a): <b>{esc(record['student'])}</b>. Resultado: <b>{esc(total)}</b>.</p>{review}
{''.join(blocks)}
{'<h2>Observações</h2><ul>' + notes + '</ul>' if notes else ''}
<p>Diagnósticos e dicas aparecem só para as verificações visíveis no seu caderno; a nota
conta também verificações que o caderno não mostra.</p></body></html>
"""


def write_feedback(out_dir):
    """Write ``feedback/<student>/<chapter>.html`` for every result; returns the paths.

    When ``out_dir`` is also the nbgrader course folder the submission was collected into
    (``submitted/<student>/<chapter>/`` with nbgrader's ``timestamp.txt``), the page is put where
    ``nbgrader release_feedback`` looks too: ``feedback/<student>/<chapter>/<notebook>.html``,
    beside that submission's ``timestamp.txt`` and ``submission_secret.txt``.
    """
    out_dir = Path(out_dir)
    written = []
    for path in sorted((out_dir / "results").glob("*/*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        target = (out_dir / "feedback" / safe_name(record["student"])
                  / f"{safe_name(record['chapter'])}.html")
        page = render(record)
        write_atomic(target, page)
        written.append(target)
        collected = out_dir / "submitted" / record["student"] / record["chapter"]
        notebook = Path(record["submission"] or "").name
        if notebook and all((collected / n).is_file() for n in (notebook, "timestamp.txt")):
            folder = out_dir / "feedback" / record["student"] / record["chapter"]
            for name in ("timestamp.txt", "submission_secret.txt"):
                if (collected / name).is_file():
                    write_atomic(folder / name, (collected / name).read_text(encoding="utf-8"))
            write_atomic((folder / notebook).with_suffix(".html"), page)
    return written
