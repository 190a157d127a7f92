# SPDX-License-Identifier: Apache-2.0
"""A regular-expression tokenizer that keeps words, numbers and punctuation apart."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

_TOKEN_RE = re.compile(
    r"""
    (?P<number>\d+(?:[.,]\d+)*)          # 42, 3.14, 1,000
  | (?P<word>\w+(?:['’-]\w+)*)           # words, with inner apostrophes or hyphens
  | (?P<punct>[^\w\s])                   # any other single visible character
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def tokenize(text: str, *, lowercase: bool = False) -> Iterator[Token]:
    """Yield the tokens of `text` in order, with their character offsets."""
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or "punct"
        value = match.group()
        yield Token(kind, value.lower() if lowercase else value, match.start())


def words(text: str) -> list[str]:
    """The lower-cased words of `text`, without numbers or punctuation."""
    return [t.text for t in tokenize(text, lowercase=True) if t.kind == "word"]


if __name__ == "__main__":
    import sys

    for token in tokenize(sys.stdin.read()):
        print(f"{token.start:6d} {token.kind:7s} {token.text}")
