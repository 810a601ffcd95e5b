"""``python -m classroom``: prepare the class folders and start JupyterHub (as root).

The accounts must already exist (``useradd -m``, ``passwd``). The state folder gets ``hub/``
(root only) and ``exchange/`` (nbgrader's exchange: everyone may write, as nbgrader requires).
The chapters' sources (solutions, hidden tests) never reach a learner: each instructor gets a
private copy in ``~/curso-rnn/fonte`` (``AUTOGRADER_COURSE``), and the hub, with every server it
starts, runs in a mount namespace where the project's ``course/`` is an empty folder. The
learners' kernels need only rnnlib, ``autograder.student`` and the release.
"""

import argparse
import os
import pwd
import shlex
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROXY = HERE.parent / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE = HERE.parent / "course"


def prepare(state):
    """Create the state folders with the permissions nbgrader's exchange needs."""
    state = Path(state).resolve()
    for path, mode in ((state, 0o755), (state / "hub", 0o700), (state / "exchange", 0o777)):
        path.mkdir(exist_ok=True)
        os.chmod(path, mode)
    return state


def instructor_course(name, course=COURSE):
    """Copy the chapters' sources to ``~name/curso-rnn/fonte`` (owned by ``name``, 0700)."""
    account = pwd.getpwnam(name)
    home = Path(account.pw_dir) / "curso-rnn"
    target = home / "fonte"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copytree(course, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for path in [home, *home.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
    os.chmod(home, 0o700)
    return target


def hidden_course_command(command, course=COURSE):
    """``command`` run in a private mount namespace where ``course`` is an empty folder."""
    script = (f"mount -t tmpfs -o mode=0755,size=1m tmpfs {shlex.quote(str(course))} && "
              'exec "$@"')
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh",
            *command]


def closed_folders(*paths):
    """Folders on the way to ``paths`` that other accounts cannot enter (no ``o+x``)."""
    return sorted({folder for path in paths for folder in Path(path).resolve().parents
                   if not folder.stat().st_mode & 0o001})


def hub_environment(state, ip, port, instructors, learners):
    """The environment ``jupyterhub_config.py`` reads, with this Python's scripts first on PATH."""
    env = dict(os.environ)
    env.update(TURMA_DIR=str(state), TURMA_IP=ip, TURMA_PORT=str(port),
               TURMA_INSTRUTORES=",".join(instructors), TURMA_ALUNOS=",".join(learners))
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    return env


def parser():
    p = argparse.ArgumentParser(prog="python -m classroom",
                                description="Turma numa máquina: JupyterHub com contas locais.")
    p.add_argument("--dir", default="/srv/turma", help="pasta de estado da turma")
    p.add_argument("--ip", default="127.0.0.1", help="endereço público (0.0.0.0: toda a rede)")
    p.add_argument("--port", type=int, default=8000,
                   help="porta pública (o hub usa PORTA+1 e a API do proxy PORTA+2)")
    p.add_argument("--instrutores", default="instrutor", help="nomes separados por vírgula")
    p.add_argument("--alunos", required=True, help="nomes separados por vírgula")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    instructors = [n for n in args.instrutores.split(",") if n]
    learners = [n for n in args.alunos.split(",") if n]
    if os.geteuid() != 0:
        sys.exit("erro: rode como root (o hub inicia o JupyterLab de cada usuário com o uid dele)")
    if not PROXY.exists():
        sys.exit(f"erro: {PROXY} não existe; rode `npm ci` na raiz do projeto")
    for name in instructors + learners:
        try:
            pwd.getpwnam(name)
        except KeyError:
            sys.exit(f"erro: a conta {name} não existe; crie com `useradd -m {name}` e `passwd`")
    closed = closed_folders(os.path.realpath(sys.executable), HERE)
    if closed:
        sys.exit(f"erro: as contas da turma não entram em {closed[0]}, onde estão o projeto ou o "
                 "Python; instale-os num lugar legível por todos (por exemplo /opt/rnn-curso)")
    if not shutil.which("unshare"):
        sys.exit("erro: falta o comando unshare (pacote util-linux): sem ele os alunos veriam "
                 "as soluções em course/")
    state = prepare(args.dir)
    for name in instructors:
        print(f"fontes dos capítulos para {name}: {instructor_course(name)}")
    env = hub_environment(state, args.ip, args.port, instructors, learners)
    os.chdir(state / "hub")
    config = str(HERE / "jupyterhub_config.py")
    command = hidden_course_command([sys.executable, "-m", "jupyterhub", "-f", config])
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
