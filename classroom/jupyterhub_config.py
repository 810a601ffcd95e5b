"""JupyterHub for a class on one machine (started by ``python -m classroom``).

Real Unix accounts log in with their passwords (PAM); each user's JupyterLab runs as that user
(LocalProcessSpawner), so nbgrader's exchange folder really separates learners by file
permissions. Instructors are hub admins and have ``AUTOGRADER_OUT`` set to ``~/curso-rnn``, their
nbgrader course folder, and their own copy of the chapters' sources (``AUTOGRADER_COURSE``):
the project's ``course/`` is hidden from every server (``python -m classroom``). Settings come
from the environment the launcher sets:

- ``TURMA_DIR``: state folder, with ``hub/`` (database, cookie secret) and ``exchange/``;
- ``TURMA_IP``, ``TURMA_PORT``: the proxy's public address (hub on PORT+1, proxy API on PORT+2);
- ``TURMA_INSTRUTORES``, ``TURMA_ALUNOS``: comma-separated user names.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
STATE = Path(os.environ.get("TURMA_DIR", "/srv/turma"))
PORT = int(os.environ.get("TURMA_PORT", "8000"))
INSTRUCTORS = {n for n in os.environ.get("TURMA_INSTRUTORES", "instrutor").split(",") if n}
LEARNERS = {n for n in os.environ.get("TURMA_ALUNOS", "").split(",") if n}

c = get_config()  # noqa: F821
c.JupyterHub.bind_url = f"http://{os.environ.get('TURMA_IP', '127.0.0.1')}:{PORT}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = PORT + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 2}"
c.ConfigurableHTTPProxy.command = [str(REPO / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "hub" / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'hub' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "hub" / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "hub" / "jupyterhub.pid")

c.JupyterHub.authenticator_class = "jupyterhub.auth.PAMAuthenticator"
c.Authenticator.allowed_users = INSTRUCTORS | LEARNERS
c.Authenticator.admin_users = INSTRUCTORS

c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180  # a loaded 2-core machine starts JupyterLab slowly
c.Spawner.http_timeout = 180


def user_environment(spawner):
    """Config folders per role; the instructor's course folder; the exchange for everyone."""
    config = HERE / "config"
    env = {"TURMA_EXCHANGE": str(STATE / "exchange"),
           "JUPYTER_CONFIG_PATH": os.pathsep.join([str(config / "aluno"), str(config / "turma")])}
    if spawner.user.name in INSTRUCTORS:
        env["JUPYTER_CONFIG_PATH"] = str(config / "turma")
        home = os.path.join(os.path.expanduser(f"~{spawner.user.name}"), "curso-rnn")
        env["AUTOGRADER_OUT"] = home
        env["AUTOGRADER_COURSE"] = os.path.join(home, "fonte")  # course/ is hidden in the hub
    spawner.environment = {**spawner.environment, **env}


c.Spawner.pre_spawn_hook = user_environment
