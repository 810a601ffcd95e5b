"""Find submissions in a folder or zip, in the layouts instructors collect them.

Layouts: nbgrader/JupyterHub ``<student>/<chapter>/<any>.ipynb`` (also the exchange inbound
``<student>+<chapter>+<timestamp>/``), a folder per student ``<student>/<any>.ipynb`` (with
``--chapter`` or a chapter name in the file name), and files named ``<student>_<chapter>.ipynb``
(any of ``_ - . space`` as separator).
"""

import hashlib
import os
import pwd
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_UNZIPPED_BYTES = 4 << 30


@dataclass
class Submission:
    student: str
    chapter: str
    path: Path | None  # None: the notebook is missing
    note: str = ""


def extract_zip(zip_path, dest_root):
    """Extract safely (no absolute paths, no ``..``, bounded size) into a folder per zip hash."""
    digest = hashlib.sha256(Path(zip_path).read_bytes()).hexdigest()[:16]
    dest = Path(dest_root) / digest
    if (dest / ".complete").exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    total = 0
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = Path(info.filename)
            if info.is_dir() or name.is_absolute() or ".." in name.parts:
                continue
            total += info.file_size
            if total > MAX_UNZIPPED_BYTES:
                raise ValueError("zip grande demais para extrair")
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
    (dest / ".complete").write_text("ok")
    return dest


_JUNK = {".ipynb_checkpoints", "__MACOSX", "__pycache__", ".git", ".Trash", ".DS_Store"}


def _skip(rel):
    return any(p in _JUNK or p.startswith("._") for p in rel.parts)


def _notebooks(root):
    """Every ``*.ipynb`` plain file under ``root``, never through a symbolic link: a link to
    the course's source notebook must not be graded as a submission."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(folder, d)))
        for name in sorted(files):
            path = Path(folder, name)
            if name.endswith(".ipynb") and not path.is_symlink() and path.is_file():
                yield path


def _clean(name):
    """A student name any report can hold (a folder name with the byte 0xff stays distinct)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _chapter_in_name(stem, chapters):
    hits = [c for c in chapters if c in stem]
    return max(hits, key=len) if hits else None


_INBOUND = re.compile(r"^(.+)\+(.+)\+(.+)$")


def owned_by_someone_else(path, root, student):
    """In nbgrader's exchange ``inbound/`` (``<student>+<chapter>+<time>/``), whoever writes
    the folder names the student: like ``nbgrader collect``, a submission counts only if the
    folder and the notebook belong to that student's account (when the account exists here)."""
    rel = path.relative_to(root)
    inbound = [i for i, part in enumerate(rel.parts[:-1]) if _INBOUND.match(part)]
    if not inbound:
        return False
    try:
        uid = pwd.getpwnam(student).pw_uid
    except (KeyError, UnicodeEncodeError):
        return False  # graded away from the class machine (a zip): nothing to compare with
    folder = root.joinpath(*rel.parts[:inbound[-1] + 1])
    return any(p.lstat().st_uid != uid for p in (folder, path))


def _classify(rel, chapters, default_chapter):
    """(student, chapter) for one notebook path relative to the submissions root."""
    dirs, stem = rel.parts[:-1], rel.stem
    for i in range(len(dirs) - 1, -1, -1):
        m = _INBOUND.match(dirs[i])  # exchange inbound folder
        if m and m.group(2) in chapters:
            return m.group(1), m.group(2)
        if dirs[i] in chapters:
            return (dirs[i - 1] if i > 0 else _strip(stem, dirs[i])), dirs[i]
    chapter = _chapter_in_name(stem, chapters)
    if chapter:
        return _strip(stem, chapter) or (dirs[0] if dirs else None), chapter
    if default_chapter:
        return (dirs[0] if dirs else stem), default_chapter
    return None, None


def _strip(stem, chapter):
    rest = stem.replace(chapter, " ")
    rest = re.sub(r"\(\d+\)|\bcopy\b|c[oó]pia", " ", rest, flags=re.I)
    return re.sub(r"[\s_.\-]+", " ", rest).strip().replace(" ", "_")


def discover(root, chapters, chapter=None):
    """All submissions under ``root`` for ``chapters`` (only ``chapter`` when given)."""
    root = Path(root)
    wanted = [chapter] if chapter else list(chapters)
    default = chapter or (wanted[0] if len(wanted) == 1 else None)
    found, foreign = {}, {}
    for path in _notebooks(root):
        rel = path.relative_to(root)
        if _skip(rel):
            continue
        student, chap = _classify(rel, wanted, default)
        if not student or chap not in wanted:
            continue
        if owned_by_someone_else(path, root, student):
            foreign.setdefault((_clean(student), chap), []).append(path)
            continue
        found.setdefault((_clean(student), chap), []).append(path)
    result = []
    for (student, chap), paths in sorted(found.items()):
        exact = [p for p in paths if p.stem == chap]
        pick = (exact or sorted(paths, key=lambda p: (p.stat().st_mtime, str(p))))[-1]
        note = f"{len(paths)} cadernos encontrados; usado {pick.name}" if len(paths) > 1 else ""
        if (student, chap) in foreign:
            note = (note + "; " if note else "") + "entrega feita por outra conta ignorada"
        result.append(Submission(student, chap, pick, note))
    students = {s.student for s in result}
    seen = set(found)
    # folders with no notebook: <student>/<chapter>/ left empty
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()
                    and not _skip(p.relative_to(root))):
        for chap in wanted:
            student = _clean(d.name)
            if (d / chap).is_dir() and (student, chap) not in seen:
                result.append(Submission(student, chap, None, "pasta sem caderno"))
                seen.add((student, chap))
                students.add(student)
    for (student, chap), paths in sorted(foreign.items()):
        if (student, chap) not in seen:
            result.append(Submission(student, chap, None, f"{len(paths)} entrega(s) em nome de "
                                     f"{student} feita(s) por outra conta: ignorada(s)"))
            seen.add((student, chap))
            students.add(student)
    if chapter:
        for student in sorted(students):
            if (student, chapter) not in seen:
                result.append(Submission(student, chapter, None, "nenhum caderno entregue"))
    return result
