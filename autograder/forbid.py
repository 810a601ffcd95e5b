"""Forbidden references out of reach: while an exercise's cells run, what it forbids fails.

An exercise's ``forbid`` list names what it asks the learner to write (``rnn_cell_forward``,
``RNN``, a helper of the notebook's set-up cells, a library such as ``torch``). Reading names
in the learner's source cannot be complete (``getattr``, magics, pattern matching, aliases...),
so the sandbox takes the code itself away instead:

- before any learner code runs, every function that a forbid list reaches is replaced, wherever
  rnnlib (or numpy's public namespace, or a set-up cell) binds it, by a *gate*: a wrapper that
  calls the original while the running cell allows it, and otherwise records the call by name
  and raises :class:`ForbiddenReference`. What a forbid name reaches (:func:`plan`): the
  functions and classes of that name (or every one in an rnnlib module of that name), every
  rnnlib function or method that refers to one of them (whatever calls into the forbidden code,
  as ``rnnlib.LSTM`` calls ``lstm_forward``), and the private helpers only they use
  (``_lstm_forward``, found by reading rnnlib's source);
- a forbidden library (``torch``, ``scipy``, ``sklearn``) cannot be imported: an import hook
  refuses it and hides the copy already loaded while the cell runs;
- the runner switches the allowed set before each cell, from the schedule the grader sent
  before any learner code ran; the gates keep that state in closures, not in module attributes.

A call recorded this way costs the exercise its points whatever happens next (a learner's
``except`` does not erase it); names in strings, comments and variables cost nothing.
Libraries are forbidden implicitly in every exercise with a forbid list whose solution does not
use them (:func:`effective_forbid`): a computation asked by hand is not meant to be answered by
a library that does it.
"""

import ast
import functools
import importlib.abc
import linecache
import re
import sys
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, ModuleType

LIBRARIES = ("torch", "scipy", "sklearn")
RNNLIB_DIR = Path(__file__).resolve().parent.parent / "rnnlib"
_SKIP_MODULES = ("rnnlib.plotting",)  # plots only; importing them costs matplotlib widgets
_NUMPY_PUBLIC = ("numpy", "numpy.lib.stride_tricks")


class ForbiddenReference(RuntimeError):
    """A forbidden function was called while the exercise that forbids it was running."""

    def _render_traceback_(self):  # in the learner's kernel: the pt-BR sentence, no internals
        return [f"\x1b[0;31mUso proibido neste exercício.\x1b[0m\n{self}"]


def effective_forbid(forbid, solution_source=""):
    """The forbid list plus the libraries the solution does not use (none if no list)."""
    forbid = [n for n in forbid or [] if isinstance(n, str)]
    if not forbid:
        return []
    extra = [lib for lib in LIBRARIES if lib not in forbid
             and not re.search(rf"\b{lib}\b", solution_source or "")]
    return forbid + extra


def display(module, qualname):
    """How a learner writes it: ``F.rnn_cell_forward``, ``rnnlib.LSTM``."""
    name = qualname.split(".")[0]
    if module.startswith("rnnlib.functional"):
        return f"F.{name}"
    return f"rnnlib.{name}" if module.startswith("rnnlib") else name


_FOREIGN = {"np", "numpy", "math", "torch", "self", "cls", "plt", "os", "sys", "re"}


def _refs(node):
    """Names a definition refers to: bare names and ``module.name`` (not ``np.x``/``self.x``)."""
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif (isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
              and sub.value.id not in _FOREIGN):
            found.add(sub.attr)
    return frozenset(found)


@functools.cache
def _rnnlib_index():
    """{(module, qualname): names it refers to} for rnnlib's functions, classes and methods."""
    defs = {}
    for path in sorted(RNNLIB_DIR.rglob("*.py")):
        parts = path.relative_to(RNNLIB_DIR.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if module.startswith(_SKIP_MODULES):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs[(module, node.name)] = _refs(node)
            elif isinstance(node, ast.ClassDef):
                defs[(module, node.name)] = frozenset()
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        defs[(module, f"{node.name}.{item.name}")] = _refs(item)
    return defs


def _closure(names, defs):
    """The rnnlib definitions the forbid ``names`` of one exercise reach (see above)."""
    def top(q):
        return q.split(".")[0]

    gated = {d for d in defs if top(d[1]) in names or d[1].rpartition(".")[2] in names
             or any(n in d[0].split(".")[1:] for n in names)}
    if not gated:
        return set()
    while True:  # callers of gated top-level functions and classes
        tops = {d[1] for d in gated if "." not in d[1]}
        more = {d for d, refs in defs.items() if d not in gated and refs & tops}
        more |= {d for d in defs if "." in d[1] and (d[0], top(d[1])) in more}
        if not more:
            break
        gated |= more
    while True:  # private helpers that only gated code uses
        used = {r for d in gated for r in defs[d] if r.startswith("_") and not r.endswith("__")}
        more = set()
        for helper in used:
            targets = {d for d in defs if "." not in d[1] and d[1] == helper} - gated
            users = {d for d, refs in defs.items() if helper in refs}
            if targets and users <= gated:
                more |= targets
        if not more:
            break
        gated |= more
    return gated


@functools.cache
def plan(groups):
    """What each forbid list of ``groups`` (a tuple of frozensets) reaches:
    ({(module, qualname): {group index}}, {numpy public name: {group index}}).
    Names that reach nothing here may be set-up cell definitions (found at run time) or
    libraries (refused at import)."""
    defs = _rnnlib_index()
    targets, numpy_names = {}, {}
    for g, names in enumerate(groups):
        for d in _closure(names, defs):
            targets.setdefault(d, set()).add(g)
        for name in names:
            if any(name in getattr(sys.modules.get(m), "__dict__", {}) for m in _NUMPY_PUBLIC):
                numpy_names.setdefault(name, set()).add(g)
    return targets, numpy_names


def group_labels(groups):
    """[the display labels each forbid list of ``groups`` reaches]."""
    targets = plan(tuple(groups))[0]
    return [{display(m, q) for (m, q), g in targets.items() if i in g} for i in range(len(groups))]


def handed_over(source, labels):
    """The labels a test cell hands to the learner's function without calling them itself
    (``lstm_seq_forward(..., F.lstm_cell_forward)``): allowed in that cell, as the grader's
    reference run allows them."""
    return [label for label in labels
            if re.search(rf"\b{re.escape(label.rpartition('.')[2])}\b(?!\s*\()", source)]


def allowances(cells):
    """{test cell index: labels it hands over}: without the reference run (self-study), what
    a test cell's own code passes to the learner's function stays allowed in that cell."""
    groups = []
    for c in cells:
        if c["kind"] == "test" and c.get("forbid") and frozenset(c["forbid"]) not in groups:
            groups.append(frozenset(c["forbid"]))
    labels = group_labels(groups) if groups else []
    return {c["index"]: handed_over(c["source"], labels[groups.index(frozenset(c["forbid"]))])
            for c in cells if c["kind"] == "test" and c.get("forbid")}


class _Refused:
    """What a namespace name bound to a refused library (``torch = ...`` in a set-up cell)
    reads while the exercise that forbids it runs: any use is recorded and fails."""

    def __init__(self, library, hits):
        object.__setattr__(self, "_why", (library, hits))

    def _refuse(self, *args, **kwargs):
        library, hits = object.__getattribute__(self, "_why")
        hits.append(library)
        raise ForbiddenReference(f"{library} não pode ser usado neste exercício: ele pede que "
                                 "você faça a conta à mão")

    __getattribute__ = __call__ = __setattr__ = __getitem__ = __iter__ = _refuse


class _Blocker(importlib.abc.MetaPathFinder):
    def __init__(self, refuse):
        self._refuse = refuse  # callable: the top-level name -> whether to refuse it now

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if self._refuse(top):
            raise ModuleNotFoundError(f"{top} não pode ser usado neste exercício: ele pede "
                                      "que você faça a conta à mão", name=fullname)
        return None


def plan_for_job(groups):
    """:func:`plan` as JSON-able lists, computed by the grader (reading rnnlib's source once)
    and sent to the runner: ([[module, qualname, [group]]], {numpy name: [group]})."""
    targets, numpy_names = plan(tuple(frozenset(g) for g in groups))
    return ([[m, q, sorted(g)] for (m, q), g in sorted(targets.items())],
            {n: sorted(g) for n, g in numpy_names.items()})


def install(groups, user_ns=None, observe=False, job_plan=None):
    """Put gates in front of everything the forbid lists ``groups`` reach.

    Returns ``(enter, drain, adopt, trust)``: ``enter(g, allow)`` makes group ``g`` (an index of
    ``groups``, or None) the one forbidden from now on, except the names in ``allow`` (what the
    reference run's test cell itself called there); ``drain()`` returns and forgets the names of the
    forbidden calls made since the last drain; ``adopt(namespace)`` gates the forbidden names a
    set-up cell just defined; ``trust(names)`` says a test cell runs next (``names``: the
    linecache entries before it) or not (None). With ``observe`` (the reference run)
    forbidden calls are recorded and go through. ``job_plan``: :func:`plan_for_job`'s
    answer (else computed here).
    """
    groups = tuple(frozenset(g) for g in groups)
    current = [None, ()]
    inside = [0]
    before = [None]  # in a test cell: the linecache names of the cells that ran before it
    getframe, lines_of, callee = sys._getframe, linecache.cache, re.compile(r"\s*([\w.]+)\s*\(")

    def test_calls(label):
        """Whether the gate was called by the test cell's own code, writing the forbidden
        name itself (``F.rnn_cell_forward(...)`` to compute an expected value); an alias the
        learner made (``rnn_step = F.rnn_cell_forward``, a ``partial``) does not count."""
        if before[0] is None:
            return False
        frame = getframe(2)
        try:
            code = frame.f_code
            name = code.co_filename
            cell_code = name.startswith("<ipython-input-") or "/ipykernel_" in name  # a cell's
            if not cell_code or name in before[0] or name not in lines_of:
                return False
            line, _, col, _ = list(code.co_positions())[frame.f_lasti // 2]
            text = lines_of[name][2][line - 1].encode()[col:].decode("utf-8", "ignore")
        except Exception:
            return False
        finally:
            del frame
        match = callee.match(text)
        return bool(match) and match.group(1).rpartition(".")[2] == label.rpartition(".")[2]
    hits = []
    stash = {}
    gates = set()

    def make_gate(original, label, keys):
        keys = frozenset(keys)

        def gate(*args, **kwargs):
            if current[0] not in keys or inside[0]:
                return original(*args, **kwargs)
            if label not in current[1] and not test_calls(label):
                hits.append(label)
                if not observe:
                    raise ForbiddenReference(f"{label} não pode ser usado neste exercício: é "
                                             "o que ele pede para você escrever")
            inside[0] += 1  # allowed here (or observed): what it calls in turn is its business
            try:
                return original(*args, **kwargs)
            finally:
                inside[0] -= 1

        for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
            try:
                setattr(gate, attr, getattr(original, attr))
            except (AttributeError, TypeError):
                pass
        gates.add(id(gate))
        return gate

    def gate_member(owner, key, value, label, keys):
        if isinstance(value, (staticmethod, classmethod)):
            setattr(owner, key, type(value)(make_gate(value.__func__, label, keys)))
        elif callable(value) and not isinstance(value, type):
            setattr(owner, key, make_gate(value, label, keys))

    job_targets, numpy_names = job_plan or plan_for_job(groups)
    targets = {(m, q): set(g) for m, q, g in job_targets}
    for module in sorted({m for m, _ in targets}):
        try:
            __import__(module)
        except Exception:  # a module that does not import here cannot be called either
            continue
    replaced = {}  # id(original) -> (original, gate), to rebind every alias of one object
    for (module, qualname), keys in sorted(targets.items()):
        mod = sys.modules.get(module)
        owner_name, _, member = qualname.rpartition(".")
        label = display(module, qualname)
        if mod is None:
            continue
        if owner_name:
            owner = getattr(mod, owner_name, None)
            value = vars(owner).get(member) if isinstance(owner, type) else None
            if value is not None and id(value) not in gates:
                gate_member(owner, member, value, label, keys)
            continue
        value = getattr(mod, member, None)
        if callable(value) and not isinstance(value, type) and id(value) not in gates:
            replaced[id(value)] = (value, make_gate(value, label, keys))
    for mod_name, mod in list(sys.modules.items()):  # every binding of a gated function
        if mod_name.partition(".")[0] != "rnnlib" or mod is None:
            continue
        for key, value in list(vars(mod).items()):
            if id(value) in replaced and replaced[id(value)][0] is value:
                setattr(mod, key, replaced[id(value)][1])
    for mod_name in _NUMPY_PUBLIC:
        mod = sys.modules.get(mod_name)
        for name, keys in numpy_names.items():
            value = vars(mod).get(name) if mod is not None else None
            if callable(value) and id(value) not in gates:
                setattr(mod, name, make_gate(value, f"np.{name}", keys))
    refused = {lib: {g for g, names in enumerate(groups) if lib in names} for lib in LIBRARIES}
    stand_ins = {lib: _Refused(lib, hits) for lib in LIBRARIES}

    def refuse(top):
        if current[0] not in refused.get(top, ()) or inside[0] or top in current[1]:
            return False
        hits.append(top)
        return not observe

    sys.meta_path.insert(0, _Blocker(refuse))

    held = {}  # user namespace name -> what it bound, while its library is refused

    def library_of(value):
        """The refused library a module, function or class of the namespace belongs to."""
        if isinstance(value, ModuleType):
            name = vars(value).get("__name__")
        elif type(value) in (FunctionType, BuiltinFunctionType, type):
            name = vars(value).get("__module__") if type(value) is type else \
                getattr(value, "__module__", None)
        else:
            return None
        return name.partition(".")[0] if type(name) is str else None

    def profile(frame, event, arg):
        """While a loaded library is refused: the learner's code calling into it (through a
        reference held since before, in a list, a closure, a default argument) is recorded."""
        if inside[0] or not active:
            return
        if event == "call":
            caller = frame.f_back
            if caller is None or caller.f_globals is not user_ns:
                return
            top = frame.f_globals.get("__name__")
        elif event == "c_call" and frame.f_globals is user_ns:
            top = getattr(arg, "__module__", None)
            if top is None:
                top = type(getattr(arg, "__self__", None)).__module__
        else:
            return
        top = top.partition(".")[0] if type(top) is str else None
        if top in active:
            hits.append(top)

    active = set()

    def enter(group, allow=()):
        for name, value in list(held.items()):  # names given back to the namespace
            if user_ns is not None and user_ns.get(name) is stand_ins.get(library_of(value)):
                user_ns[name] = value
            del held[name]
        for top, saved in list(stash.items()):  # libraries allowed again: give them back
            if group not in refused[top]:
                sys.modules.update(saved)
                del stash[top]
        active.clear()
        for top, where in refused.items():
            if group in where and top not in allow and (top in sys.modules or top in stash):
                active.add(top)
            if group in where and top not in stash and top not in allow and not observe:
                stash[top] = {m: sys.modules.pop(m) for m in list(sys.modules)
                              if m == top or m.startswith(top + ".")}
        if active and user_ns is not None and not observe:
            for name, value in list(user_ns.items()):
                if library_of(value) in active:
                    held[name] = value
                    user_ns[name] = stand_ins[library_of(value)]
        sys.setprofile(profile if active else None)
        current[0], current[1] = group, tuple(allow)

    def drain():  # no builtins looked up here: a learner may have replaced them
        found = []
        for hit in hits:
            if hit not in found:
                found.append(hit)
        hits.clear()
        return found

    def adopt(namespace):
        for name in {n for g in groups for n in g}:
            value = namespace.get(name)
            if value is None or id(value) in gates:
                continue
            keys = {g for g, names in enumerate(groups) if name in names}
            if isinstance(value, type):
                for key, member in list(vars(value).items()):
                    if not (key.startswith("__") and key != "__init__"):
                        gate_member(value, key, member, name, keys)
            elif callable(value) and getattr(value, "__module__", None) in ("__main__", None):
                namespace[name] = make_gate(value, name, keys)

    def trust(names):
        before[0] = names

    if user_ns is not None:
        adopt(user_ns)
    return enter, drain, adopt, trust
