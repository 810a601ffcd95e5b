"""HTML feedback per student, in pt-BR, from the result files of ``grade``.

Shows which exercises passed, what failed and the hint of the failing *visible* checks. It never
shows hidden tests, expected values or quiz keys: the result files do not hold them.
"""

import html
import json
from pathlib import Path

from . import status as st
from .files import safe_name, write_atomic


def render(record):
    """One student's feedback page for one chapter."""
    res = record["result"]
    esc = html.escape
    rows = []
    for cell in res["cells"]:
        label = (f"Pergunta {cell['exercise']}" if cell["quiz"]
                 else f"Exercício {cell['exercise']} ({cell['grade_id']})")
        status = st.cell_label(cell["status"], cell.get("detail"))
        if cell["quiz"] and cell["status"] == "failed":
            status = "resposta incorreta"
        hints = "".join(f"<li><code>{esc(n)}</code>: {esc(d) or 'falhou'}</li>"
                        for n, d in cell["failed_hints"])
        error = res["answer_errors"].get(cell["exercise"] or "")
        if error:
            hints += f"<li>a célula de resposta terminou com erro <code>{esc(error)}</code></li>"
        rows.append(f"<tr class='{esc(cell['status'])}'><td>{esc(label)}</td>"
                    f"<td>{cell['points']:g} / {cell['max_points']:g}</td><td>{esc(status)}"
                    f"{'<ul>' + hints + '</ul>' if hints else ''}</td></tr>")
    if res["score"] is None:
        total = "não foi possível corrigir automaticamente"
    else:
        total = f"{res['score']:g} de {res['max_score']:g} pontos"
    review = ""
    if res["status"] != "ok":
        reasons = st.reasons_label(res["reasons"])
        review = f"<p class='review'>Esta entrega será revista pelo professor: {esc(reasons)}.</p>"
    notes = "".join(f"<li>{esc(n)}</li>" for n in res["notes"])
    return f"""<!DOCTYPE html>
<html lang="pt-BR"><head><meta charset="utf-8">
<title>Retorno: {esc(record['chapter'])}</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}
td{{padding:.3em .8em;border-bottom:1px solid #ddd;vertical-align:top}}
.passed{{background:#eaffea}}.failed,.forbidden{{background:#fff0f0}}
.timeout,.crash,.not_run{{background:#fff8e0}}.review{{color:#a60}}</style></head>
<body><h1>Retorno do capítulo {esc(record['chapter'])}</h1>
<p>Aluno(a): <b>{esc(record['student'])}</b>. Resultado: <b>{esc(total)}</b>.</p>{review}
<table><tr><th>Item</th><th>Pontos</th><th>Situação</th></tr>{''.join(rows)}</table>
{'<h2>Observações</h2><ul>' + notes + '</ul>' if notes else ''}
<p>Dicas aparecem apenas para as verificações visíveis no seu caderno.</p></body></html>
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
