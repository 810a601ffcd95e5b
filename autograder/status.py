"""Every status and reason of a grade, as a constant with its one pt-BR label.

The codes (``passed``, ``needs_review``, ``forbidden reference``...) are what result files,
``grades.csv`` and the gradebook store; the labels are what a person reads, in the self-check,
the feedback pages and the reports. Nothing else in the package spells a label.
"""

# a test cell's status in a grade
PASSED = "passed"
FAILED = "failed"
UNANSWERED = "unanswered"  # the answer is still the release's stub (or a quiz left at None)
TIMEOUT = "timeout"
CRASH = "crash"
NOT_RUN = "not_run"
FORBIDDEN = "forbidden"

CELL_LABELS = {
    PASSED: "correto",
    FAILED: "incorreto",
    UNANSWERED: "não respondido",
    TIMEOUT: "tempo esgotado",
    CRASH: "o processo caiu nesta célula",
    NOT_RUN: "não executado",
    FORBIDDEN: "sem crédito: usa código que o exercício proíbe",
}

# a submission's status
OK = "ok"
NEEDS_REVIEW = "needs_review"
SUBMISSION_LABELS = {OK: "corrigido", NEEDS_REVIEW: "para revisão do professor"}

# why a submission needs review
R_TIMEOUT = "timeout"
R_CRASH = "crash"
R_TAMPERING = "tampering"
R_INVALID = "invalid notebook"
R_MISSING_CELLS = "missing cells"
R_DUPLICATED = "duplicated cells"
R_FORBIDDEN = "forbidden reference"
R_TOO_LARGE = "too large"
R_MISSING = "missing notebook"
R_INTERNAL = "internal error"

REASON_LABELS = {
    R_TIMEOUT: "tempo esgotado",
    R_CRASH: "queda do processo",
    R_TAMPERING: "construções suspeitas no código",
    R_INVALID: "caderno inválido",
    R_MISSING_CELLS: "células de resposta ausentes",
    R_DUPLICATED: "células duplicadas",
    R_FORBIDDEN: "usa código que um exercício proíbe",
    R_TOO_LARGE: "caderno grande demais",
    R_MISSING: "caderno não entregue",
    R_INTERNAL: "erro interno do corretor",
}
# reasons that leave a submission without any grade (total empty, never a false zero)
CANNOT_GRADE = {R_INVALID, R_TOO_LARGE, R_MISSING, R_INTERNAL}


def forbidden_label(names):
    """'sem crédito: usa F.rnn_cell_forward, que o exercício proíbe' (``names``: what it used)."""
    names = [n for n in dict.fromkeys(names or []) if n]
    if not names:
        return CELL_LABELS[FORBIDDEN]
    return f"sem crédito: usa {_join(names)}, que o exercício proíbe"


def cell_label(status, detail=None):
    """The label of a test cell's status; ``detail`` names what a forbidden cell used."""
    if status == FORBIDDEN:
        return forbidden_label(detail)
    return CELL_LABELS.get(status, status)


def reason_label(reason):
    return REASON_LABELS.get(reason, reason)


def reasons_label(reasons):
    """'tempo esgotado, queda do processo' for a list of reason codes."""
    return ", ".join(reason_label(r) for r in reasons)


def _join(items):
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " e " + items[-1]


def isolation_label(code):
    """What a self-check's sandbox had, in words a learner understands.

    ``code`` is ``confine.describe_isolation()``'s ('bwrap+setpriv+rlimit', 'unshare-net+rlimit',
    'rlimit', 'nenhum', maybe followed by a note in parentheses)."""
    parts = set(code.split(" ", 1)[0].split("+"))
    if "bwrap" in parts:
        where = "numa caixa isolada, sem internet e vendo só a pasta do caderno"
    elif "unshare-net" in parts:
        where = "sem internet, mas com acesso aos seus arquivos"
    else:
        where = ("sem isolamento, como numa célula do Jupyter: com acesso aos seus arquivos e à "
                 "internet")
    limits = ("com limites de memória, de processos e de tempo" if "rlimit" in parts
              else "só com limite de tempo por célula")
    text = f"Seu código rodou {where}, {limits}."
    if "bwrap" not in parts:
        text += (" Para conferir os seus exercícios isso basta; na correção da turma (no Linux) "
                 "cada entrega roda isolada.")
    return text
