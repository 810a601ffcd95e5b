"""JupyterLab for the course: the learner's set-up and the instructor's, side by side in one venv.

Each role gets its own Jupyter config folder (``JUPYTER_CONFIG_DIR``, under ``build/jupyter/``),
so nothing global changes:

- ``aluno``: the interface in Brazilian Portuguese by default, nbgrader's instructor tools
  (formgrader, create assignment, course list) and its class-only pages (assignment list, the
  Nbgrader menu) switched off, the student release as the folder
  it opens; a later run releases only chapters not there yet, so the learner's work stays.
  It opens on the course's "comece aqui" page (``course/COMECE-AQUI.md``, rendered), copied
  into the folder with the glossary on every run.
- ``instrutor``: the same language default, the formgrader and create-assignment tools on, and
  an ``nbgrader_config.py`` that points nbgrader at ``course/`` and ``build/nbgrader/``.

Both keep JupyterLab off the network (no news feed, no update check). Command line:
``python -m autograder.lab aluno|instrutor [--port N] [--no-browser]`` (``make curso`` and
``make instrutor``).
"""

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .nbgrader_config import REPO, with_scripts_on_path

BUILD = REPO / "build"
WORKSPACE = BUILD / "release"  # the learner's notebooks (README: build/release/NN-slug/)
ROLES = ("aluno", "instrutor")
START_PAGE = "COMECE-AQUI.md"  # what the learner's JupyterLab opens first
COURSE_PAGES = (START_PAGE, "GLOSSARIO.md")  # copied into the learner's folder on every run
INSTRUCTOR_LAB_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                          "@jupyter/nbgrader:course-list")
# Only meaningful in a class (nbgrader's exchange, as in classroom/): without one, the
# "Assignment List" opens an English error page. The learner alone gets neither.
CLASS_LAB_PLUGINS = ("@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:menu")
CLASS_SERVER_EXTENSIONS = ("nbgrader.server_extensions.assignment_list",)
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",
                                "nbgrader.server_extensions.course_list")
# The pt-BR language pack (4.5.post3, the newest) lacks most top-level menu titles; the menu
# settings merge by id, so these labels replace the English ones and nothing else changes.
MENU_LABELS_PT = {"file": "Arquivo", "edit": "Editar", "view": "Exibir", "run": "Executar",
                  "kernel": "Kernel", "tabs": "Abas", "settings": "Configurações",
                  "help": "Ajuda"}
SETTING_DEFAULTS = {
    "@jupyterlab/translation-extension:plugin": {"locale": "pt_BR"},
    "@jupyterlab/mainmenu-extension:plugin": {
        "menus": [{"id": f"jp-mainmenu-{key}", "label": label}
                  for key, label in MENU_LABELS_PT.items()]},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}
NBGRADER_CONFIG = ("# Written by autograder.lab: the course's nbgrader settings.\n"
                   "from autograder.nbgrader_config import configure\n\n"
                   "configure(get_config())  # noqa: F821\n")


def _write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def config_dir(role, root=BUILD / "jupyter"):
    """Write the Jupyter config folder of ``role`` (aluno or instrutor) and return its path."""
    if role not in ROLES:
        raise ValueError(f"papel desconhecido: {role!r} (use {' ou '.join(ROLES)})")
    instructor = role == "instrutor"
    folder = Path(root).resolve() / role
    _write_json(folder / "jupyter_server_config.json", {
        "ServerApp": {"jpserver_extensions": {
            name: instructor for name in INSTRUCTOR_SERVER_EXTENSIONS + CLASS_SERVER_EXTENSIONS}},
        "LabApp": {"news_url": None,
                   "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                   **({} if instructor else {"default_url": f"/lab/tree/{START_PAGE}"})},
    })
    _write_json(folder / "labconfig" / "page_config.json",
                {"disabledExtensions": {name: not instructor
                                        for name in INSTRUCTOR_LAB_PLUGINS + CLASS_LAB_PLUGINS}})
    settings = dict(SETTING_DEFAULTS)
    if not instructor:  # the start page opens rendered, not in the text editor
        settings["@jupyterlab/docmanager-extension:plugin"] = {
            "defaultViewers": {"markdown": "Markdown Preview"}}
    _write_json(folder / "labconfig" / "default_setting_overrides.json", settings)
    nbgrader_config = folder / "nbgrader_config.py"
    if instructor:
        nbgrader_config.write_text(NBGRADER_CONFIG, encoding="utf-8")
    else:
        nbgrader_config.unlink(missing_ok=True)
    return folder


def learner_workspace(workspace=WORKSPACE, course=REPO / "course", chapter=None):
    """Release into ``workspace`` the chapters it does not have yet; never touch the others.

    Returns (released, kept): chapter names written now, and those left as they were (the
    learner's work).
    """
    from .release import chapters, release

    workspace = Path(workspace)
    names = [chapter] if chapter else chapters(course)
    kept = [n for n in names if (workspace / n / f"{n}.ipynb").exists()]
    released = [n for n in names if n not in kept]
    with tempfile.TemporaryDirectory(prefix="rnn-curso-release-") as tmp:
        for name in released:
            release(course, tmp, name, mode="study")
            shutil.copytree(Path(tmp) / "release" / name, workspace / name, dirs_exist_ok=True)
    for page in COURSE_PAGES:  # the course's own pages, not the learner's work: always fresh
        if (Path(course) / page).is_file():
            shutil.copyfile(Path(course) / page, workspace / page)
    return released, kept


def lab_command(role, root_dir, *, config_root=BUILD / "jupyter", port=None, token=None,
                open_browser=True):
    """(argv, env) that start JupyterLab for ``role`` on ``root_dir``."""
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={Path(root_dir).resolve()}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # JupyterLab refuses to run as root without it
    if port is not None:
        argv += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                 "--ServerApp.ip=127.0.0.1"]
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        argv.append("--no-browser")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config_dir(role, config_root)))
    # nbgrader runs alembic from PATH; the kernel's python is the one beside this one
    env["PATH"] = with_scripts_on_path(env.get("PATH", ""))
    # the course's matrices are small: one BLAS thread each (unless the learner set it) is
    # faster than threads that spin and compete (measured 3-8x on 2 shared cores, chapter 09)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        env.setdefault(name, "1")
    return argv, env


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m autograder.lab",
                                description="Abre o JupyterLab do curso (aluno ou instrutor).")
    p.add_argument("role", choices=ROLES)
    p.add_argument("--port", type=int, help="porta do servidor (padrão: a do Jupyter)")
    p.add_argument("--no-browser", action="store_true", help="não abrir o navegador")
    args = p.parse_args(argv)
    if args.role == "aluno":
        released, kept = learner_workspace()
        print(f"versão do aluno em {WORKSPACE}: {len(released)} capítulos novos"
              + (f", {len(kept)} mantidos como estavam (o seu trabalho)" if kept else ""))
        if importlib.util.find_spec("torch") is None:
            print("O PyTorch (opcional) não está instalado: as poucas células que o usam, nos "
                  "capítulos 05, 06 e 10, dizem como instalá-lo.")
        root = WORKSPACE
    else:
        root = REPO
    cmd, env = lab_command(args.role, root, port=args.port, open_browser=not args.no_browser)
    if os.name == "nt":  # Windows has no exec: JupyterLab runs as a child until Ctrl+C
        return subprocess.call(cmd, env=env, cwd=root)
    os.chdir(root)
    os.execvpe(cmd[0], cmd, env)


if __name__ == "__main__":
    sys.exit(main())
