"""Find submissions in a folder or zip, in the layouts instructors collect them.

Layouts: nbgrader/JupyterHub ``<student>/<chapter>/<any>.ipynb`` (also the exchange inbound
``<student>+<chapter>+<timestamp>/``), a folder per student ``<student>/<any>.ipynb`` (with
``--chapter`` or a chapter name in the file name), and files named ``<student>_<chapter>.ipynb``
(any of ``_ - . space`` as separator).
"""

import hashlib
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


def _skip(rel):
    return any(p.startswith(".") or p in ("__MACOSX", "__pycache__") for p in rel.parts)


def _chapter_in_name(stem, chapters):
    hits = [c for c in chapters if c in stem]
    return max(hits, key=len) if hits else None


def _classify(rel, chapters, default_chapter):
    """(student, chapter) for one notebook path relative to the submissions root."""
    dirs, stem = rel.parts[:-1], rel.stem
    for i in range(len(dirs) - 1, -1, -1):
        m = re.match(r"^(.+)\+(.+)\+(.+)$", dirs[i])  # exchange inbound folder
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
    found = {}
    for path in sorted(root.rglob("*.ipynb")):
        rel = path.relative_to(root)
        if _skip(rel) or not path.is_file():
            continue
        student, chap = _classify(rel, wanted, default)
        if not student or chap not in wanted:
            continue
        found.setdefault((student, chap), []).append(path)
    result = []
    for (student, chap), paths in sorted(found.items()):
        exact = [p for p in paths if p.stem == chap]
        pick = (exact or sorted(paths, key=lambda p: (p.stat().st_mtime, str(p))))[-1]
        note = f"{len(paths)} cadernos encontrados; usado {pick.name}" if len(paths) > 1 else ""
        result.append(Submission(student, chap, pick, note))
    students = {s.student for s in result}
    seen = set(found)
    # folders with no notebook: <student>/<chapter>/ left empty
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not _skip(p.relative_to(root))):
        for chap in wanted:
            if (d / chap).is_dir() and (d.name, chap) not in seen:
                result.append(Submission(d.name, chap, None, "pasta sem caderno"))
                seen.add((d.name, chap))
                students.add(d.name)
    if chapter:
        for student in sorted(students):
            if (student, chapter) not in seen:
                result.append(Submission(student, chapter, None, "nenhum caderno entregue"))
    return result
