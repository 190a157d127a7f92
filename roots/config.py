"""The run config: a YAML file naming the sources and the settings of each stage, validated in full
before any work starts, so a typo stops a run in a second rather than after an hour."""
from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import yaml

from roots.errors import ConfigError  # noqa: F401 - raised by every section; defined with RootsError
from roots.io.base import SourceSpec
from roots.schema import Section, check_keys, field_value, parse, setting

OUTPUT_FORMATS = ("parquet", "jsonl")


@dataclass(frozen=True)
class NormaliseConfig(Section):
    """Settings of the normalise stage."""

    max_bytes: int = setting(5_000_000, ge=1)


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
        for entry in (data.get("stages") or {}).get("entries", ()):
            entry.pop("reasons", None)   # what a user stage's reasons mean is for the data card, not the outputs
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


#: Stage sections of a run config, present whether or not the file names them (defaults then).
STAGE_SECTIONS = ("cleaning", "boilerplate", "quality", "dedup", "pii")
#: Sections of steps that run only when the config names them (None otherwise); `stages:` are your own
#: stages by import path (README, "Your own stage").
OPTIONAL_SECTIONS = ("lid", "tokenizer", "megatron", "stages")


def section_classes() -> dict[str, type]:
    """The dataclass that parses each section (`from_dict(data, where, base)`): schema, all in the core,
    imported when a config is read so that `import roots.config` stays light."""
    from roots.dedup.config import DedupConfig
    from roots.lid import LidConfig
    from roots.megatron import MegatronConfig
    from roots.stage_configs import BoilerplateConfig, CleaningConfig, PiiConfig, QualityConfig
    from roots.tokenizer import TokenizerConfig
    from roots.user_stages import UserStagesConfig

    return {"cleaning": CleaningConfig, "boilerplate": BoilerplateConfig, "quality": QualityConfig,
            "dedup": DedupConfig, "pii": PiiConfig, "lid": LidConfig, "tokenizer": TokenizerConfig,
            "megatron": MegatronConfig, "stages": UserStagesConfig}


@dataclass(frozen=True)
class RunSettings:
    """The run config's own keys (the stage sections aside), as roots.schema checks them."""

    name: str = setting(nonempty=True)
    sources: list[Any] = setting(describe="a list of sources")
    output: str | None = None
    output_format: str = setting("parquet", choices=OUTPUT_FORMATS)
    shard_target_mb: float = setting(256.0, gt=0)
    normalise: NormaliseConfig = field(default_factory=NormaliseConfig)
    language_configs: str | None = None


_TOP_KEYS = {*RunSettings.__dataclass_fields__, *STAGE_SECTIONS, *OPTIONAL_SECTIONS}


def overlaid(registry: Any) -> list[Any]:
    """The languages of `registry` that its overlay folder sets (none without an overlay)."""
    if not registry.overlay:
        return []
    overlay = os.path.realpath(registry.overlay)
    return [lang for lang in registry if os.path.dirname(os.path.realpath(lang.path)) == overlay]


def check_overlay(registry: Any) -> None:
    """Every language the overlay sets, read by the core's typed section readers (LID policy, PII,
    sampling): a bad value stops the run here, one line naming the overlay file and the key. The
    `filters:` section is the quality stage's, read when the stages are built (roots.pipelines.api.check)."""
    from roots.lid import parse_policy
    from roots.pii import language_settings
    from roots.sampling import language_sampling

    for lang in overlaid(registry):
        if lang.is_natural:
            parse_policy(lang)
        language_settings(lang)
        language_sampling(registry, lang.code)


def resolve_language_configs(value: str | None, where: str, base: str) -> str:
    """The `language_configs:` folder as an absolute path ("" when not set); a ConfigError when it is
    not a folder that exists."""
    if value is None or value == "":
        return ""
    path = value if os.path.isabs(value) else os.path.normpath(os.path.join(base, value))
    if not os.path.isdir(path):
        raise ConfigError(f"{where}: key 'language_configs': folder {path} does not exist")
    return path


def overlay_registry(overlay: str, where: str) -> Any:
    """The registry with `overlay` merged in and checked (check_overlay); any problem is a ConfigError
    of one line naming the overlay file and key."""
    from roots.errors import RootsError
    from roots.languages import load_registry

    try:
        registry = load_registry(overlay=overlay or None)
        check_overlay(registry)
    except RootsError as err:
        raise ConfigError(f"{where}: language_configs: {err}") from None
    return registry


def _parse_sections(data: dict[str, Any], where: str, base: str) -> dict[str, Any]:
    """Every stage section parsed by its own dataclass: defaults where the file has none, and None
    for an optional step the file does not name."""
    parsed: dict[str, Any] = {}
    for name, cls in section_classes().items():
        if name in OPTIONAL_SECTIONS and data.get(name) is None:
            parsed[name] = None
            continue
        parsed[name] = cls.from_dict(data.get(name), f"{where}: {name}", base)
    tokenizer = parsed["tokenizer"]
    if tokenizer is not None and tokenizer.model and not os.path.isabs(tokenizer.model):
        parsed["tokenizer"] = replace(tokenizer, model=os.path.normpath(os.path.join(base, tokenizer.model)))
    if parsed["megatron"] is not None and tokenizer is None:
        raise ConfigError(f"{where}: key 'megatron' needs a 'tokenizer' section (train one, or name one with tokenizer.model)")
    return parsed


#: Formats whose records are objects with fields, where `lang_field` can name one.
RECORD_FORMATS = ("jsonl", "parquet", "hf_dataset")


@dataclass(frozen=True)
class SourceEntry:
    """One entry of `sources:` as written (roots.schema checks it; `_source` resolves it)."""

    name: str = setting(nonempty=True)
    path: str = setting(nonempty=True)
    format: str = setting()
    text_field: str = "text"
    id_field: str | None = None
    lang: str = ""
    lang_field: str | None = setting(None, nonempty=True)
    license: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    web: bool = False


_SOURCE_KEYS = set(SourceEntry.__dataclass_fields__)   # read by benchmarks/curation_quality.py


def _source(where: str, data: Any, base: str, formats: set[str], registry: Any) -> SourceSpec:
    if isinstance(data, dict) and "name" in data:
        where = f"{where.rsplit(':', 1)[0]}: source {field_value(SourceEntry, 'name', data['name'], where)!r}"
    entry = parse(SourceEntry, data, where)
    if entry.format not in formats:
        raise ConfigError(f"{where}: format {entry.format!r} is not one of {', '.join(sorted(formats))}")
    languages = set(registry.codes)
    if entry.lang and entry.lang not in languages:
        close = difflib.get_close_matches(entry.lang, sorted(languages), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else " (see `roots languages`)"
        raise ConfigError(f"{where}: lang {entry.lang!r} is not in the language registry{hint}")
    path = entry.path
    if "://" not in path and not os.path.isabs(path):
        path = os.path.normpath(os.path.join(base, path))
    if entry.lang_field is not None:
        if entry.lang:
            raise ConfigError(f"{where}: keys 'lang' and 'lang_field' are both set: keep one (lang for a source "
                              "in one language, lang_field when each record names its own)")
        if entry.format not in RECORD_FORMATS:
            raise ConfigError(f"{where}: key 'lang_field' needs records with fields (format "
                              f"{', '.join(RECORD_FORMATS)}), not format {entry.format!r}")
    return SourceSpec(
        name=entry.name, path=path, format=entry.format, text_field=entry.text_field, id_field=entry.id_field,
        lang=entry.lang, lang_field=entry.lang_field,
        languages=tuple(sorted(languages)) if entry.lang_field else (),
        code_maps=((tuple(sorted(registry.extensions().items())), tuple(sorted(registry.shebangs().items())))
                   if entry.format == "code" else ((), ())),
        license=entry.license, options=dict(entry.options), web=entry.web,
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
    data = check_keys(data, where, _TOP_KEYS, {"name", "sources"})
    base = os.path.dirname(os.path.abspath(path))
    top = parse(RunSettings, {k: v for k, v in data.items() if k in RunSettings.__dataclass_fields__}, where)
    if not top.sources:
        raise ConfigError(f"{where}: key 'sources' is empty: name at least one source")
    overlay = resolve_language_configs(top.language_configs, where, base)
    registry = overlay_registry(overlay, where)
    sources = tuple(_source(f"{where}: sources[{i}]", s, base, set(FORMATS), registry)
                    for i, s in enumerate(top.sources))
    seen: set[str] = set()
    for spec in sources:
        if spec.name in seen:
            raise ConfigError(f"{where}: source name {spec.name!r} is used twice; names must be unique")
        seen.add(spec.name)
    out = output or top.output or f"runs/{top.name}"
    stages = _parse_sections(data, where, base)
    stages["cleaning"] = _web_defaults(stages, sources, where)
    local_only = [name for name in ("tokenizer", "megatron") if stages.get(name) is not None]
    if is_remote(out) and local_only:
        raise ConfigError(
            f"{where}: output {out!r} is on an object store, but the {' and '.join(local_only)} step(s) need a "
            "local or mounted folder (SentencePiece and Megatron read files by path): remove those sections, "
            "then run `roots tokenizer` / `roots megatron` on a copy of RUN/documents")
    return RunConfig(
        name=top.name, sources=sources, output=out, output_format=top.output_format,
        shard_target_mb=float(top.shard_target_mb), normalise=top.normalise, stages=stages,
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
