"""Command line: ``python -m autograder {release,grade,feedback,check}`` (messages in pt-BR)."""

import argparse
import os
import sys
from pathlib import Path

from . import classfolder


def _limits(args):
    from .confine import Limits

    limits = Limits()
    if getattr(args, "cell_timeout", None):
        limits.cell_timeout = args.cell_timeout
    if getattr(args, "notebook_timeout", None):
        limits.notebook_timeout = args.notebook_timeout
    return limits


def cmd_release(args):
    from .release import release

    for path in release(args.course, args.out, args.chapter, mode=args.mode):
        print(f"versão do aluno ({args.mode}): {path}")
    return 0


def cmd_grade(args):
    if not sys.platform.startswith("linux"):
        print("erro: corrigir uma turma só funciona no Linux (o isolamento das entregas usa "
              "bubblewrap, unshare, setpriv e os limites do kernel). Para conferir o seu próprio "
              "caderno, use `python -m autograder check CADERNO.ipynb`.", file=sys.stderr)
        return 2
    from .batch import grade_batch

    if args.roster:
        from .roster import keep_roster

        students = keep_roster(args.roster, args.out)
        print(f"lista da turma: {len(students)} alunos (cópia em {Path(args.out) / 'turma.csv'})")

    rows = grade_batch(args.submissions, args.course, args.out, workers=args.workers,
                       chapter=args.chapter, limits=_limits(args), wait=args.wait,
                       scheduler=args.scheduler)
    review = [r for r in rows if r["status"] != "ok"]
    print(f"notas em {Path(args.out) / 'grades.csv'} e grades.json; "
          f"{len(rows)} linhas, {len(review)} para revisão.")
    for r in review:
        print(f"  revisar: {r['student']} / {r['chapter']}: {r['reason']}")
    from .formgrader import sync

    shown = sync(args.out, args.course)
    print(f"formgrader: {shown} entregas corrigidas em {Path(args.out) / 'autograded'} "
          f"(gradebook {Path(args.out) / 'gradebook.db'})")
    from . import classdata

    data = classdata.load(args.out, args.course)
    if data.classlist.unknown:
        print(f"fora da lista da turma: {', '.join(data.classlist.unknown)}")
    if data.classlist.has_roster:
        for chap in data.chapters():
            missing = data.classlist.missing(data.submitted(chap))
            if missing:
                print(f"sem entrega em {chap}: {', '.join(missing)}")
    cmd_report(args, data)
    cmd_export(argparse.Namespace(out=args.out, course=args.course, escala=None), data)
    return 0


def cmd_report(args, data=None):
    from . import classdata
    from .report import write_report

    html_path, json_path = write_report(data or classdata.load(args.out, args.course))
    print(f"relatório da turma: {html_path} (dados dos gráficos: {json_path})")
    return 0


def cmd_export(args, data=None):
    from . import classdata
    from .export import write_exports

    moodle, sheet = write_exports(data or classdata.load(args.out, args.course),
                                  scale=args.escala)
    print(f"notas para o Moodle: {moodle}\nplanilha (pt-BR, ';' e vírgula decimal): {sheet}")
    return 0


def cmd_feedback(args):
    from .feedback import write_feedback

    paths = write_feedback(args.out)
    print(f"{len(paths)} páginas de retorno em {Path(args.out) / 'feedback'}")
    return 0


def cmd_check(args):
    from . import status as st
    from .selfcheck import self_check

    lines, isolation = self_check(args.notebook, args.source, _limits(args))
    total = sum(line.points for line in lines)
    maximum = sum(line.max_points for line in lines)
    for line in lines:
        mark = "OK  " if line.ok else "FALHOU"
        extra = f": {line.message}" if line.message and not line.ok else ""
        print(f"{mark} {line.grade_id} ({line.points:g}/{line.max_points:g}){extra}")
    print(f"total: {total:g} de {maximum:g}")
    print(st.isolation_label(isolation))
    if args.source is None:
        print("Só os testes visíveis e as perguntas foram verificados; a nota final usa "
              "também testes ocultos.")
    return 0 if all(line.ok for line in lines) else 1


def parser():
    p = argparse.ArgumentParser(prog="autograder",
                                description="Corretor automático do curso de RNNs.")
    sub = p.add_subparsers(dest="command", required=True)
    # AUTOGRADER_COURSE: the instructors' private copy of the sources on the class hub
    common = {"--course": dict(default=os.environ.get("AUTOGRADER_COURSE"),
                               help="pasta-fonte dos capítulos (padrão: course/ do projeto)"),
              "--out": dict(help="pasta da turma (padrão: a de turma.json nesta pasta, senão "
                                 "AUTOGRADER_OUT, senão build/nbgrader)")}

    r = sub.add_parser("release", help="gera a versão do aluno (sem soluções)")
    r.add_argument("chapter", nargs="?", help="um capítulo (padrão: todos)")
    r.add_argument("--mode", choices=("class", "study"), default="class",
                   help="class (padrão): turma com nota, sem gabarito no caderno; study: "
                        "estudo individual, retorno imediato nas perguntas")
    for opt, kw in common.items():
        r.add_argument(opt, **kw)
    r.set_defaults(func=cmd_release)

    g = sub.add_parser("grade", help="corrige as entregas de uma turma")
    g.add_argument("submissions", help="pasta ou .zip com as entregas")
    for opt, kw in common.items():
        g.add_argument(opt, **kw)
    g.add_argument("--workers", type=int, default=2, help="processos em paralelo")
    g.add_argument("--chapter", help="corrigir só este capítulo")
    g.add_argument("--wait", action="store_true", help="esperar outra correção terminar")
    g.add_argument("--scheduler", help="endereço de um escalonador Dask (tcp://máquina:8786): "
                   "as entregas são corrigidas pelos workers dele")
    g.add_argument("--roster", help="lista da turma (CSV: usuário, nome, e-mail, matrícula)")
    g.add_argument("--cell-timeout", type=float, help="segundos por célula")
    g.add_argument("--notebook-timeout", type=float, help="segundos por caderno")
    g.set_defaults(func=cmd_grade)

    rep = sub.add_parser("report", help="relatório da turma (HTML e JSON)")
    for opt, kw in common.items():
        rep.add_argument(opt, **kw)
    rep.set_defaults(func=cmd_report)

    e = sub.add_parser("export", help="notas para o Moodle e para planilhas")
    for opt, kw in common.items():
        e.add_argument(opt, **kw)
    e.add_argument("--escala", type=float, help="notas de 0 a ESCALA (por exemplo 10) em vez "
                   "de pontos")
    e.set_defaults(func=cmd_export)

    f = sub.add_parser("feedback", help="gera o retorno em HTML por aluno")
    f.add_argument("--out", **common["--out"])
    f.set_defaults(func=cmd_feedback)

    c = sub.add_parser("check", help="verifica um caderno localmente (estudo individual)")
    c.add_argument("notebook")
    c.add_argument("--source", help="caderno-fonte (com soluções), se você o tiver")
    c.add_argument("--cell-timeout", type=float, help="segundos por célula")
    c.add_argument("--notebook-timeout", type=float, help="segundos por caderno")
    c.set_defaults(func=cmd_check)
    return p


def _class_folder(args):
    """Resolve --out/--course to the class folder every command shares; say which it is."""
    given = (args.out, getattr(args, "course", None))
    args.out, course, origin = classfolder.resolve(*given)
    if hasattr(args, "course"):
        args.course = course
    saved = classfolder.remember(*given)
    print(f"pasta da turma: {args.out} ({origin})"
          + (f"; lembrada em {saved} para os próximos comandos" if saved else ""))


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if hasattr(args, "out"):
            _class_folder(args)
        return args.func(args)
    except Exception as exc:
        from .files import BatchLocked

        code = 3 if isinstance(exc, BatchLocked) else 2
        print(f"erro: {exc}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
