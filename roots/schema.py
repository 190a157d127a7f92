"""One validator for every config section: a section is a dataclass whose type hints and field metadata
(`setting(...)`: ranges, choices, paths, custom checks) say what it accepts, and `parse` walks a loaded
YAML mapping against it. Every problem is one line naming the file and the key path, so the run config,
its stage sections and the language configs' typed sections all speak alike.

```python
@dataclass(frozen=True)
class PiiConfig:
    replace: str = setting("tag", choices=REPLACE_MODES)
    keep_types: tuple[str, ...] = setting((), item_choices=SPAN_TYPES, item_name="span type")

PiiConfig.from_dict = classmethod(lambda cls, data, where: parse(cls, data, where))
```

Types understood: bool, int, float (ints accepted), str, `X | None`, unions of those, tuple[X, ...],
list[X], dict[str, X], nested dataclasses (a sub-section, named `where: key`) and Any. After the fields,
a section's own `check(where)` method (when it has one) checks what spans several keys.
"""
from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import types
import typing
from typing import Any, Callable

from roots.errors import ConfigError

def setting(default: Any = dataclasses.MISSING, *, default_factory: Any = dataclasses.MISSING,
            ge: float | None = None, gt: float | None = None, le: float | None = None, lt: float | None = None,
            choices: tuple | None = None, item_choices: tuple | None = None, item_name: str = "",
            nonempty: bool = False, path: str = "", check: Callable[[Any], str | None] | None = None,
            parse: Callable[..., Any] | None = None, describe: str = "", **kw: Any) -> Any:
    """A dataclass field with its validation rules: bounds (`ge`, `gt`, `le`, `lt`), `choices` for the
    value or `item_choices` for each item of a list (named `item_name` in messages), `nonempty` strings,
    `path` ("dir" or "file": resolved against the config's folder and required to exist), `check(value)`
    returning an error phrase or None, or `parse(value, where, key, base)` for a value of its own shape
    (it returns the parsed value and raises ConfigError itself). `describe` overrides the expectation
    phrase of messages ("must be <describe>")."""
    meta = {k: v for k, v in (("ge", ge), ("gt", gt), ("le", le), ("lt", lt), ("choices", choices),
                              ("item_choices", item_choices), ("item_name", item_name), ("nonempty", nonempty),
                              ("path", path), ("check", check), ("parse", parse), ("describe", describe))
            if v is not None and v is not False and v != ""}
    return dataclasses.field(default=default, default_factory=default_factory, metadata=meta, **kw)


def unknown_key(where: str, key: str, known: typing.Iterable[str], error: type[Exception] = ConfigError,
                prefix: str = "") -> Exception:
    """The error for a key the section does not have, with the closest known key as a hint."""
    known = sorted(known)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {prefix}{close[0]!r}?)" if close else f" (known: {', '.join(known)})"
    return error(f"{where}: key {prefix}{key!r} is not a known key{hint}")


def check_keys(data: Any, where: str, known: typing.Iterable[str], required: typing.Iterable[str] = (),
               error: type[Exception] = ConfigError) -> dict[str, Any]:
    """`data` as a mapping whose keys are all `known` and that has every `required` key."""
    if not isinstance(data, dict):
        raise error(f"{where}: expected a mapping, got {type(data).__name__}")
    known = set(known)
    for key in data:
        if key not in known:
            raise unknown_key(where, str(key), known, error)
    for key in sorted(required):
        if key not in data:
            raise error(f"{where}: missing key {key!r}")
    return data


class Section:
    """Base of a config section dataclass: `from_dict(data, where, base)` is `parse` of it."""

    @classmethod
    def from_dict(cls, data: Any, where: str, base: str = "") -> Any:
        """Validate a section's mapping (None: the defaults); a ConfigError naming `where` and the key."""
        return parse(cls, data, where, base)


def parse(cls: type, data: Any, where: str, base: str = "", error: type[Exception] = ConfigError) -> Any:
    """An instance of the dataclass `cls` from the mapping `data` (None: the defaults), every key checked
    against its field; relative paths resolve against `base`. Raises `error` naming `where` and the key."""
    data = check_keys({} if data is None else data, where, names(cls), required=_required(cls), error=error)
    hints = _hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in data and not (data[f.name] is None and _container(hints[f.name])):   # null: the default
            values[f.name] = value(hints[f.name], data[f.name], where, f.name, f.metadata, base, error)
    config = cls(**values)
    if callable(getattr(config, "check", None)):
        config.check(where)
    return config


def names(cls: type) -> list[str]:
    """The keys a section accepts: its init fields."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def field_value(cls: type, key: str, raw: Any, where: str, path: str = "", base: str = "",
                error: type[Exception] = ConfigError) -> Any:
    """One key of `cls` checked on its own (`path`: the key as messages name it; default `key`)."""
    f = next(f for f in dataclasses.fields(cls) if f.name == key)
    return value(_hints(cls)[key], raw, where, path or key, f.metadata, base, error)


def value(hint: Any, raw: Any, where: str, key: str, meta: typing.Mapping[str, Any] | None = None,
          base: str = "", error: type[Exception] = ConfigError) -> Any:
    """`raw` checked against the type `hint` and the rules in `meta`; the value to store."""
    meta = meta or {}
    if "parse" in meta:
        return meta["parse"](raw, where, key, base)
    hint, optional = _unoptional(hint)
    if raw is None:
        if optional:
            return None
        if dataclasses.is_dataclass(hint):
            return parse(hint, None, f"{where}: {key}", base, error)
    if dataclasses.is_dataclass(hint):
        return parse(hint, raw, f"{where}: {key}", base, error)

    def bad(got: str = "") -> Exception:
        return error(f"{where}: key {key!r} must be {expectation(hint, meta, optional)}, got {got or _shown(raw)}")

    origin = typing.get_origin(hint)
    if hint is Any:
        out = raw
    elif origin in (typing.Union, types.UnionType):
        for arm in typing.get_args(hint):
            try:
                return value(arm, raw, where, key, {}, base, error)
            except error:
                continue
        raise bad()
    elif origin in (tuple, list):
        if not isinstance(raw, list):
            raise bad()
        item = typing.get_args(hint)[0]
        items = []
        for i, x in enumerate(raw):
            if meta.get("item_choices") is not None and x not in meta["item_choices"]:
                name = meta.get("item_name", "allowed value")
                raise error(f"{where}: key {key!r}: {x!r} is not {_article(name)} {name} "
                            f"({', '.join(map(str, meta['item_choices']))})")
            items.append(value(item, x, where, f"{key}[{i}]", {}, base, error))
        out = tuple(items) if origin is tuple else items
    elif origin is dict or hint is dict:
        if not isinstance(raw, dict):
            raise bad()
        item = typing.get_args(hint)[1] if typing.get_args(hint) else Any
        inner = {k: meta[k] for k in ("item_choices", "item_name") if k in meta}   # a mapping of lists
        out = {str(k): value(item, v, where, f"{key}.{k}", inner, base, error) for k, v in raw.items()}
    elif hint is bool:
        if not isinstance(raw, bool):
            raise bad()
        out = raw
    elif hint in (int, float):
        if isinstance(raw, bool) or not isinstance(raw, (int, float) if hint is float else int):
            raise bad(f"{type(raw).__name__} {raw!r}" + (" (write it unquoted)" if isinstance(raw, str) else ""))
        out = float(raw) if hint is float else raw
        if not _in_range(out, meta):
            raise bad(repr(raw))
    elif hint is str:
        if not isinstance(raw, str) or (meta.get("nonempty") and not raw):
            raise bad()
        out = raw
    else:
        raise TypeError(f"roots.schema: no rule for type {hint!r} (key {key!r})")
    if meta.get("choices") is not None and out not in meta["choices"]:
        raise bad(repr(raw))
    if "check" in meta:
        problem = meta["check"](out)
        if problem:
            raise error(f"{where}: key {key!r} {problem}")
    if meta.get("path") and out is not None:
        out = out if os.path.isabs(out) or not base else os.path.normpath(os.path.join(base, out))
        exists = os.path.isdir if meta["path"] == "dir" else os.path.isfile
        if not exists(out):
            raise error(f"{where}: key {key!r}: {'folder' if meta['path'] == 'dir' else 'file'} {out} does not exist")
    return out


def expectation(hint: Any, meta: typing.Mapping[str, Any], optional: bool = False) -> str:
    """What a key accepts, as the end of "must be ...": "a number from 0 to 1", "one of tag, fake"."""
    if meta.get("describe"):
        return meta["describe"]
    if meta.get("choices") is not None:
        return f"one of {', '.join(map(str, meta['choices']))}"
    origin = typing.get_origin(hint)
    if hint is bool:
        text = "true or false"
    elif hint in (int, float):
        text = _numeric(int if hint is int else float, meta)
    elif hint is str:
        text = "a non-empty string" if meta.get("nonempty") else ("a folder path" if meta.get("path") == "dir"
                                                                  else "a file path" if meta.get("path") else "a string")
    elif origin in (tuple, list):
        name = meta.get("item_name") or _plain(typing.get_args(hint)[0])
        text = f"a list of {name}s"
    elif origin is dict or hint is dict:
        args = typing.get_args(hint)
        text = "a mapping" if not args or args[1] is Any else f"a mapping of {_plain(args[1])}s"
    elif origin in (typing.Union, types.UnionType):
        text = " or ".join(expectation(a, {}) for a in typing.get_args(hint))
    else:
        text = _plain(hint)
    return f"{text} or null" if optional else text


def _numeric(kind: type, meta: typing.Mapping[str, Any]) -> str:
    noun = "an integer" if kind is int else "a number"
    ge, gt, le, lt = (meta.get(k) for k in ("ge", "gt", "le", "lt"))
    low, high = (ge if ge is not None else gt), (le if le is not None else lt)
    if low is not None and high is not None:
        if ge is not None and le is not None:
            return f"{noun} from {low:g} to {high:g}"
        if gt is not None and lt is not None:
            return f"{noun} between {low:g} and {high:g} (exclusive)"
        return f"{noun} in {'[' if ge is not None else '('}{low:g}, {high:g}{']' if le is not None else ')'}"
    if low is not None:
        if low == 0:
            return f"a {'non-negative' if ge is not None else 'positive'} {noun.split()[-1]}"
        if kind is int and gt is None and low == 1:
            return "a positive integer"
        return f"{noun} {'of at least' if ge is not None else 'above'} {low:g}"
    if high is not None:
        return f"{noun} {'of at most' if le is not None else 'below'} {high:g}"
    return noun


def _in_range(x: float, meta: typing.Mapping[str, Any]) -> bool:
    return not ((meta.get("ge") is not None and x < meta["ge"]) or (meta.get("gt") is not None and x <= meta["gt"])
                or (meta.get("le") is not None and x > meta["le"]) or (meta.get("lt") is not None and x >= meta["lt"]))


def _plain(hint: Any) -> str:
    hint, _ = _unoptional(hint)
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(hint) or (
        "mapping" if hint is dict or typing.get_origin(hint) is dict else
        "list" if typing.get_origin(hint) in (tuple, list) else "value")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _shown(raw: Any) -> str:
    if raw is None:
        return "null"
    text = repr(raw)
    return f"{type(raw).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _unoptional(hint: Any) -> tuple[Any, bool]:
    """(`hint` without None, whether None was allowed)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) < len(typing.get_args(hint)):
            return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), True
    return hint, False


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    """The resolved type hints of a section (read once per class)."""
    return typing.get_type_hints(cls)


def _container(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin in (tuple, list, dict) or hint is dict or dataclasses.is_dataclass(hint)


def _required(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.init and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING]
