"""`roots train` and `roots generate`: train the bundled GPT on Megatron binaries, sample from a checkpoint."""
from __future__ import annotations

import argparse
import logging


def register(sub) -> None:
    train = sub.add_parser(
        "train", help="train the bundled GPT on Megatron .bin/.idx binaries",
        description="Train a decoder-only transformer on a run's Megatron binaries (Megatron-Core's sample "
                    "order), with validation, throughput/MFU logging and checkpoints. Rerunning with the same "
                    "--output resumes from its checkpoint exactly.")
    train.add_argument("--data", required=True, nargs="+",
                       help="RUN/megatron (its blend.txt), a blend file of `weight prefix` lines, dataset "
                            "prefixes, or Megatron's `W1 P1 W2 P2 ...`")
    train.add_argument("--tokenizer", help="the SentencePiece model that made the binaries (saved in the checkpoint)")
    train.add_argument("--vocab-size", type=int, help="the vocabulary size, for binaries of another tokenizer "
                                                      "(without --tokenizer)")
    train.add_argument("--output", "--out", dest="out", required=True, help="folder for checkpoint.pt, metrics.jsonl and config.json")
    train.add_argument("--config", default="tiny", help="model size: tiny, 125m, 350m (default tiny)")
    for key, kind, text in (("n-layer", int, "layers"), ("n-head", int, "attention heads"),
                            ("d-model", int, "model width"), ("d-ff", int, "MLP width (default 4 × d-model)"),
                            ("seq-len", int, "tokens per sample (default from --config)")):
        train.add_argument(f"--{key}", type=kind, help=f"{text}, replacing the --config value")
    train.add_argument("--position", choices=("rope", "alibi"), help="position encoding (default rope)")
    train.add_argument("--dropout", type=float, help="dropout (default 0)")
    train.add_argument("--steps", type=int, default=1000, help="optimizer steps (default 1000)")
    train.add_argument("--batch-size", type=int, default=8, help="samples per micro-batch (default 8)")
    train.add_argument("--grad-accum", type=int, default=1, help="micro-batches per step (default 1)")
    train.add_argument("--lr", type=float, help="peak learning rate (default by --config: tiny 3e-3, 125m 6e-4, 350m 3e-4)")
    train.add_argument("--min-lr-ratio", type=float, default=0.1, help="final lr / peak lr (default 0.1)")
    train.add_argument("--warmup", type=int, help="warmup steps (default steps/10, at most 2000)")
    train.add_argument("--weight-decay", type=float, default=0.1, help="AdamW weight decay (default 0.1)")
    train.add_argument("--grad-clip", type=float, default=1.0, help="gradient norm clip (default 1.0)")
    train.add_argument("--eval-interval", type=int, default=100, help="steps between validations (default 100)")
    train.add_argument("--eval-batches", type=int, default=8, help="validation micro-batches (default 8)")
    train.add_argument("--log-interval", type=int, default=10, help="steps between log lines (default 10)")
    train.add_argument("--checkpoint-interval", type=int, default=500, help="steps between checkpoints (default 500)")
    train.add_argument("--valid-fraction", type=float, default=0.01,
                       help="share of each dataset's tokens held out for validation, whole documents (default 0.01)")
    train.add_argument("--seed", type=int, default=1234, help="seed of the sample order and the init (default 1234)")
    train.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N (default auto)")
    train.add_argument("--compile", action="store_true", help="torch.compile the model")
    train.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    train.add_argument("--peak-tflops", type=float, help="the device's peak TFLOP/s for MFU (default: known GPUs)")
    train.add_argument("--stop-at", type=int, help="stop (with a checkpoint) after this step; rerun to resume")
    train.add_argument("--cache-dir", help="where to cache the sample indices (default: DATA_DIR/cache)")
    train.set_defaults(handler=_train)

    gen = sub.add_parser("generate", help="sample text from a `roots train` checkpoint",
                         description="Continue a prompt with a trained model (the tokenizer saved in the checkpoint).")
    gen.add_argument("--checkpoint", required=True, help="the training --output folder or its checkpoint.pt")
    gen.add_argument("--prompt", default="", help="the text to continue")
    gen.add_argument("--max-new-tokens", type=int, default=100, help="default 100")
    gen.add_argument("--temperature", type=float, default=0.8, help="0 for greedy (default 0.8)")
    gen.add_argument("--top-k", type=int, default=50, help="sample from the k likeliest tokens (default 50)")
    gen.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    gen.add_argument("--tokenizer", help="another SentencePiece model with the same vocabulary")
    gen.add_argument("--device", default="cpu", help="default cpu")
    gen.set_defaults(handler=_generate)


def _train(args: argparse.Namespace) -> int:
    from roots.trainer.train import TrainConfig, train

    logging.getLogger("roots.trainer").setLevel(logging.INFO)
    if args.threads:
        from roots.trainer import require_torch

        require_torch().set_num_threads(args.threads)
    config = TrainConfig(
        data=args.data, tokenizer=args.tokenizer, vocab_size=args.vocab_size, out=args.out, model=args.config,
        n_layer=args.n_layer, n_head=args.n_head, d_model=args.d_model, d_ff=args.d_ff, seq_len=args.seq_len,
        position=args.position, dropout=args.dropout, steps=args.steps, batch_size=args.batch_size,
        grad_accum=args.grad_accum, lr=args.lr,
        min_lr_ratio=args.min_lr_ratio, warmup=args.warmup, weight_decay=args.weight_decay, grad_clip=args.grad_clip,
        eval_interval=args.eval_interval, eval_batches=args.eval_batches, log_interval=args.log_interval,
        checkpoint_interval=args.checkpoint_interval, seed=args.seed, valid_fraction=args.valid_fraction,
        device=args.device, compile=args.compile, peak_tflops=args.peak_tflops, stop_at=args.stop_at,
        cache_dir=args.cache_dir)
    result = train(config)
    first = f"{result.losses[0]:.4f}" if result.losses else "-"
    last = f"{result.losses[-1]:.4f}" if result.losses else "-"
    valid = f", validation loss {result.valid_loss:.4f}" if result.valid_loss is not None else ""
    mfu = f", MFU {result.mfu:.1%}" if result.mfu is not None else ""
    print(f"steps {result.start_step}..{result.step}: loss {first} -> {last}{valid}; "
          f"{result.tokens_per_s:,.0f} tokens/s{mfu}; {result.n_params / 1e6:.2f}M parameters; "
          f"checkpoint in {args.out}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from roots.trainer.generate import SampleConfig, generate

    config = SampleConfig(max_new_tokens=args.max_new_tokens, temperature=args.temperature,
                          top_k=args.top_k, seed=args.seed, device=args.device)
    print(generate(args.checkpoint, args.prompt, config, args.tokenizer))
    return 0
