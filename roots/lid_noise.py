"""Junk text for the `noise` class of our LID model (roots.lid): deterministic, seeded generators that
build the kinds of non-language a web crawl is full of from real sentences (their words and letters),
so the model learns "this is junk" in every script instead of filing "ha ha ha" under a small language.

Two sets of generators: `TRAIN_KINDS` make the training examples; `HELDOUT_KINDS` are never trained on
and, with a different seed and the FLORES dev sentences as material, measure how well noise rejection
generalises (`roots lid eval`, `roots lid calibrate`). Everything depends only on the seed and the
input texts, so the same call gives the same junk on any machine.
"""
from __future__ import annotations

import random
import re
from typing import Callable, Sequence

NOISE = "noise"
#: Seeds: training junk uses TRAIN_SEED, measurement junk HELDOUT_SEED (and other material).
TRAIN_SEED = 0
HELDOUT_SEED = 1_000_003

_WORD = re.compile(r"[^\W\d_]+")
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "azertyuiop", "qwertzuiop", "ñlkjhgfdsa")
_SYMBOLS = "*#!~>|=+-_^%@&$?/\\:;.,()[]{}<>«»•°§¤"
_TLDS = ("com", "org", "net", "info", "de", "fr", "co.za", "ng", "in", "cn", "br", "io")


def word_pool(texts: Sequence[str]) -> list[str]:
    """The distinct words (runs of letters, any script) of the texts, in first-seen order."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in _WORD.findall(text):
            seen.setdefault(word, None)
    return list(seen)


def _ascii_words(words: Sequence[str]) -> list[str]:
    out = [w.lower() for w in words if w.isascii() and 2 <= len(w) <= 12]
    return out or ["data", "page", "item", "user", "value"]


def _words(rng: random.Random, words: Sequence[str], n: int) -> list[str]:
    return [rng.choice(words) for _ in range(n)]


def repeated_words(rng: random.Random, words: Sequence[str]) -> str:
    """One to three words repeated: "ha ha ha ha", "yo gano yo gano yo gano"."""
    phrase = " ".join(_words(rng, [w for w in words if len(w) <= 8] or words, rng.randint(1, 3)))
    sep = rng.choice((" ", " ", ", ", "! ", "... ", " - "))
    return sep.join([phrase] * rng.randint(3, 12))


def repeated_syllable(rng: random.Random, words: Sequence[str]) -> str:
    """A short piece of a word repeated without spaces: "hughughug", "*lalalala*", "hahahaha"."""
    word = rng.choice([w for w in words if len(w) >= 2] or ["ha"])
    start = rng.randrange(max(1, len(word) - 1))
    piece = word[start:start + rng.randint(2, 3)]
    body = piece * rng.randint(3, 10)
    wrap = rng.choice(("", "", "*", "~", "!", "("))
    tail = {"(": ")"}.get(wrap, wrap)
    return " ".join(f"{wrap}{body}{tail}" for _ in range(rng.randint(1, 3)))


def keyboard_mash(rng: random.Random, words: Sequence[str]) -> str:
    """Runs along keyboard rows and held keys: "asdfgh jkjkjk qwerty"."""
    out = []
    for _ in range(rng.randint(1, 8)):
        row = rng.choice(_KEYBOARD_ROWS)
        if rng.random() < 0.3:
            out.append(rng.choice(row) * rng.randint(3, 9))
        else:
            start = rng.randrange(len(row) - 2)
            chunk = row[start:start + rng.randint(3, len(row) - start)]
            out.append(chunk if rng.random() < 0.5 else "".join(rng.sample(chunk, len(chunk))))
    return " ".join(out)


def symbol_soup(rng: random.Random, words: Sequence[str]) -> str:
    """Runs of punctuation and symbols with a stray letter or word: "*** ### >>> x !!! ~~~"."""
    parts = []
    for _ in range(rng.randint(3, 14)):
        if rng.random() < 0.25:
            parts.append(rng.choice(words)[:rng.randint(1, 4)])
        else:
            parts.append(rng.choice(_SYMBOLS) * rng.randint(1, 6))
    return " ".join(parts)


def markup(rng: random.Random, words: Sequence[str]) -> str:
    """HTML, BBCode and wiki markup around a few words: '<div class="nav"><a href="/x">word</a></div>'."""
    ascii_words = _ascii_words(words)
    out = []
    for _ in range(rng.randint(2, 6)):
        tag = rng.choice(("div", "span", "a", "li", "td", "p", "ul", "script", "style", "img"))
        cls = rng.choice(ascii_words)
        text = " ".join(_words(rng, words, rng.randint(0, 2)))
        out.append(rng.choice((
            f'<{tag} class="{cls}-{rng.randint(1, 99)}">{text}</{tag}>',
            f'<a href="/{cls}/{rng.randint(1, 9999)}.html" title="{cls}">{text}</a>',
            f'<img src="/img/{cls}_{rng.randint(1, 999)}.jpg" alt="" width="{rng.randint(10, 800)}"/>',
            f"[url=http://{cls}.{rng.choice(_TLDS)}]{text}[/url]",
            f"{{{{{cls}|{text}}}}}",
            f"&nbsp;&amp;{cls}&gt;&lt;/{tag}&gt;",
            f"<{tag} id=\"{cls}\" style=\"display:none;color:#{rng.randrange(16**6):06x}\"></{tag}>",
        )))
    return "".join(out) if rng.random() < 0.5 else "\n".join(out)


def numbers_dates_prices(rng: random.Random, words: Sequence[str]) -> str:
    """Dates, times, prices, phone numbers and units: "12/03/2021 14:30 $45.99 3.5 kg +44 20 7946 0958"."""
    items = []
    for _ in range(rng.randint(3, 12)):
        items.append(rng.choice((
            f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1990, 2030)}",
            f"{rng.randint(1990, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}{rng.choice(('', ' am', ' pm', 'h'))}",
            f"{rng.choice(('$', '€', '£', 'R', '₦', 'KSh ', 'Rs. ', '¥'))}{rng.randint(1, 9999)}.{rng.randint(0, 99):02d}",
            f"{rng.randint(1, 999)}{rng.choice(('.', ','))}{rng.randint(0, 9)} {rng.choice(('kg', 'km', 'mb', 'gb', '%', 'cm', 'ml', 'x'))}",
            f"+{rng.randint(1, 999)} {rng.randint(10, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
            f"#{rng.randint(1, 99999)}", f"{rng.choice(('jan', 'feb', 'mar', 'apr', 'oct', 'nov', 'dec'))} {rng.randint(1, 31)}",
            f"{rng.randint(1, 100)} / {rng.randint(1, 100)}", f"no. {rng.randint(1, 500)}", f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}",
        )))
    return rng.choice((" ", " | ", " - ", "\n", "  ")).join(items)


def code_snippet(rng: random.Random, words: Sequence[str]) -> str:
    """A few lines of program text with identifiers from the words (the LID stage is for prose)."""
    a, b, c = (_ascii_words(words)[rng.randrange(len(_ascii_words(words)))] for _ in range(3))
    n = rng.randint(0, 100)
    lines = [
        f"def {a}({b}, {c}=None):", f"    return {b}.get('{c}', {n})", f"for (int i = 0; i < {n}; i++) {{ {a}[i] = {b}(i); }}",
        f"var {a} = document.getElementById('{b}');", f"{a}.{b}({c}, function(err, res) {{ if (err) throw err; }});",
        f"SELECT {a}, {b} FROM {c} WHERE id = {n};", f"<?php echo ${a}['{b}']; ?>", f"import {a}.{b} as {c}",
        f"if ({a} != null && {a}.length > {n}) {{", f"}} else {{ return {b}; }}", f"#include <{a}.h>",
        f"{a}_{b} = {{'{c}': [{n}, {n + 1}], 'ok': True}}", f"public static void {a}(String[] {b}) {{",
        f"console.log(\"{a}\", {b});", f"let mut {a}: Vec<u8> = Vec::new();", f"$ pip install {a}-{b}=={n % 9}.{n % 7}",
    ]
    return "\n".join(rng.sample(lines, rng.randint(2, 6)))


def url_list(rng: random.Random, words: Sequence[str]) -> str:
    """Lists of links and addresses: "https://www.word.com/word/123 http://word.org/?id=9"."""
    ascii_words = _ascii_words(words)
    out = []
    for _ in range(rng.randint(2, 8)):
        host = f"{rng.choice(('', 'www.', 'm.', 'blog.'))}{rng.choice(ascii_words)}.{rng.choice(_TLDS)}"
        path = "/".join(_words(rng, ascii_words, rng.randint(0, 3)))
        query = rng.choice(("", f"?id={rng.randint(1, 99999)}", f"?p={rng.randint(1, 50)}&lang=en", ".html", ".php"))
        out.append(rng.choice((f"https://{host}/{path}{query}", f"http://{host}/{path}{query}", f"{host}/{path}",
                               f"{rng.choice(ascii_words)}@{host}")))
    return rng.choice((" ", "\n", " | ", ", ")).join(out)


def random_letters(rng: random.Random, words: Sequence[str]) -> str:
    """The letters of the words shuffled into strings with no structure: "tnaoe ksuwa iiebrl"."""
    letters = [c for w in words for c in w] or list("ha")
    return " ".join("".join(rng.choice(letters) for _ in range(rng.randint(2, 12))) for _ in range(rng.randint(1, 8)))


def fragments(rng: random.Random, words: Sequence[str]) -> str:
    """Short cut-off pieces of words between emoticons and punctuation: "ka :) tw ... ni <3 ?? ba"."""
    parts = []
    for _ in range(rng.randint(3, 12)):
        if rng.random() < 0.6:
            word = rng.choice(words)
            start = rng.randrange(len(word))
            parts.append(word[start:start + rng.randint(1, 3)])
        else:
            parts.append(rng.choice((":)", ":(", ";)", ":D", "<3", "...", "??", "!!", "-", "*", "xx", "^_^", "o_o")))
    return " ".join(parts)


# --- held-out kinds: never in training ------------------------------------------------------------


def log_lines(rng: random.Random, words: Sequence[str]) -> str:
    """Server log lines: "2023-04-01 12:00:03 INFO [main] word id=4f3a status=200 took=12ms"."""
    ascii_words = _ascii_words(words)
    lines = []
    for _ in range(rng.randint(1, 5)):
        lines.append(f"{rng.randint(2015, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
                     f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} "
                     f"{rng.choice(('INFO', 'WARN', 'ERROR', 'DEBUG'))} [{rng.choice(ascii_words)}] "
                     f"{rng.choice(ascii_words)} id={rng.randrange(16**4):04x} status={rng.choice((200, 301, 404, 500))} "
                     f"took={rng.randint(1, 999)}ms")
    return "\n".join(lines)


def hashes_and_ids(rng: random.Random, words: Sequence[str]) -> str:
    """Hex digests, base64 and tracking ids: "a3f9c0e1... utm_source=word dGhpcyBpcyBqdW5r"."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    out = []
    for _ in range(rng.randint(2, 6)):
        out.append(rng.choice((
            "".join(rng.choice("0123456789abcdef") for _ in range(rng.choice((8, 32, 40)))),
            "".join(rng.choice(alphabet) for _ in range(rng.randint(12, 40))),
            f"utm_source={rng.choice(_ascii_words(words))}&utm_medium={rng.choice(_ascii_words(words))}",
            f"{rng.choice(_ascii_words(words))}_{rng.randint(100, 99999)}",
        )))
    return " ".join(out)


def chat_spam(rng: random.Random, words: Sequence[str]) -> str:
    """Chat and comment filler: "lol lol xD !!!! omg word ??? hehehe"."""
    fillers = ("lol", "xd", "omg", "hehe", "haha", "hihi", "wkwk", "lmao", "ok", "k", "pls", "+1", "<3", "^^", ":)", "!!!", "???")
    parts = []
    for _ in range(rng.randint(4, 14)):
        roll = rng.random()
        parts.append(rng.choice(fillers) if roll < 0.7 else rng.choice(words) if roll < 0.85 else rng.choice(fillers) * 2)
    return " ".join(parts)


Generator = Callable[[random.Random, Sequence[str]], str]
TRAIN_KINDS: dict[str, Generator] = {
    "repeated_words": repeated_words, "repeated_syllable": repeated_syllable, "keyboard_mash": keyboard_mash,
    "symbol_soup": symbol_soup, "markup": markup, "numbers_dates_prices": numbers_dates_prices,
    "code_snippet": code_snippet, "url_list": url_list, "random_letters": random_letters, "fragments": fragments,
}
HELDOUT_KINDS: dict[str, Generator] = {"log_lines": log_lines, "hashes_and_ids": hashes_and_ids, "chat_spam": chat_spam}


def generate(texts: Sequence[str], n: int, seed: int, kinds: dict[str, Generator] = TRAIN_KINDS) -> list[tuple[str, str]]:
    """`n` junk texts (round-robin over `kinds`), as (text, kind), each from the words of one of
    `texts` picked by the seeded generator; the same texts, n, seed and kinds give the same list."""
    rng = random.Random(seed)
    names = sorted(kinds)
    out = []
    for i in range(n):
        # the words of one text: junk in one language and script at a time, like "yo gano yo gano"
        words = word_pool([texts[rng.randrange(len(texts))]]) if texts else []
        out.append((kinds[names[i % len(names)]](rng, words or ["ha"]), names[i % len(names)]))
    return out


def heldout(texts: Sequence[str], n: int, seed: int = HELDOUT_SEED) -> list[tuple[str, str]]:
    """Measurement junk: half from the training kinds with another seed, half from the held-out kinds."""
    half = n // 2
    return generate(texts, half, seed) + generate(texts, n - half, seed + 1, HELDOUT_KINDS)
