"""The class list (optional): who is in the class, joined to the submissions by user name.

A CSV with a header row naming the columns ``usuário`` (the name the submissions carry: the
JupyterHub account or the folder name), ``nome``, ``e-mail`` and ``matrícula``; only ``usuário``
is required. Separator ``,`` or ``;``, UTF-8 with or without BOM (what a spreadsheet saves).
Header spelling is forgiving (``usuario``, ``login``, ``email``, ``matricula``...).
"""

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

FIELDS = ("usuario", "nome", "email", "matricula")
_ALIASES = {
    "usuario": ("usuario", "user", "username", "login", "conta", "aluno"),
    "nome": ("nome", "name", "nome completo"),
    "email": ("email", "e-mail", "endereco de email", "correio eletronico"),
    "matricula": ("matricula", "ra", "numero de matricula", "idnumber", "id"),
}
ROSTER_NAME = "turma.csv"  # the copy kept in the class folder


class RosterError(ValueError):
    """The class list cannot be read."""


@dataclass(frozen=True)
class Student:
    usuario: str
    nome: str = ""
    email: str = ""
    matricula: str = ""


def _plain(text):
    """Lowercase, accents and surrounding spaces removed: ``"E-mail "`` -> ``"e-mail"``."""
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _field(header):
    name = _plain(header)
    for field, aliases in _ALIASES.items():
        if name in aliases or name.replace("-", "").replace("_", " ") in aliases:
            return field
    return None


def read_roster(path):
    """Students of the class list at ``path``, in file order; raises RosterError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"não consegui ler a lista da turma {path}: {exc}") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise RosterError(f"a lista da turma {path} está vazia")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    header = next(reader)
    columns = {}
    for i, name in enumerate(header):
        field = _field(name)
        if field and field not in columns:
            columns[field] = i
    if "usuario" not in columns:
        raise RosterError(f"a lista da turma {path} não tem a coluna 'usuário' (cabeçalho: "
                          f"{', '.join(header)}); use as colunas usuário, nome, e-mail, matrícula")
    students, seen = [], {}
    for lineno, row in enumerate(reader, start=2):
        values = {f: (row[i].strip() if i < len(row) else "") for f, i in columns.items()}
        if not values["usuario"]:
            raise RosterError(f"{path}, linha {lineno}: falta o usuário")
        if values["usuario"] in seen:
            raise RosterError(f"{path}, linha {lineno}: o usuário {values['usuario']!r} já "
                              f"aparece na linha {seen[values['usuario']]}")
        seen[values["usuario"]] = lineno
        students.append(Student(**values))
    return students


@dataclass
class ClassList:
    """Who is expected (the roster, possibly empty) and who submitted."""

    students: list  # Student, roster order then unknown ones by name
    unknown: list  # user names that submitted but are not in the roster
    has_roster: bool

    def by_user(self):
        return {s.usuario: s for s in self.students}

    def missing(self, submitted):
        """Roster students with no submission among ``submitted`` (user names)."""
        submitted = set(submitted)
        return [s.usuario for s in self.students if s.usuario not in submitted]


def join(roster, submitted):
    """Join a roster (list of Student, or None) with the user names that submitted."""
    submitted = sorted(set(submitted))
    if roster is None:
        return ClassList([Student(u) for u in submitted], [], False)
    known = {s.usuario for s in roster}
    unknown = [u for u in submitted if u not in known]
    return ClassList(list(roster) + [Student(u) for u in unknown], unknown, True)


def class_roster(out_dir):
    """The roster kept in the class folder (``turma.csv``), or None."""
    path = Path(out_dir) / ROSTER_NAME
    return read_roster(path) if path.is_file() else None


def keep_roster(source, out_dir):
    """Check and copy the class list into the class folder, where report/export find it."""
    students = read_roster(source)
    target = Path(out_dir) / ROSTER_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    if Path(source).resolve() != target.resolve():
        target.write_bytes(Path(source).read_bytes())
    return students
