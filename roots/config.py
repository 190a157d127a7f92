"""The run config: a YAML file naming the sources and the settings of each stage, validated in full
before any work starts, so a typo stops a run in a second rather than after an hour."""
from __future__ import annotations

import difflib
import hashlib
import importlib
import inspect
import json
import os
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import yaml

from roots.errors import RootsError
from roots.io.base import SourceSpec

OUTPUT_FORMATS = ("parquet", "jsonl")


class ConfigError(RootsError):
    """A run config that cannot be run; the message is one line naming the file and the key."""


@dataclass(frozen=True)
class NormaliseConfig:
    """Settings of the normalise stage."""

    max_bytes: int = 5_000_000


@dataclass(frozen=True)
class RunConfig:
    """A whole run: where the sources are, where the output goes, and each stage's settings."""

    name: str
    sources: tuple[SourceSpec, ...]
    output: str = "runs/out"
    output_format: str = "parquet"
    shard_target_mb: float = 256.0
    normalise: NormaliseConfig = field(default_factory=NormaliseConfig)
    #: Each stage's parsed section (see STAGE_SECTIONS), present whether or not the file set it.
    stages: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    #: The user's folder of language-config YAMLs merged over the packaged ones ("" for none).
    language_configs: str = ""

    def registry(self):
        """The language registry this run uses: the packaged configs with `language_configs` over them
        (built once per process; the stages carry it to the engines' workers)."""
        from roots.languages import load_registry

        return load_registry(overlay=self.language_configs or None)

    def section(self, name: str) -> Any:
        """The parsed settings of one stage section, e.g. `config.section("pii")`."""
        return self.stages[name]

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as plain data (what the manifest records)."""
        data = {k: v for k, v in asdict(self).items() if k not in ("path", "stages")}
        data["sources"] = [s.to_dict() for s in self.sources]
        data.update({name: None if value is None else asdict(value) for name, value in sorted(self.stages.items())})
        return data

    def hash(self) -> str:
        """A digest of everything that decides the outputs (not where they go)."""
        data = self.to_dict()
        data.pop("output")
        # Where the overlay lies is not what the outputs depend on; its content is, per step
        # (roots.stepkeys), so that a changed threshold recomputes only the steps that read it.
        data.pop("language_configs")
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


#: Stage sections of a run config and the dataclass that parses each (`from_dict(data, where)`),
#: imported when a config is read: the stages own their settings, the config only dispatches.
STAGE_SECTIONS: dict[str, str] = {
    "cleaning": "roots.filters.cleaning:CleaningConfig",
    "boilerplate": "roots.filters.boilerplate:BoilerplateConfig",
    "quality": "roots.filters.quality:QualityConfig",
    "dedup": "roots.dedup.config:DedupConfig",
    "pii": "roots.filters.pii:PiiConfig",
}
#: Sections of steps that run only when the config names them (None otherwise).
OPTIONAL_SECTIONS: dict[str, str] = {
    "lid": "roots.lid:LidConfig",
    "tokenizer": "roots.tokenizer:TokenizerConfig",
    "megatron": "roots.megatron:MegatronConfig",
    "stages": "roots.user_stages:UserStagesConfig",   # your own stages by import path (README, "Your own stage")
}

_TOP_KEYS = {"name", "sources", "output", "output_format", "shard_target_mb", "normalise", "language_configs",
             *STAGE_SECTIONS, *OPTIONAL_SECTIONS}

#: The typed readers of the language-config sections (see roots.languages.OPTIONAL_SECTIONS), by the
#: section they read; every overlaid language goes through each before any work starts.
LANGUAGE_SECTION_READERS: dict[str, str] = {
    "filters": "roots.filters.params:parse_filters",
    "lid": "roots.lid:parse_policy",
    "pii": "roots.pii:language_settings",
}


def check_overlay(registry: Any) -> None:
    """Every language the overlay sets, read by each typed section reader (filters, LID policy, PII,
    sampling): a bad value stops the run here, one line naming the overlay file and the key."""
    from roots.sampling import language_sampling

    if not registry.overlay:
        return
    readers = {name: getattr(importlib.import_module(t.split(":")[0]), t.split(":")[1])
               for name, t in LANGUAGE_SECTION_READERS.items()}
    overlay = os.path.realpath(registry.overlay)
    for lang in registry:
        if os.path.dirname(os.path.realpath(lang.path)) != overlay:
            continue
        for name, read in readers.items():
            if name == "lid" and not lang.is_natural:
                continue
            read(lang)
        language_sampling(registry, lang.code)


def resolve_language_configs(value: Any, where: str, base: str) -> str:
    """The `language_configs:` folder as an absolute path ("" when not set); a ConfigError when it is
    not a folder that exists."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: key 'language_configs' must be a folder path, got {type(value).__name__}")
    path = value if os.path.isabs(value) else os.path.normpath(os.path.join(base, value))
    if not os.path.isdir(path):
        raise ConfigError(f"{where}: key 'language_configs': folder {path} does not exist")
    return path


def overlay_registry(overlay: str, where: str) -> Any:
    """The registry with `overlay` merged in and checked (check_overlay); any problem is a ConfigError
    of one line naming the overlay file and key."""
    from roots.languages import load_registry
    from roots.errors import RootsError

    try:
        registry = load_registry(overlay=overlay or None)
        check_overlay(registry)
    except RootsError as err:
        raise ConfigError(f"{where}: language_configs: {err}") from None
    return registry


def _parse_sections(data: dict[str, Any], where: str, base: str, registry: Any = None) -> dict[str, Any]:
    """Every stage section parsed by its own dataclass: defaults where the file has none, and None
    for an optional step the file does not name."""
    parsed: dict[str, Any] = {}
    for name, target in {**STAGE_SECTIONS, **OPTIONAL_SECTIONS}.items():
        if name in OPTIONAL_SECTIONS and data.get(name) is None:
            parsed[name] = None
            continue
        module, cls_name = target.split(":")
        cls = getattr(importlib.import_module(module), cls_name)
        params = inspect.signature(cls.from_dict).parameters
        takes_base = "base" in params   # sections that name files
        args = (data.get(name), f"{where}: {name}") + ((base,) if takes_base else ())
        kwargs = {"registry": registry} if "registry" in params else {}   # sections checked per language
        parsed[name] = cls.from_dict(*args, **kwargs)
    tokenizer = parsed["tokenizer"]
    if tokenizer is not None and tokenizer.model and not os.path.isabs(tokenizer.model):
        parsed["tokenizer"] = replace(tokenizer, model=os.path.normpath(os.path.join(base, tokenizer.model)))
    if parsed["megatron"] is not None and tokenizer is None:
        raise ConfigError(f"{where}: key 'megatron' needs a 'tokenizer' section (train one, or name one with tokenizer.model)")
    return parsed


_SOURCE_KEYS = {"name", "path", "format", "text_field", "id_field", "lang", "lang_field", "license", "options", "web"}
#: Formats whose records are objects with fields, where `lang_field` can name one.
RECORD_FORMATS = ("jsonl", "parquet", "hf_dataset")
_NORMALISE_KEYS = {"max_bytes"}


def _unknown(where: str, key: str, known: set[str]) -> ConfigError:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"
    return ConfigError(f"{where}: key {key!r} is not a known key{hint}")


def _check_keys(where: str, data: Any, known: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    for key in data:
        if key not in known:
            raise _unknown(where, str(key), known)
    for key in sorted(required):
        if key not in data:
            raise ConfigError(f"{where}: missing key {key!r}")
    return data


def _typed(where: str, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise ConfigError(f"{where}: key {key!r} must be a number, got bool")
    if not isinstance(value, kind):
        want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{where}: key {key!r} must be {want}, got {type(value).__name__}")
    return value


def _source(where: str, data: Any, base: str, formats: set[str], languages: set[str]) -> SourceSpec:
    data = _check_keys(where, data, _SOURCE_KEYS, {"name", "path", "format"})
    name = _typed(where, "name", data["name"], str)
    where = f"{where.rsplit(':', 1)[0]}: source {name!r}"
    fmt = _typed(where, "format", data["format"], str)
    if fmt not in formats:
        raise ConfigError(f"{where}: format {fmt!r} is not one of {', '.join(sorted(formats))}")
    lang = _typed(where, "lang", data.get("lang", ""), str)
    if lang and lang not in languages:
        close = difflib.get_close_matches(lang, sorted(languages), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else " (see `roots languages`)"
        raise ConfigError(f"{where}: lang {lang!r} is not in the language registry{hint}")
    path = _typed(where, "path", data["path"], str)
    if "://" not in path and not os.path.isabs(path):
        path = os.path.normpath(os.path.join(base, path))
    id_field = data.get("id_field")
    if id_field is not None:
        _typed(where, "id_field", id_field, str)
    lang_field = data.get("lang_field")
    if lang_field is not None:
        _typed(where, "lang_field", lang_field, str)
        if not lang_field:
            raise ConfigError(f"{where}: key 'lang_field' must name a field, got an empty string")
        if lang:
            raise ConfigError(f"{where}: keys 'lang' and 'lang_field' are both set: keep one (lang for a source "
                              "in one language, lang_field when each record names its own)")
        if fmt not in RECORD_FORMATS:
            raise ConfigError(f"{where}: key 'lang_field' needs records with fields (format "
                              f"{', '.join(RECORD_FORMATS)}), not format {fmt!r}")
    return SourceSpec(
        name=name, path=path, format=fmt,
        text_field=_typed(where, "text_field", data.get("text_field", "text"), str),
        id_field=id_field, lang=lang, lang_field=lang_field,
        languages=tuple(sorted(languages)) if lang_field else (),
        license=_typed(where, "license", data.get("license", ""), str),
        options=dict(_typed(where, "options", data.get("options") or {}, dict)),
        web=_typed(where, "web", data.get("web", False), bool),
    )


def _web_defaults(stages: dict[str, Any], sources: tuple[SourceSpec, ...], where: str) -> Any:
    """Check `boilerplate.sources` names real sources, and give the web sources (see
    BoilerplateConfig.applies_to) ROOTS's crawl-wide template-line removal unless `cleaning` lists them
    or `boilerplate.templates` is false. Returns the cleaning section to use."""
    boilerplate, cleaning = stages["boilerplate"], stages["cleaning"]
    names = {s.name for s in sources}
    for name in boilerplate.sources or ():
        if name not in names:
            close = difflib.get_close_matches(name, sorted(names), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: boilerplate: key 'sources': {name!r} is not a source of this config{hint}")
    if not boilerplate.templates:
        return cleaning
    return cleaning.with_template(boilerplate.applies_to(sources))


def parse_config(data: Any, path: str, output: str | None = None) -> RunConfig:
    """Validate a loaded YAML document as a run config; paths resolve against the config's folder."""
    from roots.fs import is_remote
    from roots.io.formats import FORMATS
    where = path
    data = _check_keys(where, data, _TOP_KEYS, {"name", "sources"})
    base = os.path.dirname(os.path.abspath(path))
    sources_raw = _typed(where, "sources", data["sources"], list)
    if not sources_raw:
        raise ConfigError(f"{where}: key 'sources' is empty: name at least one source")
    overlay = resolve_language_configs(data.get("language_configs"), where, base)
    registry = overlay_registry(overlay, where)
    languages = set(registry.codes)
    sources = tuple(_source(f"{where}: sources[{i}]", s, base, set(FORMATS), languages)
                    for i, s in enumerate(sources_raw))
    seen: set[str] = set()
    for spec in sources:
        if spec.name in seen:
            raise ConfigError(f"{where}: source name {spec.name!r} is used twice; names must be unique")
        seen.add(spec.name)
    out_fmt = _typed(where, "output_format", data.get("output_format", "parquet"), str)
    if out_fmt not in OUTPUT_FORMATS:
        raise ConfigError(f"{where}: output_format {out_fmt!r} is not one of {', '.join(OUTPUT_FORMATS)}")
    shard_mb = _typed(where, "shard_target_mb", data.get("shard_target_mb", 256.0), (int, float))
    if shard_mb <= 0:
        raise ConfigError(f"{where}: shard_target_mb must be positive, got {shard_mb}")
    norm = _check_keys(f"{where}: normalise", data.get("normalise") or {}, _NORMALISE_KEYS, set())
    max_bytes = _typed(f"{where}: normalise", "max_bytes", norm.get("max_bytes", NormaliseConfig.max_bytes), int)
    if max_bytes <= 0:
        raise ConfigError(f"{where}: normalise: max_bytes must be positive, got {max_bytes}")
    out = output or _typed(where, "output", data.get("output", f"runs/{data['name']}"), str)
    stages = _parse_sections(data, where, base, registry)
    stages["cleaning"] = _web_defaults(stages, sources, where)
    local_only = [name for name in ("tokenizer", "megatron") if stages.get(name) is not None]
    if is_remote(out) and local_only:
        raise ConfigError(
            f"{where}: output {out!r} is on an object store, but the {' and '.join(local_only)} step(s) need a "
            "local or mounted folder (SentencePiece and Megatron read files by path): remove those sections, "
            "then run `roots tokenizer` / `roots megatron` on a copy of RUN/documents")
    return RunConfig(
        name=_typed(where, "name", data["name"], str), sources=sources, output=out,
        output_format=out_fmt, shard_target_mb=float(shard_mb),
        normalise=NormaliseConfig(max_bytes=max_bytes), stages=stages,
        path=os.path.abspath(path), language_configs=overlay,
    )


def load_config(path: str, output: str | None = None) -> RunConfig:
    """Read and validate a run config file; every problem is a ConfigError naming the file and key."""
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: no such config file")
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}: invalid YAML{line}: {getattr(err, 'problem', err)}") from None
    return parse_config(data, path, output)
