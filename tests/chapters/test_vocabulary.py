"""One vocabulary (course/GLOSSARIO.md): the chapters already reworked to the glossary keep its
terms in their prose, instead of the English words or the variants it replaces."""

import pytest

from . import common

CHAPTERS = ["00-como-usar", "01-feedforward", "03-bptt", "04-dilema-do-gradiente", "05-lstm"]
# variant -> the glossary's term
REPLACED = {
    "portão": "porta", "portões": "portas", "*forward*": "passagem direta",
    "*backward*": "retropropagação", "passagem para frente": "passagem direta",
    "passagem para trás": "retropropagação", "passo para a frente": "passagem direta",
    "many-to-one": "muitos-para-um", "many-to-many": "muitos-para-muitos",
    "one-to-many": "um-para-muitos", "minilote": "lote", "taxa de aprendizagem":
    "taxa de aprendizado", "**Questão": "**Pergunta",
}


@pytest.mark.parametrize("name", CHAPTERS)
def test_prose_uses_the_glossary(name):
    text = common.cells(common.source_path(name))
    prose = "\n".join("".join(c["source"]) for c in text if c["cell_type"] == "markdown")
    found = {v: t for v, t in REPLACED.items() if v in prose}
    assert not found, f"{name}: use os termos do glossário: {found}"
    assert (common.COURSE / "GLOSSARIO.md").read_text(encoding="utf-8").count("| porta |") == 1
