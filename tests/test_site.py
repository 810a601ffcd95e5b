"""The static course site (``make site``, ``autograder.website``): tasks without solutions,
worked examples with their plots, equations rendered offline, checked page by page in Chromium.

Builds every chapter of course/ by default; ``RNN_CURSO_SITE_CHAPTERS=02-rnn-simples,05-lstm``
builds only those (each page built is checked all the same).
"""

import html
import json
import os
import re
import time
from pathlib import Path

import pytest
from browser import ARTIFACTS, chromium, wait_for

from autograder import notebook as nbmod
from autograder.release import chapters, release
from autograder.website import build_site, execute_source, page_leaks, site_notebook

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
SAMPLE = ROOT / "tests" / "autograder" / "sample" / "course"
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "chave=")
MATH_STATE = """return {
  nodes: document.querySelectorAll('article .math.notranslate').length,
  typeset: document.querySelectorAll('article script[type^="math/tex"]').length,
  errors: document.querySelectorAll('.MathJax_Error, .merror, mjx-merror').length,
  idle: !!(window.MathJax && MathJax.Hub && MathJax.Hub.queue
           && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running),
  images: [...document.querySelectorAll('article .cell_output img')]
            .filter(i => i.complete && i.naturalWidth > 0).length,
  remote: [...document.querySelectorAll('script[src], link[rel=stylesheet], img')]
            .map(e => e.src || e.href).filter(u => /^https?:/.test(u)),
  text: document.querySelector('article').innerText}"""


def site_chapters():
    wanted = os.environ.get("RNN_CURSO_SITE_CHAPTERS")
    return [n.strip() for n in wanted.split(",")] if wanted else chapters(COURSE)


def source_of(name, course=COURSE):
    return json.loads((course / name / f"{name}.ipynb").read_text(encoding="utf-8"))


def first_heading(nb):
    """The chapter's title as plain text (markdown emphasis and code marks removed)."""
    return next(re.sub(r"[*_`]", "", line[2:]).strip() for c in nb["cells"]
                if c["cell_type"] == "markdown"
                for line in nbmod.source_text(c).splitlines() if line.startswith("# "))


def text_leaks(source_nb, text):
    """The release's leak check applied to a page's visible text."""
    return page_leaks(source_nb, {"cells": [{"cell_type": "markdown", "source": text}]})


@pytest.fixture(scope="module")
def sample_page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site-amostra")
    (released,) = release(SAMPLE, tmp, "01-amostra")
    path = SAMPLE / "01-amostra" / "01-amostra.ipynb"
    source = json.loads(path.read_text(encoding="utf-8"))
    executed = execute_source(path, cache_dir=None)
    page = site_notebook(source, executed, json.loads(released.read_text(encoding="utf-8")))
    return source, executed, page


def test_page_shows_tasks_and_worked_examples(sample_page):
    source, executed, page = sample_page
    assert page_leaks(source, page) == []
    text = json.dumps(page, ensure_ascii=False)
    for secret in (*MARKERS, "return np.tanh(x @ W + b)", "oculto", 'resposta_q1 = \\"b\\"'):
        assert secret not in text, f"a página revela {secret!r}"
    kinds = [nbmod.cell_kind(c) for c in source["cells"]]
    for kind, src, done, cell in zip(kinds, source["cells"], executed["cells"], page["cells"],
                                     strict=True):
        if kind in ("answer", "test"):
            assert cell["outputs"] == [] and cell["execution_count"] is None
        elif kind in ("code", "demo"):
            assert cell["outputs"] == done["outputs"] and done["outputs"] or kind == "code"
            assert cell["source"] == nbmod.source_text(src)
    assert "SEU CÓDIGO AQUI" in text and 'quiz(\\"q1\\", resposta_q1)' in text
    demo = page["cells"][kinds.index("demo")]
    assert any("image/png" in o.get("data", {}) for o in demo["outputs"]), "o gráfico sumiu"


def test_leak_check_catches_a_solution_on_the_page(sample_page):
    source, _, page = sample_page
    planted = json.loads(json.dumps(page))
    planted["cells"][3]["source"] += "\n    return np.tanh(x @ W + b)"
    assert page_leaks(source, planted)
    planted = json.loads(json.dumps(page))
    planted["cells"][10]["source"] = 'quiz("q1", resposta_q1, chave="00$11")'
    assert page_leaks(source, planted)


@pytest.mark.slow
def test_site_builds_and_every_page_checks_out(tmp_path):
    # one test, so that pytest-xdist does not build the site once per worker
    start = time.perf_counter()
    site = build_site(tmp_path / "site", names=site_chapters(), cache_dir=tmp_path / "cache",
                      log=lambda message: None).parent
    print(f"site: {len(site_chapters())} capítulos em {time.perf_counter() - start:.0f} s")
    check_files(site)
    check_pages_in_browser(site, tmp_path / "perfil")


def check_files(site):
    """A page per chapter, listed on the home page; no solution in any file of the site."""
    names = site_chapters()
    index = (site / "intro.html").read_text(encoding="utf-8")  # index.html redirects here
    for name in names:
        assert (site / f"{name}.html").is_file(), f"falta a página de {name}"
        assert f'href="{name}.html"' in index, f"o índice não aponta para {name}"
        page_nb = json.loads((site / "_sources" / f"{name}.ipynb").read_text(encoding="utf-8"))
        assert page_leaks(source_of(name), page_nb) == [], name
        raw = (site / f"{name}.html").read_text(encoding="utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", "", raw))
        assert text_leaks(source_of(name), text) == [], name
    for path in site.rglob("*"):
        if path.suffix in (".html", ".ipynb", ".txt", ".md") or path.name == "searchindex.js":
            content = path.read_text(encoding="utf-8", errors="replace")
            found = [m for m in MARKERS if m in content]
            assert not found, f"{path.relative_to(site)} contém {found}"


def check_pages_in_browser(site, profile):
    """Each page in Chromium: title, equations typeset offline, plots, tasks, nothing secret."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium(profile) as driver:
        driver.get((site / "index.html").as_uri())
        links = wait_for(lambda: driver.execute_script(
            "return [...document.querySelectorAll('article a')].map(a => a.href)"), 30,
            "a página inicial não abriu")
        for name in site_chapters():
            assert (site / f"{name}.html").as_uri() in links, f"a página inicial não lista {name}"
        for name in site_chapters():
            source = source_of(name)
            page_nb = json.loads((site / "_sources" / f"{name}.ipynb").read_text(encoding="utf-8"))
            plots = sum("image/png" in o.get("data", {})
                        for c in page_nb["cells"] for o in c.get("outputs", []))
            driver.get((site / f"{name}.html").as_uri())
            state = wait_for(lambda plots=plots: (s := driver.execute_script(MATH_STATE))["idle"]
                             and s["images"] >= plots and s, 60,
                             f"{name}: o MathJax ou os gráficos não terminaram de carregar")
            assert driver.title.startswith(first_heading(source)), driver.title
            assert state["nodes"] > 0, f"{name}: nenhuma equação na página"
            assert state["typeset"] == state["nodes"], \
                f"{name}: {state['typeset']} de {state['nodes']} equações renderizadas"
            assert state["errors"] == 0, f"{name}: erros do MathJax"
            assert state["remote"] == [], f"{name}: a página busca na rede: {state['remote']}"
            shows_plots = any("plt." in nbmod.source_text(c) for c in source["cells"]
                              if nbmod.cell_kind(c) == "demo")
            assert plots > 0 or not shows_plots, f"{name}: os gráficos dos exemplos sumiram"
            tests = [c for c in nbmod.layout(source) if c["kind"] == "test"]
            if any(not c["quiz"] for c in tests):
                assert "SEU CÓDIGO AQUI" in state["text"], f"{name}: os exercícios não aparecem"
            for c in tests:
                if c["quiz"]:
                    assert c["visible"].strip().splitlines()[-1] in state["text"], \
                        f"{name}: a pergunta {c['grade_id']} não aparece"
            assert text_leaks(source, state["text"]) == [], name
            driver.execute_script("const img = document.querySelector('article .cell_output img');"
                                  "if (img) img.scrollIntoView({block: 'center'})")
            driver.save_screenshot(str(ARTIFACTS / f"site-{name}.png"))
