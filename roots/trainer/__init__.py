"""The bundled GPT trainer: trains a decoder-only transformer on the Megatron binaries that `roots run`
writes, so a curated corpus can be checked by training on it.

- `roots.trainer.data`: Megatron-Core's GPTDataset and BlendedDataset indices over `.bin/.idx` prefixes
  (numpy only);
- `roots.trainer.model`: the transformer, its named sizes and its FLOPs per token (torch);
- `roots.trainer.train`: the training loop, checkpoints that resume exactly, validation, throughput and MFU;
- `roots.trainer.generate`: sampling from a checkpoint.

torch is needed for everything but `data`: `pip install 'roots-corpus[trainer]'`.
"""
from __future__ import annotations

from roots.errors import RootsError


class TrainerError(RootsError):
    """A training input, option or checkpoint that cannot be used; one line naming it."""


def require_torch():
    """Import torch, or a one-line TrainerError saying how to install it."""
    try:
        import torch
    except ImportError:
        raise TrainerError("the trainer needs torch: pip install 'roots-corpus[trainer]' (torch==2.13.0)") from None
    return torch
