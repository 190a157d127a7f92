"""Your own per-document stages, named by import path in the run config's `stages:` list:

```yaml
stages:
  - use: mypkg.filters:MyFilter     # module:Class; a module beside the config file is found too
    args: {threshold: 3}            # keyword arguments of the class (plain YAML data)
    after: lid                      # a built-in curate stage; default: the end of the curate step
```

A user stage follows the same contract as the built-ins (roots.stage.Stage): a `name`, `setup()` once
per worker, `__call__(doc)` (or `batch_size` and `process_batch(docs)`) returning the document or a
`Rejection` whose reason is namespaced by the stage's name (`Reason(self.name, "why", ...)`). A stage
may declare what its reasons mean, `reasons = {"why": "what it removes"}` (or a list of its `Reason`s):
the run's config records them and the data card prints them beside the counts. The
class is imported and built while the config is read, so an import error or bad args stop the run
before any work; `use`, `args` and the module's file are part of the run's identity. Workers rebuild
the stage from that spec (`UserStage` pickles as it), so Beam and Spark workers import the module
themselves: from the config's folder, or from an installed package on a cluster.
"""
from __future__ import annotations

import importlib
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from roots.errors import RootsError
from roots.schema import setting

#: The built-in stages of the curate step a user stage may follow (`after:`), in run order.
CURATE_STAGES = ("normalise", "cleaning", "boilerplate", "lid", "quality")
#: Names a user stage may not take: the built-in stages and steps (counts and folders are keyed by name).
RESERVED = frozenset({"ingest", *CURATE_STAGES, "dedup", "pii", "templates", "curate", "tokenizer", "megatron"})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_USE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


class UserStageError(RootsError):
    """A user stage that cannot be loaded or broke the stage contract; one line naming it."""


@dataclass(frozen=True)
class UserStageSpec:
    """One entry of `stages:`, resolved: what to import and build, where it runs, and its name."""

    use: str
    args: dict[str, Any] = field(default_factory=dict)
    #: The built-in curate stage it follows; "" for the end of the curate step.
    after: str = ""
    #: The module's file: fingerprinted with the models, so an edited stage refuses to resume a run.
    file: str = ""
    #: Whether the module lies beside the config: its folder (`path`) then goes on sys.path first.
    local: bool = False
    #: The stage's `name` as built (stage names key the counts and rejected/stage=S folders).
    name: str = ""
    #: The descriptions of its rejection reasons, (code, description), from the stage's `reasons`.
    reasons: tuple[tuple[str, str], ...] = ()

    @property
    def path(self) -> str:
        """The folder to put on sys.path for a module beside the config (not a field: a folder in the
        config would be fingerprinted with every file under it, the run's outputs included), else ""."""
        if not self.local:
            return ""
        depth = self.use.split(":")[0].count(".") + (2 if os.path.basename(self.file) == "__init__.py" else 1)
        folder = self.file
        for _ in range(depth):
            folder = os.path.dirname(folder)
        return folder


@dataclass(frozen=True)
class UserStagesConfig:
    """The run config's `stages:` section: user stages in the order given."""

    entries: tuple[UserStageSpec, ...] = ()

    @classmethod
    def from_dict(cls, data: Any, where: str, base: str = "") -> "UserStagesConfig":
        """Validate the list, import each class and build it once with its args (errors name the entry)."""
        from roots.errors import ConfigError
        from roots.schema import field_value, parse

        if not isinstance(data, list):
            raise ConfigError(f"{where}: expected a list of {{use: module:Class, args: {{...}}}}, "
                              f"got {type(data).__name__}")
        entries: list[UserStageSpec] = []
        for i, item in enumerate(data):
            at = f"{where}[{i}]"
            if isinstance(item, dict) and "use" in item:
                at = f"{at} ({field_value(StageEntry, 'use', item['use'], at)})"
            entry = parse(StageEntry, item, at)
            try:
                spec = resolve(UserStageSpec(entry.use, dict(entry.args), entry.after or ""), base)
                stage = build(spec)
                name = check_stage(stage, entry.use)
                reasons = declared_reasons(stage, name, entry.use)
            except UserStageError as err:
                raise ConfigError(f"{at}: {err}") from None
            if any(e.name == name for e in entries):
                raise ConfigError(f"{at}: stage name {name!r} is used twice; give each stage its own name")
            entries.append(UserStageSpec(entry.use, dict(entry.args), entry.after or "", spec.file, spec.local, name,
                                         reasons))
        return cls(tuple(entries))


def _use(value: str) -> str | None:
    if not _USE.match(value):
        return f"must be 'module:Class' (e.g. mypkg.filters:MyFilter), got {value!r}"
    return None


@dataclass(frozen=True)
class StageEntry:
    """One entry of `stages:` as written (roots.schema checks it)."""

    use: str = setting(check=_use, describe="'module:Class' (e.g. mypkg.filters:MyFilter)")
    args: dict[str, Any] = setting(default_factory=dict, describe="a mapping of keyword arguments")
    after: str | None = setting(None, choices=("", *CURATE_STAGES),
                                describe=f"a curate stage ({', '.join(CURATE_STAGES)})")


def declared_reasons(stage: Any, name: str, use: str) -> tuple[tuple[str, str], ...]:
    """The stage's `reasons` (reason name → description, or `Reason`s), as (code, description) pairs sorted
    by code: the run's config records them, so the data card explains a user stage's rejections."""
    from roots.document import Reason

    declared = getattr(stage, "reasons", None)
    if declared is None:
        return ()
    items = (declared.items() if isinstance(declared, dict)
             else [(r.name, r.description) if isinstance(r, Reason) and r.stage == name else (r, None) for r in declared]
             if isinstance(declared, (list, tuple, set, frozenset)) else None)
    if items is None or not all(isinstance(k, str) and isinstance(v, str) for k, v in items):
        raise UserStageError(f"{use}: `reasons` must map each reason's name to its description (or list "
                             f"Reason({name!r}, name, description) objects)")
    return tuple(sorted((f"{name}:{k}", v) for k, v in items))


def _one_line(err: BaseException) -> str:
    return " ".join(f"{type(err).__name__}: {err}".split())


def _module_file(module_name: str, folder: str) -> str:
    """The file of `module_name` (a.b.c) inside `folder`, or "" when it is not there."""
    parts = module_name.split(".")
    for candidate in (os.path.join(folder, *parts) + ".py", os.path.join(folder, *parts, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return ""


def resolve(spec: UserStageSpec, base: str) -> UserStageSpec:
    """Where `spec.use`'s module comes from: the config's folder `base` when the module's file lies
    there (that folder then goes on sys.path, here and on the workers), else the installed modules."""
    module_name = spec.use.split(":")[0]
    local = _module_file(module_name, base) if base else ""
    path = os.path.abspath(base) if local else ""
    module = _import(module_name, path)
    found = os.path.abspath(getattr(module, "__file__", "") or "")
    if local and found != os.path.abspath(local):
        raise UserStageError(f"module {module_name!r} is already imported from {found}, not from {local}: "
                             "rename one of them")
    return UserStageSpec(spec.use, spec.args, spec.after, found, bool(local), spec.name, spec.reasons)


def _import(module_name: str, path: str) -> Any:
    if path and path not in sys.path:
        sys.path.insert(0, path)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and (module_name == err.name or module_name.startswith(err.name + ".")):
            raise UserStageError(f"cannot import {module_name!r} ({err}): install it, or put "
                                 f"{module_name.replace('.', '/')}.py beside the config file") from None
        raise UserStageError(f"importing {module_name!r} failed: {_one_line(err)}") from None
    except Exception as err:  # noqa: BLE001 - the user's module failed to import: one line, not a traceback
        raise UserStageError(f"importing {module_name!r} failed: {_one_line(err)}") from None


def build(spec: UserStageSpec) -> Any:
    """The user's stage object: its class imported (from `spec.path` first) and called with `spec.args`."""
    module_name, attr = spec.use.split(":")
    target: Any = _import(module_name, spec.path)
    for part in attr.split("."):
        if not hasattr(target, part):
            raise UserStageError(f"module {module_name!r} has no {attr!r}")
        target = getattr(target, part)
    if not callable(target):
        raise UserStageError(f"{attr!r} in {module_name!r} is not a class or function")
    try:
        return target(**spec.args)
    except TypeError as err:
        raise UserStageError(f"bad args {spec.args!r}: {_one_line(err)}") from None
    except Exception as err:  # noqa: BLE001 - the user's constructor refused its args: one line
        raise UserStageError(f"building it with args {spec.args!r} failed: {_one_line(err)}") from None


def check_stage(stage: Any, use: str) -> str:
    """The stage's name, after checking it follows the Stage contract (roots.stage.Stage)."""
    name = getattr(stage, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise UserStageError(f"the stage needs a `name` attribute of lowercase letters, digits and _, got {name!r}")
    if name in RESERVED:
        raise UserStageError(f"stage name {name!r} is a built-in stage's or step's; choose another")
    if not callable(getattr(stage, "setup", None)):
        raise UserStageError(f"{use} has no setup() method (it may do nothing; engines call it once per worker)")
    batched = callable(getattr(stage, "process_batch", None)) and isinstance(getattr(stage, "batch_size", None), int)
    if not batched and not callable(stage):
        raise UserStageError(f"{use} is neither callable on a document nor has batch_size and process_batch")
    return name


class UserStage:
    """A user stage as the engines run it: the user's object, checked on every outcome (one per input,
    a Document or a Rejection whose reason is `<name>:...`), pickled as its spec and rebuilt on each
    worker, so the module is imported there rather than shipped by value."""

    def __init__(self, spec: UserStageSpec) -> None:
        self.spec = spec
        self.inner = build(spec)
        self.name = spec.name or check_stage(self.inner, spec.use)

    def __getstate__(self) -> dict:
        return {"spec": self.spec}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["spec"])

    def __getattr__(self, attr: str) -> Any:
        # batch_size, process_batch, a policy report: whatever the user's object has (not dunders).
        inner = self.__dict__.get("inner")
        if inner is None or attr.startswith("__"):
            raise AttributeError(attr)
        if attr == "process_batch" and callable(getattr(inner, "process_batch", None)):
            return self._process_batch
        return getattr(inner, attr)

    def setup(self) -> None:
        self.inner.setup()

    def __call__(self, doc: Any) -> Any:
        if not callable(self.inner):
            return self._process_batch([doc])[0]
        return self._checked(doc, self.inner(doc))

    def _process_batch(self, docs: list) -> list:
        outcomes = list(self.inner.process_batch(docs))
        if len(outcomes) != len(docs):
            raise UserStageError(f"stage {self.name!r} ({self.spec.use}): process_batch returned {len(outcomes)} "
                                 f"outcomes for {len(docs)} documents (one per document, in order)")
        return [self._checked(doc, out) for doc, out in zip(docs, outcomes)]

    def _checked(self, doc: Any, outcome: Any) -> Any:
        from roots.document import Document, Rejection

        if isinstance(outcome, Document):
            return outcome
        if isinstance(outcome, Rejection):
            if outcome.reason.stage != self.name:
                raise UserStageError(
                    f"stage {self.name!r} ({self.spec.use}) rejected {doc.id!r} with reason {outcome.reason.code!r}: "
                    f"its reasons must be namespaced by its name, Reason({self.name!r}, ...)")
            return outcome
        raise UserStageError(f"stage {self.name!r} ({self.spec.use}) returned {type(outcome).__name__} for "
                             f"{getattr(doc, 'id', doc)!r}: return the Document or a Rejection")


def with_user_stages(stages: list, section: UserStagesConfig | None, where: str) -> list:
    """The curate step's stages with the user's inserted: each after its `after` stage (in the order
    given), the rest at the end. A named stage this run does not have is a ConfigError, before any work."""
    if section is None or not section.entries:
        return stages
    from roots.errors import ConfigError

    names = [s.name for s in stages]
    for i, spec in enumerate(section.entries):
        if spec.after and spec.after not in names:
            raise ConfigError(f"{where}: stages[{i}] ({spec.use}): after {spec.after!r}: this run has no "
                              f"{spec.after} stage (its curate stages: {', '.join(names)})")
    out: list = []
    for stage in stages:
        out.append(stage)
        out += [UserStage(spec) for spec in section.entries if spec.after == stage.name]
    return out + [UserStage(spec) for spec in section.entries if not spec.after]
