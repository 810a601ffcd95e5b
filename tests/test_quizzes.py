"""Quizzes over the whole course test understanding, not test-taking (PEDAGOGY.md rule 4).

A learner who always picks the longest option, or always the same letter, must not do well:
the key is the strictly longest option in at most a third of the questions, and each letter is
the key in 15 % to 35 % of them. Every question explains each letter (in the source only).
"""

import json
import re
from collections import Counter

from chapters import common

from autograder.release import chapters


def test_keys_are_not_guessable_over_the_course():
    found = [q for name in chapters(common.COURSE) for q in common.quizzes(common.source_path(name))]
    assert len(found) >= 4 * 11
    longest = sum(common.key_is_longest(key, options) for _, key, options, _ in found)
    share = Counter(key for _, key, _, _ in found)
    report = f"{len(found)} perguntas; chave mais longa em {longest}; letras {dict(share)}"
    print(report)
    assert longest <= len(found) / 3, report
    for letter in "abcd":
        assert 0.15 <= share[letter] / len(found) <= 0.35, report
    missing = [gid for gid, _, _, expl in found if sorted(expl) != list("abcd")]
    assert not missing, f"perguntas sem explicação por letra: {missing}"


def test_questions_are_labelled_the_same_way_in_every_chapter():
    """One label format, "**Pergunta N.**", numbered 1, 2, ... in each chapter (glossary rule)."""
    for name in chapters(common.COURSE):
        path = common.source_path(name)
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        numbers = [int(n) for n in re.findall(r"\*\*Pergunta (\d+)\.\*\*", text)]
        assert numbers == list(range(1, len(common.quizzes(path)) + 1)), (name, numbers)
