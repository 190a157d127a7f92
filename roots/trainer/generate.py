"""Sampling text from a trainer checkpoint, with the SentencePiece model saved inside it (or another one)."""
from __future__ import annotations

from dataclasses import dataclass

from roots.trainer import TrainerError, require_torch
from roots.trainer.train import load_checkpoint


@dataclass(frozen=True)
class SampleConfig:
    """How to sample: up to `max_new_tokens` tokens at `temperature` (0: greedy) from the `top_k` likeliest."""

    max_new_tokens: int = 100
    temperature: float = 0.8
    top_k: int | None = 50
    seed: int = 0
    device: str = "cpu"


def load_model(checkpoint: str, device: str = "cpu"):
    """The model of a checkpoint (file or training folder), in eval mode, and the checkpoint's contents."""
    torch = require_torch()
    from roots.trainer.model import GPT, ModelConfig

    state = load_checkpoint(checkpoint)
    try:
        model = GPT(ModelConfig(**state["model_config"]))
        model.load_state_dict(state["model"])
    except (TypeError, KeyError, RuntimeError) as err:
        raise TrainerError(f"{state['path']}: the weights do not fit the model it describes "
                           f"({err.__class__.__name__})") from None
    return model.to(torch.device(device)).eval(), state


def _processor(state: dict, tokenizer: str | None):
    import sentencepiece as spm

    from roots.tokenizer import load_sentencepiece

    if tokenizer:
        sp = load_sentencepiece(tokenizer)
    elif state.get("tokenizer"):
        sp = spm.SentencePieceProcessor(model_proto=state["tokenizer"])
    else:
        raise TrainerError(f"{state['path']}: trained without a SentencePiece model; give --tokenizer")
    if sp.get_piece_size() != state["model_config"]["vocab_size"]:
        raise TrainerError(f"{tokenizer}: {sp.get_piece_size()} pieces, the model was trained with "
                           f"{state['model_config']['vocab_size']}; use the tokenizer it was trained with")
    return sp


def sample(model, prompt_ids: list[int], config: SampleConfig, eos_id: int | None = None) -> list[int]:
    """New token ids after `prompt_ids` (the context cropped to the model's seq_len); stops at `eos_id`."""
    torch = require_torch()
    if config.max_new_tokens < 0 or config.temperature < 0 or (config.top_k is not None and config.top_k <= 0):
        raise TrainerError("max_new_tokens and temperature must be 0 or more, top_k positive")
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(config.seed)
    ids = torch.tensor([prompt_ids or [eos_id if eos_id is not None else 0]], dtype=torch.long, device=device)
    vocab, new = model.config.vocab_size, []
    with torch.no_grad():
        for _ in range(config.max_new_tokens):
            logits = model(ids[:, -model.config.seq_len:])[0, -1, :vocab].float()
            if config.temperature == 0:
                token = int(logits.argmax())
            else:
                logits = logits / config.temperature
                if config.top_k is not None and config.top_k < vocab:
                    cut = torch.topk(logits, config.top_k).values[-1]
                    logits = logits.masked_fill(logits < cut, float("-inf"))
                token = int(torch.multinomial(torch.softmax(logits, -1), 1, generator=generator))
            if token == eos_id:
                break
            new.append(token)
            ids = torch.cat([ids, torch.tensor([[token]], device=device)], dim=1)
    return new


def generate(checkpoint: str, prompt: str, config: SampleConfig = SampleConfig(), tokenizer: str | None = None) -> str:
    """The prompt and its continuation, decoded together (so the join keeps SentencePiece's spacing)."""
    model, state = load_model(checkpoint, config.device)
    sp = _processor(state, tokenizer)
    eos = sp.eos_id() if sp.eos_id() >= 0 else None
    ids = sp.encode(prompt)
    return sp.decode(ids + sample(model, ids, config, eos))
