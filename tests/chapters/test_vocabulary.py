"""One vocabulary (course/GLOSSARIO.md): every chapter keeps the glossary's terms in its prose,
instead of the English words or the variants it replaces."""

import re

import pytest

from . import common

CHAPTERS = sorted(p.name for p in common.COURSE.iterdir() if (p / f"{p.name}.ipynb").is_file())
# variant -> the glossary's term
REPLACED = {
    "portão": "porta", "portões": "portas", "*forward*": "passagem direta",
    "*backward*": "retropropagação", "passagem para frente": "passagem direta",
    "passagem para trás": "retropropagação", "passo para a frente": "passagem direta",
    "many-to-one": "muitos-para-um", "many-to-many": "muitos-para-muitos",
    "one-to-many": "um-para-muitos", "minilote": "lote", "taxa de aprendizagem":
    "taxa de aprendizado", "**Questão": "**Pergunta",
}
# the glossary's feminine terms after a masculine article or contraction ("o passagem direta")
MASCULINE_BEFORE_FEMININE = re.compile(
    r"\b(?:[oO]s?|[uU]m|[dD]os?|[nN]os?|[aA]os?|[pP]elos?|[nN]enhum|[aA]lgum|[eE]stes?|[eE]sses?|[oO]utros?)\s+\**(?:passagem|retropropagação|portas?)\b")


@pytest.mark.parametrize("name", CHAPTERS)
def test_prose_uses_the_glossary(name):
    text = common.cells(common.source_path(name))
    prose = "\n".join("".join(c["source"]) for c in text if c["cell_type"] == "markdown")
    found = {v: t for v, t in REPLACED.items() if v in prose}
    assert not found, f"{name}: use os termos do glossário: {found}"
    # forward/backward as words of the text (code spans and blocks keep the code's names)
    words = re.sub(r"`[^`]*`", "", re.sub(r"```.*?```", "", prose, flags=re.S))
    english = sorted(set(re.findall(r"\b(?:forward|backward)\b", words)))
    assert not english, f"{name}: passagem direta/retropropagação no texto, não {english}"
    wrong = MASCULINE_BEFORE_FEMININE.findall(prose)
    assert not wrong, f"{name}: concordância de gênero: {sorted(set(wrong))}"
    assert (common.COURSE / "GLOSSARIO.md").read_text(encoding="utf-8").count("| porta |") == 1
