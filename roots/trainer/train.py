"""The training loop: AdamW, linear warmup then cosine decay, gradient accumulation and clipping, bf16
autocast on CUDA, optional `torch.compile`, periodic validation loss, and checkpoints that resume exactly.

Step `s` trains on blended samples `[s × B × A, (s + 1) × B × A)` (B the micro-batch, A the accumulation
steps), so the data position is the step. A checkpoint (`OUT/checkpoint.pt`, replaced atomically) holds
the model, optimizer and scheduler states, the step, the RNG states, the model and run settings and the
tokenizer model; `train()` on an OUT that has one resumes from it. `OUT/metrics.jsonl` has one line per
step (loss, learning rate, gradient norm; tokens/s and MFU at each log step) and one per validation.
On the CPU the same settings give the same losses bit for bit, resumed or not.
"""
from __future__ import annotations

import json
import logging
import math
import os
import random
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from roots.trainer import TrainerError, require_torch
from roots.trainer.data import DEFAULT_SEED, batch, build_data, parse_blend

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.jsonl"
FORMAT = "roots-gpt/1"

#: Dense bf16 tensor-core peak TFLOP/s by device name (first match wins: the longer names come first).
PEAK_TFLOPS: list[tuple[str, float]] = [
    ("GH200", 989.0), ("H200 NVL", 835.0), ("H200", 989.0), ("H100 NVL", 835.0), ("H100 PCIe", 756.0),
    ("H100", 989.0), ("H800", 989.0), ("B200", 2250.0), ("B100", 1750.0), ("A100", 312.0), ("A800", 312.0),
    ("L40S", 362.0), ("L4", 121.0),
]
#: The default learning rate of each named size (GPT-3's table; larger for the tiny test model).
DEFAULT_LR = {"tiny": 3e-3, "125m": 6e-4, "350m": 3e-4}
#: Settings that must match to resume a checkpoint: changing them changes the data or the model.
RUN_KEYS = ("data", "seq_len", "batch_size", "grad_accum", "seed", "valid_fraction")


@dataclass
class TrainConfig:
    """What `roots train` runs. Model dimensions left None come from the named `model` size."""

    data: list[str]
    tokenizer: str | None
    out: str
    vocab_size: int | None = None
    model: str | None = "tiny"
    n_layer: int | None = None
    n_head: int | None = None
    d_model: int | None = None
    d_ff: int | None = None
    seq_len: int | None = None
    position: str | None = None
    dropout: float | None = None
    steps: int = 1000
    batch_size: int = 8
    grad_accum: int = 1
    lr: float | None = None
    min_lr_ratio: float = 0.1
    warmup: int | None = None
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    eval_interval: int = 100
    eval_batches: int = 8
    log_interval: int = 10
    checkpoint_interval: int = 500
    seed: int = DEFAULT_SEED
    valid_fraction: float = 0.01
    device: str = "auto"
    compile: bool = False
    peak_tflops: float | None = None
    stop_at: int | None = None
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.data, str):
            self.data = [self.data]
        for key in ("steps", "batch_size", "grad_accum", "eval_interval", "log_interval", "checkpoint_interval"):
            if getattr(self, key) <= 0:
                raise TrainerError(f"--{key.replace('_', '-')} must be positive, got {getattr(self, key)}")
        if self.lr is not None and not self.lr > 0:
            raise TrainerError(f"--lr must be positive, got {self.lr}")
        if self.stop_at is not None and self.stop_at <= 0:
            raise TrainerError(f"--stop-at must be positive, got {self.stop_at}")
        if self.warmup is not None and self.warmup < 0:
            raise TrainerError(f"--warmup must be 0 or more, got {self.warmup}")


@dataclass
class TrainResult:
    """What a call to `train` did: the steps it ran, their losses, the last validation loss, speed."""

    start_step: int
    step: int
    losses: list[float] = field(default_factory=list)
    valid_loss: float | None = None
    tokens_per_s: float = 0.0
    mfu: float | None = None
    n_params: int = 0


def peak_tflops(device_name: str) -> float | None:
    """The dense bf16 peak of a GPU from its name, or None when unknown."""
    for key, value in PEAK_TFLOPS:
        if key.lower() in device_name.lower():
            return value
    return None


def lr_factor(step: int, warmup: int, steps: int, min_ratio: float) -> float:
    """Linear warmup to 1 over `warmup` steps, then cosine decay to `min_ratio` at `steps`."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def _device(torch, name: str):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise TrainerError(f"--device {name!r} is not a torch device (cpu, cuda, cuda:1, auto)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TrainerError("--device cuda, but torch sees no CUDA device")
    return device


def _atomic_save(torch, obj: Any, path: str) -> None:
    tmp = f"{path}.tmp-{uuid.uuid4().hex}"
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_checkpoint(path: str) -> dict:
    """A checkpoint file, or a folder holding `checkpoint.pt`; unreadable → one-line TrainerError."""
    torch = require_torch()
    if os.path.isdir(path):
        path = os.path.join(path, CHECKPOINT)
    if not os.path.isfile(path):
        raise TrainerError(f"{path}: no such checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds on a damaged file
        raise TrainerError(f"{path}: not a readable checkpoint ({err.__class__.__name__})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise TrainerError(f"{path}: not a roots trainer checkpoint")
    state["path"] = path
    return state


def _differences(saved: dict, wanted: dict) -> str:
    keys = sorted(k for k in set(saved) | set(wanted) if saved.get(k) != wanted.get(k))
    return ", ".join(f"{k}={saved.get(k)!r} there, {wanted.get(k)!r} here" for k in keys)


def _rng_state(torch) -> dict:
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {"torch": torch.get_rng_state(), "python": list(random.getstate()[1]),
             "numpy": [torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(gauss)]}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(torch, state: dict) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate((3, tuple(state["python"]), None))
    keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state(("MT19937", keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class _Metrics:
    """`OUT/metrics.jsonl`: appended per step; on resume, lines after the checkpoint's step are dropped."""

    def __init__(self, path: str, keep_until: int):
        self.path = path
        kept = []
        if keep_until > 0 and os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                kept = [line for line in fh if json.loads(line).get("step", 0) <= keep_until]
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(kept)

    def write(self, rows: list[dict]) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)


def read_metrics(out: str) -> list[dict]:
    """The rows of `OUT/metrics.jsonl`."""
    with open(os.path.join(out, METRICS), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def train(config: TrainConfig) -> TrainResult:
    """Train (or resume training) the model `config` describes; returns what this call did."""
    torch = require_torch()
    from roots.tokenizer import load_sentencepiece
    from roots.trainer.model import GPT, flops_per_token, model_config

    device = _device(torch, config.device)
    sp = load_sentencepiece(config.tokenizer) if config.tokenizer else None
    vocab = sp.get_piece_size() if sp is not None else config.vocab_size
    if vocab is None:
        raise TrainerError("give the tokenizer that made the binaries (--tokenizer), or at least its --vocab-size")
    if sp is not None and config.vocab_size not in (None, vocab):
        raise TrainerError(f"{config.tokenizer}: {vocab} pieces, but --vocab-size {config.vocab_size}")
    mconf = model_config(config.model, vocab, n_layer=config.n_layer, n_head=config.n_head,
                         d_model=config.d_model, d_ff=config.d_ff, seq_len=config.seq_len,
                         position=config.position, dropout=config.dropout)
    seq_len = mconf.seq_len
    lr = config.lr if config.lr is not None else DEFAULT_LR.get(config.model or "", 3e-4)
    warmup = config.warmup if config.warmup is not None else max(1, min(2000, config.steps // 10))
    per_step = config.batch_size * config.grad_accum
    run = {"data": list(config.data), "seq_len": seq_len, "batch_size": config.batch_size,
           "grad_accum": config.grad_accum, "seed": config.seed, "valid_fraction": config.valid_fraction}

    os.makedirs(config.out, exist_ok=True)
    ckpt_path = os.path.join(config.out, CHECKPOINT)
    state = load_checkpoint(ckpt_path) if os.path.exists(ckpt_path) else None
    if state is not None:
        if state["model_config"] != mconf.to_dict():
            diff = _differences(state["model_config"], mconf.to_dict())
            raise TrainerError(f"{ckpt_path}: a checkpoint of another model ({diff}); "
                               "train into another --output or ask for the same model")
        saved_run = {k: state["run"].get(k) for k in RUN_KEYS}
        if saved_run != run:
            raise TrainerError(f"{ckpt_path}: a checkpoint of another run ({_differences(saved_run, run)}); "
                               "train into another --output or resume with the same settings")

    blend = parse_blend(config.data)
    data = build_data(blend, seq_len, config.steps * per_step, config.eval_batches * config.batch_size,
                      config.seed, config.valid_fraction, config.cache_dir)

    torch.manual_seed(config.seed)
    random.seed(config.seed)
    model = GPT(mconf).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=lr, betas=config.betas, eps=1e-8, fused=device.type == "cuda")
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, warmup, config.steps, config.min_lr_ratio))
    start = 0
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        _set_rng_state(torch, state["rng"])
        start = int(state["step"])
        if int(state["samples"]) != start * per_step:
            raise TrainerError(f"{ckpt_path}: data position {state['samples']} does not match step {start}")
        log.info("resuming %s at step %d", ckpt_path, start)
        if int(state["steps"]) != config.steps:
            log.warning("%s: trained for %d steps, now %d: the schedule and the sample order change from here",
                        ckpt_path, int(state["steps"]), config.steps)
    forward = torch.compile(model) if config.compile else model

    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    peak = config.peak_tflops or (peak_tflops(torch.cuda.get_device_name(device)) if cuda else None)
    fpt = flops_per_token(mconf)
    metrics = _Metrics(os.path.join(config.out, METRICS), start)
    with open(os.path.join(config.out, "config.json"), "w", encoding="utf-8") as fh:
        json.dump({"model": mconf.to_dict(), "train": asdict(config), "lr": lr, "warmup": warmup,
                   "n_params": model.num_params(), "flops_per_token": fpt}, fh, indent=2)
    log.info("model %s: %.2fM parameters, %.3g FLOPs/token; %d steps of %d × %d tokens on %s",
             config.model or "custom", model.num_params() / 1e6, fpt, config.steps, per_step, seq_len, device)

    def to_device(arr: np.ndarray):
        if int(arr.max()) >= vocab:
            raise TrainerError(f"{blend.source}: token id {int(arr.max())} is not below the vocabulary size "
                               f"{vocab}; train with the tokenizer that made the binaries")
        t = torch.from_numpy(arr)
        if cuda:
            t = t.pin_memory().to(device, non_blocking=True)
        return t[:, :-1], t[:, 1:]

    def autocast():
        return torch.autocast("cuda", dtype=torch.bfloat16) if cuda else torch.autocast("cpu", enabled=False)

    def evaluate() -> float | None:
        if data.valid is None:
            return None
        model.eval()
        total = torch.zeros((), device=device)
        with torch.no_grad(), autocast():
            for b in range(config.eval_batches):
                x, y = to_device(batch(data.valid, b * config.batch_size, config.batch_size))
                total += forward(x, y).float()
        model.train()
        return float(total) / config.eval_batches

    def save(step: int) -> None:
        _atomic_save(torch, {"format": FORMAT, "step": step, "samples": step * per_step,
                             "model_config": mconf.to_dict(), "run": run, "lr": lr, "warmup": warmup,
                             "steps": config.steps, "model": model.state_dict(),
                             "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                             "rng": _rng_state(torch),
                             "tokenizer": sp.serialized_model_proto() if sp is not None else b""}, ckpt_path)

    result = TrainResult(start_step=start, step=start, n_params=model.num_params())
    end = min(config.steps, config.stop_at) if config.stop_at else config.steps
    pending: list[tuple[int, Any, Any, float]] = []
    clock = [time.perf_counter()]

    def flush() -> None:
        """Fetch the pending steps' losses (one device sync), write them, log speed since the last flush."""
        nonlocal pending
        if not pending:
            return
        values = torch.stack([torch.stack([p[1], p[2].float()]) for p in pending]).tolist()
        tps = len(pending) * per_step * seq_len / (time.perf_counter() - clock[0])
        mfu = tps * fpt / (peak * 1e12) if peak else None
        rows = [{"step": p[0], "loss": v[0], "lr": p[3], "grad_norm": v[1]} for p, v in zip(pending, values)]
        rows[-1].update(tokens_per_s=round(tps, 1), mfu=round(mfu, 4) if mfu is not None else None)
        metrics.write(rows)
        result.losses.extend(v[0] for v in values)
        result.tokens_per_s, result.mfu = tps, mfu
        log.info("step %d/%d  loss %.4f  lr %.3g  %.0f tokens/s%s", pending[-1][0], config.steps, values[-1][0],
                 pending[-1][3], tps, f"  MFU {mfu:.1%}" if mfu is not None else "")
        pending = []

    model.train()
    for step in range(start, end):
        loss_sum = torch.zeros((), device=device)
        for micro in range(config.grad_accum):
            x, y = to_device(batch(data.train, (step * config.grad_accum + micro) * config.batch_size,
                                   config.batch_size))
            with autocast():
                loss = forward(x, y)
            (loss / config.grad_accum).backward()
            loss_sum += loss.detach().float()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        lr_now = scheduler.get_last_lr()[0]
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        done = result.step = step + 1
        pending.append((done, loss_sum / config.grad_accum, grad_norm, lr_now))
        evaluate_now = done % config.eval_interval == 0 or done == config.steps
        save_now = done % config.checkpoint_interval == 0 or done == end
        if not (done % config.log_interval == 0 or evaluate_now or save_now):
            continue
        flush()
        if evaluate_now:
            result.valid_loss = evaluate()
            if result.valid_loss is not None:
                metrics.write([{"step": done, "valid_loss": result.valid_loss}])
                log.info("step %d  validation loss %.4f", done, result.valid_loss)
        if save_now:
            save(done)
        clock[0] = time.perf_counter()   # validation and checkpoints do not count in tokens/s
    return result
