"""Detect and redact personal information (PII): e-mail and IP addresses, user handles, secret keys,
phone numbers, payment cards, IBANs, national identifiers and crypto wallets (ARCHITECTURE.md §1).

Each detector is a small unit that finds candidate spans with a linear-time regex (every repeat is
bounded and every pattern is guarded by a look-behind at its start, so no input makes it backtrack more
than a constant per character) and then validates them with a checksum or a library:
`phonenumbers` for phones (with the regions of the document's language), Luhn plus card-prefix
rules for cards, `python-stdnum` for IBANs and national identifiers, Base58Check/Bech32 for wallets.

Detection runs on a *folded* copy of the text in which full-width forms (０-９, Ａ-Ｚ, ＠, ．),
every other Unicode decimal digit and dash/space variants become their ASCII equivalents, one code
point for one, so offsets into the folded text are offsets into the original.

Overlap rule: spans that overlap (share at least one character) merge into one span covering their
union, so no part of a detected value survives; the merged span takes the type of its longest member,
ties broken by `PRIORITY` (validated types before heuristic ones). Touching spans stay separate.

Offsets are Python string indices (code points) into the original text, end exclusive.
"""
from __future__ import annotations

import difflib
import hashlib
import importlib
import ipaddress
import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator, Sequence

import phonenumbers
from stdnum import iban as _stdnum_iban
from stdnum import isbn as _stdnum_isbn

from roots.languages import LanguageConfig, LanguageConfigError

# --- types -----------------------------------------------------------------------------------------

EMAIL = "EMAIL"
IP_ADDRESS = "IP_ADDRESS"
USER = "USER"
KEY = "KEY"
PHONE = "PHONE"
CREDIT_CARD = "CREDIT_CARD"
IBAN = "IBAN"
NATIONAL_ID = "NATIONAL_ID"
BANK_ACCOUNT = "BANK_ACCOUNT"
CRYPTO = "CRYPTO"

#: Detectors a language config may name (`pii.detectors`); NATIONAL_ID also yields BANK_ACCOUNT spans.
DETECTORS = (EMAIL, IP_ADDRESS, USER, KEY, PHONE, CREDIT_CARD, IBAN, NATIONAL_ID, CRYPTO)
#: Every span type, in overlap priority order (a tie in length goes to the earlier type).
PRIORITY = (IBAN, CREDIT_CARD, BANK_ACCOUNT, NATIONAL_ID, CRYPTO, EMAIL, IP_ADDRESS, PHONE, KEY, USER)
SPAN_TYPES = PRIORITY
_RANK = {t: i for i, t in enumerate(PRIORITY)}

#: What runs for a natural language without a `pii` section: phones only in international format.
DEFAULT_NATURAL = (EMAIL, IP_ADDRESS, USER, KEY, PHONE, CREDIT_CARD, IBAN, CRYPTO)
#: What runs for a programming language without a `pii` section (no phones, no @decorators as users).
DEFAULT_CODE = (EMAIL, IP_ADDRESS, KEY)

REPLACE_MODES = ("tag", "fake")


@dataclass(frozen=True, order=True)
class Span:
    """One detected value: its type and [start, end) in the original text."""

    start: int
    end: int
    type: str

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "start": self.start, "end": self.end}


# --- folding ---------------------------------------------------------------------------------------


def _fold_table() -> dict[int, int]:
    """Full-width ASCII forms, other decimal digits, dashes and spaces → ASCII, one for one."""
    # not the full-width comma: in CJK text it ends a clause (`，4111...`), never groups digits, and
    # as `,` it would read as a thousands separator glued to the number after it
    table = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if cp != 0xFF0C}
    for cp in range(0x80, 0x10000):
        if cp not in table and unicodedata.category(chr(cp)) == "Nd":
            table[cp] = ord("0") + unicodedata.decimal(chr(cp))
    for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2212, 0xFE63):
        table[cp] = ord("-")
    for cp in (0x00A0, 0x2007, 0x2009, 0x202F, 0x3000):
        table[cp] = ord(" ")
    return table


_FOLD = _fold_table()
_FOLDABLE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_FOLD)) + "]")


def fold(text: str) -> str:
    """The text with full-width forms, non-ASCII digits, dashes and spaces made ASCII; same length."""
    if text.isascii():
        return text
    return _FOLDABLE.sub(_fold_one, text)  # cost follows the few foldable characters, not the text


def _fold_one(match: re.Match[str]) -> str:
    return chr(_FOLD[ord(match.group())])


# --- shared pieces ---------------------------------------------------------------------------------

_ALNUM = "0-9A-Za-z"
_VERSION_BEFORE = re.compile(
    r"(?i)(?<![A-Za-z])(?:versions?|versi[oóô]n|vers[aã]o|versi|ver\.?|release|build|firmware|toleo|版本|phiên bản)\s{0,2}[:#]?\s{0,2}$")
_CURRENCY = "$€£¥₹₦₩₫₱₺₽¢"


def _before(text: str, start: int, width: int = 32) -> str:
    return text[max(0, start - width):start]


# --- EMAIL -----------------------------------------------------------------------------------------

_LOCAL = r"0-9A-Za-z_%+\-\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_EMAIL_RE = re.compile(
    rf"(?<![{_LOCAL}.])"
    rf"[{_LOCAL}][{_LOCAL}.]{{0,63}}"
    r"@"
    r"(?:[0-9A-Za-z](?:[0-9A-Za-z-]{0,61}[0-9A-Za-z])?\.){1,8}"
    r"(?:[A-Za-z]{2,24}|xn--[0-9A-Za-z-]{1,59})"
    r"(?![0-9A-Za-z_-]|\.[0-9A-Za-z])")
_NOT_TLD = frozenset("png jpg jpeg gif svg webp bmp ico css js json xml html htm txt pdf zip gz tar".split())


def find_emails(text: str) -> Iterator[tuple[int, int]]:
    """E-mail addresses: a local part, `@`, dotted domain labels and an alphabetic or punycode TLD
    (not a file extension, so `icon@2x.png` is not an address)."""
    if "@" not in text:
        return
    for m in _EMAIL_RE.finditer(text):
        if m.group().rsplit(".", 1)[1].lower() not in _NOT_TLD:
            yield m.span()


# --- IP_ADDRESS ------------------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4_RE = re.compile(rf"(?<![0-9A-Za-z_.{_CURRENCY}]){_OCTET}(?:\.{_OCTET}){{3}}(?![0-9A-Za-z_]|\.[0-9])")
# A digit-led candidate scans fast (the regex engine skips to digits); `_IPV4_RE` then judges it in place.
_IPV4_CANDIDATE_RE = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")
_IPV6_RE = re.compile(
    r"(?<![0-9A-Za-z_:.])"
    r"(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:[0-9A-Fa-f]{1,4}|(?<=:)(?:[0-9]{1,3}\.){3}[0-9]{1,3})?"
    r"(?:%[0-9A-Za-z]{1,15})?"
    r"(?![0-9A-Za-z_:]|\.[0-9])")


def _valid_ipv6(candidate: str) -> bool:
    address = candidate.split("%", 1)[0]
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return False
    if candidate == "::1":
        return True
    groups = [g for g in re.split(r"[:.]", address) if g]
    if not groups:
        return False  # `::` alone: slicing in code, not an address
    if not any(c in "abcdefABCDEF" for c in address) and len(groups) <= 2 and all(len(g) < 4 for g in groups):
        return False  # `10::20`, `1::2`: scores and slices
    return True


def is_personal_ip(candidate: str) -> bool:
    """Whether an address can point at a person: a globally routable one. Loopback (`127.0.0.1`,
    `::1`), private (RFC 1918, unique-local `fc00::/7`), link-local, shared (CGNAT), documentation
    (`192.0.2.0/24`, `2001:db8::/32`, ...), multicast, unspecified and reserved addresses name no one:
    they are configuration in code and manuals (`net.Listen("tcp", "127.0.0.1:0")`), so they are kept.
    An IPv4-mapped IPv6 address is judged by its IPv4 part."""
    try:
        address = ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def find_ips(text: str) -> Iterator[tuple[int, int]]:
    """Public IPv4 (four octets 0-255, not a version string such as `version 1.2.3.4`, not glued to a
    word or a longer number) and IPv6 (validated by `ipaddress`, IPv4-mapped and zone ids included)
    addresses; loopback, private, documentation and other non-global ranges are not personal data
    (`is_personal_ip`)."""
    if "." in text:
        for c in _IPV4_CANDIDATE_RE.finditer(text):
            m = _IPV4_RE.match(text, c.start())
            if m and not _VERSION_BEFORE.search(_before(text, m.start(), 24)) and is_personal_ip(m.group()):
                yield m.span()
    if "::" in text or text.count(":") >= 7:
        for m in _IPV6_RE.finditer(text):
            if _valid_ipv6(m.group()) and is_personal_ip(m.group()):
                yield m.span()


# --- USER ------------------------------------------------------------------------------------------

_USER_RE = re.compile(
    r"(?<![0-9A-Za-z_.@/+\-\u00c0-\u024f])@[0-9A-Za-z_](?:[0-9A-Za-z_.]{0,28}[0-9A-Za-z_])?(?![0-9A-Za-z_@/]|\.[0-9A-Za-z_])")
_NOT_USERS = frozenset("""media import font-face keyframes charset supports page param return returns
throws throw override property staticmethod classmethod abstractmethod dataclass deprecated author
since see version type example todo link code interface end implementation synthesize protocol
interface app pytest tags""".split())


def find_users(text: str) -> Iterator[tuple[int, int]]:
    """@handles: `@` at a word start, then 1-30 letters, digits, `_` or inner dots, with a letter
    somewhere (so `@10` is not a user) and not a CSS at-rule or doc-comment tag (`@media`, `@param`)."""
    if "@" not in text:
        return
    for m in _USER_RE.finditer(text):
        handle = m.group()[1:]
        if any(c.isalpha() for c in handle) and handle.lower() not in _NOT_USERS:
            yield m.span()


# --- KEY -------------------------------------------------------------------------------------------

_KEY_PREFIXED_RE = re.compile(r"""(?<![0-9A-Za-z_\-])(?:
      (?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}
    | gh[pousr]_[0-9A-Za-z]{36,251}
    | github_pat_[0-9A-Za-z_]{22,255}
    | glpat-[0-9A-Za-z_\-]{20,50}
    | xox[abposr]-[0-9A-Za-z\-]{10,250}
    | (?:sk|pk|rk)_(?:live|test)_[0-9A-Za-z]{16,247}
    | AIza[0-9A-Za-z_\-]{35}
    | sk-(?:proj-|ant-)?[0-9A-Za-z_\-]{20,200}
    | hf_[0-9A-Za-z]{30,40}
    | npm_[0-9A-Za-z]{36}
    | SG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43}
    | eyJ[0-9A-Za-z_\-]{8,2000}\.eyJ[0-9A-Za-z_\-]{8,4000}\.[0-9A-Za-z_\-]{8,2000}
    )(?![0-9A-Za-z_\-])""", re.X)
_PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,16384}?"
    r"-----END (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_KEY_ASSIGNED_RE = re.compile(
    r"(?i)(?<![0-9A-Za-z])(?:api[_\-]?key|apikey|secret(?:[_\-]?key)?|access[_\-]?key(?:[_\-]?id)?|"
    r"private[_\-]?key|client[_\-]?secret|auth[_\-]?token|access[_\-]?token|token|password|passwd|pwd)"
    r"[\"']?[ \t]{0,3}(?:=>|:=|[:=])[ \t]{0,3}(?:[\"']|bearer[ \t]{1,3})?"
    r"([0-9A-Za-z+/=_\-.~!#$%^&*]{8,200})"
    r"|(?i:\bbearer)[ \t]{1,3}([0-9A-Za-z+/=_\-.~]{16,400})")
#: Substrings without which `_KEY_PREFIXED_RE` / `_KEY_ASSIGNED_RE` cannot match (a cheap gate).
_KEY_PREFIXES = ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "ghp_", "gho_", "ghu_", "ghs_",
                 "ghr_", "github_pat_", "glpat-", "xox", "_live_", "_test_", "AIza", "sk-", "hf_", "npm_", "SG.", "eyJ")
_KEY_WORDS = ("key", "secret", "token", "passw", "pwd", "bearer")
_PLACEHOLDER = re.compile(r"(?i)xxx|\*\*\*|your|example|changeme|placeholder|redacted|dummy|sample|<|\$\{|\{\{")


def _entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for c in value:
        counts[c] = counts.get(c, 0) + 1
    n = len(value)
    return -sum(k / n * math.log2(k / n) for k in counts.values())


def _looks_secret(value: str) -> bool:
    """A literal that is a secret rather than a word, identifier or placeholder: a digit, or mixed
    case over 16 characters, and at least 3 bits of entropy per character."""
    if _PLACEHOLDER.search(value) or not (8 <= len(value) <= 400):
        return False
    has_digit = any(c.isdigit() for c in value)
    mixed = any(c.islower() for c in value) and any(c.isupper() for c in value)
    if not (has_digit or (mixed and len(value) >= 16)):
        return False
    return _entropy(value) >= 3.0


def find_keys(text: str) -> Iterator[tuple[int, int]]:
    """Secret-looking tokens: vendor keys by their documented prefixes (AWS, GitHub, GitLab, Slack,
    Stripe, Google, OpenAI, Hugging Face, npm, SendGrid, JWTs), PEM private-key blocks, and
    high-entropy literals assigned to a key/secret/token/password name or sent as a Bearer token.
    A bare hex or base64 string without such context (a commit hash, a checksum) is not a key."""
    if any(prefix in text for prefix in _KEY_PREFIXES):
        for m in _KEY_PREFIXED_RE.finditer(text):
            yield m.span()
    if "-----BEGIN " in text:
        for m in _PRIVATE_KEY_RE.finditer(text):
            yield m.span()
    lowered = text.lower()
    if not any(word in lowered for word in _KEY_WORDS):
        return
    for m in _KEY_ASSIGNED_RE.finditer(text):
        group = 1 if m.group(1) is not None else 2
        value = m.group(group).rstrip(".,;")
        if _looks_secret(value):
            yield m.start(group), m.start(group) + len(value)


# --- CREDIT_CARD -----------------------------------------------------------------------------------

#: A hyphen that glues a number to a lowercase word prefix (Zulu `ngu-`, `ne-`, Swahili `ya-`): the
#: number still starts there. After a digit, an uppercase code (`SKU-`) or another hyphen it does not.
_GLUE = r"(?<![^a-z\u00df-\u024f]-)(?<!^-)"
_GLUE_AFTER_DIGIT = r"(?<![^a-z\u00df-\u024f]-[0-9])(?<!^-[0-9])"  # the same, checked after the first digit
_CARD_RE = re.compile(
    rf"[0-9](?<![0-9A-Za-z_+.,/{_CURRENCY}][0-9]){_GLUE_AFTER_DIGIT}(?:[ \-]?[0-9]){{11,18}}(?![0-9A-Za-z_]|[.,][0-9])")

# (first digits from, first digits to, allowed lengths): the IIN ranges of the card schemes.
_CARD_RANGES: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("4", "4", (13, 16, 19)),                      # Visa (incl. Electron)
    ("51", "55", (16,)), ("2221", "2720", (16,)),  # Mastercard
    ("34", "34", (15,)), ("37", "37", (15,)),      # American Express
    ("6011", "6011", (16, 17, 18, 19)), ("644", "649", (16, 17, 18, 19)), ("65", "65", (16, 17, 18, 19)),  # Discover
    ("300", "305", (14, 15, 16, 17, 18, 19)), ("3095", "3095", (14, 15, 16, 17, 18, 19)),
    ("36", "36", (14, 15, 16, 17, 18, 19)), ("38", "39", (14, 15, 16, 17, 18, 19)),  # Diners Club
    ("35", "35", (16, 17, 18, 19)), ("1800", "1800", (15,)), ("2131", "2131", (15,)),  # JCB (3528-3589, and 35xx as issued by generators)
    ("62", "62", (16, 17, 18, 19)), ("81", "81", (16, 17, 18, 19)),  # UnionPay
    ("2200", "2204", (16, 17, 18, 19)),           # Mir
    ("60", "60", (16,)), ("508", "508", (16,)), ("353", "353", (16,)), ("356", "356", (16,)),  # RuPay
    ("506099", "506198", (16, 18, 19)), ("650002", "650027", (16, 18, 19)),  # Verve
    ("9792", "9792", (16,)),                      # Troy
    ("1", "1", (15,)),                            # UATP
    ("50", "50", (16, 17, 18, 19)), ("56", "69", (16, 17, 18, 19)),  # Maestro (long forms)
    ("56", "58", (12, 13, 14, 15)), ("5018", "5018", (12, 13, 14, 15)), ("5020", "5020", (12, 13, 14, 15)), ("5038", "5038", (12, 13, 14, 15)),
    ("5893", "5893", (12, 13, 14, 15)), ("6304", "6304", (12, 13, 14, 15)), ("6759", "6759", (12, 13, 14, 15)),
    ("6761", "6763", (12, 13, 14, 15)), ("0604", "0604", (12, 13, 14, 15)), ("6390", "6390", (12, 13, 14, 15)),
)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) checksum of a digit string."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_scheme_ok(digits: str) -> bool:
    """Whether the number's prefix and length belong to a card scheme (Visa, Mastercard, Amex, ...)."""
    n = len(digits)
    for low, high, lengths in _CARD_RANGES:
        if n in lengths and low <= digits[:len(low)] <= high:
            return True
    return False


def find_cards(text: str) -> Iterator[tuple[int, int]]:
    """Payment card numbers: 12-19 digits, optionally grouped by single spaces or dashes, not part of
    a longer number (a following group counts as part of it when it uses the same separator), with
    a valid Luhn checksum and a card scheme's prefix and length."""
    for m in _CARD_RE.finditer(text):
        candidate = m.group()
        following = re.match(r"[ \-][0-9]", text[m.end():m.end() + 2])
        if following and following.group()[0] in candidate:
            continue
        digits = re.sub(r"[ \-]", "", candidate)
        if luhn_ok(digits) and card_scheme_ok(digits):
            yield m.span()


# --- IBAN ------------------------------------------------------------------------------------------

_IBAN_RE = re.compile(r"[A-Za-z](?<![0-9A-Za-z_][A-Za-z])[A-Za-z][0-9]{2}(?:[ \-]?[0-9A-Za-z]){10,30}")


@lru_cache(maxsize=None)
def _iban_length(country: str) -> int:
    """The IBAN length of a country from python-stdnum's registry; 0 when the country has none."""
    info = _stdnum_iban._ibandb.info(country)
    bban = info[0][1].get("bban") if info and info[0][0] == country else None
    if not bban:
        return 0
    return 4 + sum(int(n) for n in re.findall(r"(\d+)!?[nac]", bban))


#: IBAN lengths of countries outside the SWIFT registry whose banks issue IBANs all the same
#: (BCEAO/BEAC francophone Africa, Maghreb, Lusophone Africa): checked by mod 97 alone.
_UNREGISTERED_IBAN = {"DZ": 26, "AO": 25, "BJ": 28, "BF": 28, "CM": 27, "CV": 25, "CF": 27, "TD": 27, "KM": 27,
                      "CG": 27, "CI": 28, "GQ": 27, "GA": 27, "GW": 25, "MG": 27, "ML": 28, "MA": 28, "MZ": 25,
                      "NE": 28, "SN": 28, "TG": 28}


def _mod97_ok(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def find_ibans(text: str) -> Iterator[tuple[int, int]]:
    """IBANs: a country code, two check digits and the country's BBAN length of letters and digits,
    optionally grouped, validated by python-stdnum (mod 97 and the country's BBAN pattern), or by mod 97
    and length for the countries in `_UNREGISTERED_IBAN`. The national part is not checked against
    python-stdnum's bank registries or national check digits: a bank missing from a registry (new,
    merged, or simply unlisted, as `BE68539007547034`) does not make an account number less personal."""
    pos = 0
    while True:
        m = _IBAN_RE.search(text, pos)
        if m is None:
            return
        pos = m.start() + 1
        candidate = m.group()
        country = candidate[:2].upper()
        length = _iban_length(country) or _UNREGISTERED_IBAN.get(country, 0)
        if not length:
            continue
        taken, end = 0, m.start()
        for i, ch in enumerate(candidate):
            if ch.isalnum():
                taken += 1
                if taken == length:
                    end = m.start() + i + 1
                    break
        if taken < length or (end < len(text) and text[end].isascii() and text[end].isalnum()):
            continue
        compact = re.sub(r"[ \-]", "", text[m.start():end])
        letters = [c for c in compact[4:] if c.isalpha()]
        if letters and not (all(c.isupper() for c in letters) or all(c.islower() for c in letters)):
            continue  # `LV80 bANK ...`: mixed case is a word, not an account
        compact = compact.upper()
        if _stdnum_iban.is_valid(compact, check_country=False) if country not in _UNREGISTERED_IBAN else _mod97_ok(compact):
            yield m.start(), end
            pos = end


# --- CRYPTO ----------------------------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_BASE58_RE = re.compile(r"(?<![0-9A-Za-z_])[1-9A-HJ-NP-Za-km-z]{25,35}(?![0-9A-Za-z_])")
_BECH32_RE = re.compile(r"(?i)(?<![0-9A-Za-z_])(?:bc|ltc|tb)1[02-9ac-hj-np-z]{22,87}(?![0-9A-Za-z_])")
_LONG_TOKEN_RE = re.compile(r"[0-9A-Za-z]{25}")
_ETH_RE = re.compile(r"(?<![0-9A-Za-z_])0x[0-9a-fA-F]{40}(?![0-9A-Za-z_])")
_BECH32_CHARS = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def base58check_ok(value: str) -> bool:
    """Whether a Base58 string decodes to 25 bytes whose last 4 are its double-SHA-256 checksum
    (Bitcoin, Litecoin, Dogecoin, Tron and other legacy addresses)."""
    number = 0
    for c in value:
        number = number * 58 + _B58_INDEX[c]
    pad = len(value) - len(value.lstrip("1"))
    try:
        raw = b"\0" * pad + number.to_bytes((number.bit_length() + 7) // 8, "big")
    except OverflowError:
        return False
    if len(raw) != 25:
        return False
    return hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def bech32_ok(value: str) -> bool:
    """Whether a SegWit address has a valid Bech32 or Bech32m checksum (BIP 173/350)."""
    if value.lower() != value and value.upper() != value:
        return False
    value = value.lower()
    hrp, data = value.rsplit("1", 1)
    values = [_BECH32_CHARS.index(c) for c in data]
    chk = 1
    for v in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i, g in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            if (top >> i) & 1:
                chk ^= g
    return chk in (1, 0x2BC830A3)


def find_crypto(text: str) -> Iterator[tuple[int, int]]:
    """Crypto wallet addresses: Base58Check (Bitcoin P2PKH/P2SH and kin), Bech32/Bech32m SegWit
    (`bc1...`, `ltc1...`), both checksum-validated, and Ethereum-style `0x` + 40 hex digits."""
    if not _LONG_TOKEN_RE.search(text):
        return  # every address is a token of 25 letters and digits or more
    for m in _BASE58_RE.finditer(text):
        if base58check_ok(m.group()):
            yield m.span()
    if "1" in text:
        for m in _BECH32_RE.finditer(text):
            if bech32_ok(m.group()):
                yield m.span()
    if "0x" in text:
        for m in _ETH_RE.finditer(text):
            yield m.span()


# --- PHONE -----------------------------------------------------------------------------------------

_PHONE_RE = re.compile(rf"""
    (?<![0-9A-Za-z_+./,@\#%{_CURRENCY}]){_GLUE}
    (?:\+[ ]?|\(\+?)?
    [0-9]
    (?:[0-9] | [ ]?[\-./][ ]?(?=[0-9(]) | [ ]{{1,2}}(?=[0-9(]) | \)[ ]?(?=[0-9]) | [ ]?\((?=[0-9])){{5,30}}
    (?:[ ]?(?:x|ext[.:]?|extn\.?|extension|\#)[ ]?[0-9]{{1,6}})?
    (?![0-9A-Za-z_]|[.,][0-9]|[\-/][0-9])
    """, re.X)
_DATE_RE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
_YEARS_RE = re.compile(r"(?:1[0-9]{3}|20[0-9]{2})(?:[ ]?[-/ ][ ]?(?:1[0-9]{3}|20[0-9]{2}|[0-9]{2}))+")
_THOUSANDS_DOT_RE = re.compile(r"\d{1,3}(?:\.\d{3})+")
_COORDS_RE = re.compile(r"\d{1,3}\.\d{3,}[ ]?-?[ ]?\d{1,3}\.\d{3,}")
_THOUSANDS_SPACE_RE = re.compile(r"\d{1,3}(?: \d{3})+")
_PHONE_BEFORE = re.compile(
    r"(?i)(?:tel|tél|phone|mobile|cell|fax|whatsapp|call|contact|portable|t[eé]l[eé]phone|tel[eé]fono|m[oó]vil|celular|"
    r"telefone|telem[oó]vel|simu|nambari|电话|電話|手机|手機|điện thoại|ponsel|telepon|फ़ोन|फोन|ফোন|فون|هاتف|جوال)[^0-9]{0,12}$")
_IPV4_SHAPE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_POSTCODE_BEFORE = re.compile(r"(?i)(?:zip|postcode|postal code|post code|code postal|c[oó]digo postal|cep|plz|p\.o\. box|box)\s{0,2}(?:code)?[:#]?\s{0,2}$")
_STREET_AFTER = re.compile(
    r"(?i)(?:[ ,]{1,2}[^\W\d_][\w'.\-]{0,30}){0,3}?[ ,]{1,2}(?:st|street|str|strasse|straße|ave|avenue|av|rd|road|close|drive|dr|place|pl|sq|square|lane|ln|"
    r"blvd|boulevard|way|court|ct|terrace|crescent|highway|hwy|parkway|rue|calle|avenida|rua|travessa|via|straat|weg|vej|gatan|gade|barabara|mtaa)\b")


def _compact_date(value: str) -> bool:
    """An 8-digit `YYYYMMDD` (1800-2099) date written without separators."""
    if len(value) != 8 or not value.isdigit():
        return False
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
    return 1800 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31
_EXTENSION_RE = re.compile(r"[ ]?(?:x|ext[.:]?|extn\.?|extension|#)[ ]?[0-9]{1,6}$")
_ISBN_BEFORE = re.compile(r"(?i)isbn(?:-1[03])?[:\s]{0,3}$")
_MONEY_AFTER = re.compile(
    r"[ ]?(?:[" + _CURRENCY + r"]|EUR|USD|GBP|INR|KES|NGN|XOF|XAF|FCFA|CFA|francs?|dollars?|euros?|"
    r"shillings?|naira|rupees?|yuan|元|円|đồng|dong|tsh|ksh)(?![A-Za-z])", re.I)


def _phone_lookalike(candidate: str, text: str, start: int, end: int, international: bool) -> bool:
    """Numbers shaped like phones that are something else: dates (also `YYYYMMDD`), year ranges,
    decimals, versions, IPv4 addresses, thousands-grouped amounts, coordinates, ISBNs, prices,
    postcodes and house numbers before a street name; and unbalanced parentheses."""
    if candidate.count("(") != candidate.count(")"):
        return True  # `(1644-1912`, `6387 (3980`: a parenthesis opened around other text
    bare = candidate.strip("(+)")
    if _DATE_RE.fullmatch(bare) or _YEARS_RE.fullmatch(bare) or _compact_date(bare):
        return True
    seps = re.findall(r"[^0-9]+", bare)
    if not international and len(seps) == 1 and seps[0] in (".", ","):
        return True  # a decimal number
    if _THOUSANDS_DOT_RE.fullmatch(bare) or _COORDS_RE.fullmatch(bare) or _IPV4_SHAPE.fullmatch(bare):
        return True
    if _VERSION_BEFORE.search(_before(text, start, 24)):
        return True
    if not international:
        if _THOUSANDS_SPACE_RE.fullmatch(bare) and not _PHONE_BEFORE.search(_before(text, start, 32)):
            return True  # `12 345 678` people, unless it follows `tel.`, `simu`, `电话`, ...
        if _POSTCODE_BEFORE.search(_before(text, start, 24)) or _STREET_AFTER.match(text, end):
            return True
    if any(c in _CURRENCY for c in _before(text, start, 3)) or _MONEY_AFTER.match(text, end):
        return True
    digits = re.sub(r"[^0-9]", "", candidate)
    if _ISBN_BEFORE.search(_before(text, start, 12)):
        return True
    if len(digits) == 13 and digits[:3] in ("978", "979") and _stdnum_isbn.is_valid(digits):
        return True
    if len(digits) == 10 and candidate.count("-") == 3 and _stdnum_isbn.is_valid(candidate):
        return True
    return False


def find_phones(text: str, regions: Sequence[str], leniency: str = "valid") -> Iterator[tuple[int, int]]:
    """Phone numbers: a run of digits and single separators (7-15 digits, optionally `+`, `00` or an
    extension), not a look-alike (`_phone_lookalike`), that `phonenumbers` accepts either in
    international form (`+CC ...`, `00CC ...`: a possible number (leniency POSSIBLE) of a real
    country code) or in the national form of one of `regions` (a valid number of its country calling
    code, so `(809) 247-3420` of the Dominican Republic counts under US; or with
    `leniency="possible"` a possible one of 8 digits or more)."""
    for m in _PHONE_RE.finditer(text):
        candidate = m.group()
        start, end = m.span()
        if end < len(text) and re.match(r"[ ]?[0-9]", text[end:end + 2]):
            continue  # cut off inside a longer run of numbers
        core = _EXTENSION_RE.sub("", candidate)
        digits = re.sub(r"[^0-9]", "", core)
        international = core.startswith(("+", "(+")) or (digits.startswith("00") and not digits.startswith("000"))
        if not (7 if international or len(re.findall(r"[0-9]+", core)) > 1 else 8) <= len(digits) <= (17 if international else 15):
            continue  # a national number needs 8 digits, or 7 written in groups
        if _phone_lookalike(core, text, start, end, international):
            continue
        if _phone_ok(core, digits, international, tuple(regions), leniency):
            yield start, end


@lru_cache(maxsize=65536)
def _phone_ok(core: str, digits: str, international: bool, regions: tuple[str, ...], leniency: str) -> bool:
    if international:
        number = "+" + digits[2:] if not core.lstrip("(").startswith("+") else core.replace("(0)", "")
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            return False
        return phonenumbers.is_possible_number(parsed)
    for region in regions:
        try:
            parsed = phonenumbers.parse(core, region)
        except phonenumbers.NumberParseException:
            continue
        if parsed.country_code != phonenumbers.country_code_for_region(region):
            continue
        if phonenumbers.is_valid_number(parsed):
            return True  # valid in the region's numbering plan: US dialling also reaches PR, DO, JM, ...
        if leniency == "possible" and phonenumbers.is_possible_number(parsed) and len(digits) >= 8:
            return True
    return False


# --- NATIONAL_ID (and BANK_ACCOUNT) ----------------------------------------------------------------


@dataclass(frozen=True)
class IdScheme:
    """A national identifier (or account number) python-stdnum validates: `pattern` is its usual
    written shape, found anywhere; `bare` a shape too plain to trust alone (9 digits), found only
    after one of the `context` words within 48 characters."""

    name: str
    pattern: str | None
    bare: str | None = None
    context: tuple[str, ...] = ()
    type: str = NATIONAL_ID
    pad: int = 0  # left-pad the compact value with zeros to this length before validating

    @property
    def module(self) -> Any:
        return importlib.import_module(f"stdnum.{self.name}")


_B = "(?<![0-9A-Za-z_])"
_E = "(?![0-9A-Za-z_])"
ID_SCHEMES: dict[str, IdScheme] = {s.name: s for s in (
    IdScheme("us.ssn", r"\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}", r"\d{9}", ("ssn", "social security")),
    IdScheme("us.itin", r"9\d{2}-\d{2}-\d{4}|9\d{2} \d{2} \d{4}", r"9\d{8}", ("itin", "taxpayer")),
    IdScheme("ca.sin", None, r"\d{3}-\d{3}-\d{3}|\d{3} \d{3} \d{3}|\d{9}",
             ("sin", "social insurance", "nas", "assurance sociale")),
    IdScheme("gb.nhs", None, r"\d{3}-\d{3}-\d{4}|\d{3} \d{3} \d{4}|\d{10}", ("nhs",)),
    IdScheme("in_.aadhaar", None, r"[2-9]\d{3}-\d{4}-\d{4}|[2-9]\d{3} \d{4} \d{4}|[2-9]\d{11}",
             ("aadhaar", "aadhar", "आधार", "uidai", "uid")),
    IdScheme("in_.pan", r"[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]"),
    IdScheme("au.tfn", None, r"\d{3} \d{3} \d{3}|\d{3}-\d{3}-\d{3}|\d{8,9}", ("tfn", "tax file")),
    IdScheme("au.abn", None, r"\d{2} \d{3} \d{3} \d{3}|\d{11}", ("abn", "business number")),
    IdScheme("za.idnr", r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?: ?\d{4} ?\d{3}|\d{7})"),
    IdScheme("ke.pin", None, r"[AP]\d{9}[A-Z]", ("pin", "kra")),
    IdScheme("cn.ric", r"\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]"),
    IdScheme("mx.curp", r"[A-Z]{4}\d{6}[HMX][A-Z]{5}[0-9A-Z]\d"),
    IdScheme("br.cpf", r"\d{3}\.\d{3}\.\d{3}-\d{2}", r"\d{11}", ("cpf",)),
    IdScheme("pt.cc", r"\d{8} ?\d ?[A-Z]{2}\d"),
    IdScheme("pt.nif", None, r"\d{9}", ("nif", "contribuinte")),
    IdScheme("es.dni", r"\d{7,8}-?[A-Za-z]", pad=9),
    IdScheme("es.nie", r"[XYZxyz]-?\d{7}-?[A-Za-z]"),
    IdScheme("es.ccc", r"\d{4} \d{4} \d{2} \d{10}|\d{4}-\d{4}-\d{2}-\d{10}|\d{20}", type=BANK_ACCOUNT),
    IdScheme("ar.cuit", r"\d{2}-\d{8}-\d"),
    IdScheme("cl.rut", r"\d{1,2}\.\d{3}\.\d{3}-[0-9kK]"),
    IdScheme("fr.nir", r"[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}"),
    IdScheme("be.nn", r"\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}", r"\d{11}", ("rijksregister", "registre national", "nn")),
    IdScheme("ch.ssn", r"756\.\d{4}\.\d{4}\.\d{2}"),
    IdScheme("pk.cnic", r"\d{5}-\d{7}-\d"),
    IdScheme("id.nik", None, r"\d{16}", ("nik", "ktp")),
)}


@lru_cache(maxsize=None)
def _id_regexes(name: str) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, re.Pattern[str] | None]:
    scheme = ID_SCHEMES[name]
    plain = re.compile(f"{_B}(?:{scheme.pattern}){_E}") if scheme.pattern else None
    bare = re.compile(f"{_B}(?:{scheme.bare}){_E}") if scheme.bare else None
    words = "|".join(re.escape(w) for w in scheme.context)
    context = re.compile(rf"(?i)(?<![a-z])(?:{words})(?![a-z])") if words else None
    return plain, bare, context


@lru_cache(maxsize=None)
def _validator(name: str):
    """`value -> bool` for a scheme: python-stdnum's `is_valid` on the value as written, or on its
    compact form (separators removed, zero-padded where the scheme says)."""
    scheme = ID_SCHEMES[name]
    module = scheme.module

    def valid(value: str) -> bool:
        if module.is_valid(value):
            return True
        compact = re.sub(r"[ .\-/]", "", value).upper()
        if scheme.pad:
            compact = compact.zfill(scheme.pad)
        return compact != value and module.is_valid(compact)

    return valid


def find_national_ids(text: str, schemes: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    """National identifiers and account numbers of the given python-stdnum schemes: the written
    shape anywhere, plain digit runs only after a context word; every value checksum-validated."""
    for name in schemes:
        scheme = ID_SCHEMES[name]
        plain, bare, context = _id_regexes(name)
        valid = _validator(name)
        seen: set[tuple[int, int]] = set()
        if plain is not None:
            for m in plain.finditer(text):
                if valid(m.group()):
                    seen.add(m.span())
                    yield m.start(), m.end(), scheme.type
        if bare is not None and context is not None:
            for m in bare.finditer(text):
                if m.span() not in seen and context.search(_before(text, m.start(), 48)) and valid(m.group()):
                    yield m.start(), m.end(), scheme.type


# --- overlap resolution ----------------------------------------------------------------------------


def resolve_overlaps(spans: Sequence[Span]) -> list[Span]:
    """Merge overlapping spans into one covering their union, typed by the longest member (ties by
    PRIORITY); the result is sorted and non-overlapping. See the module docstring."""
    out: list[Span] = []
    group: list[Span] = []
    group_end = -1
    for span in sorted(set(spans)):
        if group and span.start >= group_end:
            out.append(_merge(group))
            group = []
        group.append(span)
        group_end = max(group_end, span.end) if len(group) > 1 else span.end
    if group:
        out.append(_merge(group))
    return out


def _merge(group: list[Span]) -> Span:
    best = min(group, key=lambda s: (-(s.end - s.start), _RANK.get(s.type, len(_RANK)), s.start))
    return Span(min(s.start for s in group), max(s.end for s in group), best.type)


# --- per-language settings -------------------------------------------------------------------------


@dataclass(frozen=True)
class PiiSettings:
    """Which detectors run for a language, the phone regions and the national-id schemes; read from
    the `pii:` section of the language's YAML (see `settings_from_section`)."""

    detectors: tuple[str, ...] = DEFAULT_NATURAL
    phone_regions: tuple[str, ...] = ()
    national_ids: tuple[str, ...] = ()
    phone_leniency: str = "valid"


_SECTION_KEYS = ("detectors", "phone_regions", "national_ids", "phone_leniency")


def settings_from_section(section: dict[str, Any] | None, where: str, is_code: bool = False) -> PiiSettings:
    """Validate a language's `pii:` section (None: the defaults for its kind); every problem is a
    LanguageConfigError naming the file and key."""
    if section is None:
        return PiiSettings(detectors=DEFAULT_CODE if is_code else DEFAULT_NATURAL)
    for key in section:
        if key not in _SECTION_KEYS:
            close = difflib.get_close_matches(str(key), _SECTION_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(_SECTION_KEYS)})"
            raise LanguageConfigError(f"{where}: key 'pii.{key}' is not a known key{hint}")
    detectors = _names(section, "detectors", where, DETECTORS,
                       list(DEFAULT_CODE if is_code else DEFAULT_NATURAL))
    regions = _names(section, "phone_regions", where, tuple(sorted(phonenumbers.SUPPORTED_REGIONS)), [])
    ids = _names(section, "national_ids", where, tuple(ID_SCHEMES), [])
    leniency = section.get("phone_leniency", "valid")
    if leniency not in ("valid", "possible"):
        raise LanguageConfigError(f"{where}: key 'pii.phone_leniency' must be 'valid' or 'possible', got {leniency!r}")
    if ids and NATIONAL_ID not in detectors:
        raise LanguageConfigError(f"{where}: key 'pii.national_ids' is set but NATIONAL_ID is not in 'pii.detectors'")
    if is_code and PHONE in detectors:
        raise LanguageConfigError(f"{where}: key 'pii.detectors': PHONE is not for programming languages")
    return PiiSettings(tuple(detectors), tuple(regions), tuple(ids), leniency)


def _names(section: dict[str, Any], key: str, where: str, known: Sequence[str], default: list[str]) -> list[str]:
    value = section.get(key, default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LanguageConfigError(f"{where}: key 'pii.{key}' must be a list of strings")
    for item in value:
        if item not in known:
            close = difflib.get_close_matches(item, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LanguageConfigError(f"{where}: key 'pii.{key}': {item!r} is not known{hint}")
    if len(set(value)) != len(value):
        raise LanguageConfigError(f"{where}: key 'pii.{key}' lists a value twice")
    return value


def language_settings(config: LanguageConfig) -> PiiSettings:
    """The PII settings of one registry language (its `pii:` section, validated)."""
    return settings_from_section(config.sections.get("pii"), config.path, config.is_code)


# --- the detector ----------------------------------------------------------------------------------


@dataclass
class PiiDetector:
    """Every enabled detector of one language's settings; `detect` gives resolved spans."""

    settings: PiiSettings = field(default_factory=PiiSettings)
    skip_types: frozenset[str] = frozenset()

    def detect(self, text: str) -> list[Span]:
        """The PII spans of `text` (offsets into it), overlaps merged, sorted by start."""
        folded = fold(text)
        s = self.settings
        numeric = _NUMERIC7.search(folded) is not None
        found: list[Span] = []
        for name in s.detectors:
            if not numeric and name in _NEEDS_7_DIGITS:
                continue  # a text without 7 digits close together holds no phone or card
            if name == NATIONAL_ID:
                schemes = s.national_ids if numeric else tuple(n for n in s.national_ids if n in _FEW_DIGIT_IDS)
                found += [Span(a, b, t) for a, b, t in find_national_ids(folded, schemes)]
            elif name == PHONE:
                regions = phone_regions_with_neighbours(s.phone_regions)
                found += [Span(a, b, PHONE) for a, b in find_phones(folded, regions, s.phone_leniency)]
            else:
                found += [Span(a, b, name) for a, b in _SIMPLE[name](folded)]
        spans = resolve_overlaps(found)
        return [sp for sp in spans if sp.type not in self.skip_types] if self.skip_types else spans


#: Regions whose national numbers turn up in text of any language (expatriates, call centres,
#: businesses abroad, North American and British contact pages): searched after the language's own.
NEIGHBOUR_REGIONS = ("US", "CA", "GB")


@lru_cache(maxsize=None)
def phone_regions_with_neighbours(regions: tuple[str, ...]) -> tuple[str, ...]:
    """The language's phone regions (`pii.phone_regions`), then `NEIGHBOUR_REGIONS` not already in them."""
    return tuple(regions) + tuple(r for r in NEIGHBOUR_REGIONS if r not in regions)


_NUMERIC7 = re.compile(r"[0-9](?:[ .\-/()]{0,2}[0-9]){6}")
_NEEDS_7_DIGITS = frozenset((PHONE, CREDIT_CARD))
_FEW_DIGIT_IDS = frozenset(("in_.pan", "mx.curp"))  # schemes with fewer than 7 digits in a row
_SIMPLE = {EMAIL: find_emails, IP_ADDRESS: find_ips, USER: find_users, KEY: find_keys,
           CREDIT_CARD: find_cards, IBAN: find_ibans, CRYPTO: find_crypto}

#: Every regex the detectors run, for the linear-time check in the tests.
PATTERNS: dict[str, re.Pattern[str]] = {
    "email": _EMAIL_RE, "ipv4": _IPV4_RE, "ipv4_candidate": _IPV4_CANDIDATE_RE, "long_token": _LONG_TOKEN_RE, "ipv6": _IPV6_RE, "user": _USER_RE, "key_prefixed": _KEY_PREFIXED_RE,
    "private_key": _PRIVATE_KEY_RE, "key_assigned": _KEY_ASSIGNED_RE, "card": _CARD_RE, "iban": _IBAN_RE,
    "numeric7": _NUMERIC7, "base58": _BASE58_RE, "bech32": _BECH32_RE, "eth": _ETH_RE, "phone": _PHONE_RE,
    **{f"id:{n}:{i}": p for n in ID_SCHEMES for i, p in enumerate(_id_regexes(n)[:2]) if p is not None},
}


# --- redaction -------------------------------------------------------------------------------------


def tag(span_type: str, tag_format: str = "PI:{type}") -> str:
    """The replacement of a span in tag mode: `PI:EMAIL`, `PI:IP_ADDRESS`, ... as ROOTS wrote them."""
    return tag_format.format(type=span_type)


def redact(text: str, spans: Sequence[Span], replace: str = "tag", seed: str = "",
           tag_format: str = "PI:{type}") -> str:
    """`text` with each (sorted, non-overlapping) span replaced by its tag, or with `replace="fake"`
    by a realistic fake value drawn from a generator seeded by `seed` (the document id)."""
    if not spans:
        return text
    rng = random.Random(f"roots-pii:{seed}") if replace == "fake" else None
    out: list[str] = []
    pos = 0
    for span in spans:
        out.append(text[pos:span.start])
        value = text[span.start:span.end]
        out.append(fake_value(span.type, fold(value), rng) if rng is not None else tag(span.type, tag_format))
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


_FIRST = ("alex", "amina", "chen", "david", "fatou", "ines", "kwame", "lucia", "maria", "nguyen", "priya", "sam")
_LAST = ("silva", "okafor", "wang", "diallo", "garcia", "kumar", "mwangi", "tran", "rossi", "haddad", "smith")


def _scramble(value: str, rng: random.Random, keep: int = 0, alphabet: str | None = None) -> str:
    """The value with every letter and digit after the first `keep` characters replaced by a random
    one of the same kind (digit, upper, lower; or from `alphabet`), separators kept."""
    out = list(value[:keep])
    for c in value[keep:]:
        if alphabet is not None and c in alphabet:
            out.append(rng.choice(alphabet))
        elif c.isdigit():
            out.append(str(rng.randrange(10)))
        elif c.isascii() and c.isupper():
            out.append(chr(rng.randrange(26) + 65))
        elif c.isascii() and c.islower():
            out.append(chr(rng.randrange(26) + 97))
        else:
            out.append(c)
    return "".join(out)


def _set_digit(value: str, index_from_end: int, digit: int) -> str:
    """The value with its `index_from_end`-th digit from the end (0 = last) set to `digit`."""
    chars = list(value)
    positions = [i for i, c in enumerate(chars) if c.isdigit()]
    chars[positions[-1 - index_from_end]] = str(digit)
    return "".join(chars)


def fake_value(span_type: str, value: str, rng: random.Random) -> str:
    """A realistic stand-in of the same type and shape: reserved example domains and documentation
    IP ranges; cards keep their scheme digit and get a valid Luhn digit; IBANs keep their country
    and get valid check digits; other values keep their separators and kinds of characters."""
    if span_type == EMAIL:
        return f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}{rng.randrange(100)}@example.{rng.choice(('com', 'org', 'net'))}"
    if span_type == IP_ADDRESS:
        if ":" in value:
            return f"2001:db8::{rng.randrange(1, 0xFFFF):x}"
        return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randrange(1, 255)}"
    if span_type == USER:
        return f"@{rng.choice(_FIRST)}_{rng.randrange(1000, 10000)}"
    if span_type == CREDIT_CARD:
        fake = _set_digit(_scramble(value, rng, keep=1), 0, 0)
        digits = re.sub(r"\D", "", fake)
        return _set_digit(fake, 0, (10 - sum(
            (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
            for i, d in enumerate(int(c) for c in reversed(digits))) % 10) % 10)
    if span_type == IBAN:
        fake = _scramble(value, rng, keep=4)
        compact = re.sub(r"[ \-]", "", fake).upper()
        check = _stdnum_iban.calc_check_digits(compact)
        return fake[:2] + check + fake[4:]
    if span_type == PHONE:
        keep = 1
        if value.startswith("+"):
            try:
                keep = 1 + len(str(phonenumbers.parse(value, None).country_code))
            except phonenumbers.NumberParseException:
                keep = 2
        return _scramble(value, rng, keep=keep)
    if span_type == CRYPTO:
        keep = 2 if value.startswith("0x") else (value.find("1") + 1 if value[:3].lower() in ("bc1", "ltc", "tb1") else 1)
        alphabet = "0123456789abcdef" if value.startswith("0x") else (_BECH32_CHARS if keep > 1 else _B58)
        return _scramble(value, rng, keep=keep, alphabet=alphabet)
    return _scramble(value, rng)


def spans_to_meta(spans: Sequence[Span]) -> list[dict[str, Any]]:
    """The spans as `meta["pii"]` stores them: [{"type", "start", "end"}], never the values."""
    return [s.to_json() for s in spans]
