"""A decoder-only transformer (GPT) in one file: pre-norm blocks, rotary positions, causal attention
through `F.scaled_dot_product_attention`, a GELU MLP, and the output layer tied to the token embedding.

Positions: rotary (RoPE) by default. BLOOM used ALiBi (a per-head linear bias on attention scores, for
extrapolating to longer sequences); it is here as `position="alibi"`. RoPE is the default because it
leaves attention causal-only, so SDPA runs its flash kernel, while an additive bias sends SDPA to the
slower memory-efficient kernel with a T×T bias tensor; at a fixed training length the two reach about
the same loss.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn as nn
import torch.nn.functional as F

from roots.trainer import TrainerError

#: The embedding is padded to a multiple of this many rows (fast matmuls; Megatron pads to 128 too).
VOCAB_MULTIPLE = 128


@dataclass(frozen=True)
class ModelConfig:
    """The model's shape. `vocab_size` comes from the tokenizer; `d_ff` 0 means 4 × d_model."""

    vocab_size: int
    seq_len: int = 1024
    n_layer: int = 12
    n_head: int = 12
    d_model: int = 768
    d_ff: int = 0
    position: str = "rope"
    rope_base: float = 10000.0
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for key in ("vocab_size", "seq_len", "n_layer", "n_head", "d_model"):
            if getattr(self, key) <= 0:
                raise TrainerError(f"model {key} must be positive, got {getattr(self, key)}")
        if self.d_model % self.n_head or (self.d_model // self.n_head) % 2:
            raise TrainerError(f"d_model {self.d_model} must split into {self.n_head} heads of an even size")
        if self.position not in ("rope", "alibi"):
            raise TrainerError(f"position must be 'rope' or 'alibi', got {self.position!r}")
        if self.d_ff == 0:
            object.__setattr__(self, "d_ff", 4 * self.d_model)

    @property
    def padded_vocab(self) -> int:
        return -(-self.vocab_size // VOCAB_MULTIPLE) * VOCAB_MULTIPLE

    def to_dict(self) -> dict:
        return asdict(self)


#: Named sizes: `tiny` for tests on the CPU; `125m` and `350m` are GPT-3 Small and Medium.
CONFIGS: dict[str, dict] = {
    "tiny": dict(n_layer=2, n_head=4, d_model=64, seq_len=64),
    "125m": dict(n_layer=12, n_head=12, d_model=768, seq_len=1024),
    "350m": dict(n_layer=24, n_head=16, d_model=1024, seq_len=1024),
}


def model_config(name: str | None, vocab_size: int, **overrides) -> ModelConfig:
    """A named size (or the defaults when `name` is None) with the given fields replaced (None keeps)."""
    if name is not None and name not in CONFIGS:
        raise TrainerError(f"unknown model config {name!r}; choose one of {', '.join(CONFIGS)} or give dimensions")
    known = {f.name for f in fields(ModelConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TrainerError(f"unknown model settings {unknown}")
    values = dict(CONFIGS.get(name or "", {}))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return ModelConfig(vocab_size=vocab_size, **values)


def flops_per_token(config: ModelConfig) -> float:
    """Training FLOPs per token, forward and backward: 6 × parameters (the tied embedding counted once,
    for the output layer's matmul) + 12 × layers × d_model × seq_len for attention (PaLM's estimate, as
    nanoGPT's MFU; the causal half is counted too)."""
    d, L = config.d_model, config.n_layer
    per_layer = 4 * d * d + 2 * d * config.d_ff + 2 * d          # qkv + proj, MLP, two norm weights
    params = config.padded_vocab * d + L * per_layer + d          # + the final norm
    return 6.0 * params + 12.0 * L * d * config.seq_len


def rope_tables(config: ModelConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of the rotary angles, (seq_len, head_dim / 2), float32."""
    half = config.d_model // config.n_head // 2
    inv_freq = 1.0 / config.rope_base ** (torch.arange(half, dtype=torch.float32) / half)
    angles = torch.outer(torch.arange(config.seq_len, dtype=torch.float32), inv_freq)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate the two halves of each head's channels (GPT-NeoX layout); x is (B, H, T, head_dim)."""
    T = x.size(-2)
    cos, sin = cos[:T].to(x.dtype), sin[:T].to(x.dtype)
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


def alibi_slopes(n_head: int) -> torch.Tensor:
    """ALiBi's per-head slopes (as BLOOM computes them when the head count is not a power of two)."""
    closest = 2 ** math.floor(math.log2(n_head))
    base = 2.0 ** (-8.0 / closest)
    slopes = [base ** (i + 1) for i in range(closest)]
    if closest < n_head:
        extra = 2.0 ** (-4.0 / closest)
        slopes += [extra ** (2 * i + 1) for i in range(n_head - closest)]
    return torch.tensor(slopes, dtype=torch.float32)


def alibi_bias(slopes: torch.Tensor, T: int, dtype: torch.dtype) -> torch.Tensor:
    """(H, T, T) additive attention bias: slope × (j - i) at or below the diagonal, -inf above it."""
    pos = torch.arange(T, device=slopes.device)
    rel = (pos[None, :] - pos[:, None]).to(torch.float32)
    bias = slopes[:, None, None] * rel
    return bias.masked_fill(rel > 0, float("-inf")).to(dtype)


class Attention(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.n_head, self.dropout = config.n_head, config.dropout
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model, bias=False)
        self.proj = nn.Linear(config.d_model, config.d_model, bias=False)

    def forward(self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None,
                bias: torch.Tensor | None) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, C // self.n_head).permute(2, 0, 3, 1, 4)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        dropout = self.dropout if self.training else 0.0
        if bias is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=dropout)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype), dropout_p=dropout)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.fc = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.proj = nn.Linear(config.d_ff, config.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(F.gelu(self.fc(x), approximate="tanh"))


class Block(nn.Module):
    """Pre-norm: x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(config.d_model, bias=False)
        self.attn = Attention(config)
        self.norm2 = nn.LayerNorm(config.d_model, bias=False)
        self.mlp = MLP(config)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x, rope, bias):
        x = x + self.drop(self.attn(self.norm1(x), rope, bias))
        return x + self.drop(self.mlp(self.norm2(x)))


class GPT(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.padded_vocab, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.norm = nn.LayerNorm(config.d_model, bias=False)
        if config.position == "rope":
            cos, sin = rope_tables(config)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        else:
            self.register_buffer("alibi_slopes", alibi_slopes(config.n_head), persistent=False)
        self.apply(self._init)
        for block in self.blocks:   # GPT-2: scale the residual projections by depth
            for proj in (block.attn.proj, block.mlp.proj):
                nn.init.normal_(proj.weight, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (B, T, padded vocab), or the mean cross-entropy against `targets` when given."""
        T = idx.size(1)
        if T > self.config.seq_len:
            raise TrainerError(f"a sequence of {T} tokens is longer than the model's seq_len {self.config.seq_len}")
        x = self.drop(self.embed(idx))
        rope = (self.rope_cos, self.rope_sin) if self.config.position == "rope" else None
        bias = alibi_bias(self.alibi_slopes, T, x.dtype) if self.config.position == "alibi" else None
        for block in self.blocks:
            x = block(x, rope, bias)
        logits = F.linear(self.norm(x), self.embed.weight)   # the output layer is the embedding, tied
        if targets is None:
            return logits
        return F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1))
