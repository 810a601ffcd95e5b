"""The course as a static site, for reading without installing anything (``make site``).

Every chapter becomes one HTML page built with jupyter-book (Sphinx): the theory, equations,
worked examples and their plots come from the *source* notebook executed with its solutions;
the exercises and quiz questions come from the *student release*, so they are shown as tasks:
answer cells hold the stub, test cells only their visible part, quiz calls no key, and neither
has outputs. The same leak check as the release guards each page. MathJax is a local copy
(from ``jupyter-server-mathjax``), so the pages render equations with no network.

``python -m autograder.website [--out build/site] [--chapter NN-slug ...]``
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import notebook as nbmod
from .nbgrader_config import REPO
from .release import ReleaseError, chapters, is_data_cell, leaks, release

OUT = REPO / "build" / "site"
CACHE = REPO / "build" / "site-cache"
TITLE = "Redes Neurais Recorrentes à mão"
# myst-parser's math classes: MathJax processes these and nothing else on a page
MATH_CLASSES = "tex2jax_process|mathjax_process|math|output_area"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
INTRO = f"""# {TITLE}

Curso aberto, em português, sobre redes neurais recorrentes: RNN, LSTM e GRU escritas à mão,
com o passo para a frente e a retropropagação no tempo, usando a biblioteca `rnnlib` (numpy).

Esta é a versão para **leitura**: cada capítulo traz a teoria, as equações, os exemplos
resolvidos com seus gráficos, e os exercícios e as perguntas como **tarefas**, sem as soluções.
Para fazer os exercícios e receber a correção automática, abra o curso no JupyterLab a partir
da pasta do projeto:

```bash
make curso
```

## Capítulos

"""


class SiteError(Exception):
    """A chapter page could not be built, or would reveal a solution."""


def _digest(paths):
    h = hashlib.sha256()
    for path in paths:
        h.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def execute_source(source_path, cache_dir=CACHE, timeout=600):
    """The source notebook run top to bottom with its solutions (cached by content)."""
    import nbformat
    from nbclient import NotebookClient

    inputs = sorted(p for p in source_path.parent.rglob("*") if p.is_file())
    inputs += sorted((REPO / "rnnlib").rglob("*.py")) + [REPO / "autograder" / "student.py"]
    cached = Path(cache_dir) / f"{source_path.stem}-{_digest(inputs)}.ipynb" if cache_dir else None
    if cached and cached.exists():
        return json.loads(cached.read_text(encoding="utf-8"))
    nb = nbformat.read(source_path, as_version=4)
    saved = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # plots as outputs
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(source_path.parent)}}).execute()
    finally:
        if saved is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = saved
    data = json.loads(nbformat.writes(nb))
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        for old in cached.parent.glob(f"{source_path.stem}-*.ipynb"):
            old.unlink()
        cached.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return data


def _static_outputs(outputs):
    """Outputs a static page can show: widgets (progress bars) are dropped; their text form
    is the widget's first state ("0%"), not its last. A widget output that also carries a
    still image (``rnnlib.plotting.interactive``) keeps the image."""
    kept = []
    for out in outputs:
        data = out.get("data") or {}
        if WIDGET_VIEW not in data:
            kept.append(out)
        elif "image/png" in data:
            kept.append({**out, "data": {k: v for k, v in data.items() if k != WIDGET_VIEW}})
    return kept


def site_notebook(source_nb, executed_nb, release_nb):
    """Chapter page: release cells (tasks), with the executed source's outputs where no task is."""
    released = [c for c in release_nb["cells"] if not is_data_cell(c)]  # nothing runs here
    pairs = list(zip(source_nb["cells"], executed_nb["cells"], released, strict=True))
    cells = []
    for src, done, rel in pairs:
        kind = nbmod.cell_kind(src)
        if (rel["cell_type"], nbmod.nbgrader_meta(rel).get("grade_id")) != \
                (src["cell_type"], nbmod.nbgrader_meta(src).get("grade_id")):
            raise SiteError("a versão do aluno não corresponde à fonte, célula a célula")
        cell = {"cell_type": rel["cell_type"], "metadata": {}, "source": nbmod.source_text(rel)}
        if rel.get("id"):
            cell["id"] = rel["id"]
        if kind == "test":
            cell["source"] = nbmod._CHAVE.sub("", cell["source"])  # no quiz key on the page
        if rel["cell_type"] == "code":
            tasks = kind in ("answer", "test")
            cell["outputs"] = [] if tasks else _static_outputs(done.get("outputs", []))
            cell["execution_count"] = None if tasks else done.get("execution_count")
        cells.append(cell)
    meta = {k: v for k, v in release_nb["metadata"].items() if k in ("kernelspec", "language_info")}
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}


def page_leaks(source_nb, page_nb):
    """What a chapter page would reveal (the release's leak check, on the page's sources)."""
    no_outputs = {"cells": [{k: v for k, v in c.items() if k != "outputs"}
                            for c in page_nb["cells"]]}
    found = leaks(nbmod.layout(source_nb), no_outputs)
    found += [f"chave na célula {i}" for i, c in enumerate(page_nb["cells"])
              if "chave=" in nbmod.source_text(c)]
    return found


def _book_config(mathjax_url):
    return {
        "title": TITLE, "author": "Curso de RNNs em português", "copyright": "2026",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "html": {"use_repository_button": False, "use_issues_button": False,
                 "use_edit_page_button": False, "home_page_in_navbar": True},
        "launch_buttons": {"thebe": False, "binderhub_url": "", "jupyterhub_url": "",
                           "colab_url": "", "deepnote_url": ""},
        "sphinx": {"config": {
            "language": "pt_BR",
            # not "_static": jupyter-book would load every .js under it on every page
            "html_static_path": ["assets"],
            "mathjax_path": mathjax_url,
            "myst_update_mathjax": False,
            "mathjax2_config": {"tex2jax": {"inlineMath": [["\\(", "\\)"]],
                                            "displayMath": [["\\[", "\\]"]],
                                            "processEscapes": True,
                                            "ignoreClass": "tex2jax_ignore|mathjax_ignore",
                                            "processClass": MATH_CLASSES},
                                # the local copy ships the STIX-Web fonts only
                                "HTML-CSS": {"availableFonts": [], "webFont": "STIX-Web",
                                             "imageFont": None, "preferredFont": None},
                                "showMathMenu": False,
                                "messageStyle": "none"},
            "nb_ipywidgets_js": {},
            "html_show_sphinx": False,
        }},
    }


def _page_title(nb):
    for cell in nb["cells"]:
        for line in nbmod.source_text(cell).splitlines():
            if cell["cell_type"] == "markdown" and line.startswith("# "):
                return line[2:].strip()
    return None


def write_book(book_dir, pages):
    """Write the jupyter-book sources: config, table of contents, intro, pages, MathJax."""
    import jupyter_server_mathjax
    import yaml

    book_dir.mkdir(parents=True, exist_ok=True)
    mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(mathjax, book_dir / "assets" / "mathjax", dirs_exist_ok=True)
    config = _book_config("mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full")
    (book_dir / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                          encoding="utf-8")
    (book_dir / "_toc.yml").write_text(yaml.safe_dump(
        {"format": "jb-book", "root": "intro", "chapters": [{"file": n} for n in pages]}),
        encoding="utf-8")
    listing = "".join(f"- [{_page_title(nb) or name}]({name}.ipynb)\n"
                      for name, nb in pages.items())
    (book_dir / "intro.md").write_text(INTRO + listing, encoding="utf-8")
    for name, nb in pages.items():
        (book_dir / f"{name}.ipynb").write_text(json.dumps(nb, ensure_ascii=False, indent=1),
                                               encoding="utf-8")


def build_site(out=OUT, course=REPO / "course", names=None, cache_dir=CACHE, log=print):
    """Build the site into ``out``; returns the path of its index.html."""
    course, out = Path(course), Path(out)
    unknown = set(names or ()) - set(chapters(course))
    if unknown:
        raise SiteError(f"capítulos não encontrados em {course}: {sorted(unknown)}")
    names = [n for n in chapters(course) if not names or n in names]
    pages = {}
    with tempfile.TemporaryDirectory(prefix="rnn-curso-site-") as tmp:
        tmp = Path(tmp)
        for name in names:
            log(f"capítulo {name}: versão do aluno e execução da fonte")
            source_path = course / name / f"{name}.ipynb"
            try:
                (released,) = release(course, tmp / "nbgrader", name)
            except ReleaseError as exc:
                raise SiteError(str(exc)) from None
            source = json.loads(source_path.read_text(encoding="utf-8"))
            page = site_notebook(source, execute_source(source_path, cache_dir),
                                 json.loads(released.read_text(encoding="utf-8")))
            problems = page_leaks(source, page)
            if problems:
                raise SiteError(f"a página de {name} revelaria: {problems[:5]}")
            pages[name] = page
        book = tmp / "book"
        write_book(book, pages)
        log("jupyter-book: gerando o HTML")
        jb = Path(sys.executable).with_name("jupyter-book")
        done = subprocess.run([str(jb), "build", str(book), "--path-output", str(tmp / "html"),
                               "--builder", "html", "--warningiserror", "--quiet"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SiteError(f"jupyter-book falhou:\n{(done.stdout + done.stderr)[-4000:]}")
        staged = out.with_name(out.name + ".tmp")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(tmp / "html" / "_build" / "html", staged)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(staged, out)
    return out / "index.html"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m autograder.website",
                                description="Gera o site estático do curso (sem soluções).")
    p.add_argument("--out", default=str(OUT), help="pasta do site (padrão: build/site)")
    p.add_argument("--chapter", action="append", help="só este capítulo (pode repetir)")
    p.add_argument("--no-cache", action="store_true", help="executar os capítulos de novo")
    args = p.parse_args(argv)
    try:
        index = build_site(args.out, names=args.chapter, cache_dir=None if args.no_cache else CACHE)
    except SiteError as exc:
        print(f"erro: {exc}", file=sys.stderr)
        return 2
    print(f"site do curso: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
