"""Training throughput and MFU of the bundled trainer on a GPU, side by side in one run with the same model
in plain PyTorch:

- roots: `roots.trainer.train.train` end to end — Megatron binaries of random tokens that this script
  writes with `roots.megatron`, Megatron-Core's sample order, bf16 autocast, `torch.compile`, fused
  AdamW, clipping, the logging and a checkpoint at the end;
- plain eager (the baseline): the same `GPT` module, bf16 autocast, `torch.optim.AdamW`, random batches
  made on the GPU, no compile;
- plain compiled: the same loop with `torch.compile` (what the trainer adds on top of it is its data
  path and bookkeeping).

Tokens/s count steps after the first `--skip` (compilation and warmup); MFU = tokens/s × FLOPs per token
(6 × parameters + 12 × layers × d_model × seq_len) / the GPU's dense bf16 peak (a table of GPU names, or
`--peak-tflops`). About 3 minutes on an H100 with the defaults (125m, 32 × 1024 tokens a step, vocabulary
32,000: about 110M parameters). Needs only the checkout and its venv (no data, no network):

    python benchmarks/train_gpu.py                        # the GPU measurement
    python benchmarks/train_gpu.py --device cpu --config tiny --steps 3 --skip 1 --batch-size 2 --seq-len 32
                                                          # a smoke test on the CPU
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

from roots.megatron import IndexedDatasetWriter, dtype_for_vocab
from roots.trainer.model import GPT, flops_per_token, model_config
from roots.trainer.train import TrainConfig, peak_tflops, read_metrics, train


def write_random_binaries(prefix: str, vocab: int, tokens: int, seed: int = 0) -> None:
    """Documents of random tokens (lengths 64..4096) until `tokens` tokens, as one Megatron dataset."""
    rng = np.random.default_rng(seed)
    lengths = []
    while sum(lengths) < tokens:
        lengths.append(int(rng.integers(64, 4096)))
    with IndexedDatasetWriter(prefix, dtype_for_vocab(vocab)) as writer:
        writer.add_documents(rng.integers(0, vocab, size=sum(lengths)), np.asarray(lengths))


def run_roots(args, prefix: str, out: str) -> float:
    """Tokens/s of `train()` over the steps after `--skip`, from its metrics log."""
    log_every = math.gcd(args.skip, 25) if args.skip else 25   # a log row ends exactly at --skip
    train(TrainConfig(data=[prefix], tokenizer=None, vocab_size=args.vocab, out=out, model=args.config,
                      seq_len=args.seq_len, steps=args.steps, batch_size=args.batch_size, warmup=10,
                      log_interval=log_every, eval_interval=args.steps, eval_batches=1,
                      checkpoint_interval=args.steps, device=args.device, compile=not args.no_compile,
                      peak_tflops=args.peak_tflops))
    rows = [r for r in read_metrics(out) if "tokens_per_s" in r and r["step"] > args.skip]
    if not rows:
        raise SystemExit("no measured steps: raise --steps above --skip")
    # each row's tokens/s covers the steps since the previous row: weight by them
    steps = np.diff([args.skip] + [r["step"] for r in rows])
    seconds = sum(s * args.batch_size * args.seq_len / r["tokens_per_s"] for s, r in zip(steps, rows))
    return float(steps.sum()) * args.batch_size * args.seq_len / seconds


def run_plain(args, compiled: bool) -> float:
    """Tokens/s of a plain loop on the same model: bf16 autocast, AdamW, random batches on the device."""
    device = torch.device(args.device)
    torch.manual_seed(0)
    model = GPT(model_config(args.config, args.vocab, seq_len=args.seq_len)).to(device)
    forward = torch.compile(model) if compiled else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
                else torch.autocast("cpu", enabled=False))
    steps = args.baseline_steps
    for step in range(steps):
        if step == args.baseline_skip:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        batch = torch.randint(0, args.vocab, (args.batch_size, args.seq_len + 1), device=device)
        with autocast:
            loss = forward(batch[:, :-1], batch[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (steps - args.baseline_skip) * args.batch_size * args.seq_len / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="125m")
    parser.add_argument("--steps", type=int, default=300, help="steps of the roots trainer (default 300)")
    parser.add_argument("--skip", type=int, default=50, help="first steps not measured (default 50)")
    parser.add_argument("--baseline-steps", type=int, default=120, help="steps of each plain loop (default 120)")
    parser.add_argument("--baseline-skip", type=int, default=20, help="their unmeasured steps (default 20)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=1024)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--no-compile", action="store_true", help="the roots run without torch.compile")
    parser.add_argument("--no-plain-compiled", action="store_true", help="skip the compiled plain loop")
    parser.add_argument("--peak-tflops", type=float, help="peak TFLOP/s for MFU (default: by GPU name)")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run with --device cpu for a smoke test")
    args.baseline_skip = min(args.baseline_skip, args.baseline_steps - 1)

    mconf = model_config(args.config, args.vocab, seq_len=args.seq_len)
    fpt = flops_per_token(mconf)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    peak = args.peak_tflops or (peak_tflops(name) if args.device.startswith("cuda") else None)
    n_params = GPT(mconf).num_params()
    results: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="roots-train-bench-") as tmp:
        prefix = os.path.join(tmp, "random_text_document")
        write_random_binaries(prefix, args.vocab, min(args.steps * args.batch_size * (args.seq_len + 1), 50_000_000))
        results.append(("plain PyTorch, eager (baseline)", run_plain(args, compiled=False)))
        if not args.no_plain_compiled:
            results.append(("plain PyTorch, torch.compile", run_plain(args, compiled=True)))
        label = "roots train" + ("" if args.no_compile else " (--compile)")
        results.append((label, run_roots(args, prefix, os.path.join(tmp, "out"))))

    base = results[0][1]
    print(f"\n{args.config}: {n_params / 1e6:.1f}M parameters, vocabulary {args.vocab}, {args.batch_size} × "
          f"{args.seq_len} tokens a step, {fpt / 1e6:.0f} MFLOPs/token; {name}"
          f"{f', peak {peak:.0f} TFLOP/s bf16' if peak else ''}; torch {torch.__version__}\n")
    print("| run | tokens/s | MFU | vs eager |")
    print("| --- | ---: | ---: | ---: |")
    for label, tps in results:
        mfu = f"{tps * fpt / (peak * 1e12):.1%}" if peak else "-"
        print(f"| {label} | {tps:,.0f} | {mfu} | {tps / base:.2f}× |")
    print(json.dumps({"config": args.config, "device": name, "results": dict(results)}))


if __name__ == "__main__":
    main()
