"""KenLM + SentencePiece perplexity, as ROOTS and CCNet: train a reference model with `lmplz` and
`build_binary`, load it once per worker, score documents.

A model folder (`roots lm train --output DIR`) holds `sp.model` (SentencePiece), `lm.binary` (KenLM)
and `lm.json` (how it was made, read back at load time so that scoring normalises text exactly as
training did). Scoring: the text is normalised (`normalise_for_lm`), each non-empty line is cut into
SentencePiece pieces and scored by `kenlm.Model.score` with sentence boundaries, and
`perplexity = 10 ** (-sum(log10 p) / sum(pieces + 1))` over all lines, rounded to 0.1 as ROOTS did.

A fixed cut-off such as ROOTS's 1500 only means something for the model it was set on (ROOTS's were
Wikipedia models; a model trained on a few hundred sentences scores clean text far lower). So `train`
holds back a deterministic share of its input (every `holdout_every`-th document, or a separate
reference text), trains on the rest, scores the held-back documents with the new model exactly as
documents are scored later, and stores their distribution in `lm.json` (`reference_percentiles`).
`PerplexityModel(dir).cutoff(95)` is then "the perplexity above which 5% of clean held-back text
would fall", a threshold that carries over between models, languages and training-set sizes.
A percentile in a tail thinner than `MIN_TAIL_DOCUMENTS` reference documents (the 99.5th of 70
documents is their maximum, which in expectation keeps 98.6% of such text, not 99.5%) is not read off
the sample alone: the cut-off is then the larger of that and the same quantile of a log-normal fitted
to the reference perplexities (`reference_log`), so a small reference does not make a strict filter.

Scoring each line with sentence boundaries, token-weighted over the document, is kept because it
measured best (benchmarks/perplexity.py, FLORES-trained English): a menu's short lines each pay for
an unlikely start and end of sentence, so page boilerplate separates from news articles better than
with no boundaries (AUC 0.977 against 0.964), and joining a document into one line puts more articles
above the same cut-off (15% against 10%); per-piece normalisation beat per-word and per-character
normalisation on boilerplate and word salad together.
"""
from __future__ import annotations

import io
import json
import logging
import math
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from roots.errors import RootsError

log = logging.getLogger(__name__)

SP_MODEL = "sp.model"
KENLM_BINARY = "lm.binary"
KENLM_ARPA = "lm.arpa"
MANIFEST = "lm.json"
FORMAT_VERSION = 1
#: The percentiles of the held-back reference scores stored in `lm.json` (0 = min, 100 = max).
REFERENCE_PERCENTILES: tuple[float, ...] = (0, *range(1, 100), 99.5, 99.9, 100)
#: A percentile with fewer reference documents than this expected beyond it is also read off a
#: log-normal fitted to the reference (the larger cut-off is used): the sample's tail is too thin.
MIN_TAIL_DOCUMENTS = 2
#: By default every 10th input document is held back from training and scored as the reference.
HOLDOUT_EVERY = 10

#: ROOTS's `normalization.unicode_punctuation` (and CCNet's): Unicode punctuation → ASCII.
UNICODE_PUNCTUATION = {
    "，": ",", "。": ".", "、": ",", "„": '"', "”": '"', "“": '"', "«": '"', "»": '"', "１": '"',
    "」": '"', "「": '"', "《": '"', "》": '"', "´": "'", "∶": ":", "：": ":", "？": "?", "！": "!",
    "（": "(", "）": ")", "；": ";", "–": "-", "—": " - ", "．": ". ", "～": "~", "’": "'", "…": "...",
    "━": "-", "〈": "<", "〉": ">", "【": "[", "】": "]", "％": "%", "►": "-",
}
_PUNCT_TABLE = str.maketrans(UNICODE_PUNCTUATION)
# ROOTS's non-printing characters (code points 0-31 and 127-159), except the newline that separates lines.
_NON_PRINTING = re.compile("[" + "".join(map(chr, [c for c in range(32) if c != 10] + list(range(127, 160)))) + "]")
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"[^\S\n]+")


class PerplexityError(RootsError):
    """A language model that cannot be trained or loaded; the message names the file or program."""


def normalise_for_lm(text: str, lowercase: bool = False) -> str:
    """Text as the language model sees it (ROOTS/CCNet): non-printing characters removed, every
    Unicode digit → `0`, Unicode punctuation → ASCII (`UNICODE_PUNCTUATION`), runs of whitespace other
    than newlines → one space, each line stripped; lowercased when the model was trained so."""
    text = _NON_PRINTING.sub("", _SPACES.sub(" ", text))  # tabs are spaces first, as ROOTS's uniform_whitespace
    if lowercase:
        text = text.lower()
    text = _DIGITS.sub("0", text)
    text = text.translate(_PUNCT_TABLE)
    text = _SPACES.sub(" ", text)
    return "\n".join(line.strip() for line in text.split("\n"))


def perplexity_from_scores(log10_sum: float, tokens: int) -> float:
    """`10 ** (-log10_sum / tokens)` rounded to one decimal (ROOTS), where `tokens` counts each
    line's pieces plus one for its end of sentence."""
    return round(10.0 ** (-log10_sum / tokens), 1)


# --- training --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LMSettings:
    """How a model is trained; written to `lm.json` and read back when it is loaded."""

    lang: str
    order: int = 5
    vocab_size: int = 8000
    model_type: str = "unigram"
    character_coverage: float = 0.9999
    lowercase: bool = False
    memory: str = "10%"


#: The script that builds KenLM's programs; it ships inside the package, so a pip install has it too.
BUILD_KENLM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools", "build_kenlm.sh")


def build_kenlm_command(bin_dir: str | None = None) -> str:
    """The shell command that builds `lmplz` and `build_binary` into `bin_dir` (default: next to this Python)."""
    return f"bash {shlex.quote(BUILD_KENLM)} {shlex.quote(bin_dir or os.path.dirname(sys.executable))}"


def find_program(name: str) -> str:
    """The path of `lmplz` or `build_binary`: on PATH, or next to this Python (the project's .venv/bin)."""
    found = shutil.which(name) or shutil.which(name, path=os.path.dirname(sys.executable))
    if not found:
        raise PerplexityError(f"{name} not found on PATH or in {os.path.dirname(sys.executable)}: "
                              f"build it with `{build_kenlm_command()}` (roots/tools/build_kenlm.sh; "
                              "cmake, Boost, zlib/bz2/lzma dev packages), or use the Docker image")
    return found


def read_training_text(paths: Iterable[str], text_field: str = "text") -> Iterable[str]:
    """Documents of plain-text files (a line each; `.gz` decompressed) or JSON Lines files (`.jsonl`,
    `.jsonl.gz`: the `text_field` of each record), in the order given."""
    import gzip

    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        is_jsonl = path.removesuffix(".gz").endswith((".jsonl", ".json"))
        try:
            with opener(path, "rt", encoding="utf-8") as fh:
                for number, line in enumerate(fh, 1):
                    if is_jsonl:
                        if not line.strip():
                            continue
                        try:
                            value = json.loads(line).get(text_field)
                        except (ValueError, AttributeError):
                            raise PerplexityError(f"{path}: line {number} is not a JSON object") from None
                        if isinstance(value, str):
                            yield value
                    else:
                        yield line.rstrip("\n")
        except OSError as err:
            raise PerplexityError(f"{path}: cannot read ({err.strerror or err})") from None
        except UnicodeDecodeError as err:
            raise PerplexityError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None


def train(texts: Iterable[str], output: str, settings: LMSettings, keep_arpa: bool = False,
          holdout_every: int = HOLDOUT_EVERY, reference: Iterable[str] | None = None,
          group: int = 1) -> dict:
    """Train a SentencePiece model and a KenLM n-gram model on `texts` into the folder `output`, score
    the reference documents with it and store their perplexity distribution; returns the manifest
    written to `lm.json`. Deterministic for the same texts and settings.

    The reference is `reference` when given (all of `texts` is then trained on), else every
    `holdout_every`-th document of `texts` (the 10th, 20th, ...), which is then not trained on;
    `holdout_every=0` and no `reference` trains on everything and stores no distribution. `group`
    > 1 stores the distribution of documents made of that many reference documents instead, for
    inputs of one sentence per document, whose single-sentence perplexities are noisier than those of
    the multi-sentence documents a filter sees (see `_reference_distribution`)."""
    import sentencepiece

    if holdout_every < 0 or group < 1:
        raise PerplexityError(f"{output}: holdout_every must be 0 or more and group at least 1")
    lmplz, build_binary = find_program("lmplz"), find_program("build_binary")
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="roots-lm-", dir=out) as tmp:
        corpus = Path(tmp) / "corpus.txt"
        held_path = Path(tmp) / "reference.jsonl"
        every = 0 if reference is not None else holdout_every
        lines = 0
        with open(corpus, "w", encoding="utf-8") as fh, open(held_path, "w", encoding="utf-8") as held:
            for number, text in enumerate(texts, 1):
                if every and number % every == 0:
                    held.write(json.dumps(text, ensure_ascii=False) + "\n")
                    continue
                for line in normalise_for_lm(text, settings.lowercase).split("\n"):
                    if line:
                        fh.write(line + "\n")
                        lines += 1
            for text in reference or ():
                held.write(json.dumps(text, ensure_ascii=False) + "\n")
        if lines == 0:
            raise PerplexityError(f"{output}: no text to train on (every input line is empty)")
        model_bytes = io.BytesIO()  # no file names in the model: the same input gives the same bytes
        try:
            with open(corpus, encoding="utf-8") as lines_in:
                sentencepiece.SentencePieceTrainer.train(
                    sentence_iterator=(line.rstrip("\n") for line in lines_in), model_writer=model_bytes,
                    vocab_size=settings.vocab_size,
                    model_type=settings.model_type, character_coverage=settings.character_coverage,
                    hard_vocab_limit=False, shuffle_input_sentence=False, input_sentence_size=0,
                    num_threads=1, seed_sentencepiece_size=1_000_000, minloglevel=2,
                    bos_id=-1, eos_id=-1, unk_id=0,
                )
        except (RuntimeError, OSError) as err:
            raise PerplexityError(f"{output}: SentencePiece training failed: {err}") from None
        sp_tmp = Path(tmp) / SP_MODEL
        sp_tmp.write_bytes(model_bytes.getvalue())
        sp = sentencepiece.SentencePieceProcessor(model_file=str(sp_tmp))
        pieces_path = Path(tmp) / "pieces.txt"
        tokens = 0
        with open(corpus, encoding="utf-8") as src, open(pieces_path, "w", encoding="utf-8") as dst:
            batch: list[str] = []
            for line in src:
                batch.append(line.rstrip("\n"))
                if len(batch) >= 4096:
                    tokens += _write_pieces(sp, batch, dst)
                    batch = []
            tokens += _write_pieces(sp, batch, dst)
        arpa = Path(tmp) / KENLM_ARPA
        _run([lmplz, "-o", str(settings.order), "-S", settings.memory, "-T", tmp, "--discount_fallback",
              "--text", str(pieces_path), "--arpa", str(arpa)], output)
        binary_tmp = Path(tmp) / KENLM_BINARY
        _run([build_binary, str(arpa), str(binary_tmp)], output)
        os.replace(sp_tmp, out / SP_MODEL)
        os.replace(binary_tmp, out / KENLM_BINARY)
        if keep_arpa:
            os.replace(arpa, out / KENLM_ARPA)
        manifest = {
            "format_version": FORMAT_VERSION, "settings": asdict(settings),
            "files": {"sentencepiece": SP_MODEL, "kenlm": KENLM_BINARY},
            "training": {"lines": lines, "pieces": tokens},
            "normalisation": "roots.perplexity.normalise_for_lm",
            "scoring": SCORING,
        }
        _write_manifest(out, manifest)
        what = ("the --heldout reference text" if reference is not None
                else f"every {every}th input document, held back from training" if every else "")
        if what:
            manifest.update(_reference_distribution(out, held_path, what, group))
            _write_manifest(out, manifest)
    log.info("trained %s: %d lines, %d pieces → %s", settings.lang, lines, tokens, out)
    return manifest


SCORING = "10 ** (-sum(log10 p) / sum(pieces + 1)) over non-empty lines, rounded to 0.1"


def _write_manifest(out: Path, manifest: dict) -> None:
    """Write `lm.json` atomically (a temporary name, then renamed)."""
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, out / MANIFEST)


#: With `group` > 1, this many reference documents are drawn (seeded) from the held-back ones.
GROUP_SAMPLES = 2000


def _reference_distribution(out: Path, held_path: Path, what: str, group: int) -> dict:
    """Score the reference documents in `held_path` (JSON strings, a line each) with the model just
    written to `out`; the manifest keys that describe the distribution (empty when no reference
    document has a scorable line).

    With `group` > 1 the distribution is that of documents made of `group` distinct held-back
    documents, drawn `GROUP_SAMPLES` times with a fixed seed. Lines are scored independently, so such
    a document's perplexity follows exactly from its parts' log-probabilities and piece counts (no
    rescoring), and the percentiles rest on thousands of documents rather than n / group."""
    with open(held_path, encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh]
    parts = [p for p in PerplexityModel(out).log_scores(docs) if p is not None]
    if not parts:
        log.warning("%s: no reference document to score; the model has no cut-offs", out)
        return {}
    if group == 1:
        scores = [perplexity_from_scores(total, tokens) for total, tokens in parts]
    else:
        rng = random.Random(0)
        size = min(group, len(parts))
        scores = []
        for _ in range(GROUP_SAMPLES):
            drawn = rng.sample(parts, size)
            scores.append(perplexity_from_scores(sum(t for t, _ in drawn), sum(n for _, n in drawn)))
    scores.sort()
    return {
        "reference": {"text": what, "documents": len(parts), "group": group,
                      "samples": len(scores), "median": percentile(scores, 50)},
        "reference_percentiles": {_pkey(p): percentile(scores, p) for p in REFERENCE_PERCENTILES},
        "reference_log": log_normal_fit(scores),
    }


def log_normal_fit(scores: list[float]) -> dict[str, float]:
    """The mean and standard deviation of the natural log of `scores` (perplexities, all > 0)."""
    logs = [math.log(s) for s in scores]
    return {"mean": round(statistics.fmean(logs), 6), "sd": round(statistics.pstdev(logs), 6)}


def _pkey(p: float) -> str:
    """A percentile as a manifest key: `1`, `50`, `99.5`."""
    return f"{p:g}"


def percentile(sorted_values: list[float], p: float) -> float:
    """The `p`-th percentile (0..100) of ascending `sorted_values`, linearly interpolated between
    closest ranks (numpy's default method), rounded to 0.1 like the scores."""
    pos = (len(sorted_values) - 1) * p / 100.0
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    value = sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)
    return round(value, 1)


def _write_pieces(sp, lines: list[str], dst) -> int:
    if not lines:
        return 0
    count = 0
    for pieces in sp.encode(lines, out_type=str):
        dst.write(" ".join(pieces) + "\n")
        count += len(pieces)
    return count


def _run(cmd: list[str], output: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = " ".join(proc.stderr.strip().splitlines()[-3:])
        raise PerplexityError(f"{output}: {os.path.basename(cmd[0])} failed (exit {proc.returncode}): {tail}")


# --- loading and scoring ---------------------------------------------------------------------------


def model_exists(directory: str | os.PathLike[str]) -> bool:
    """Whether `directory` holds a model made by `train` (its manifest, SentencePiece and KenLM files)."""
    d = Path(directory)
    return (d / MANIFEST).is_file() and (d / SP_MODEL).is_file() and (d / KENLM_BINARY).is_file()


def read_manifest(directory: str | os.PathLike[str]) -> dict:
    """The `lm.json` of a model folder; a PerplexityError naming the file when it is missing or broken."""
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise PerplexityError(f"{path}: no language model here (train one with `roots lm train`)") from None
    except ValueError as err:
        raise PerplexityError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise PerplexityError(f"{path}: not a roots language model manifest of format {FORMAT_VERSION}")
    return manifest


def reference_cutoff(percentiles: dict, percentile: float, directory: str = "") -> float:
    """The perplexity at `percentile` of a model's stored reference percentiles ({percentile: value},
    keys as numbers or strings, as in `lm.json`), linearly interpolated; read without loading the
    model (the run manifest records the cut-off in force)."""
    points = sorted((float(k), float(v)) for k, v in percentiles.items())
    if not points:
        raise PerplexityError(f"{directory}: the model stores no reference perplexities "
                              f"(retrain it with `roots lm train`, which holds back text to score)")
    if not 0 <= percentile <= 100 or percentile < points[0][0] or percentile > points[-1][0]:
        raise PerplexityError(f"{directory}: percentile {percentile:g} outside the stored "
                              f"{points[0][0]:g}..{points[-1][0]:g}")
    for (p0, v0), (p1, v1) in zip(points, points[1:]):
        if p0 <= percentile <= p1:
            return round(v0 if p1 == p0 else v0 + (v1 - v0) * (percentile - p0) / (p1 - p0), 1)
    return points[-1][1]  # percentile equals the only stored point


def manifest_cutoff(manifest: dict, percentile: float, directory: str = "") -> float:
    """The cut-off at `percentile` for a model's `lm.json`: `reference_cutoff` of its stored
    percentiles, or, where fewer than `MIN_TAIL_DOCUMENTS` reference documents lie beyond the
    percentile, the larger of that and the log-normal quantile (`reference_log`, or for a manifest
    without it, a fit to the stored percentiles 0..100)."""
    percentiles = manifest.get("reference_percentiles") or {}
    empirical = reference_cutoff(percentiles, percentile, directory)
    samples = (manifest.get("reference") or {}).get("samples", 0)
    if not samples or samples * (100 - percentile) / 100 >= MIN_TAIL_DOCUMENTS:
        return empirical
    fit = manifest.get("reference_log") or log_normal_fit(
        [float(v) for k, v in percentiles.items() if float(k) == int(float(k))])
    if fit["sd"] <= 0:
        return empirical
    # The 100th percentile of a log-normal is unbounded: "the largest" is read as its 99.9th.
    tail = math.exp(statistics.NormalDist(fit["mean"], fit["sd"]).inv_cdf(min(percentile, 99.9) / 100))
    return max(empirical, round(tail, 1))


class PerplexityModel:
    """A loaded SentencePiece + KenLM pair; load once per worker (`PerplexityModel(dir)`), then `score`."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        import kenlm
        import sentencepiece

        self.directory = str(directory)
        manifest = read_manifest(directory)
        self.lowercase = bool(manifest.get("settings", {}).get("lowercase", False))
        files = manifest.get("files", {})
        sp_path = Path(directory) / files.get("sentencepiece", SP_MODEL)
        lm_path = Path(directory) / files.get("kenlm", KENLM_BINARY)
        for path in (sp_path, lm_path):
            if not path.is_file():
                raise PerplexityError(f"{path}: missing from the language model folder")
        try:
            self.sp = sentencepiece.SentencePieceProcessor(model_file=str(sp_path))
        except (RuntimeError, OSError) as err:
            raise PerplexityError(f"{sp_path}: cannot load the SentencePiece model ({err})") from None
        try:
            self.lm = kenlm.Model(str(lm_path))
        except (OSError, RuntimeError) as err:
            raise PerplexityError(f"{lm_path}: cannot load the KenLM model ({err})") from None
        self.sp_path = str(sp_path)
        self.manifest = manifest

    def cutoff(self, percentile: float) -> float:
        """The perplexity at `percentile` (0..100) of the model's held-back reference documents,
        linearly interpolated between the percentiles stored in `lm.json`, or from the log-normal fit
        where the reference is too small for the tail (`manifest_cutoff`): e.g. `cutoff(95)` keeps
        about 95% of clean text like the reference. A PerplexityError naming the folder when the model
        stores no distribution (trained with no held-back text, or by an older version)."""
        return manifest_cutoff(self.manifest, percentile, str(self.directory))

    def lines(self, text: str) -> list[str]:
        """The non-empty lines of `text` after `normalise_for_lm`, as scored."""
        return [line for line in normalise_for_lm(text, self.lowercase).split("\n") if line]

    def score(self, text: str) -> float | None:
        """The perplexity of `text` (see the module docstring); None when it has no scorable line."""
        return self.score_many([text])[0]

    def score_many(self, texts: list[str]) -> list[float | None]:
        """`score` of each text, with one SentencePiece call for all their lines (vectorised)."""
        return [None if part is None else perplexity_from_scores(*part) for part in self.log_scores(texts)]

    def log_scores(self, texts: list[str]) -> list[tuple[float, int] | None]:
        """Per text, the sum of log10 probabilities of its lines' pieces and end-of-sentence tokens
        and the count of those tokens (what `perplexity_from_scores` takes); None without a line."""
        per_text = [self.lines(t) for t in texts]
        flat = [line for lines in per_text for line in lines]
        encoded = self.sp.encode(flat, out_type=str) if flat else []
        out: list[tuple[float, int] | None] = []
        pos = 0
        lm_score = self.lm.score
        for lines in per_text:
            if not lines:
                out.append(None)
                continue
            total, tokens = 0.0, 0
            for pieces in encoded[pos:pos + len(lines)]:
                total += lm_score(" ".join(pieces), bos=True, eos=True)
                tokens += len(pieces) + 1
            pos += len(lines)
            out.append((total, tokens))
        return out

