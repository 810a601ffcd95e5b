"""A small class on the sample chapter, for the instructor-workflow tests.

ana: perfect; bia: the untouched release; caio: exercise 1 without the bias (a typical mistake)
and question 1 wrong ("a"); davi: in the class list, submitted nothing; eva: not in the class
list, perfect except question 2 ("d").
"""

import json
import zipfile

from conftest import CHAPTER, SOURCE

ROSTER = ("usuário;nome;e-mail;matrícula\n"
          "ana;Ana Souza;ana@exemplo.br;2026001\n"
          "bia;Beatriz Lima;bia@exemplo.br;2026002\n"
          "caio;Caio Prado;caio@exemplo.br;2026003\n"
          "davi;Davi Reis;davi@exemplo.br;2026004\n")
NO_BIAS = ('def tanh_forward(x, W, b):\n'
           '    """h = tanh(x W + b)"""\n'
           '    return np.tanh(x @ W)\n')
EXPECTED = {"ana": 7, "bia": 0, "caio": 4, "eva": 6}  # points of 7
SEM_VIES = {"id": "sem_vies", "mensagem": "parece que você esqueceu o viés b na soma",
            "codigo": NO_BIAS}


def course_with_mistake(folder):
    """A copy of the sample course whose exercise 1 declares caio's mistake (``sem_vies``)."""
    import shutil

    from conftest import COURSE

    shutil.copytree(COURSE, folder)
    path = folder / CHAPTER / f"{CHAPTER}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "tanh_forward":
            cell["metadata"].setdefault("autograder", {})["equivocos"] = [SEM_VIES]
    path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


def _with(source_nb, answers):
    nb = json.loads(json.dumps(source_nb))
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid]
    return json.dumps(nb).encode()


def notebooks(source_nb, released_path):
    """{student: notebook bytes} of the class."""
    return {
        "ana": SOURCE.read_bytes(),
        "bia": released_path.read_bytes(),
        "caio": _with(source_nb, {"tanh_forward": NO_BIAS, "q1": 'resposta_q1 = "a"'}),
        "eva": _with(source_nb, {"q2": 'resposta_q2 = "d"'}),
    }


def write_class(folder, source_nb, released_path):
    """Submissions as ``<student>/<chapter>/<chapter>.ipynb`` under ``folder``."""
    for student, data in notebooks(source_nb, released_path).items():
        path = folder / student / CHAPTER / f"{CHAPTER}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def write_zip(path, source_nb, released_path):
    with zipfile.ZipFile(path, "w") as zf:
        for student, data in notebooks(source_nb, released_path).items():
            zf.writestr(f"{student}/{CHAPTER}/{CHAPTER}.ipynb", data)
    return path
