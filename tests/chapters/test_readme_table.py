"""README's chapter table lists every chapter of course/ with its number of code exercises and
of questions, as the source notebooks have them."""

import re

from . import common


def test_readme_counts_match_the_notebooks():
    readme = (common.COURSE.parent / "README.md").read_text(encoding="utf-8")
    rows = {m[0]: (int(m[1]), int(m[2]))
            for m in re.findall(r"^\| (\d\d) \| [^|]+ \| (\d+) \+ (\d+) \|", readme, re.M)}
    chapters = sorted(p.name for p in common.COURSE.iterdir()
                      if p.is_dir() and (p / f"{p.name}.ipynb").is_file())
    assert sorted(rows) == [name[:2] for name in chapters]
    for name in chapters:
        answers = [c for c in common.cells(common.source_path(name))
                   if common._nbgrader(c).get("solution")]
        quizzes = sum("resposta_" in "".join(c["source"]) for c in answers)
        assert rows[name[:2]] == (len(answers) - quizzes, quizzes), name
