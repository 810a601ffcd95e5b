"""What the class report and the grade exports read: the class folder and the course titles.

The class folder (``--out``; see ``autograder.classfolder``) holds one result file per
submission, ``results/<chapter>/<student>.json``, written by ``grade``. Titles come from the
source notebooks: a chapter's first ``#`` heading, and for each exercise or question the heading
(or bold lead, ``**Pergunta 3.** ...``) closest above its answer cell.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import notebook as nbmod
from . import status as st
from .roster import class_roster, join

_HEADING = re.compile(r"^\s*#+\s+(.+?)\s*$")
_BOLD_LEAD = re.compile(r"^\s*\*\*((?:Exerc[ií]cio|Pergunta)\s[^*]*?)\.?\*\*\s*(.*)$")
_MARKUP = re.compile(r"[*`$\\]")


def _plain(text, limit=70):
    text = _MARKUP.sub("", text).strip().rstrip(".:")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _title_in(markdown):
    """The last exercise/question title in a markdown text, or None."""
    found = None
    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        lead = _BOLD_LEAD.match(line)
        if heading and re.match(r"(Exerc[ií]cio|Pergunta)\b", _plain(heading.group(1))):
            found = _plain(heading.group(1))
        elif lead:
            rest = f": {_plain(lead.group(2), 50)}" if lead.group(2).strip() else ""
            found = _plain(lead.group(1)) + rest
    return found


def titles(source_nb_path):
    """{"chapter": title, "items": {answer grade_id: title}} of one source notebook."""
    nb = json.loads(Path(source_nb_path).read_text(encoding="utf-8"))
    chapter, items, text = None, {}, []
    counts = {"quiz": 0, "exercise": 0}
    quiz_ids = {c["exercise"] for c in nbmod.layout(nb) if c["kind"] == "test" and c["quiz"]}
    for cell in nb["cells"]:
        src = nbmod.source_text(cell)
        if cell.get("cell_type") == "markdown":
            for line in src.splitlines():
                heading = _HEADING.match(line)
                if chapter is None and heading and line.lstrip().startswith("# "):
                    chapter = _plain(heading.group(1), 90)
            text.append(src)
            continue
        kind = nbmod.cell_kind(cell)
        if kind == "answer":
            gid = nbmod.nbgrader_meta(cell).get("grade_id")
            what = "quiz" if gid in quiz_ids else "exercise"
            counts[what] += 1
            default = f"{'Pergunta' if what == 'quiz' else 'Exercício'} {counts[what]}"
            items[gid] = _title_in("\n".join(text)) or default
        if kind in ("answer", "test"):
            text = []
    return {"chapter": chapter or Path(source_nb_path).stem, "items": items}


@dataclass
class ClassData:
    """Every result of a class folder, the course titles and the class list."""

    out_dir: Path
    course_dir: Path
    records: dict = field(default_factory=dict)  # chapter -> {student: record}
    titles: dict = field(default_factory=dict)  # chapter -> titles()
    cells: dict = field(default_factory=dict)  # chapter -> source layout
    classlist: object = None  # roster.ClassList

    def chapters(self):
        return sorted(self.records)

    def item_title(self, chapter, exercise):
        return self.titles[chapter]["items"].get(exercise) or exercise

    def submitted(self, chapter):
        """Students with a notebook for ``chapter`` (a missing notebook is not a submission)."""
        return sorted(s for s, r in self.records[chapter].items()
                      if st.R_MISSING not in r["result"]["reasons"])


def load(out_dir, course_dir):
    """Read the class folder ``out_dir`` (results and ``turma.csv``) and the course's titles."""
    out_dir, course_dir = Path(out_dir), Path(course_dir)
    data = ClassData(out_dir, course_dir)
    for path in sorted((out_dir / "results").glob("*/*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        data.records.setdefault(record["chapter"], {})[record["student"]] = record
    for chap in data.records:
        source = course_dir / chap / f"{chap}.ipynb"
        if source.is_file():
            data.titles[chap] = titles(source)
            data.cells[chap] = nbmod.layout(json.loads(source.read_text(encoding="utf-8")))
        else:
            data.titles[chap] = {"chapter": chap, "items": {}}
            data.cells[chap] = []
    students = {s for recs in data.records.values() for s in recs}
    data.classlist = join(class_roster(out_dir), students)
    return data
