"""The language registry: the 46 natural and 13 programming languages of ROOTS, read from
`language_configs/<code>.yaml` and validated before any work starts (ARCHITECTURE.md §6).

Schema version 1 of a config file (top-level keys; anything else is an error naming file and key):

| key | natural | code | type |
| --- | --- | --- | --- |
| `version` | required | required | integer, `1` |
| `code` | required | required | string, equal to the file name without `.yaml`; code languages start `code-` |
| `name` | required | required | string |
| `kind` | required | required | `natural` or `code` |
| `script` | required | - | ISO 15924, four letters Title-case (`Latn`, `Hans`) |
| `family` | required | - | string (`Niger-Congo`, `Isolate`) |
| `spaces` | required | - | boolean: whether words are separated by spaces (false for Chinese) |
| `roots_share_percent` | required | - | number, share of ROOTS bytes in percent |
| `flores` | required | - | FLORES-200 code, `xxx_Scrp`, its script equal to `script` |
| `extensions` | - | required | list of file extensions starting `.`, case-sensitive, unique across the registry |
| `shebangs` | - | required | list of interpreter names seen in a `#!` line, unique across the registry (may be empty) |
| `roots_files_millions` | - | required | number, files in ROOTS, millions |

Optional sections, for either kind, are the names in `OPTIONAL_SECTIONS`; each must be a mapping and is
kept unvalidated in `LanguageConfig.sections` until the stage that reads it adds typed validation.

**Overlays.** `load_registry(overlay=DIR)` merges a user's folder of YAMLs over the packaged configs (a run
config's `language_configs:`): a file for a shipped language sets only the keys it changes (mappings merge
key by key, at any depth; lists and scalars replace), a file for a new language is a whole config. The
merged config is validated like a shipped one and errors name the overlay file. Relative file names in the
packaged layer (word lists) keep resolving against the package, those the overlay sets against its folder.
"""
from __future__ import annotations

import difflib
import functools
import importlib.resources
import math
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import yaml

from roots.errors import RootsError

#: The schema version this module reads.
SCHEMA_VERSION = 1

#: The two kinds of language.
KINDS = ("natural", "code")

#: Keys every config has, whatever its kind.
COMMON_KEYS = ("version", "code", "name", "kind")
#: Keys required of natural languages, besides the common ones.
NATURAL_KEYS = ("script", "family", "spaces", "roots_share_percent", "flores")
#: Keys required of programming languages, besides the common ones.
CODE_KEYS = ("extensions", "shebangs", "roots_files_millions")

#: Optional top-level sections later stages read; each is a mapping, stored raw in `sections`.
OPTIONAL_SECTIONS = (
    "lid",  # how language is decided: LID model label, minimum score, or trust the source
    "filters",  # quality filter thresholds
    "stopwords",  # the stopword list or where it comes from
    "flagged_words",  # the flagged-word list or where it comes from
    "perplexity",  # the KenLM/SentencePiece model and its cut-off
    "pii",  # PII detection and redaction settings
    "sampling",  # the weight in the tokenizer training sample
)

_ALL_KEYS = COMMON_KEYS + NATURAL_KEYS + CODE_KEYS + OPTIONAL_SECTIONS
_SCRIPT_RE = re.compile(r"[A-Z][a-z]{3}")
_FLORES_RE = re.compile(r"[a-z]{3}_([A-Z][a-z]{3})")
_NATURAL_CODE_RE = re.compile(r"[a-z]{2,3}(-[A-Z][a-z]{3})?")
_CODE_CODE_RE = re.compile(r"code-[a-z0-9]+")
_EXTENSION_RE = re.compile(r"\.[^\s./\\]+")
_SHEBANG_RE = re.compile(r"[^\s/\\]+")


class LanguageConfigError(RootsError):
    """A language config that cannot be used; the message is one line naming the file and the key."""


class UnknownLanguageError(KeyError):
    """A language code not in the registry; the message lists the near matches."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class LanguageConfig:
    """One language as its YAML file declares it; natural-only fields are None for code and vice versa."""

    code: str
    name: str
    kind: str
    path: str
    version: int = SCHEMA_VERSION
    script: str | None = None
    family: str | None = None
    spaces: bool | None = None
    roots_share_percent: float | None = None
    flores: str | None = None
    extensions: tuple[str, ...] = ()
    shebangs: tuple[str, ...] = ()
    roots_files_millions: float | None = None
    #: The optional sections (see OPTIONAL_SECTIONS) as read, unvalidated; treat as read-only.
    sections: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_natural(self) -> bool:
        return self.kind == "natural"

    @property
    def is_code(self) -> bool:
        return self.kind == "code"


class Registry:
    """All languages of a config directory (and an overlay folder over it), by code; built by
    `load_registry`, read-only. Pickled whole to the engines' workers inside the stages that read it."""

    def __init__(self, configs: list[LanguageConfig], directory: str, overlay: str | None = None) -> None:
        self.directory = directory
        #: The user's overlay folder merged over `directory` (None: the configs as shipped).
        self.overlay = overlay
        self._by_code = {c.code: c for c in sorted(configs, key=lambda c: c.code)}

    @property
    def codes(self) -> list[str]:
        """All language codes, sorted."""
        return list(self._by_code)

    def get(self, code: str) -> LanguageConfig:
        """The config of `code`; an unknown code raises UnknownLanguageError (a KeyError) naming near matches."""
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownLanguageError(self._unknown_message(code)) from None

    def __getitem__(self, code: str) -> LanguageConfig:
        return self.get(code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[LanguageConfig]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __repr__(self) -> str:
        over = f" + overlay {self.overlay!r}" if self.overlay else ""
        return (f"Registry({self.directory!r}{over}: {len(self.natural())} natural, "
                f"{len(self.code_languages())} code)")

    def natural(self) -> list[LanguageConfig]:
        """The natural languages, sorted by code."""
        return [c for c in self if c.is_natural]

    def code_languages(self) -> list[LanguageConfig]:
        """The programming languages, sorted by code."""
        return [c for c in self if c.is_code]

    def extensions(self) -> dict[str, str]:
        """File extension (case-sensitive, with the dot) → code of the programming language."""
        return {ext: c.code for c in self.code_languages() for ext in c.extensions}

    def shebangs(self) -> dict[str, str]:
        """Interpreter name of a `#!` line (`python3`, `node`) → code of the programming language."""
        return {name: c.code for c in self.code_languages() for name in c.shebangs}

    def _unknown_message(self, code: str) -> str:
        text = str(code)
        near: list[str] = []
        for candidate in self._by_code:  # case slips and a missing `code-` prefix first
            if text.lower() in (candidate.lower(), candidate.lower().removeprefix("code-")):
                near.append(candidate)
        for candidate in difflib.get_close_matches(text, list(self._by_code), n=3, cutoff=0.6):
            if candidate not in near:
                near.append(candidate)
        hint = f"did you mean {', '.join(repr(n) for n in near)}?" if near else "see `roots languages`"
        where = f"{self.directory} + {self.overlay}" if self.overlay else self.directory
        return f"unknown language {code!r} ({hint}); the registry in {where} has {len(self)} languages"


def default_directory() -> Path:
    """The configs shipped inside the package (`roots.language_configs`)."""
    return Path(str(importlib.resources.files("roots.language_configs")))


def load_registry(directory: str | Path | None = None, overlay: str | Path | None = None) -> Registry:
    """Read and validate every `<code>.yaml` of `directory` (None: the packaged configs), with the
    YAMLs of `overlay` merged over them (see the module docstring); cached per (directory, overlay)."""
    path = default_directory() if directory is None else Path(directory)
    over = None if overlay is None or str(overlay) == "" else str(Path(overlay).resolve())
    return _load_registry_cached(str(path.resolve()), over)


@functools.lru_cache(maxsize=None)
def _load_registry_cached(directory: str, overlay: str | None = None) -> Registry:
    root = Path(directory)
    files = _yaml_files(root, allow_empty=False)
    if overlay is None:
        configs = [load_config(f) for f in files]
    else:
        shipped = {f.stem: f for f in files}
        layered = {f.stem: f for f in _yaml_files(Path(overlay), allow_empty=True)}
        configs = [load_config(f) for stem, f in shipped.items() if stem not in layered]
        configs += [load_layered(shipped.get(stem), f) for stem, f in layered.items()]
    _check_unique(configs, "extensions")
    _check_unique(configs, "shebangs")
    return Registry(configs, directory, overlay)


def _yaml_files(root: Path, allow_empty: bool) -> list[Path]:
    """The `*.yaml` files of a config folder, sorted; a missing folder, a `.yml` file or (for the
    packaged folder) no file at all is an error naming the folder or file."""
    if not root.is_dir():
        raise LanguageConfigError(f"{_display(root)}: language config directory not found")
    misnamed = sorted(root.glob("*.yml"))
    if misnamed:
        raise LanguageConfigError(f"{_display(misnamed[0])}: language configs end in .yaml; rename it")
    files = sorted(root.glob("*.yaml"))
    if not files and not allow_empty:
        raise LanguageConfigError(f"{_display(root)}: no language configs (*.yaml) found")
    return files


#: Keys of a `filters:` section whose value names a file relative to the config's folder.
_PATH_FILTERS = ("stopwords", "flagged_words", "perplexity_model")
#: The stopword value that names spaCy's list rather than a file.
_SPACY = "spacy"


def _anchored(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """`data` with the relative file names of its `filters:` section made absolute against `folder`, so
    they keep naming the same files once the config is read from another folder (an overlay's)."""
    section = data.get("filters")
    if not isinstance(section, dict):
        return data
    anchored = dict(section)
    for key in _PATH_FILTERS:
        entry = section.get(key)
        value = entry.get("value") if isinstance(entry, dict) else entry
        if isinstance(value, str) and value and value != _SPACY and not os.path.isabs(value):
            full = os.path.normpath(os.path.join(folder, value))
            anchored[key] = {**entry, "value": full} if isinstance(entry, dict) else full
    return {**data, "filters": anchored}


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` merged onto `base`: mappings key by key at any depth; any other value of `over` replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_layered(shipped: Path | None, overlay: Path) -> LanguageConfig:
    """One overlay file over its shipped config (or alone, for a new language), validated; errors name
    the overlay file (the shipped file alone is valid, so what fails is what the overlay set)."""
    where = _display(overlay)
    data = _read_yaml(overlay, where, allow_empty=shipped is not None)
    if shipped is None:
        return _validate(data, overlay, where)
    for key in data:   # a typo in an overlay key would otherwise be silently merged as a new section
        if key not in _ALL_KEYS:
            near = difflib.get_close_matches(key, _ALL_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (optional sections: {', '.join(OPTIONAL_SECTIONS)})"
            raise LanguageConfigError(f"{where}: key {key!r} is not a known key{hint}")
        if key in OPTIONAL_SECTIONS and not isinstance(data[key], dict):
            raise LanguageConfigError(f"{where}: section {key!r} must be a mapping, got {_type_name(data[key])}")
    base = _anchored(_read_yaml(shipped, _display(shipped)), shipped.parent)
    return _validate(deep_merge(base, data), overlay, where)


load_registry.cache_clear = _load_registry_cached.cache_clear  # type: ignore[attr-defined]


def is_packaged(path: str | Path) -> bool:
    """Whether `path` lies inside the installed roots package (its language configs or any other part):
    what tools that write configs (roots.filters.tuning) must never touch."""
    import roots

    target = Path(path).resolve()
    package = Path(roots.__file__).resolve().parent
    return any(target == p or target.is_relative_to(p) for p in (package, default_directory().resolve()))


def load_config(path: str | Path) -> LanguageConfig:
    """Read and validate one language config file (without the cross-file checks of `load_registry`)."""
    path = Path(path)
    where = _display(path)
    data = _read_yaml(path, where)
    return _validate(data, path, where)


# --- reading -------------------------------------------------------------------------------------


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int) -> None:
        super().__init__(key, line)
        self.key, self.line = key, line


class _StrictMapping:
    """A YAML loader part that refuses a key given twice in one mapping (PyYAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base` may override, by design
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key; the base class reports it
                break
            if duplicate:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class _StrictLoader(_StrictMapping, yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping: its errors are the ones users see."""


#: The same loader on libyaml's parser where PyYAML has it (5-10x faster: the 59 packaged configs are read
#: by every run); a file it refuses is read again by _StrictLoader, so errors keep their wording.
_FastStrictLoader = (type("_FastStrictLoader", (_StrictMapping, yaml.CSafeLoader), {})
                     if getattr(yaml, "__with_libyaml__", False) else _StrictLoader)


def _read_yaml(path: Path, where: str, allow_empty: bool = False) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LanguageConfigError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise LanguageConfigError(f"{where}: cannot read the file ({exc.strerror})") from None
    try:
        try:
            data = yaml.load(text, Loader=_FastStrictLoader)  # noqa: S506 - a CSafeLoader subclass
        except yaml.YAMLError:
            data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as exc:
        raise LanguageConfigError(f"{where}: key {exc.key!r} is given twice (line {exc.line})") from None
    except yaml.YAMLError as exc:
        raise LanguageConfigError(f"{where}: invalid YAML{_yaml_location(exc)}: {_yaml_problem(exc)}") from None
    if data is None and allow_empty:   # an overlay that (for now) changes nothing
        return {}
    if data is None:
        raise LanguageConfigError(f"{where}: the file is empty; expected a mapping with keys {', '.join(COMMON_KEYS)}, ...")
    if not isinstance(data, dict):
        raise LanguageConfigError(f"{where}: expected a mapping of keys at the top level, got {_type_name(data)}")
    for key in data:
        if not isinstance(key, str):
            raise LanguageConfigError(f"{where}: key {key!r} must be a string, got {_type_name(key)}")
    return data


def _yaml_location(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _yaml_problem(exc: yaml.YAMLError) -> str:
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    message = ", ".join(p for p in parts if p) or str(exc)
    return " ".join(message.split())


# --- validation ----------------------------------------------------------------------------------


def _validate(data: dict[str, Any], path: Path, where: str) -> LanguageConfig:
    for key in data:
        if key not in _ALL_KEYS:
            near = difflib.get_close_matches(key, _ALL_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (optional sections: {', '.join(OPTIONAL_SECTIONS)})"
            raise LanguageConfigError(f"{where}: key {key!r} is not a known key{hint}")

    for key in COMMON_KEYS:
        if key not in data:
            raise LanguageConfigError(f"{where}: missing key {key!r}")
    version = data["version"]
    if not _is_int(version):
        raise LanguageConfigError(f"{where}: key 'version' must be an integer, got {_type_name(version)}")
    if version != SCHEMA_VERSION:
        raise LanguageConfigError(f"{where}: key 'version' is {version} but this roots reads schema version {SCHEMA_VERSION}")
    kind = data["kind"]
    if kind not in KINDS:
        raise LanguageConfigError(f"{where}: key 'kind' must be 'natural' or 'code', got {kind!r}")

    own, other = (NATURAL_KEYS, CODE_KEYS) if kind == "natural" else (CODE_KEYS, NATURAL_KEYS)
    for key in data:
        if key in other:
            raise LanguageConfigError(f"{where}: key {key!r} is only for kind {_other_kind(kind)!r}, and this file is kind {kind!r}")
    for key in own:
        if key not in data:
            raise LanguageConfigError(f"{where}: missing key {key!r}")

    code = _string(data, "code", where)
    name = _string(data, "name", where)
    if code != path.stem:
        raise LanguageConfigError(f"{where}: 'code' is {code!r} but the file is named {path.name}; they must match")
    pattern = _NATURAL_CODE_RE if kind == "natural" else _CODE_CODE_RE
    if not pattern.fullmatch(code):
        form = "'ll', 'lll' or 'll-Scrp'" if kind == "natural" else "'code-<name>' in lowercase"
        raise LanguageConfigError(f"{where}: key 'code' is {code!r}, not of the form {form} for kind {kind!r}")

    sections: dict[str, dict[str, Any]] = {}
    for key in OPTIONAL_SECTIONS:
        if key in data:
            value = data[key]
            if not isinstance(value, dict):
                raise LanguageConfigError(f"{where}: section {key!r} must be a mapping, got {_type_name(value)}")
            sections[key] = value

    if kind == "natural":
        script = _string(data, "script", where)
        if not _SCRIPT_RE.fullmatch(script):
            raise LanguageConfigError(f"{where}: key 'script' must be an ISO 15924 code of four letters, Title-case (e.g. 'Latn'), got {script!r}")
        flores = _string(data, "flores", where)
        match = _FLORES_RE.fullmatch(flores)
        if not match:
            raise LanguageConfigError(f"{where}: key 'flores' must be a FLORES-200 code like 'swh_Latn', got {flores!r}")
        if match.group(1) != script:
            raise LanguageConfigError(f"{where}: key 'flores' is {flores!r} but 'script' is {script!r}; the scripts must agree")
        spaces = data["spaces"]
        if not isinstance(spaces, bool):
            raise LanguageConfigError(f"{where}: key 'spaces' must be a boolean (true or false), got {_type_name(spaces)}")
        share = _number(data, "roots_share_percent", where)
        if not 0 <= share <= 100:
            raise LanguageConfigError(f"{where}: key 'roots_share_percent' must be between 0 and 100, got {share}")
        return LanguageConfig(
            code=code, name=name, kind=kind, path=str(path), version=version, script=script,
            family=_string(data, "family", where), spaces=spaces, roots_share_percent=share,
            flores=flores, sections=sections,
        )

    extensions = _string_list(data, "extensions", where, _EXTENSION_RE, "start with '.' and hold no spaces or slashes")
    if not extensions:
        raise LanguageConfigError(f"{where}: key 'extensions' must name at least one extension")
    shebangs = _string_list(data, "shebangs", where, _SHEBANG_RE, "be a bare interpreter name (no path, no spaces)")
    files = _number(data, "roots_files_millions", where)
    if files < 0:
        raise LanguageConfigError(f"{where}: key 'roots_files_millions' must not be negative, got {files}")
    return LanguageConfig(
        code=code, name=name, kind=kind, path=str(path), version=version, extensions=extensions,
        shebangs=shebangs, roots_files_millions=files, sections=sections,
    )


def _check_unique(configs: list[LanguageConfig], key: str) -> None:
    owner: dict[str, LanguageConfig] = {}
    for config in configs:
        for value in getattr(config, key):
            if value in owner:
                first = owner[value]
                raise LanguageConfigError(
                    f"{_display(Path(config.path))}: {value!r} in key {key!r} is also claimed by "
                    f"{_display(Path(first.path))}; each of {key} must belong to one language"
                )
            owner[value] = config


def _string(data: dict[str, Any], key: str, where: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise LanguageConfigError(f"{where}: key {key!r} must be a string, got {_type_name(value)}")
    if not value.strip():
        raise LanguageConfigError(f"{where}: key {key!r} must not be empty")
    return value


def _number(data: dict[str, Any], key: str, where: str) -> float:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = ""
        if isinstance(value, str) and _looks_numeric(value):
            hint = " (write it unquoted as a plain decimal such as 0.00001; YAML reads 1e-5 as text)"
        raise LanguageConfigError(f"{where}: key {key!r} must be a number, got {_type_name(value)}{hint}")
    if not math.isfinite(value):
        raise LanguageConfigError(f"{where}: key {key!r} must be a finite number, got {value}")
    return float(value)


def _string_list(data: dict[str, Any], key: str, where: str, pattern: re.Pattern[str], rule: str) -> tuple[str, ...]:
    value = data[key]
    if not isinstance(value, list):
        raise LanguageConfigError(f"{where}: key {key!r} must be a list, got {_type_name(value)}")
    seen: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise LanguageConfigError(f"{where}: key {key!r} must be a list of strings, got {_type_name(item)} {item!r}")
        if not pattern.fullmatch(item):
            raise LanguageConfigError(f"{where}: key {key!r}: {item!r} must {rule}")
        if item in seen:
            raise LanguageConfigError(f"{where}: key {key!r} lists {item!r} twice")
        seen.append(item)
    return tuple(seen)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _other_kind(kind: str) -> str:
    return "code" if kind == "natural" else "natural"


def _display(path: Path) -> str:
    """The path relative to the working directory when it lies inside it (as in compiler messages), else absolute."""
    absolute = path.resolve()
    cwd = Path(os.getcwd()).resolve()
    if cwd == Path(cwd.anchor):
        return str(absolute)
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return str(absolute)


# --- the table of `roots languages` --------------------------------------------------------------


def format_table(registry: Registry) -> str:
    """An aligned plain-text table of the registry for `roots languages`: natural languages by ROOTS
    share, then programming languages by file count, largest first."""
    header = ("code", "name", "kind", "script", "family", "ROOTS share / files", "FLORES / extensions")
    rows: list[tuple[str, ...]] = []
    for c in sorted(registry.natural(), key=lambda c: (-(c.roots_share_percent or 0.0), c.code)):
        rows.append((c.code, c.name, c.kind, c.script or "", c.family or "",
                     f"{_plain(c.roots_share_percent)} %", c.flores or ""))
    for c in sorted(registry.code_languages(), key=lambda c: (-(c.roots_files_millions or 0.0), c.code)):
        rows.append((c.code, c.name, c.kind, "-", "-", f"{_plain(c.roots_files_millions)} M files",
                     " ".join(c.extensions)))
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    numeric = 5  # the share / files column is right-aligned

    def line(row: tuple[str, ...]) -> str:
        cells = [cell.rjust(w) if i == numeric else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    out.append(f"{len(registry.natural())} natural and {len(registry.code_languages())} programming languages")
    return "\n".join(out)


def _plain(value: float | None) -> str:
    """A number in positional notation as written in the config (0.00001, never 1e-05)."""
    if value is None:
        return ""
    return format(Decimal(repr(value)), "f")
