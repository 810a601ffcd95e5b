"""Grades out of the class folder: a Moodle gradebook import CSV and a pt-BR spreadsheet CSV.

- ``notas-moodle.csv``: one row per student, identified by ``email``, ``idnumber`` (the
  matrícula) and ``username``; one column per chapter (its title), the total in points or, with
  ``escala``, on a 0-``escala`` scale. Comma separator, decimal point, UTF-8: Moodle's "Notas ->
  Importar -> Arquivo CSV" defaults. An ungraded submission (needs review without a score) or a
  chapter not submitted is left empty, which Moodle skips instead of writing a zero.
- ``notas-planilha.csv``: the pt-BR spreadsheet convention (``;``, decimal comma, UTF-8 with
  BOM, which LibreOffice and Excel open without an import dialog): name, e-mail, matrícula,
  points per exercise and question under their titles, each chapter's total and situation.

``grades.csv``/``grades.json`` (machine-readable, one row per student and chapter) stay as they
are.
"""

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

from . import status as st
from .files import write_atomic

MOODLE_NAME, SHEET_NAME = "notas-moodle.csv", "notas-planilha.csv"


def _number(value, decimal=".", places=2):
    """``7`` -> ``"7"``, ``6.666`` -> ``"6.67"`` (or ``"6,67"``); None -> ``""``."""
    if value is None:
        return ""
    q = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    text = format(q.normalize(), "f") if q != 0 else "0"
    return text.replace(".", decimal)


def chapter_grade(record, scale=None):
    """A record's total (None when it could not be graded), rescaled to 0-``scale``."""
    if record is None:
        return None
    res = record["result"]
    if res["score"] is None or st.R_MISSING in res["reasons"]:
        return None
    if scale is None:
        return res["score"]
    return res["score"] / res["max_score"] * scale if res["max_score"] else 0.0


def situation(record):
    """pt-BR situation of one student in one chapter."""
    if record is None or st.R_MISSING in record["result"]["reasons"]:
        return "não entregou"
    res = record["result"]
    if res["status"] == st.OK:
        return st.SUBMISSION_LABELS[st.OK]
    return "revisar: " + st.reasons_label(res["reasons"])


def item_points(data, chapter, record):
    """{answer grade_id: points} summed over that exercise's test cells (None: not graded)."""
    points = {}
    for c in data.cells[chapter]:
        if c["kind"] == "test":
            points.setdefault(c["exercise"], 0.0)
    if record is None or chapter_grade(record) is None:
        return dict.fromkeys(points)
    for cell in record["result"]["cells"]:
        points[cell["exercise"]] = points.get(cell["exercise"], 0.0) + cell["points"]
    return points


def _rows_text(rows, delimiter):
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def moodle_csv(data, scale=None):
    """Text of the Moodle import CSV for a ``classdata.ClassData``."""
    chapters = data.chapters()
    header = ["email", "idnumber", "username", "nome"]
    header += [data.titles[c]["chapter"] for c in chapters]
    rows = [header]
    for s in data.classlist.students:
        grades = [_number(chapter_grade(data.records[c].get(s.usuario), scale))
                  for c in chapters]
        rows.append([s.email, s.matricula, s.usuario, s.nome, *grades])
    return _rows_text(rows, ",")


def spreadsheet_csv(data, scale=None):
    """Text of the pt-BR spreadsheet CSV (without the BOM, added when written)."""
    header = ["Usuário", "Nome", "E-mail", "Matrícula"]
    columns = []  # (chapter, what) in header order
    for chap in data.chapters():
        short = f"Cap. {chap.split('-')[0]}"
        maximum = {}
        for c in data.cells[chap]:
            if c["kind"] == "test":
                maximum[c["exercise"]] = maximum.get(c["exercise"], 0.0) + c["points"]
        for gid, pts in maximum.items():
            header.append(f"{short} · {data.item_title(chap, gid)} ({_number(pts, ',')} pt)")
            columns.append((chap, gid))
        total = sum(maximum.values())
        header.append(f"{short} · {data.titles[chap]['chapter']}: total (de "
                      f"{_number(total, ',')})")
        columns.append((chap, "total"))
        if scale is not None:
            header.append(f"{short}: nota (0 a {_number(scale, ',')})")
            columns.append((chap, "scaled"))
        header.append(f"{short}: situação")
        columns.append((chap, "situation"))
    rows = [header]
    for s in data.classlist.students:
        row = [s.usuario, s.nome, s.email, s.matricula]
        points = {}
        for chap, what in columns:
            record = data.records[chap].get(s.usuario)
            if chap not in points:
                points[chap] = item_points(data, chap, record)
            if what == "total":
                row.append(_number(chapter_grade(record), ","))
            elif what == "scaled":
                row.append(_number(chapter_grade(record, scale), ","))
            elif what == "situation":
                row.append(situation(record))
            else:
                row.append(_number(points[chap].get(what), ","))
        rows.append(row)
    return _rows_text(rows, ";")


def write_exports(data, scale=None):
    """Write both CSVs into the class folder; returns their paths."""
    if scale is not None and scale <= 0:
        raise ValueError(f"escala inválida: {scale} (use um número positivo, como 10)")
    moodle = data.out_dir / MOODLE_NAME
    sheet = data.out_dir / SHEET_NAME
    write_atomic(moodle, moodle_csv(data, scale))
    write_atomic(sheet, "\ufeff" + spreadsheet_csv(data, scale))
    return moodle, sheet
