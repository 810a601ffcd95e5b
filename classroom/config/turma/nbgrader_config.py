"""nbgrader configuration of everyone in the class (found through JUPYTER_CONFIG_PATH).

The hub (classroom/jupyterhub_config.py) sets ``TURMA_EXCHANGE`` for every user and, for
instructors only, ``AUTOGRADER_OUT`` (their course folder): instructors then get the course
configuration of ``autograder/nbgrader_config.py`` (source ``course/``, gradebook, stubs), so
``nbgrader`` and the formgrader work from any folder.
"""

import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "curso-rnn"
c.Exchange.root = os.environ.get("TURMA_EXCHANGE", "/srv/nbgrader/exchange")
if os.environ.get("AUTOGRADER_OUT"):
    from autograder.nbgrader_config import configure

    configure(c)
