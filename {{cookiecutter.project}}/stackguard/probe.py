"""The one process that imports the stack: answers questions about it as JSON lines.

``python -m stackguard.probe`` is started by ``stackguard.stack.Stack`` with the project's
venv interpreter. It imports TensorFlow and Keras once, then reads one JSON request per
line on stdin and writes one JSON answer per line on stdout. Every verdict of
``make check-imports`` and ``make migrate`` comes from these answers, that is from the
installed, locked stack, never from a hand-written table:

- ``resolve``: does a dotted path resolve, the way Python itself would resolve it
  (``import a.b`` through ``importlib.import_module``; ``from a import b`` through the
  module then ``getattr``, falling back to the submodule; ``a.b.c`` attribute chains
  through ``getattr``)? If so, which object is it (compared with ``is`` through ``id``),
  and what is it: module, class, function; a Keras optimizer or layer; its accepted
  keyword arguments.
- ``candidates``: where a name lives now in the public API of ``keras`` and of the
  ``tf.keras`` compatibility surface (``keras._tf_keras.keras``), and in
  ``tensorflow.compat.v1``.
- ``modules_with``: the public modules that hold every one of some member names.
- ``star``: the names ``from <module> import *`` binds (``star_names``): Python's own
  statement run in a fresh namespace, so ``__all__`` or else the public names decide.
- ``version``: the truth of an ``if`` test on ``keras.__version__`` or TensorFlow's
  (``evaluate_version``), which decides the branch that runs on this stack.
- ``dropped``: the keywords a constructor accepts and then drops with a warning
  (``dropped_keywords``), found by constructing it.
- ``calls``: which keywords of a call of a public Keras class would raise
  (``call_keywords``); ``removed_methods``: the ``Model`` methods of Keras 2 (TensorFlow's
  internal copy) that the installed ``keras.Model`` lacks.
- ``tensorflow``: what ``make doctor`` needs (``tensorflow_report``): TensorFlow's version,
  build info and GPUs, what ``tf.keras.Sequential`` resolves to, and whether ``tf.summary``
  writes (TensorBoard). Each part fails on its own, as an ``*error`` entry.

Modules outside the stack that are not installed (the user's own scripts beside a file)
are only located (``importlib.util.find_spec``), never imported, so checking code runs none
of it. Everything the stack prints while importing goes to stderr; stdout carries the
answers only.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import inspect
import json
import os
import sys
import sysconfig
import types
import warnings

STACK_ROOTS = ("keras", "tensorflow", "tf_keras")
INDEX_ROOTS = ("keras", "tensorflow.keras", "tensorflow.compat.v1")
MAX_DEPTH = 6
INSTALLED_DIRS = tuple(
    os.path.realpath(sysconfig.get_paths()[key])
    for key in ("stdlib", "platstdlib", "purelib", "platlib")
)

_objects: dict[int, object] = {}  # keeps every answered object alive, so its id stays unique
_index: dict[str, list[dict]] | None = None
_accepted: dict[int, list[str] | None] = {}  # accepted_keywords per object id (kept alive)
_modules: dict[str, object] | None = None
_popped: dict[int, set[str]] = {}  # popped_only per class id (kept alive)


def describe_error(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def keep(obj: object) -> int:
    _objects[id(obj)] = obj
    return id(obj)


def is_installed(origin: str | None) -> bool:
    """Whether a module's file lies in the standard library or site-packages."""
    if origin in (None, "built-in", "frozen"):
        return True
    real = os.path.realpath(origin)
    return any(real.startswith(folder + os.sep) for folder in INSTALLED_DIRS)


def locate_local(top: str, directories: list[str] | None) -> dict | None:
    """For a top-level module outside the stack: find it without importing user code.

    ``directories`` are where the file's own code can live (its folder and the folders up
    to its project root, as when a script runs from the repository root). A module found
    there is the user's own: it is located (``importlib.machinery.PathFinder``), never
    imported. Returns None when ``top`` is an installed module (then it is imported like any
    stack module), ``{"ok": False, ...}`` when it is nowhere.
    """
    if top in sys.builtin_module_names:
        return None
    if directories:
        try:
            spec = importlib.machinery.PathFinder.find_spec(top, list(directories))
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            return {"ok": True, "local": True, "kind": "module", "origin": spec.origin}
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return {
            "ok": False,
            "error": f"ModuleNotFoundError: No module named '{top}'",
            "local": False,
        }
    origin = spec.origin
    if origin is None and spec.submodule_search_locations:
        origin = next(iter(spec.submodule_search_locations), None)
    if is_installed(origin):
        return None
    return {"ok": True, "local": True, "kind": "module", "origin": origin}


def accepted_keywords(obj: object) -> list[str] | None:
    """The keyword arguments a class's constructor (or a function) accepts, or None if open.

    For a class, walks ``__init__`` up the MRO while each passes its ``**kwargs`` on
    (``super().__init__(**kwargs)``), adding the names that an ``__init__`` takes out of
    ``kwargs`` itself (``kwargs.pop("input_shape")`` in ``keras.layers.Layer``). The walk
    ends at an ``__init__`` without ``**kwargs`` (closed), or at one that keeps its
    ``**kwargs`` and raises when any are left (``if kwargs: raise ValueError(...)``, as
    ``Layer`` and ``BaseOptimizer`` do: closed). None when the set cannot be known: no
    signature, or an ``**kwargs`` that is neither passed on nor refused, and so swallows
    any keyword (``ReduceLROnPlateau``, ``Functional``).
    """
    if inspect.isclass(obj):
        chain = [
            klass.__dict__["__init__"]
            for klass in obj.__mro__
            if klass is not object and "__init__" in klass.__dict__
        ]
    elif callable(obj):
        chain = [obj]
    else:
        return None
    names: set[str] = set()
    for function in chain:
        try:
            params = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            return None
        var_keyword = None
        for param in params:
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                names.add(param.name)
            elif param.kind is param.VAR_KEYWORD:
                var_keyword = param.name
        if var_keyword is None:
            names.discard("self")
            return sorted(names)
        tree = source_tree(function)
        if tree is None:
            return None
        names.update(popped_keywords(tree, var_keyword))
        if forwards(tree, var_keyword):
            continue
        if refuses_leftovers(tree, var_keyword):
            names.discard("self")
            return sorted(names)
        return None
    return None


def source_of(function) -> str | None:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return None


def source_tree(function) -> ast.AST | None:
    source = source_of(function)
    if source is None:
        return None
    try:
        return ast.parse(inspect.cleandoc("\n" + source) if source[:1].isspace() else source)
    except SyntaxError:
        return None


def forwards(tree: ast.AST, kwargs_name: str) -> bool:
    """Whether the function passes ``**kwargs_name`` on to a call."""
    return any(
        isinstance(node, ast.keyword)
        and node.arg is None
        and isinstance(node.value, ast.Name)
        and node.value.id == kwargs_name
        for node in ast.walk(tree)
    )


def refuses_leftovers(tree: ast.AST, kwargs_name: str) -> bool:
    """Whether the function raises under ``if kwargs_name:`` (or ``if len(kwargs_name)``)."""
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.args:
            test = test.args[0] if test.func.id == "len" else None
        if isinstance(test, ast.Name) and test.id == kwargs_name:
            if any(isinstance(n, ast.Raise) for b in node.body for n in ast.walk(b)):
                return True
    return False


def popped_keywords(tree: ast.AST, kwargs_name: str) -> set[str]:
    """String keys that a function reads out of its ``**kwargs`` (pop/get/in/[])."""
    keys = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("pop", "get")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == kwargs_name
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            keys.add(node.args[0].value)
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
            and any(isinstance(c, ast.Name) and c.id == kwargs_name for c in node.comparators)
        ):
            keys.add(node.left.value)
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == kwargs_name
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            keys.add(node.slice.value)
    return keys


def kind_of(obj: object) -> str:
    if isinstance(obj, types.ModuleType):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "object"


def keras_base(obj: object) -> str | None:
    """What kind of public Keras 3 object ``obj`` is, for the checks of its calls.

    ``model``, ``layer``, ``optimizer``, ``callback``, ``loss``, ``metric``,
    ``initializer``, ``regularizer``, ``constraint`` for a subclass of that base class;
    ``application`` for a ``keras.applications`` model function; ``load_model`` for
    ``keras.saving.load_model``. None otherwise (the stale ``tensorflow.python.keras``
    copy's classes included: they are not Keras 3's).
    """
    import keras

    if inspect.isclass(obj):
        for name, base in (
            ("model", keras.Model),
            ("layer", keras.layers.Layer),
            ("optimizer", keras.optimizers.Optimizer),
            ("callback", keras.callbacks.Callback),
            ("loss", keras.losses.Loss),
            ("metric", keras.metrics.Metric),
            ("initializer", keras.initializers.Initializer),
            ("regularizer", keras.regularizers.Regularizer),
            ("constraint", keras.constraints.Constraint),
        ):
            if issubclass(obj, base):
                return name
        return None
    if inspect.isfunction(obj):
        if obj is keras.saving.load_model:
            return "load_model"
        if getattr(obj, "__module__", "").startswith("keras.src.applications."):
            return "application"
    return None


def call_keywords(query: dict) -> dict:
    """Which keywords of one call of a public Keras class or application would raise.

    ``query``: ``{"path", "positional": int, "keywords": [...]}``. For ``keras.Model``
    itself the rule it applies is followed: ``Model.__new__``/``__init__`` dispatch to
    ``Functional`` when ``keras.src.models.model.functional_init_arguments`` says so (its
    ``**kwargs`` swallows unknown keywords), and to ``Layer.__init__`` otherwise.
    Returns ``{"checked": False}`` when the callee is not such a class or its accepted set
    is open, else ``{"checked": True, "class", "kind", "accepted", "rejected"}``.
    """
    try:
        obj = walk(query["path"])
    except Exception:  # noqa: BLE001 - an unresolved callee is judged by its import
        return {"checked": False}
    kind = keras_base(obj)
    if kind in (None, "load_model"):
        return {"checked": False}
    import keras

    target = obj
    if obj is keras.Model:
        if query.get("positional", 0) < 0:
            return {"checked": False}  # *args/**kwargs: the dispatch cannot be known
        rules = sys.modules[keras.Model.__module__]
        dispatch = getattr(rules, "functional_init_arguments", None)
        if dispatch is None:
            return {"checked": False}
        arguments = tuple(range(query.get("positional", 0)))
        if dispatch(arguments, dict.fromkeys(query["keywords"])):
            target = sys.modules["keras.src.models.functional"].Functional
        else:
            target = keras.layers.Layer
    if id(target) not in _accepted:
        _accepted[keep(target)] = accepted_keywords(target)
    accepted = _accepted[id(target)]
    if accepted is None:
        return {"checked": False}
    rejected = [k for k in query["keywords"] if k not in accepted]
    name = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
    return {"checked": True, "class": name, "kind": kind, "accepted": accepted,
            "rejected": rejected}  # fmt: skip


def popped_only(obj: object) -> set[str]:
    """Keywords a class's ``__init__`` chain reads out of ``**kwargs`` and no signature
    names (``kwargs.pop("decay", None)`` in ``BaseOptimizer``): the ones a constructor may
    take only to drop. Cached per class (it reads the chain's source)."""
    if id(obj) not in _popped:
        _popped[keep(obj)] = read_popped_only(obj)
    return _popped[id(obj)]


def read_popped_only(obj: object) -> set[str]:
    named: set[str] = set()
    popped: set[str] = set()
    for klass in getattr(obj, "__mro__", ()):
        function = klass.__dict__.get("__init__") if klass is not object else None
        if function is None:
            continue
        try:
            params = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            continue
        var_keyword = next((p.name for p in params if p.kind is p.VAR_KEYWORD), None)
        named.update(p.name for p in params if p.kind is not p.VAR_KEYWORD)
        tree = source_tree(function) if var_keyword else None
        if tree is not None:
            popped |= popped_keywords(tree, var_keyword)
    return popped - named


def state(obj: object) -> dict[str, object]:
    """An object's attributes, plain values as they are and others by type: what a
    constructor kept of its arguments."""
    plain = (int, float, str, bool, type(None), tuple, list, dict)
    return {
        key: value if isinstance(value, plain) else type(value).__qualname__
        for key, value in vars(obj).items()
    }


def build(klass: type, positional: int, keywords: dict) -> tuple[object, list[str]]:
    """``klass(..., name="probe", **keywords)`` with as many positional arguments as the
    call had: each parameter's default, or 1 where it has none. Returns the object and the
    warnings it issued."""
    params = [
        p
        for p in list(inspect.signature(klass.__init__).parameters.values())[1:]
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    args = [1 if p.default is p.empty else p.default for p in params[:positional]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = klass(*args, **{"name": "probe", **keywords})
    return obj, [str(w.message) for w in caught]


def dropped_keywords(query: dict) -> dict:
    """Which keywords of a call a Keras class accepts and then drops.

    ``query``: ``{"path", "positional", "keywords": [...]}``. A keyword is dropped when the
    class's ``__init__`` chain only reads it out of ``**kwargs`` (``popped_only``), and
    constructing the class with it (value 1, placeholders for the positional arguments)
    issues a warning naming it and leaves the object's state as it is without it. Returns
    ``{"dropped": {keyword: warning}, "first": [name, default]}``: ``first`` is the
    constructor's first parameter and its default (``repr``), for a rewrite that needs it.
    ``dropped`` is empty when the callee cannot be built so.
    """
    try:
        obj = walk(query["path"])
    except Exception:  # noqa: BLE001 - an unresolved callee is judged by its import
        return {"dropped": {}, "first": None}
    if keras_base(obj) not in ("layer", "optimizer", "callback", "loss", "metric"):
        return {"dropped": {}, "first": None}
    candidates = popped_only(obj) & set(query["keywords"])
    dropped = {}
    for keyword in sorted(candidates):
        try:
            plain, _ = build(obj, max(query.get("positional", 0), 0), {})
            given, messages = build(obj, max(query.get("positional", 0), 0), {keyword: 1})
        except Exception:  # noqa: BLE001, S112 - not buildable with placeholders: not judged
            continue
        named = [m for m in messages if f"`{keyword}`" in m or f"'{keyword}'" in m]
        if named and state(plain) == state(given):
            dropped[keyword] = named[0]
    first = list(inspect.signature(obj.__init__).parameters.values())[1:2]
    return {
        "dropped": dropped,
        "first": [first[0].name, repr(first[0].default)] if first else None,
    }


def removed_methods() -> dict[str, str]:
    """``{method: class}``: public methods of TensorFlow's internal Keras 2 copy
    (``tensorflow.python.keras.models.Sequential``/``Model``) that ``keras.Model`` lacks."""
    import keras

    found: dict[str, str] = {}
    try:
        old = import_module("tensorflow.python.keras.models")
    except Exception:  # noqa: BLE001 - no copy, nothing to compare with
        return found
    for class_name in ("Model", "Sequential"):
        klass = getattr(old, class_name, None)
        for name in dir(klass) if klass is not None else ():
            if name.startswith("_") or hasattr(keras.Sequential, name):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if callable(getattr(klass, name, None)):
                    found.setdefault(name, class_name)
    return found


def describe(obj: object) -> dict:
    answer = {"ok": True, "id": keep(obj), "kind": kind_of(obj)}
    module = (
        getattr(obj, "__name__", None)
        if answer["kind"] == "module"
        else getattr(obj, "__module__", None)
    )
    if isinstance(module, str):
        answer["module"] = module
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(name, str):
        answer["name"] = name
    base = keras_base(obj)
    if base:
        answer["keras_base"] = base
    if answer["kind"] in ("class", "function"):
        keywords = accepted_keywords(obj)
        if keywords is not None:
            answer["keywords"] = keywords
    return answer


def import_module(path: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(path)


def walk(path: str):
    """Resolve an attribute chain the way running code does, importing submodules as needed."""
    parts = path.split(".")
    obj = import_module(parts[0])
    for index, part in enumerate(parts[1:], start=1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                obj = getattr(obj, part)
        except AttributeError as missing:
            if not isinstance(obj, types.ModuleType):
                raise
            name = ".".join(parts[: index + 1])
            try:
                obj = import_module(name)
            except ModuleNotFoundError as error:
                if error.name != name:
                    raise
                raise missing from None
    return obj


def resolve_one(query: dict) -> dict:
    """Answer one ``{"kind": "module"|"from"|"chain", "path": ..., "name": ..., "dirs": [...]}``."""
    kind, path = query["kind"], query["path"]
    top = path.split(".")[0]
    if top not in STACK_ROOTS:
        local = locate_local(top, query.get("dirs"))
        if local is not None:
            return local
    try:
        if kind == "module":
            obj = import_module(path)
        elif kind == "from":
            module = import_module(path)
            name = query["name"]
            try:
                obj = getattr(module, name)
            except AttributeError:
                try:
                    obj = import_module(f"{path}.{name}")
                except ModuleNotFoundError as error:
                    if error.name != f"{path}.{name}":
                        raise
                    raise ImportError(f"cannot import name '{name}' from '{path}'") from None
        else:
            obj = walk(path)
    except BaseException as error:  # noqa: BLE001 - an import that fails in any way is the answer
        if isinstance(error, KeyboardInterrupt):
            raise
        return {"ok": False, "error": describe_error(error)}
    return describe(obj)


def star_names(query: dict) -> dict:
    """The names ``from <path> import *`` binds, as Python binds them.

    ``query``: ``{"path", "dirs"}``. The statement itself runs in a fresh namespace (so the
    module's ``__all__``, or else its names without a leading underscore, decide: the
    language reference, "The import statement"). A module of the user's own (found in
    ``dirs``, see ``locate_local``) is not imported: its names are read from its source
    (``own_star_names``). Returns
    ``{"ok": True, "names": [...]}``, or ``{"ok": False, "error": ...}`` when the import
    fails or the module is the user's.
    """
    path = query["path"]
    top = path.split(".")[0]
    if top not in STACK_ROOTS:
        local = locate_local(top, query.get("dirs"))
        if local is not None:
            if not local["ok"]:
                return {"ok": False, "error": local["error"]}
            names = own_star_names(path, query.get("dirs") or [])
            if names is None:
                return {"ok": False, "error": f"the names of `{path}` are not known"}
            return {"ok": True, "names": names}
    namespace: dict = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(f"from {path} import *", namespace)  # noqa: S102 - a dotted module path
    except BaseException as error:  # noqa: BLE001 - an import that fails in any way is the answer
        if isinstance(error, KeyboardInterrupt):
            raise
        return {"ok": False, "error": describe_error(error)}
    namespace.pop("__builtins__", None)
    return {"ok": True, "names": sorted(namespace)}


def own_star_names(path: str, directories: list[str]) -> list[str] | None:
    """The names ``from <path> import *`` binds, for a module of the project's own: read
    from its source, never run. A literal ``__all__``, else the names its top-level code
    binds (in ``if``/``try``/``with`` blocks too) without a leading underscore. None when
    the file is not found or does not parse, when ``__all__`` is not a literal, or when the
    module itself star-imports (its names then depend on another module)."""
    parts = path.split(".")
    for folder in directories:
        base = os.path.join(folder, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                break
        else:
            continue
        try:
            with open(candidate, encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            return None
        return top_level_names(tree)
    return None


def top_level_names(tree: ast.Module) -> list[str] | None:
    names: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody"):
                pending.extend(getattr(node, field, []))
            pending.extend(s for h in getattr(node, "handlers", []) for s in h.body)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id == "__all__":
                    if isinstance(node, ast.AugAssign) or node.value is None:
                        return None  # __all__ built up in steps: not read statically
                    try:
                        return sorted(ast.literal_eval(node.value))
                    except ValueError:
                        return None
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return sorted(name for name in names if not name.startswith("_"))


def evaluate_version(query: dict) -> dict:
    """Evaluate a version test (``references.version_test`` vetted it: comparisons, version
    attributes, ``int``/``split``/``startswith``/``LooseVersion``/``parse``, nothing of the
    file's own) with its names bound to what ``query["names"]`` paths resolve to.

    Returns ``{"ok": True, "value": bool}`` or ``{"ok": False, "error": ...}``.
    """
    namespace: dict = {}
    try:
        for name, path in query["names"].items():
            top = path.split(".")[0]
            if top not in STACK_ROOTS and locate_local(top, None) is not None:
                return {"ok": False, "error": f"`{top}` is not an installed module"}
            namespace[name] = walk(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = eval(query["expr"], {"__builtins__": SAFE_BUILTINS}, namespace)  # noqa: S307
        return {"ok": True, "value": bool(value)}
    except Exception as error:  # noqa: BLE001 - a test that cannot be evaluated is unknown
        return {"ok": False, "error": describe_error(error)}


SAFE_BUILTINS = {"int": int, "float": float, "str": str, "tuple": tuple, "map": map, "len": len}


def build_index() -> dict[str, list[dict]]:
    """``{name: [{"path", "id", "kind"}, ...]}`` over the public modules of the stack."""
    global _modules
    index: dict[str, list[dict]] = {}
    modules: dict[str, object] = {}
    seen: set[int] = set()

    def visit(module: object, path: str, depth: int) -> None:
        if id(module) in seen or depth > MAX_DEPTH:
            return
        seen.add(id(module))
        modules[path] = module
        for name in sorted(dir(module)):
            if name.startswith("_") or name == "src":
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    obj = getattr(module, name)
            except Exception:  # noqa: BLE001, S112 - a lazy attribute that fails is not public API
                continue
            child = f"{path}.{name}"
            index.setdefault(name, []).append(
                {"path": child, "id": keep(obj), "kind": kind_of(obj)}
            )
            if isinstance(obj, types.ModuleType) and not path.startswith("tensorflow.compat.v1"):
                visit(obj, child, depth + 1)

    for path in INDEX_ROOTS:
        try:
            root = walk(path)
        except Exception:  # noqa: BLE001, S112 - a missing root just has no candidates
            continue
        visit(root, path, 0)
    _modules = modules
    return index


def candidates(name: str) -> list[dict]:
    global _index
    if _index is None:
        _index = build_index()
    return _index.get(name, [])


def modules_with(members: list[str]) -> list[str]:
    """Public module paths (keras first) where every name of ``members`` is an attribute."""
    if _index is None:
        candidates("")
    found = []
    for path, module in (_modules or {}).items():
        if all(hasattr(module, member) for member in members):
            found.append(path)
    return found


def tensorflow_report() -> dict:
    """``{"tensorflow", "build", "gpus", "tf_keras", "tf_keras_version", "tensorboard"}``.

    ``build`` holds ``is_cuda_build``, ``cuda_version``, ``cudnn_version`` of
    ``tf.sysconfig.get_build_info()`` as strings; ``gpus`` the names of
    ``tf.config.list_physical_devices("GPU")``. When ``import tensorflow`` raises, the
    report is ``{"error": ...}``; when ``tf.keras`` or ``tf.summary`` fails, the part is
    replaced by ``tf_keras_error`` or ``summary_error``.
    """
    out: dict[str, object] = {}
    try:
        tensorflow = import_module("tensorflow")
    except BaseException as error:  # noqa: BLE001 - an import that fails in any way is the answer
        if isinstance(error, KeyboardInterrupt):
            raise
        return {"error": describe_error(error)}
    out["tensorflow"] = tensorflow.__version__
    info = tensorflow.sysconfig.get_build_info()
    out["build"] = {k: str(info.get(k)) for k in ("is_cuda_build", "cuda_version", "cudnn_version")}
    out["gpus"] = [device.name for device in tensorflow.config.list_physical_devices("GPU")]
    try:
        sequential = tensorflow.keras.Sequential
        out["tf_keras"] = f"{sequential.__module__}.{sequential.__qualname__}"
        out["tf_keras_version"] = getattr(tensorflow.keras, "__version__", None) or getattr(
            sys.modules.get(sequential.__module__.split(".")[0]), "__version__", None
        )
    except Exception as error:  # noqa: BLE001 - reported by the doctor
        out["tf_keras_error"] = describe_error(error)
    try:
        import tempfile

        with tempfile.TemporaryDirectory() as logdir:
            with tensorflow.summary.create_file_writer(logdir).as_default():
                tensorflow.summary.scalar("doctor", 1.0, step=0)
        out["tensorboard"] = import_module("tensorboard").__version__
    except Exception as error:  # noqa: BLE001 - reported by the doctor
        out["summary_error"] = describe_error(error)
    return out


def answer(request: dict) -> object:
    op = request["op"]
    if op == "resolve":
        return [resolve_one(query) for query in request["queries"]]
    if op == "candidates":
        return {name: candidates(name) for name in request["names"]}
    if op == "modules_with":
        return modules_with(request["members"])
    if op == "star":
        return [star_names(query) for query in request["queries"]]
    if op == "version":
        return evaluate_version(request["query"])
    if op == "dropped":
        return [dropped_keywords(query) for query in request["queries"]]
    if op == "versions":
        import keras
        import tensorflow as tf

        return {"tensorflow": tf.__version__, "keras": keras.__version__}
    if op == "tensorflow":
        return tensorflow_report()
    if op == "calls":
        return [call_keywords(query) for query in request["queries"]]
    if op == "removed_methods":
        return removed_methods()
    raise ValueError(f"unknown op {op!r}")


def main() -> int:
    # The protocol owns the real stdout; whatever the stack prints lands on stderr.
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        import_module("tensorflow")
        import_module("keras")
        startup = {"ok": True}
    except BaseException as error:  # noqa: BLE001 - reported to the caller, which explains it
        startup = {"ok": False, "error": describe_error(error)}
    protocol.write(json.dumps(startup) + "\n")
    protocol.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = {"ok": True, "result": answer(json.loads(line))}
        except Exception as error:  # noqa: BLE001 - the caller reports it
            reply = {"ok": False, "error": describe_error(error)}
        protocol.write(json.dumps(reply) + "\n")
        protocol.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
