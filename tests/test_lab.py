"""The learner's and the instructor's JupyterLab (``autograder.lab``, ``make curso`` and
``make instrutor``): over HTTP, and the learner's in headless Chromium running chapter 02."""

import json
import re
import secrets
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser import ARTIFACTS, chromium, free_port, server, wait_for

from autograder import notebook as nbmod
from autograder.lab import (
    CLASS_LAB_PLUGINS,
    INSTRUCTOR_LAB_PLUGINS,
    config_dir,
    lab_command,
    learner_workspace,
)
from autograder.release import SOLUTION_BEGIN, SOLUTION_END, is_data_cell, solution_regions

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "02-rnn-simples"
SOURCE = ROOT / "course" / CHAPTER / f"{CHAPTER}.ipynb"
TYPED = "c02_ex1_resp"  # the exercise whose answer is typed in the page
WRONG = "c02_q6_resp"  # answered wrong on purpose: the page must show that failure
CELL_STATE = """return [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map(c => ({
  code: c.classList.contains('jp-CodeCell'),
  prompt: (c.querySelector('.jp-InputPrompt') || {}).textContent || '',
  collapsed: !!c.querySelector('.jp-InputPlaceholder'),
  errors: c.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').length,
  output: (c.querySelector('.jp-OutputArea') || {}).textContent || ''}))"""


class Lab:
    def __init__(self, port, token, workspace):
        self.base, self.token, self.workspace = f"http://127.0.0.1:{port}", token, workspace

    def url(self, path):
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def get(self, path):
        with urllib.request.urlopen(self.url(path), timeout=10) as r:
            return r.status, r.read().decode()

    def page_config(self):
        _, html = self.get("/lab")
        data = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                         html, re.S)
        return json.loads(data.group(1))


def start_lab(role, root, config_root, log_name, env_extra=None):
    port, token = free_port(), secrets.token_hex(12)
    argv, env = lab_command(role, root, config_root=config_root, port=port, token=token,
                            open_browser=False)
    env.update(env_extra or {})
    lab = Lab(port, token, root)
    return lab, server(argv, env, root, lab.url("/api/status"), ARTIFACTS / log_name)


@pytest.fixture(scope="module")
def learner(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab-aluno")
    released, kept = learner_workspace(tmp / "curso", chapter=CHAPTER)
    assert (released, kept) == ([CHAPTER], [])
    lab, running = start_lab("aluno", tmp / "curso", tmp / "jupyter", "lab-aluno.log")
    with running:
        yield lab


def test_workspace_keeps_the_learners_work(tmp_path):
    learner_workspace(tmp_path, chapter="00-como-usar")
    mine = tmp_path / "00-como-usar" / "00-como-usar.ipynb"
    mine.write_text('{"cells": [], "trabalho": "meu"}', encoding="utf-8")
    assert learner_workspace(tmp_path, chapter="00-como-usar") == ([], ["00-como-usar"])
    assert "meu" in mine.read_text(encoding="utf-8"), "make curso apagou o trabalho do aluno"


def test_workspace_opens_on_the_start_page(tmp_path):
    learner_workspace(tmp_path / "curso", chapter="00-como-usar")
    start = (tmp_path / "curso" / "COMECE-AQUI.md").read_text(encoding="utf-8")
    assert "Comece pelo capítulo 00" in start and "python -m autograder check" in start
    assert (tmp_path / "curso" / "GLOSSARIO.md").is_file()
    aluno = json.loads((config_dir("aluno", tmp_path / "cfg") / "jupyter_server_config.json")
                       .read_text(encoding="utf-8"))
    assert aluno["LabApp"]["default_url"] == "/lab/tree/COMECE-AQUI.md"
    instrutor = json.loads((config_dir("instrutor", tmp_path / "cfg")
                            / "jupyter_server_config.json").read_text(encoding="utf-8"))
    assert "default_url" not in instrutor["LabApp"]


def test_kernels_get_one_blas_thread_unless_the_learner_chose(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    _, env = lab_command("aluno", tmp_path, config_root=tmp_path / "cfg")
    assert env["OPENBLAS_NUM_THREADS"] == "1" and env["OMP_NUM_THREADS"] == "4"


def test_learner_server_has_no_instructor_tools(learner):
    disabled = learner.page_config()["disabledExtensions"]
    for plugin in INSTRUCTOR_LAB_PLUGINS + CLASS_LAB_PLUGINS:
        assert plugin in disabled, f"{plugin} deveria estar desligado para o aluno"
    with pytest.raises(urllib.error.HTTPError) as err:
        learner.get("/formgrader")
    assert err.value.code == 404, "o formgrader não deveria existir no servidor do aluno"
    _, body = learner.get("/lab/api/settings/@jupyterlab/translation-extension:plugin")
    assert json.loads(body)["schema"]["properties"]["locale"]["default"] == "pt_BR"
    _, body = learner.get("/api/kernelspecs")
    specs = json.loads(body)
    assert specs["default"] == "python3"
    # "python" in a kernelspec's argv means the server's own interpreter (the venv's)
    assert specs["kernelspecs"]["python3"]["spec"]["argv"][0] == "python"


def test_instructor_server_has_the_formgrader(tmp_path):
    lab, running = start_lab("instrutor", tmp_path, tmp_path / "jupyter", "lab-instrutor.log",
                             {"AUTOGRADER_OUT": str(tmp_path / "nbgrader")})
    with running:
        assert not set(INSTRUCTOR_LAB_PLUGINS) & set(lab.page_config()["disabledExtensions"])
        status, _ = lab.get("/formgrader")
        assert status == 200
        _, body = lab.get("/formgrader/api/assignments")
        names = {a["name"] for a in json.loads(body)}
        assert CHAPTER in names, f"o formgrader não vê os capítulos de course/: {names}"
    assert (tmp_path / "nbgrader" / "gradebook.db").exists(), "gradebook fora de AUTOGRADER_OUT"


def solved_notebook(path):
    """Fill the released notebook with the source's answers, except TYPED (left as released,
    to be typed in the page) and WRONG (a wrong quiz answer). Returns TYPED's solution line."""
    source = {nbmod.nbgrader_meta(c).get("grade_id"): nbmod.source_text(c)
              for c in json.loads(SOURCE.read_text(encoding="utf-8"))["cells"]}
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = nbmod.nbgrader_meta(cell).get("grade_id")
        if nbmod.cell_kind(cell) != "answer" or gid == TYPED:
            continue
        text = re.sub(rf"[ \t]*({SOLUTION_BEGIN}|{SOLUTION_END})[^\n]*\n?", "", source[gid])
        cell["source"] = re.sub(r'= "[b-d]"', '= "a"', text) if gid == WRONG else text  # key≠a
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    (line,) = [s.strip() for s in solution_regions(source[TYPED])[0].splitlines() if s.strip()]
    return nb, line


def cell_index(nb, grade_id):
    return next(i for i, c in enumerate(nb["cells"])
                if nbmod.nbgrader_meta(c).get("grade_id") == grade_id)


def click_menu(driver, menus, item):
    """Open the top menu titled one of ``menus``, click ``item``; returns the items' labels."""
    from selenium.webdriver.common.by import By

    bar = [e for e in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item") if e.text in menus]
    assert bar, f"menu {menus} não encontrado"
    bar[0].click()
    labels = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".lm-Menu-itemLabel"), 10,
                      f"o menu {menus} não abriu")
    texts = [e.text for e in labels]
    found = [e for e in labels if e.text == item]
    assert found, f"item {item!r} não está no menu {menus} (itens: {texts})"
    found[0].click()
    return texts


@pytest.mark.slow
def test_learner_runs_chapter_02_in_the_browser(learner, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    path = learner.workspace / CHAPTER / f"{CHAPTER}.ipynb"
    nb, solution = solved_notebook(path)
    n_cells, typed = len(nb["cells"]), cell_index(nb, TYPED)
    with chromium(tmp_path / "perfil") as driver:
        driver.get(learner.url(f"/lab/tree/{CHAPTER}/{CHAPTER}.ipynb"))
        cells = lambda: driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")  # noqa: E731
        wait_for(lambda: len(cells()) == n_cells, 60, "o caderno não abriu por inteiro")
        wait_for(lambda: driver.execute_script(
            "const e = document.querySelector('.jp-Notebook-ExecutionIndicator');"
            "return e && e.getAttribute('data-status') === 'idle'"), 60, "o kernel não iniciou")

        def type_last_line(line):
            """Replace the typed answer cell's last line, as a learner would."""
            cell = cells()[typed]
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
            cell.find_element(By.CSS_SELECTOR, ".cm-content").click()
            ActionChains(driver).key_down(Keys.CONTROL).send_keys(Keys.END) \
                .key_up(Keys.CONTROL).key_down(Keys.SHIFT).send_keys(Keys.HOME) \
                .key_up(Keys.SHIFT).send_keys(line).send_keys(Keys.ESCAPE).perform()
            code = cells()[typed].find_element(By.CSS_SELECTOR, ".cm-content").text
            assert line in code and "NotImplementedError" not in code, code

        state = lambda: driver.execute_script(CELL_STATE)  # noqa: E731
        idle = lambda: driver.execute_script(  # noqa: E731
            "return document.querySelector('.jp-Notebook-ExecutionIndicator')"
            ".getAttribute('data-status') === 'idle'")
        typed_test = typed + 1
        assert nbmod.cell_kind(nb["cells"][typed_test]) == "test"

        # first over the stub's last line, a typical mistake chapter 02 declares (W_hh not
        # transposed): "run all" stops at the exercise's test, which names the mistake
        wrong_line = solution.replace("h_prev @ W_hh.T", "h_prev @ W_hh")
        assert wrong_line != solution
        type_last_line(wrong_line)
        click_menu(driver, ("Executar",), "Executar todas as células")
        wait_for(lambda: state()[typed_test]["errors"] and idle(), 90,
                 "o teste do exercício digitado não mostrou a falha")
        out = state()[typed_test]["output"]
        assert "[valores] valores diferentes" in out, out[:500]
        assert "Erro típico: parece que você usou W_hh sem transpor" in out, out[:500]
        assert "Dica 1 de 3" in out and "Dica 2" not in out, out[:500]
        for internal in ("Traceback", "student.py", "autograder/", "AssertionError"):
            assert internal not in out, out[:500]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.execute_script("arguments[0].scrollIntoView({block: 'end'})", cells()[typed_test])
        time.sleep(1)
        driver.save_screenshot(str(ARTIFACTS / "lab-cap02-diagnostico.png"))

        # then the right line, and the whole chapter runs
        type_last_line(solution)
        run_menu = click_menu(driver, ("Executar",), "Executar todas as células")
        # (the release's data cell is collapsed: no prompt; the typical mistake named above
        # shows that it ran)
        wait_for(lambda: all(re.fullmatch(r"\[\d+\]:", c["prompt"].strip())
                             for c in state() if c["code"] and not c["collapsed"]), 90,
                 "nem todas as células foram executadas")
        wait_for(lambda: driver.execute_script(
            "return document.querySelector('.jp-Notebook-ExecutionIndicator')"
            ".getAttribute('data-status') === 'idle'"), 30, "o kernel não voltou ao repouso")
        final = state()
        assert [i for i, c in enumerate(final) if c["collapsed"]] == \
            [i for i, c in enumerate(nb["cells"]) if is_data_cell(c)] != []

        # interface in Portuguese: the pack translates these, the settings the menu titles
        assert "Executar todas as células" in run_menu and "Run All Cells" not in run_menu
        menu_bar = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")]
        for title in ("Arquivo", "Editar", "Exibir", "Executar", "Ajuda"):
            assert title in menu_bar, f"menu {title!r} ausente da barra: {menu_bar}"
        assert not {"File", "Edit", "View", "Help"} & set(menu_bar), menu_bar
        page_text = driver.find_element(By.TAG_NAME, "body").text
        assert "Nome" in page_text, "o navegador de arquivos não está em português"
        # equations typeset by JupyterLab's bundled MathJax, no TeX left raw
        assert driver.execute_script("return document.querySelectorAll("
                                     "'.jp-RenderedMarkdown mjx-container').length") >= 30
        assert driver.execute_script("return document.querySelectorAll('mjx-merror').length") == 0
        raw = driver.execute_script("return [...document.querySelectorAll('.jp-RenderedMarkdown')]"
                                    ".map(e => e.innerText).filter(t => /\\$\\S|\\\\frac/.test(t))")
        assert raw == [], f"TeX sem renderizar: {raw[:2]}"
        assert driver.execute_script("return document.querySelectorAll("
                                     "'.jp-OutputArea-output img').length") >= 4, "faltam gráficos"

        layout = nbmod.layout(nb)
        for info, dom in zip(layout, final, strict=True):
            gid = info["grade_id"]
            if info["kind"] == "text":
                continue
            if gid == "c02_q6_teste":
                assert dom["errors"] and "incorreta" in dom["output"], dom["output"][:300]
            else:
                assert dom["errors"] == 0, f"erro na célula {info['index']} ({gid}): " \
                                           f"{dom['output'][:500]}"
            if info["kind"] == "test" and info["quiz"] and gid != "c02_q6_teste":
                assert f"[{gid.removesuffix('_teste')}] correto!" in dom["output"]
        assert final[typed_test]["prompt"].strip() != "[ ]:"

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", cells()[typed])
        time.sleep(1)  # let the notebook settle after scrolling
        driver.save_screenshot(str(ARTIFACTS / "lab-cap02.png"))


@pytest.mark.slow
def test_a_widget_redraws_its_figure_in_the_browser(tmp_path):
    """Chapter 05's widget on the hand-set Tom unit (rnnlib.plotting.interactive): moving the
    forget-gate bias slider in the learner's JupyterLab redraws the figure below it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    chapter = "05-lstm"
    learner_workspace(tmp_path / "curso", chapter=chapter)
    lab, running = start_lab("aluno", tmp_path / "curso", tmp_path / "jupyter", "lab-widget.log")
    with running, chromium(tmp_path / "perfil") as driver:
        driver.get(lab.url(f"/lab/tree/{chapter}/{chapter}.ipynb"))
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"), 60,
                 "o caderno não abriu")
        wait_for(lambda: driver.execute_script(
            "const e = document.querySelector('.jp-Notebook-ExecutionIndicator');"
            "return e && e.getAttribute('data-status') === 'idle'"), 60, "o kernel não iniciou")
        # the run stops at exercise 1's stub; the Tom unit and its widget come before it
        click_menu(driver, ("Executar",), "Executar todas as células")
        # elements are looked up afresh each time: JupyterLab re-renders outputs while it runs
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".widget-interact"), 90,
                 "o controle interativo não apareceu")

        def image():
            return driver.execute_script(
                "const i = document.querySelector('.widget-interact .widget-output img');"
                "return i ? i.getAttribute('src') : null")

        def handle(k):
            return driver.find_elements(By.CSS_SELECTOR,
                                        ".widget-interact .widget-slider .noUi-handle")[k]

        first = wait_for(image, 30, "a figura do controle não apareceu")
        wait_for(lambda: driver.execute_script(
            "const e = document.querySelector('.jp-Notebook-ExecutionIndicator');"
            "return e && e.getAttribute('data-status') === 'idle'"), 90, "a execução não terminou")
        assert len(driver.find_elements(
            By.CSS_SELECTOR, ".widget-interact .widget-slider .noUi-handle")) == 3
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", handle(1))
        handle(1).click()  # viés de f: the memory of "gato" fades when it goes down
        for _ in range(8):
            handle(1).send_keys(Keys.ARROW_LEFT)
        wait_for(lambda: image() not in (None, first), 30,
                 "mover o controle não redesenhou a figura")
        label = driver.find_elements(By.CSS_SELECTOR, ".widget-interact .widget-readout")[1].text
        assert label and float(label.replace(",", ".")) < 4.0, label
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "lab-widget-cap05.png"))
