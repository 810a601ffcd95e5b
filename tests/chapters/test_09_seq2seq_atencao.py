"""Chapter 9 (Seq2seq e atenção): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import re

from . import common

NOTEBOOK = "09-seq2seq-atencao"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    "c09_ex1_resp": ["c09_ex1_teste"],
    "c09_ex2_resp": ["c09_ex2_teste"],
    "c09_ex3_resp": ["c09_ex3_teste"],
    "c09_ex4_resp": ["c09_ex4_teste"],
    "c09_ex5_resp": ["c09_ex5_teste"],
}

# Typical wrong answers, per exercise: (message, answer cell code), declared in the notebook.
WRONG = common.misconceptions(SOURCE)


def test_executes_with_figures(executed):
    nb, _ = executed
    assert common.count_images(nb) >= 3  # máscara, curvas de perda, mapas de calor
    text = common.outputs_text(nb)
    errors = re.findall(r"erro relativo d[qK]: ([0-9.e+-]+)", text)
    assert len(errors) == 2 and max(float(e) for e in errors) < 1e-7
    acc = {name: (float(g), float(b)) for name, g, b in re.findall(
        r"(sem atenção|com atenção): acurácia \(datas inteiras corretas\) gulosa = ([0-9.]+) "
        r"em 1000 datas; feixe k=3 = ([0-9.]+)", text)}
    print(f"datas de teste: {acc}")
    assert acc["com atenção"][0] >= 0.95 and acc["com atenção"][1] >= 0.95
    assert acc["sem atenção"][0] < acc["com atenção"][0] - 0.5
    assert re.search(r"sábado, 24 de agosto de 1929\s+->\s+1929-08-24", text)
    # the learner's beam search decodes the model
    assert len(re.findall(r"^\s+\d{4}-\d\d-\d\d\s+log-prob", text, re.M)) == 3
    # the error analysis: what the text says of each group, field by field
    table = {(group.strip(), model): [float(v) for v in values.split()] for group, model, values in
             re.findall(r"^ *(teste \(como no treino\)|ano fora de 1900-2099|dia e mês sem zero "
                        r"\(5/3/1997\)) +(sem atenção|com atenção) +((?:[0-9.]+ +){3}[0-9.]+)$",
                        text, re.M)}
    print(f"análise de erros (data, ano, mês, dia): {table}")
    assert len(table) == 6
    date, year, month, day = table["teste (como no treino)", "sem atenção"]
    assert year > 0.9 and day < month < 0.5 and day < 0.2  # the bottleneck keeps the end
    assert table["teste (como no treino)", "com atenção"][0] >= 0.95
    date, year, month, day = table["ano fora de 1900-2099", "com atenção"]
    assert year < 0.3 and min(month, day) >= 0.8
    date, year, month, day = table["dia e mês sem zero (5/3/1997)", "com atenção"]
    assert year >= 0.9 and date < 0.5
    centuries = common.number(r"(\d+)% dos anos escritos começam com 19 ou 20", text)
    beam = common.number(r"a data certa está entre as 3 hipóteses do feixe em (\d+)%", text)
    assert centuries >= 30 and beam < 30  # "muitos" begin with 19/20; "raramente" in the beam
    assert common.number(r"datas impossíveis .*: (\d+)% transcritas ao pé da letra", text) >= 80


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    forbid = parts.forbid
    assert "softmax_forward" in forbid["c09_ex2_resp"]["forbid"]
    # Bahdanau's query is the previous decoder state; the text says what the model simplifies
    assert r"W_q s_{t-1} + W_k h_s" in parts.text and "input feeding" in parts.text
    assert "Por que produto escalar" in parts.text
    assert set(WRONG) == set(EXERCISES) and all(len(w) >= 2 for w in WRONG.values())
    assert len(common.check_quizzes(SOURCE)) == 5
    assert common.check_visible_checks(SOURCE, parts.exercises) >= 17


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=17)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path,
                                      leaks=("(alpha * dalpha).sum", "equivocos"))


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
