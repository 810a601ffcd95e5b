"""Trusted in-memory copies of the files a batch relies on: find changes and put them back.

Used when the sandbox cannot make those files read-only (no bubblewrap and no separate uid):
the batch checks them after every submission, restores what changed and flags the submissions
that were being graded while it happened.
"""

import os
import shutil
from pathlib import Path


class Guard:
    """Every file under ``roots`` ([(folder, names of subfolders to ignore)]), kept as bytes."""

    def __init__(self, roots):
        self.roots = [(Path(folder), frozenset(skip)) for folder, skip in roots
                      if Path(folder).is_dir()]
        self.files = {path: path.read_bytes() for path in self._entries()
                      if path.is_file() and not path.is_symlink()}
        self.modes = {path: path.stat().st_mode & 0o777 for path in self.files}

    def _entries(self):
        """Everything that is not a folder (files, links, pipes...), and links to folders."""
        for root, skip in self.roots:
            for folder, dirs, files in os.walk(root):
                dirs[:] = [d for d in dirs if d not in skip]
                links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
                for name in files + links:
                    yield Path(folder, name)

    def _same(self, path):
        trusted = self.files.get(path)
        if trusted is None or path.is_symlink() or not path.is_file():
            return False
        return path.stat().st_size == len(trusted) and path.read_bytes() == trusted

    def changes(self):
        """Paths that differ from the trusted copy: modified, replaced, added or missing."""
        found = set(self._entries())
        changed = {path for path in found if not self._same(path)}
        changed |= {path for path in self.files if path not in found}
        return sorted(changed)

    def restore(self, paths):
        """Put the trusted bytes back (atomically); remove what was added."""
        for path in paths:
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            trusted = self.files.get(path)
            if trusted is None:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.restore")
            tmp.write_bytes(trusted)
            tmp.chmod(self.modes[path])
            os.replace(tmp, path)
