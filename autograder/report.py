"""The class report: what the class did not learn, per chapter (HTML in pt-BR, and JSON).

For each chapter graded in the class folder:

- the distribution of the totals (histogram);
- each exercise's pass rate (every test cell of the exercise passed) with its title, and the
  named misconceptions the grader recognised in it (``misconceptions`` of a result cell), most
  frequent first, each student counted once;
- each question's answer distribution (which distractor the class picks) and discrimination
  index ``D = p_sup - p_inf``: the fraction right among the 27% best totals minus among the 27%
  worst (groups of ``max(1, round(0.27 n))`` students; ties broken by name). ``D`` near 0 or
  negative: the question does not separate those who learned from those who did not;
- who needs review and why, and who has not submitted (from the class list, when there is one).

``relatorio.json`` holds the same figures' data for other tools; ``relatorio.html`` embeds the
matplotlib figures as PNG, so it reads offline.
"""

import base64
import html
import io
import json
import re

import numpy as np

from . import status as st
from .export import chapter_grade
from .files import write_atomic

REPORT_HTML, REPORT_JSON = "relatorio.html", "relatorio.json"
GROUP_FRACTION = 0.27
NO_ANSWER = "sem resposta"
_QUIZ_VAR = re.compile(r"quiz\(\s*['\"]\w+['\"]\s*,\s*(resposta_\w+)")


def discrimination(scores, correct, fraction=GROUP_FRACTION):
    """(D, size of each group): ``scores`` and ``correct`` are {student: value}."""
    students = sorted(scores, key=lambda s: (-scores[s], s))
    n = len(students)
    if n < 2:
        return None, 0
    k = max(1, round(fraction * n))
    upper, lower = students[:k], students[-k:]
    p_upper = sum(bool(correct.get(s)) for s in upper) / k
    p_lower = sum(bool(correct.get(s)) for s in lower) / k
    return round(p_upper - p_lower, 4), k


def _histogram(scores, maximum):
    """Counts per score: one bar per whole point up to 20 points, else 10 equal bins."""
    if 0 < maximum <= 20 and float(maximum).is_integer():
        edges = np.arange(-0.5, maximum + 1.0, 1.0)
    else:
        edges = np.linspace(0.0, maximum or 1.0, 11)
    counts, _ = np.histogram(scores, bins=edges)
    return {"edges": [round(float(e), 4) for e in edges], "counts": counts.tolist()}


def _quiz_keys(data, chapter):
    """{quiz answer grade_id: right letter} from the source (instructor-only)."""
    from .release import quiz_answers

    cells = data.cells[chapter]
    answers = quiz_answers(cells)
    keys = {}
    for c in cells:
        if c["kind"] == "test" and c["quiz"]:
            m = _QUIZ_VAR.search(c["visible"])
            if m and m.group(1) in answers:
                keys[c["exercise"]] = str(answers[m.group(1)]).strip().lower()
    return keys


def _equivocos(data, chapter):
    """{answer grade_id: {misconception id: message}} from the source metadata."""
    found = {}
    source = data.course_dir / chapter / f"{chapter}.ipynb"
    if not source.is_file():
        return found
    nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        meta = cell.get("metadata") or {}
        gid = (meta.get("nbgrader") or {}).get("grade_id")
        items = (meta.get("autograder") or {}).get("equivocos") or []
        found[gid] = {e.get("id"): e.get("mensagem", "") for e in items if isinstance(e, dict)}
    return found


def chapter_report(data, chapter):
    """The figures' data of one chapter (a JSON-ready dict)."""
    records = data.records[chapter]
    graded = {s: r for s, r in records.items() if chapter_grade(r) is not None}
    scores = {s: chapter_grade(r) for s, r in graded.items()}
    maximum = max((r["result"]["max_score"] for r in records.values()), default=0.0)
    tests = [c for c in data.cells[chapter] if c["kind"] == "test"]
    if not tests:  # no source: the result cells tell which exercises there are
        tests = [{"exercise": c["exercise"], "quiz": c["quiz"]}
                 for r in records.values() for c in r["result"]["cells"]]
    order = list(dict.fromkeys(c["exercise"] for c in tests))
    quiz_ids = {c["exercise"] for c in tests if c["quiz"]}
    keys, messages = _quiz_keys(data, chapter), _equivocos(data, chapter)
    exercises, quizzes = [], []
    for gid in order:
        cells = {s: [c for c in r["result"]["cells"] if c["exercise"] == gid]
                 for s, r in graded.items()}
        passed = {s: bool(cs) and all(c["status"] == "passed" for c in cs)
                  for s, cs in cells.items()}
        statuses = {}
        for cs in cells.values():
            for c in cs:
                statuses[c["status"]] = statuses.get(c["status"], 0) + 1
        n = len(cells)
        item = {"id": gid, "title": data.item_title(chapter, gid), "students": n,
                "passed": sum(passed.values()),
                "pass_rate": round(sum(passed.values()) / n, 4) if n else None,
                "statuses": statuses}
        if gid in quiz_ids:
            dist = {}
            for cs in cells.values():
                answer = next((c.get("answer") for c in cs if c.get("answer")), None)
                dist[answer or NO_ANSWER] = dist.get(answer or NO_ANSWER, 0) + 1
            letters = sorted(set("abcd") | {a for a in dist if a != NO_ANSWER})
            item["key"] = keys.get(gid)
            item["answers"] = {a: dist.get(a, 0) for a in [*letters, NO_ANSWER]}
            item["discrimination"], item["group_size"] = discrimination(scores, passed)
            quizzes.append(item)
        else:
            counts = {}
            for cs in cells.values():
                for name in sorted({m for c in cs for m in c.get("misconceptions") or []}):
                    counts[name] = counts.get(name, 0) + 1
            names = messages.get(gid, {})
            item["misconceptions"] = [
                {"id": m, "count": k, "message": names.get(m, "")}
                for m, k in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]
            exercises.append(item)
    review = [{"student": s, "reasons": [st.reason_label(x) for x in r["result"]["reasons"]],
               "notes": r["result"]["notes"]}
              for s, r in sorted(records.items())
              if r["result"]["status"] != "ok"
              and st.R_MISSING not in r["result"]["reasons"]]
    submitted = set(data.submitted(chapter))
    missing = [s.usuario for s in data.classlist.students if s.usuario not in submitted]
    values = list(scores.values())
    return {"chapter": chapter, "title": data.titles[chapter]["chapter"], "max_score": maximum,
            "graded": len(graded), "submitted": len(submitted),
            "mean": round(float(np.mean(values)), 4) if values else None,
            "median": round(float(np.median(values)), 4) if values else None,
            "scores": dict(sorted(scores.items())),
            "histogram": _histogram(values, maximum),
            "exercises": exercises, "quizzes": quizzes, "review": review, "missing": missing}


def class_report(data):
    """The whole report's data: per chapter, plus the class list's unknown students."""
    return {"chapters": [chapter_report(data, c) for c in data.chapters()],
            "roster": data.classlist.has_roster, "unknown_students": data.classlist.unknown,
            "students": [s.usuario for s in data.classlist.students]}


# ---- figures (matplotlib without pyplot: no GUI backend, nothing global changes) ----

def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(width, height):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def histogram_png(chap):
    fig, ax = _figure(6, 2.6)
    h = chap["histogram"]
    edges = np.array(h["edges"])
    ax.bar(edges[:-1], h["counts"], width=np.diff(edges), align="edge", color="#4c72b0",
           edgecolor="white")
    ax.set_xlabel(f"pontos (de {chap['max_score']:g})")
    ax.set_ylabel("alunos")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Distribuição das notas")
    return _png(fig)


def pass_rate_png(chap):
    items = chap["exercises"] + chap["quizzes"]
    fig, ax = _figure(7, 0.45 * len(items) + 1)
    rates = [100 * (i["pass_rate"] or 0) for i in items]
    labels = [i["title"] for i in items]
    colors = ["#c44e52" if r < 50 else "#dd8452" if r < 75 else "#55a868" for r in rates]
    ax.barh(range(len(items)), rates, color=colors)
    ax.set_yticks(range(len(items)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% da turma que acertou")
    for y, r in enumerate(rates):
        ax.text(min(r + 1, 92), y, f"{r:.0f}%", va="center", fontsize=8)
    ax.set_title("Acerto por exercício e pergunta")
    return _png(fig)


def quiz_png(quiz):
    fig, ax = _figure(3.4, 2.2)
    letters = list(quiz["answers"])
    counts = [quiz["answers"][a] for a in letters]
    colors = ["#55a868" if a == quiz["key"] else "#999999" if a == NO_ANSWER else "#c44e52"
              for a in letters]
    ax.bar(range(len(letters)), counts, color=colors)
    ax.set_xticks(range(len(letters)), [a if a != NO_ANSWER else "—" for a in letters])
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(quiz["title"][:40], fontsize=9)
    return _png(fig)


# ---- HTML ----

def _pct(x):
    return "—" if x is None else f"{100 * x:.0f}%"


def _img(png, alt):
    return (f"<figure><img src='data:image/png;base64,{png}' alt='{html.escape(alt)}'>"
            "</figure>")


def _who(report):
    if not report["roster"]:
        return f"{len(report['students'])} alunos com entregas (sem lista da turma)"
    listed = len(report["students"]) - len(report["unknown_students"])
    extra = len(report["unknown_students"])
    return f"{listed} alunos na lista da turma" + (f", mais {extra} fora dela" if extra else "")


def render_html(report):
    esc = html.escape
    parts = []
    if report["unknown_students"]:
        parts.append("<p class='warn'>Entregas de quem não está na lista da turma: "
                     f"{esc(', '.join(report['unknown_students']))}.</p>")
    for chap in report["chapters"]:
        parts.append(f"<section class='chapter'><h2>{esc(chap['title'])}</h2>")
        mean = "—" if chap["mean"] is None else f"{chap['mean']:.1f}".replace(".", ",")
        parts.append(f"<p>{chap['submitted']} entregas, {chap['graded']} corrigidas; média "
                     f"{mean} de {chap['max_score']:g} pontos.</p>")
        if chap["graded"]:
            parts.append(_img(histogram_png(chap), "histograma das notas"))
            parts.append(_img(pass_rate_png(chap), "acerto por exercício"))
        rows = []
        for ex in chap["exercises"]:
            mis = "".join(f"<li><b>{esc(m['id'])}</b> ({m['count']} "
                          f"{'aluno' if m['count'] == 1 else 'alunos'})"
                          f"{': ' + esc(m['message']) if m['message'] else ''}</li>"
                          for m in ex["misconceptions"][:5])
            rows.append(f"<tr><td>{esc(ex['title'])}</td><td>{_pct(ex['pass_rate'])} "
                        f"({ex['passed']} de {ex['students']})</td>"
                        f"<td>{'<ul>' + mis + '</ul>' if mis else '—'}</td></tr>")
        if rows:
            parts.append("<h3>Exercícios</h3><table><tr><th>Exercício</th><th>Acerto</th>"
                         "<th>Equívocos mais frequentes</th></tr>" + "".join(rows) + "</table>")
        if chap["quizzes"]:
            parts.append("<h3>Perguntas</h3><p class='note'>Barras: quantos escolheram cada "
                         "alternativa (verde: a correta; — : sem resposta). D é o índice de "
                         "discriminação: acerto dos 27% com as maiores notas menos o dos 27% com "
                         "as menores; perto de zero ou negativo, a pergunta não separa quem "
                         "aprendeu de quem não aprendeu.</p><div class='quizzes'>")
            for q in chap["quizzes"]:
                d = "—" if q["discrimination"] is None else \
                    f"{q['discrimination']:+.2f}".replace(".", ",")
                parts.append(f"<div class='quiz'>{_img(quiz_png(q), 'respostas: ' + q['title'])}"
                             f"<p>{esc(q['title'])}: acerto {_pct(q['pass_rate'])}, "
                             f"gabarito {esc(q['key'] or '?')}, D = {d}</p></div>")
            parts.append("</div>")
        if chap["review"]:
            items = "".join(f"<li><b>{esc(r['student'])}</b>: {esc(', '.join(r['reasons']))}"
                            "</li>" for r in chap["review"])
            parts.append(f"<h3>Precisam de revisão</h3><ul class='review'>{items}</ul>")
        if chap["missing"]:
            parts.append(f"<h3>Não entregaram</h3><p>{esc(', '.join(chap['missing']))}</p>")
        parts.append("</section>")
    return f"""<!DOCTYPE html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>Relatório da turma</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}}
td,th{{padding:.3em .8em;border-bottom:1px solid #ddd;vertical-align:top;text-align:left}}
figure{{margin:.5em 0}}img{{max-width:100%}}.quizzes{{display:flex;flex-wrap:wrap;gap:1em}}
.quiz{{width:18em}}.quiz p{{font-size:.9em;margin:.2em 0}}.note{{color:#555;font-size:.9em}}
.warn{{color:#a60}}section{{border-top:2px solid #ccc;margin-top:2em}}</style></head>
<body><h1>Relatório da turma</h1>
<p>{_who(report)}; os dados destes gráficos estão em <code>{REPORT_JSON}</code>.</p>
{''.join(parts)}</body></html>
"""


def write_report(data):
    """Write ``relatorio.json`` and ``relatorio.html`` into the class folder; returns paths."""
    report = class_report(data)
    json_path, html_path = data.out_dir / REPORT_JSON, data.out_dir / REPORT_HTML
    write_atomic(json_path, json.dumps(report, ensure_ascii=False, indent=1))
    write_atomic(html_path, render_html(report))
    return html_path, json_path
