"""Autograder for the course: release, grade, feedback and self-check around nbgrader.

``autograder.student`` holds the helpers test cells call; ``grade_notebook`` and
``substitute_answer`` are what chapter tests use.
"""

from .grading import GradeResult, grade_notebook, substitute_answer

__all__ = ["GradeResult", "grade_notebook", "substitute_answer"]
