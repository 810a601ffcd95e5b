"""A class on one machine, end to end on loopback: JupyterHub, real accounts, nbgrader's exchange.

Three Unix accounts are created (an instructor and two learners) and log in to the hub of
``python -m classroom`` (PAM) through its REST API; each gets a JupyterLab server running as
that account. The instructor types the documented commands in a terminal of their JupyterLab
(release, collect, grade with the autograder, feedback); the learners fetch, save their solved
notebook and submit through their own servers' nbgrader and contents APIs, as JupyterLab does.
The accounts, their files and every process are removed afterwards, also when a step fails.
"""

import asyncio
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from sysdeps import require_tool

from autograder import notebook as nbmod

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = "01-feedforward"
SOURCE = ROOT / "course" / CHAPTER / f"{CHAPTER}.ipynb"
COURSE_ID = "curso-rnn"
BROKEN = "c01_ex1_resp"  # aluno2 forgets the bias in exercise 1
BROKEN_ANSWER = "def dense_forward(x, W, b):\n    return x @ W.T\n"
ROLES = ("instrutor", "aluno1", "aluno2")
TIMEOUT = 240

pytestmark = pytest.mark.slow


def _cannot_run(message):
    """Skip, or fail under RNN_CURSO_STRICT=1 (CI), as ``require_tool`` does."""
    if os.environ.get("RNN_CURSO_STRICT") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _processes_of(uid):
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue
        uids = next((line.split()[1:] for line in lines if line.startswith("Uid:")), [])
        if str(uid) in uids:
            pids.append(int(status.parent.name))
    return pids


def _kill_all(uids):
    for _ in range(20):
        pids = [pid for uid in uids for pid in _processes_of(uid)]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)


@pytest.fixture(scope="module")
def accounts():
    """(base folder, {role: (user name, password)}): three new Unix accounts, deleted afterwards."""
    if os.geteuid() != 0:
        _cannot_run("a turma com contas locais precisa de root (useradd, PAM, LocalProcessSpawner)")
    for tool in ("useradd", "userdel", "chpasswd"):
        require_tool(tool, "contas locais da turma")
    require_tool(str(ROOT / "node_modules" / ".bin" / "configurable-http-proxy"),
                 "o proxy do JupyterHub, instalado por `npm ci`")
    base = Path(tempfile.mkdtemp(prefix="turma-", dir="/tmp"))
    os.chmod(base, 0o755)  # the accounts must reach the exchange inside it
    (base / "home").mkdir(mode=0o755)
    suffix = ""

    def taken(name):
        try:
            pwd.getpwnam(name)
        except KeyError:
            return False
        return True

    while any(taken(role + suffix) for role in ROLES):
        suffix = "-" + secrets.token_hex(2)
    created = {}
    try:
        for role in ROLES:
            name, password = role + suffix, secrets.token_urlsafe(12)
            subprocess.run(["useradd", "-m", "-d", str(base / "home" / name), "-s", "/bin/bash",
                            name], check=True, capture_output=True)
            created[role] = (name, password)
            subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True,
                           capture_output=True)
        yield base, created
    finally:
        uids = [pwd.getpwnam(name).pw_uid for name, _ in created.values()]
        _kill_all(uids)
        for name, _ in created.values():
            subprocess.run(["userdel", "-r", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
        assert not [n for n, _ in created.values() if taken(n)], "contas da turma não removidas"


def _free_base_port():
    """A port P with P, P+1 and P+2 free on 127.0.0.1 (proxy, hub, proxy API)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port > 65000:
            continue
        try:
            for p in (port + 1, port + 2):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port
    raise RuntimeError("nenhuma porta livre")


def _reachable_python(base):
    """Command prefix that lets every account run this Python and read this checkout, or []
    when they already can.

    A Python installed in a private home (pyenv in /root, say), or a checkout in a private
    folder (a 0700 temporary directory), cannot be reached by the class's accounts. The test
    then runs the hub in a private mount namespace in which each such folder is an empty
    world-readable one showing only what the class needs: nothing changes outside.
    """
    exe = Path(os.path.realpath(sys.executable))
    shown = {}  # closed folder -> the children of it that the accounts need
    for target in (exe, ROOT):
        closed = [p for p in target.parents if not p.stat().st_mode & 0o001]
        if len(closed) > 1:
            _cannot_run(f"{target} está em pastas privadas aninhadas: {closed}")
        for hidden in closed:
            shown.setdefault(hidden, set()).add(hidden / target.relative_to(hidden).parts[0])
    if not shown:
        return []
    if any(a in b.parents for a in shown for b in shown):
        _cannot_run(f"pastas privadas aninhadas: {sorted(shown)}")
    require_tool("unshare", "mostrar às contas da turma o Python e o curso em pastas privadas")
    steps, spares = [], base / "mostrar"
    for h, (hidden, keep) in enumerate(shown.items()):
        pairs = [(shlex.quote(str(k)), shlex.quote(str(spares / f"{h}-{i}")))
                 for i, k in enumerate(sorted(keep))]
        steps += [f"mkdir -p {t} && mount --rbind {k} {t}" for k, t in pairs]
        steps.append(f"mount -t tmpfs -o mode=0755 tmpfs {shlex.quote(str(hidden))}")
        steps += [f"mkdir -p {k} && mount --rbind {t} {k} && umount -l {t}" for k, t in pairs]
    script = " && ".join(steps) + ' && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh"]


class Hub:
    def __init__(self, base, port, proc):
        self.base, self.url, self.proc = base, f"http://127.0.0.1:{port}", proc
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only, never through a proxy from the environment

    def log(self):
        return (self.base / "hub.log").read_text(errors="replace")[-4000:]

    def api(self, method, path, token=None, **kw):
        headers = {"Authorization": f"token {token}"} if token else {}
        return self.http.request(method, f"{self.url}{path}", headers=headers, timeout=60, **kw)


@pytest.fixture(scope="module")
def hub(accounts):
    """The class's JupyterHub, started with ``python -m classroom`` on a free loopback port."""
    base, users = accounts
    port = _free_base_port()
    state = base / "estado"
    learners = ",".join(users[r][0] for r in ROLES[1:])
    with open(base / "hub.log", "wb") as log:
        proc = subprocess.Popen(
            [*_reachable_python(base), sys.executable, "-m", "classroom", "--dir", str(state),
             "--port", str(port), "--instrutores", users["instrutor"][0], "--alunos", learners],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    the_hub = Hub(base, port, proc)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"o hub parou:\n{the_hub.log()}"
            assert time.monotonic() < deadline, f"o hub não respondeu:\n{the_hub.log()}"
            try:
                if the_hub.api("GET", "/hub/api/").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        yield the_hub
    finally:
        proc.send_signal(signal.SIGTERM)  # the hub stops the servers and the proxy itself
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        pidfile = state / "hub" / "proxy.pid"
        if pidfile.exists():
            try:
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


class Learner:
    """One account's view: its hub token and its own JupyterLab server's REST API."""

    def __init__(self, hub, name, token):
        self.hub, self.name, self.token = hub, name, token

    def server(self, method, path, **kw):
        return self.hub.api(method, f"/user/{self.name}/{path}", token=self.token, **kw)

    def read(self, path):
        r = self.server("GET", f"api/contents/{path}", params={"content": 1})
        return r.json()["content"] if r.status_code == 200 else None

    def nbgrader(self, action):
        r = self.server("POST", f"assignments/{action}",
                        params={"course_id": COURSE_ID, "assignment_id": CHAPTER})
        assert r.status_code == 200, f"{action} de {self.name}: HTTP {r.status_code} {r.text}"
        return r.json()


def _wait(what, check, hub, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"tempo esgotado esperando {what}:\n{hub.log()}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def logged_in(hub, accounts):
    """{role: Learner} after logging in with the password and starting every server."""
    _, users = accounts
    people = {}
    for role, (name, password) in users.items():
        r = hub.api("POST", f"/hub/api/users/{name}/tokens",
                    json={"auth": {"username": name, "password": password}, "note": "teste"})
        assert r.status_code in (200, 201), f"login de {name}: {r.status_code} {r.text}"
        people[role] = Learner(hub, name, r.json()["token"])
        r = hub.api("POST", f"/hub/api/users/{name}/server", token=people[role].token)
        assert r.status_code in (201, 202), f"servidor de {name}: {r.status_code}\n{hub.log()}"
    for person in people.values():
        def ready(person=person):
            user = hub.api("GET", f"/hub/api/users/{person.name}", token=person.token).json()
            return (user.get("servers") or {}).get("", {}).get("ready")
        _wait(f"o JupyterLab de {person.name}", ready, hub)
    return people


def run_in_terminal(person, step, command):
    """Type ``command`` in a terminal of the person's JupyterLab; returns its exit code, log."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    name = person.server("POST", "api/terminals").json()["name"]
    url = person.hub.url.replace("http", "ws", 1) + f"/user/{person.name}/terminals/websocket/{name}"
    line = (f"cd ~ && ( set -e; {command} ) > {step}.log 2>&1; echo $? > {step}.tmp"
            f" && mv {step}.tmp {step}.rc\r")

    async def type_line():
        request = HTTPRequest(url, headers={"Authorization": f"token {person.token}"},
                              connect_timeout=60)
        ws = await websocket_connect(request)
        while True:  # the shell is ready once it prints its prompt
            message = await asyncio.wait_for(ws.read_message(), 60)
            assert message is not None, "o terminal fechou"
            if json.loads(message)[0] == "stdout":
                break
        await ws.write_message(json.dumps(["stdin", line]))
        ws.close()

    asyncio.run(type_line())
    code = _wait(f"o passo {step} do instrutor", lambda: person.read(f"{step}.rc"), person.hub)
    person.server("DELETE", f"api/terminals/{name}")
    return int(code), person.read(f"{step}.log")


def lab_disabled_extensions(person):
    """The JupyterLab extensions the person's /lab page disables (its page config)."""
    page = person.server("GET", "lab").text
    data = re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S)
    assert data, f"página do JupyterLab de {person.name} sem configuração"
    return json.loads(data.group(1)).get("disabledExtensions", [])


def solved(release_nb, wrong=None):
    """The released notebook with the source's answers typed in (``wrong`` replaces some)."""
    answers = {c["grade_id"]: c["source"] for c in nbmod.layout(json.loads(SOURCE.read_text()))
               if c["kind"] == "answer"}
    for cell in release_nb["cells"]:
        gid = nbmod.nbgrader_meta(cell).get("grade_id")
        if gid in answers:
            code = (wrong or {}).get(gid, answers[gid])
            cell["source"] = "".join(line for line in code.splitlines(keepends=True)
                                     if "### BEGIN SOLUTION" not in line
                                     and "### END SOLUTION" not in line)
    return release_nb


def test_class_on_one_machine(hub, accounts, logged_in):
    """One test, one hub: ``pytest -n 2`` must not start a second class in parallel."""
    name = accounts[1]["aluno1"][0]
    r = hub.api("POST", f"/hub/api/users/{name}/tokens",
                json={"auth": {"username": name, "password": "senha-errada"}})
    assert r.status_code == 403, f"senha errada aceita: {r.status_code}"
    teacher, learners = logged_in["instrutor"], [logged_in["aluno1"], logged_in["aluno2"]]
    assert teacher.server("GET", "formgrader/").status_code == 200
    assert "@jupyter/nbgrader:formgrader" not in lab_disabled_extensions(teacher)
    for person in learners:
        r = person.server("GET", "formgrader/")
        assert r.status_code == 404, f"{person.name} vê o formgrader (HTTP {r.status_code})"
        assert "@jupyter/nbgrader:formgrader" in lab_disabled_extensions(person)

    # the sources (solutions, hidden tests) are hidden from every account's server; the
    # instructor works on a private copy
    code, log = run_in_terminal(learners[0], "espiar", f"cat {shlex.quote(str(SOURCE))}")
    assert code != 0 and "BEGIN SOLUTION" not in log, f"o aluno leu a fonte:\n{log[-500:]}"
    code, log = run_in_terminal(teacher, "fonte", 'test -f "$AUTOGRADER_COURSE/'
                                f'{CHAPTER}/{CHAPTER}.ipynb" && test ! -e '
                                f'{shlex.quote(str(SOURCE))}')
    assert code == 0, f"o instrutor não tem a cópia da fonte:\n{log}"

    code, log = run_in_terminal(
        teacher, "liberar",
        f"python -m autograder release {CHAPTER} && nbgrader release_assignment {CHAPTER}")
    assert code == 0, f"liberação falhou:\n{log}"

    notebook = f"{CHAPTER}/{CHAPTER}.ipynb"
    for person, wrong in zip(learners, (None, {BROKEN: BROKEN_ANSWER}), strict=True):
        listing = person.nbgrader("fetch")
        assert listing["success"], listing
        release_nb = person.read(notebook)
        assert release_nb is not None, f"{person.name} não recebeu o capítulo: {listing}"
        assert "### BEGIN SOLUTION" not in json.dumps(release_nb)
        r = person.server("PUT", f"api/contents/{notebook}",
                          json={"type": "notebook", "format": "json",
                                "content": solved(release_nb, wrong)})
        assert r.status_code in (200, 201), r.text
        outcome = person.nbgrader("submit")
        assert outcome["success"], f"entrega de {person.name} falhou: {outcome}"

    code, log = run_in_terminal(
        teacher, "corrigir",
        f"nbgrader collect {CHAPTER} && python -m autograder grade \"$AUTOGRADER_OUT/submitted\" "
        f"--chapter {CHAPTER} && python -m autograder feedback "
        f"&& nbgrader release_feedback {CHAPTER}")
    assert code == 0, f"correção ou retorno falhou:\n{log}"
    rows = {r["student"]: r for r in json.loads(teacher.read("curso-rnn/grades.json"))}
    right, wrong = (rows[p.name] for p in learners)
    assert right["status"] == "ok" and right["total"] == right["max_total"], right
    assert wrong["status"] == "ok" and wrong["total"] < wrong["max_total"], wrong
    assert wrong["cells"]["c01_ex1_teste"] == 0, wrong

    pages = []
    for person in learners:
        listing = person.nbgrader("fetch_feedback")
        assert listing["success"], listing
        folder = person.read(f"{CHAPTER}/feedback") or []
        html_files = [f["path"] for stamp in folder for f in person.read(stamp["path"]) or []
                      if f["name"].endswith(".html")]
        assert len(html_files) == 1, f"{person.name} não recebeu o retorno: {folder}"
        pages.append(person.read(html_files[0]))
    full, partial = pages
    assert f"{right['max_total']:g} de {right['max_total']:g} pontos" in full
    assert f"{wrong['total']:g} de {wrong['max_total']:g} pontos" in partial
    assert learners[1].name in partial and "incorreto" not in full
    # one <section> per graded cell, in notebook order: exercise 1's test cell comes first
    row = partial.split("<section")[1]
    assert "incorreto" in row, f"o exercício errado não aparece no retorno:\n{row}"
