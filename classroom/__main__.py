"""``python -m classroom``: prepare the class folders and start JupyterHub (as root).

The accounts must already exist (``useradd -m``, ``passwd``). The state folder gets ``hub/``
(root only) and ``exchange/`` (nbgrader's exchange: everyone may write, as nbgrader requires).
"""

import argparse
import os
import pwd
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROXY = HERE.parent / "node_modules" / ".bin" / "configurable-http-proxy"


def prepare(state):
    """Create the state folders with the permissions nbgrader's exchange needs."""
    state = Path(state).resolve()
    for path, mode in ((state, 0o755), (state / "hub", 0o700), (state / "exchange", 0o777)):
        path.mkdir(exist_ok=True)
        os.chmod(path, mode)
    return state


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
    state = prepare(args.dir)
    env = hub_environment(state, args.ip, args.port, instructors, learners)
    os.chdir(state / "hub")
    config = str(HERE / "jupyterhub_config.py")
    os.execve(sys.executable, [sys.executable, "-m", "jupyterhub", "-f", config], env)


if __name__ == "__main__":
    main()
