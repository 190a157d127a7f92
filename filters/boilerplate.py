"""Web boilerplate removal: line rules from C4, Gopher and FineWeb made multilingual, and document rules
computed on what is left. On by default for crawl sources (formats `warc` and `wet`, and sources marked
`web: true`); every other source passes untouched.

A web page's text (a WET conversion, an extractor's output, an OSCAR line set) mixes the article with
menus, language switchers, cookie banners, share and login buttons and footers. The stage removes such
lines, each for a named rule, and records how many per rule in `meta["boilerplate"]`:

| rule | a line is removed when (literature) |
| --- | --- |
| `cookie`, `copyright`, `javascript`, `legal` | it holds a consent, copyright, "enable JavaScript" or policy phrase of one of 24 languages and is not long (C4's policy and javascript lines; copyright also by `©`) |
| `share`, `login`, `subscribe`, `read_more`, `navigation` | it starts with a button or menu phrase and is short; a one-word phrase must be the whole line |
| `comments`, `credit` | it holds a comment-form string ("Your email address will not be published", "Save my name, email…") or a photo credit (`Getty Images`, `REUTERS/`, `Image credit`, `Foto:`) and is not long, or it is a caption of at most 60 words that ends with its credit ("… (Photo: Getty Images)", "… engines. Credit: ESA"); or it is a reader comment's header ("joetoronto says:", "Alex on September 17, 2018 at 6:34 am said:") |
| `bio` | it is an author box: a capitalised name (a "(@handle)" after it allowed), "is a/an/the" or "is <Employer>'s" (or another language's copula) and a writer's role within four words ("Meg James is a corporate media reporter for…", "Matthew is PCMag's UK-based editor…"), or "Follow him on Twitter", in at most 80 words; or, when no kept line is next to it, any profession within seven words ("Leah Stokes is an assistant professor of political science at…") |
| `notice` | it holds a site notice and has at most 60 words: an affiliate or advertiser disclosure, an ad-blocker request, a paywall or "support our journalism" appeal, a newsletter sign-up ("delivered to your inbox"), "By registering you agree…", "may not be reproduced", an opinion, FDA or medical-advice disclaimer, "Got a tip?"; or, in 40–200 words, it holds two or more phrases of the kinds above that match anywhere in a line (a copyright mark counting as one): a footer or disclaimer paragraph |
| `related` | it starts with a related-story label ("Lea también:", "RELATED:", "À lire aussi", "ये भी पढ़ें") and has at most 30 words: the label and the headline it links to |
| `homoglyph` | two or more of its words (and a tenth of them) mix Latin letters with Cyrillic or Greek look-alikes ("Аdvеrtіѕе wіth thе…"): spam spelt to slip past word filters |
| `byline` | it has at most 10 words, no terminal punctuation, and opens with a byline word ("Written by", "Updated", "Publicado", "作者："), or with a bare "By" / "Por" / "Oleh" followed by a capitalised word (a name) |
| `date_line` | it has at most 10 words, a digit, and nothing but numbers and month, weekday, time or gallery words ("19 Nov 2019 05:44 GMT", "3H ago", "hace 3 horas", "Image 2 of 5"): a date, time or counter alone |
| `dated_link` | it is a listing entry, 3–30 words ending no sentence and closed by a date (maybe a time and a section name: "…一一解答 2019-09-07 15:05 华为") or opened by one ("08/01/2014 Urkullu se declara…"), on a page holding three or more (of 439 lines closed by a date on all the page sets read, 3 are in main text, each the only one on its page; pages with three or more opened by one: 11, none in main text) |
| `link_list` | it is three or more short segments split by `|`, `·`, `•`, `»`, `›`, ` / `, ` > `, ` - ` (menus, breadcrumbs), or, in Chinese and Japanese (which put no space between words), five or more space-separated items of at most four characters ("时政 地方 法治 国际 军事 …"), or 40+ characters without a punctuation mark or ten or more space-separated items with under one mark per 20 characters (keyword lists) |
| `language_list` | it is made of language names written in their own language (two or more, or one next to another) |
| `title_case_list` | it has 20 or more words, no terminal punctuation, and most words capitalised (category lists) |
| `repeated_phrase` | it has no terminal punctuation and one capitalised two-word phrase opens it three or more times, over 0.3 of its words: a menu flattened onto one line ("Sort by popularity Sort by average rating Sort by price…") |
| `menu_run` | it is short (fewer than `line_max_words` words) without terminal punctuation, in a run of at least `max_short_run` such lines, lines removed by the rules above counting in the run (C4's terminal punctuation rule, kept to where it is boilerplate) |
| `dangling_short` | it is short without terminal punctuation and no prose follows it (a heading is kept: prose follows) |
| `repeated_line` | it repeats a line kept earlier in the document, or it has 4+ words and is part of another kept line (a headline inside the page title, a teaser cut from the article) (`remove_repeated_lines`, on by default) |
| `comment` | it is in a reader comment: a block of at most 12 kept lines under a comment header, a date or menu line or the previous comment's links, closed by a reply link alone ("Reply", "Antworten", "Répondre", "回复"), or opened, directly or over its date line or greeting ("Hi Milan,"), by a dated comment header ("Alex on September 17, 2018 at 6:34 am said:") or by a bare one ("Kristine says:", "Gitta Peyn sagt:") on a page with three or more; or it is in the page's comment section, under its heading ("10 thoughts on “…”", "3 Gedanken zu „…“") after 100+ words of the article or over comment dates, up to the comment form (`remove_comments`, on by default: trafilatura, and FineWeb with it, leave comments out; C4 and Gopher keep them) |
| `teaser_list` | it is a headline or its deck in a run of at least `min_teaser_pairs` (3) consecutive pairs of a capitalised line of 4–15 words without terminal punctuation and a deck of one or two sentences (6–45 words): the teaser grid of a news, shop or blog page (cased scripts only) |
| `teaser` | it ends in an ellipsis and such lines are more than `max_ellipsis_line_fraction` (0.3) of the lines kept (Gopher's ellipsis share, but the teasers go and the article stays: 5 of the 181 article pages and 21 of 876 unseen pages were rejected whole when it was a document rule) |
| `headline_tail` | it comes after the page's last sentence (8+ words ending in `.`, `!` or `?`, after 50+ words of kept text) in a tail of at least `min_tail_headlines` (3) headline-like lines (4–30 words, no sentence end inside, none at its end but "…" or "?"; not ending in a colon) and labels of under 4 words ("Lo más visto"): the "most read" or "more from" list under an article, whose headlines are too long for a menu run (on trafilatura's 884 pages: 23 tails, no `with` snippet; `min_tail_headlines: 0` keeps them) |
| `island` | it stands, alone or with one other line, in at most `island_max_words` (25) words, between two lines removed as boilerplate (a menu line of at most 5 words, a notice, a copyright line…; not a credit, byline, date, advertisement label, read-more link or teaser, which sit inside articles), on a page that keeps 50+ words of running text elsewhere and not 50+ on each side of it (jusText's context rule: a short block between bad blocks is bad): a site's blurb, a login prompt, a newsletter line in a language no phrase list covers (`island_max_words: 0` keeps them) |

A hard-wrapped paragraph (plain-text mail, `<pre>` or `<br>` text: lines of 3+ words that break
mid-sentence, each followed by one starting in lower case or after a comma, semicolon or hyphen, or
at the same wrap width before a capitalised word when most links are lower case, the last ending a
sentence, `line_max_words`+ words in all) is prose: its lines are never a `menu_run`.

Why repeated lines are removed rather than the page rejected (Gopher's duplicate-line rule): on the 181
article-extraction pages, whole-page text repeats the article (print, AMP and gallery copies) on 7 pages
that hold 12% of all article text; rejecting them kept 0.885 of the unique article text, removing the
copies 0.967, with as much boilerplate removed. The 9 OSCAR documents it saves read as real text. The
count is kept in `meta["boilerplate"]["lines_removed"]["repeated_line"]` for a later repetition rule.

"Terminal punctuation" is that of every script: `. ! ? … । ॥ ۔ ؟ 。 ！ ？ ။ ። ፧ ؛ ។`, Bengali-script `৷` (typed for
a danda in Assamese and Bengali), Amharic `፡፡`, the
`|` or `I` that Odia and other Indic writers type for a danda, then closing quotes, brackets or
footnote marks; Thai and Lao write no sentence punctuation, so a line ending in their letters counts
as ended. Chinese and Japanese (and Thai, Lao, Khmer, Myanmar, Tibetan) count two
characters as a word, since they put no spaces between words.

Then, on the lines left (Gopher's and FineWeb's document rules, rejecting with `boilerplate:<rule>`):
`empty`, `too_little_left` (fewer than `min_words_left` words after lines were removed), `lone_line`
(the page is one line of under `min_block_words` words that ends no sentence, or ends in an ellipsis: a
headline, caption, notice or cut-off teaser alone; C4 drops such a line), `duplicate_lines` / `duplicate_paragraphs` (share of repeated lines
or paragraphs, by count or by characters), `bullet_lines`, `short_lines` (share of lines under 30
characters) and `terminal_punctuation` (share of lines ending in it, unless those lines hold
`prose_enough_words` words: an extractor's one long article line over twenty link lines), and `prose_share`: a page of at least
`min_lines_for_prose` (5) lines with under `min_prose_char_fraction` (0.3) of its characters in
paragraphs (lines of 20+ words, or runs of 3+ consecutive sentences of 5+ words: prose written a sentence
per line) is a stack of headlines, teasers, captions and notices (what is left of a news page once its
article is taken away: of the article-extraction pages' leftovers it rejects 13 of 93 that the other
rules keep, and none of 197 clean articles and OSCAR texts), unless those paragraphs hold
`prose_enough_words` (100) words: an article with many headlines kept around it (of the leftovers it
rejects, none has more than 79). Last, `no_running_text`: a page of which
boilerplate lines were at least `block_rule_removed_fraction` (0.5) of the characters and whose longest
block of kept lines (consecutive but for blank lines: no removed line between them) is under
`min_block_words` (50, Gopher's minimum document) words has no running text left: what an index page, or
a page whose article the extractor lost, leaves is single teasers, captions, bios and notices, each
standing alone between menus (a credit, byline or date line does not break a block: they sit inside
articles, between a caption and the next paragraph). An article, however short, is one block: of the 181 article-extraction
pages' full text it rejects none (the shortest article has 83 words); of their leftovers once the
article is taken away it rejects 43 that the other boilerplate rules keep (28 that no later stage
rejected either); it costs one ground-truth
article that is a standings table with 26 words of prose. A rejected document keeps its original
text, so
what was judged can be read back; its `meta["boilerplate"]` says what would have been removed.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from roots import reasons
from roots.document import Document, Reason, Rejection
from roots.filters.boilerplate_phrases import (ABOUT_HEADINGS, AUTONYMS, BIO_COPULAS, BIO_ROLES, BIO_ROLES_ALONE,
                                               BYLINE, BYLINE_NAMED, DATE_WORDS, KINDS, PhraseKind)
from roots.scripts import UNSPACED_LETTER
from roots.stage_configs import WEB_FORMATS, BoilerplateConfig  # noqa: F401

STAGE = "boilerplate"
META_KEY = "boilerplate"
(EMPTY, TOO_LITTLE, LONE_LINE, DUP_LINES, DUP_PARAS, BULLETS, SHORT_LINES, PUNCT, NO_RUNNING_TEXT,
 PROSE) = (reasons.BOILERPLATE[n] for n in (
    "empty", "too_little_left", "lone_line", "duplicate_lines", "duplicate_paragraphs", "bullet_lines",
    "short_lines", "terminal_punctuation", "no_running_text", "prose_share"))

# --- cheap line measures --------------------------------------------------------------------------------

_SENTENCE_MARK = (r"(?:[.!?…।॥۔؟。！？။።፧؛។\u09f7]|፡፡|(?<=[\u0900-\u0dff)])\s?[|I]|[\u0e00-\u0eff])"
                  r"(?:[\"'”’»›」』）)\]]|\[\d+\])*")
_TERMINAL = re.compile(_SENTENCE_MARK + r"\s*$")
#: `_TERMINAL`, or a bracketed reference after a full stop ("…the universe. [MP3 SP]"): tried only on
#: lines ending in "]", over a wider window, so the common case stays a 16-character search.
_TERMINAL_CITED = re.compile(r"(?:" + _SENTENCE_MARK + r"|[.。][\"'”’)]*\s?\[[^\[\]\n]{1,30}\])\s*$")
#: Scripts written without spaces between words: two characters count as one word.
_WIDE = UNSPACED_LETTER
_SYMBOL_TOKEN = re.compile(r"(?<!\S)[^\w\s]+(?!\S)")
_BULLET = re.compile(r"^\s*[•‣⁃◦▪▫●○■□➢➤►▶✓✔*·–—-]\s")
_ELLIPSIS = re.compile(r"(?:…|\.\.\.|。。。)[\"'”’)\]]*\s*$")
_SEPARATORS = re.compile(r"\s*[|·•»›¦→◦▪‣⋅∙]\s*|\s+[/>\-–]\s+")
_SEPARATOR_ANY = re.compile(r"[|·•»›¦→◦▪‣⋅∙]|\s[/>\-–]\s")
_COPYRIGHT_MARK = re.compile(r"©|\bcopyright\s*(?:\(c\)|\d{4})|^\s*\(c\)\s*(?:19|20)\d\d", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W\d_]+")
_NAME = r"(?:[A-Z][\w.'’-]*|[A-Z]\.)"
_BIO_OPENING = re.compile(r"\s*" + _NAME + r"(?:\s+" + _NAME + r"){0,3}(?:\s+\(@\w+\))?\s+(?P<copula>" +
                          "|".join(re.escape(c) for c in BIO_COPULAS) + r"|is [A-Z][\w.&-]*['’]s)\b")
_FOLLOW_ME = re.compile(r"\bfollow (?:him|her|them|me) on (?:twitter|x|facebook|instagram|linkedin|mastodon)\b"
                        r"|\bsuivez-(?:le|la|moi) sur\b|\bsíguel[oa] en\b|\bsiga-(?:o|a) no\b", re.IGNORECASE)
_FOLLOW_WORDS = ("follow", "suivez", "sígue", "siga")
_COPULA_WORDS = tuple(sorted({" " + c.split()[0] + " " for c in BIO_COPULAS}))
_WORD = re.compile(r"\w+")
#: The verbs closing a comment's header line ("joetoronto says:", "Alex on September 17, 2018 at 6:34 am
#: said:"): the present tense of WordPress's "says:" and its translations, which alone may open a comment
#: (`_BARE_COMMENT_HEAD`), then the others (past tense, as a forum's quote has).
_PRESENT_COMMENT_VERBS = ("says|writes|dice|escribe|diz|escreve|dit|écrit|sagt|schreibt|meint|zegt|scrive|pisze|"
                          "berkata|menulis|nói|说|說")
_PAST_COMMENT_VERBS = "said|wrote|replied|dijo|escribió|disse|escreveu|schrieb|schreef|napisał|napisała|viết|قال|كتب|ने कहा"
_COMMENT_VERB = re.compile(r"\s(?:" + _PRESENT_COMMENT_VERBS + "|" + _PAST_COMMENT_VERBS + r")\s*[:：]\s*$",
                           re.IGNORECASE)
_PARAGRAPHS = re.compile(r"\n\s*\n")
#: Lines sharing their first three tokens beyond which a line is not looked for inside the others.
_MAX_HOLDERS = 64


def has_terminal(line: str) -> bool:
    """Whether the line ends a sentence, in any script (closing quotes and brackets and footnote marks
    after it allowed, "…in 1990.[1]", and a bracketed reference after a full stop, "…the universe. [MP3 SP]";
    a headline's label after a question, "…mieszkańców? [MAPA]", ends none)."""
    if _TERMINAL.search(line[-16:]):
        return True
    return line.rstrip().endswith("]") and _TERMINAL_CITED.search(line[-48:]) is not None


def ends_sentence(line: str) -> bool:
    """Whether the line ends a sentence and not in an ellipsis: a line cut off with "…" or "..." is a
    teaser (as the `teaser` rule reads it), so a page of that one line is no text on its own."""
    return has_terminal(line) and _ELLIPSIS.search(line) is None


def word_count(line: str, wide: bool) -> int:
    """Space-separated tokens holding a letter or digit (a lone `|` or `-` is no word), plus one per two
    characters of scripts without spaces when `wide`."""
    n = len(line.split()) - len(_SYMBOL_TOKEN.findall(line))
    return n + len(_WIDE.findall(line)) // 2 if wide else n


#: Share of a page's letters in scripts written without spaces from which the page is read as one:
#: pages in those languages hold 0.19 and more, spaced pages with a language menu ("简体中文 日本語") or a
#: quoted name 0.013 and less (on 158 pages holding any such letter: the article, trafilatura,
#: Readability, newspaper4k and GeneralNewsExtractor pages and the labelled set).
WIDE_LETTER_SHARE = 0.1
_LETTER = re.compile(r"[^\W\d_]")


def wide_script(text: str) -> bool:
    """Whether the text is written mostly in a script without spaces between words (Chinese, Japanese,
    Thai…): at least `WIDE_LETTER_SHARE` of its letters. One language switcher on an English page does
    not make it one (its hard-wrapped paragraphs and teaser lists would go unseen)."""
    unspaced = len(_WIDE.findall(text))
    return unspaced > 0 and unspaced >= WIDE_LETTER_SHARE * len(_LETTER.findall(text))


def width(line: str, wide: bool) -> int:
    """Characters, CJK and the like counting double (FineWeb's short-line length, fair to Chinese)."""
    return len(line) + len(_WIDE.findall(line)) if wide else len(line)


# --- phrase matchers ------------------------------------------------------------------------------------


def _is_single(phrase: str, kind: PhraseKind) -> bool:
    """A phrase that must be the whole line: one word of a spaced script, or at most two wide characters
    (unless the kind says otherwise)."""
    if not kind.whole_words:
        return False
    if _WIDE.search(phrase):
        return len(phrase) <= 2
    return " " not in phrase.strip()


@dataclass(frozen=True)
class _Matcher:
    """One phrase kind compiled: a regex for `contains` / `starts` phrases and a set of whole lines."""

    rule: str
    kind: PhraseKind
    pattern: re.Pattern | None
    whole: frozenset[str]

    def matches(self, folded: str, key: str, words: int) -> bool:
        """Whether the line (casefolded; `key`: its words alone, see `_own_rule`) is of this kind."""
        if words > self.kind.max_words:
            return False
        if key in self.whole:
            return True
        if self.pattern is None:
            return False
        if self.kind.match == "contains":
            return self.pattern.search(folded) is not None
        return self.pattern.match(folded) is not None


def trie_pattern(words: Iterable[str]) -> str:
    """A regex alternation of `words` merged into a trie, so that the regex engine rejects most
    positions on their first character (a flat alternation of hundreds of phrases tries each in turn,
    which made the stage 40 times slower)."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
        return body + "?" if ends else body

    return build(root)


def _compile(rule: str, kind: PhraseKind) -> _Matcher:
    """Compile a kind's phrases of every language into one alternation (longest first)."""
    phrases = sorted({p.casefold() for ps in kind.phrases.values() for p in ps}, key=len, reverse=True)
    whole = frozenset(_NON_WORD.sub(" ", p).strip() for p in phrases if kind.match == "starts" and _is_single(p, kind))
    rest = [p for p in phrases if kind.match == "contains" or not _is_single(p, kind)]
    if not rest:
        return _Matcher(rule, kind, None, whole)
    body = trie_pattern(rest)
    if kind.match == "contains":   # matched against casefolded text
        pattern = re.compile(f"(?:{body})")
    else:  # after leading bullets or symbols; a spaced phrase must end at a word boundary
        pattern = re.compile(rf"[\W_]*(?:{body})(?:(?<=\W)|(?!\w))")
    return _Matcher(rule, kind, pattern, whole)


_MATCHERS: tuple[_Matcher, ...] = tuple(_compile(rule, kind) for rule, kind in KINDS.items())
_CONTAINS: tuple[_Matcher, ...] = tuple(m for m in _MATCHERS if m.kind.match == "contains" and m.pattern is not None)
#: What `present_kinds` returns with a copyright mark (©, "copyright 2019") in the text.
COPYRIGHT_MARK = "copyright_mark"


#: Every `contains` phrase (casefolded) → the kinds it belongs to; one trie regex finds them all.
_PHRASE_KINDS: dict[str, frozenset[str]] = {}
for _m in _CONTAINS:
    for _p in {p.casefold() for ps in _m.kind.phrases.values() for p in ps}:
        _PHRASE_KINDS[_p] = _PHRASE_KINDS.get(_p, frozenset()) | {_m.rule}
#: Overlapping matches (a lookahead at every position): a phrase inside another kind's phrase is found
#: too. No phrase is a prefix of another kind's phrase (tests/test_boilerplate.py checks), so the longest
#: match at a position names every kind starting there.
_ANY_PHRASE = re.compile("(?=(" + trie_pattern(sorted(_PHRASE_KINDS)) + "))")


def present_phrases(text: str) -> frozenset[str]:
    """The `contains` phrases (casefolded) found somewhere in `text`: one pass over the page."""
    return frozenset(_ANY_PHRASE.findall(text.casefold()))


def present_kinds(text: str, found: frozenset[str] | None = None) -> frozenset[str]:
    """The `contains` kinds with a phrase somewhere in `text` (`found`: its `present_phrases`, if known),
    and COPYRIGHT_MARK when it holds one, so a line is only searched for the kinds its page holds."""
    kinds: set[str] = set()
    for phrase in present_phrases(text) if found is None else found:
        kinds |= _PHRASE_KINDS.get(phrase, frozenset())
    if _COPYRIGHT_MARK.search(text):
        kinds.add(COPYRIGHT_MARK)
    return frozenset(kinds)


_ALL_KINDS = frozenset({m.rule for m in _CONTAINS} | {COPYRIGHT_MARK})
#: A line too long for one phrase's kind (`notice` and `credit` stop at 60 and 16 words) that holds two
#: or more phrases of the `contains` kinds, or one and a copyright mark, in at most this many words is a
#: footer or disclaimer paragraph ("© 1997-2022 … This website is unofficial … F1, FORMULA ONE … are
#: trade marks of …", "Quote data provided by … delayed … Copyright … All rights reserved").
NOTICE_BLOCK_MAX_WORDS = 200
NOTICE_MIN_WORDS = 40


def is_notice_block(line: str, folded: str, candidates: frozenset[str] | None = None) -> bool:
    """Whether the line holds two or more distinct `contains` phrases, a copyright mark counting as one.
    `candidates`: the phrases its page holds (`present_phrases`), looked up one by one instead of a scan."""
    if candidates is None:
        found = len(set(_ANY_PHRASE.findall(folded)))
    else:
        found = sum(1 for phrase in candidates if phrase in folded)
    return found + (1 if _COPYRIGHT_MARK.search(line) else 0) >= 2


_AUTONYM = re.compile("(?<!\\w)(?:" + trie_pattern(AUTONYMS) + ")(?!\\w)")
_BYLINE = re.compile(r"[\W_]*(?:" + trie_pattern(sorted({b.casefold() for b in BYLINE})) + r")(?:(?<=\W)|(?!\w))")
_BYLINE_NAMED = re.compile(r"[\W_]*(?:" + "|".join(BYLINE_NAMED) + r")(?:\s+(\S)|$)", re.IGNORECASE)
_DATE_SPLIT = re.compile(r"[\s,;|·/()\[\]]+")
_DIGIT = re.compile(r"\d")
_AUTONYM_FIRST = frozenset(a[0] for a in AUTONYMS)
_WHOLE_MAX_WORDS = max(len(w.split()) for m in _MATCHERS for w in m.whole) if any(m.whole for m in _MATCHERS) else 0


def is_byline(line: str, words: int) -> bool:
    """An author, editor or date credit: a line of at most 10 words without terminal punctuation that
    starts with a byline opener ("Written by", "Updated", "Publicado"), or with a bare "By" / "Por" /
    "Oleh" followed by a capitalised word (a name) or nothing."""
    if words > 10 or has_terminal(line):
        return False
    if _BYLINE.match(line.casefold()):
        return True
    named = _BYLINE_NAMED.match(line)
    return named is not None and (named.group(1) is None or named.group(1).isupper())


def is_lone_bio(line: str) -> bool:
    """A line opening with a capitalised name and "is a/an/the" (or another language's copula) with a
    profession within seven words (`BIO_ROLES`, `BIO_ROLES_ALONE`): an author box when it stands alone."""
    m = _BIO_OPENING.match(line)
    if not m:
        return False
    following = _WORD.findall(line[m.start("copula"):].casefold())[:7]
    return any(w in BIO_ROLES or w in BIO_ROLES_ALONE for w in following)


_ABOUT = frozenset(_NON_WORD.sub(" ", h.casefold()).strip() for h in ABOUT_HEADINGS)


def lone_bios(lines: list[str], rules: list[str], words: list[int]) -> None:
    """`bio` for a kept line of at most 80 words that `is_lone_bio` and stands between removed lines (or
    the page's ends, or under an "About the author" heading, which goes with it): an author box between
    menus. In an article the same words open a paragraph among paragraphs ("Jane Doe is a professor of
    economics at…")."""
    filled = [k for k, line in enumerate(lines) if line.strip()]
    for i, k in enumerate(filled):
        if rules[k] or words[k] > 80:
            continue
        before = filled[i - 1] if i > 0 else -1
        heading = before >= 0 and not rules[before] and _NON_WORD.sub(" ", lines[before].casefold()).strip() in _ABOUT
        alone = (before < 0 or bool(rules[before]) or heading) and (i + 1 == len(filled) or bool(rules[filled[i + 1]]))
        if alone and is_lone_bio(lines[k].strip()):
            rules[k] = "bio"
            if heading:
                rules[before] = "bio"


def is_bio(line: str, folded: str = "") -> bool:
    """An author box: "Follow him on Twitter @x", or a line opening with a capitalised name (one to four
    words, maybe a "(@handle)") followed by "is a/an/the", "is <Employer>'s" (or another language's
    copula) and a writer's role within four words ("Meg James is a corporate media reporter for…",
    "Louise Matsakis is a Staff Writer at…", "Matthew is PCMag's UK-based editor…").
    `folded`: the line casefolded, when the caller has it."""
    folded = folded or line.casefold()
    if any(w in folded for w in _FOLLOW_WORDS) and _FOLLOW_ME.search(line):
        return True
    if not any(c in folded for c in _COPULA_WORDS):
        return False
    m = _BIO_OPENING.match(line)
    if not m:
        return False
    following = _WORD.findall(line[m.start("copula"):].casefold())[:6]
    return any(w in BIO_ROLES for w in following)


def is_comment_head(line: str, words: int) -> bool:
    """A reader comment's header: a name and "says:" alone (at most three words), or a name, a date and
    time and "said:" ("Alex on September 17, 2018 at 6:34 am said:"). An article's "The city's mayor
    said:" before a quoted paragraph has neither (a two-word "He said:" goes too: a few words lost)."""
    if not _COMMENT_VERB.search(line):
        return False
    return words <= 3 or _DIGIT.search(line) is not None


#: A photo credit closing a line: "(Photo: Getty Images)", "(credit: NASA/Jude Guidry)", "(Foto: Privat)"
#: (a full stop after it too: "(Foto: Natacha Pisarenko/Pool via REUTERS)."), or after a sentence's end
#: "… engines. Credit: ESA", "….Photograph: Getty Images".
_CLOSING_CREDIT = re.compile(
    r"(?:\((?:photo|photos|foto|fotos|image|imagen|imagem|credit|crédit|crédito|picture alliance)\b[^()]{0,60}\)\.?"
    r"|(?<=[.!?”\"’)])\s*(?:photo|foto|image|imagen|imagem|credit|crédit|crédito|photograph|fotografía)\s*:\s*"
    r"[^.!?]{2,50})\s*$", re.IGNORECASE)


#: The same credit glued to the caption's last word or full stop ("…last week.Credit...Anna Moneymaker/The
#: New York Times", "…sought treatmentCredit: EPA"): a capitalised label only.
_GLUED_CREDIT = re.compile(r"(?<=[a-z.!?”\"’)])(?:Credit|Photo|Image|Photograph|Foto)(?:\s*:|\.\.\.|…)\s*[^.!?]{2,60}$")


#: A date (2019-09-07, 2019/9/7, 07.09.2019, 7/9/2019), maybe a time, and at most two short tokens (a
#: section name) closing a line.
_CLOSING_STAMP = re.compile(r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
                            r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?(?:\s+\S{1,12}){0,2}\s*$")
#: Dated links a page must hold before they go: a listing, not one date in a paragraph.
MIN_DATED_LINKS = 3


#: A date opening a line, then its text: "08/01/2014 Urkullu se declara a favor de la República".
_OPENING_STAMP = re.compile(r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
                            r"(?:\s+\d{1,2}:\d{2})?\s+(?:[-–|·]\s+)?(?=\w)(?!\d)")


def is_dated_link(line: str, words: int) -> bool:
    """A listing entry: 3 to 30 words ending no sentence, closed by a date (and time, and a section name)
    after some text, or opened by one before a headline: "麒麟990系列为何要分4G/5G版本 2019-09-07 15:05 华为",
    "08/01/2014 Urkullu se declara a favor de la República"."""
    if not 3 <= words <= 30 or has_terminal(line):
        return False
    m = _CLOSING_STAMP.search(line)
    return (m is not None and m.start() >= 8) or _OPENING_STAMP.match(line) is not None


def is_caption(line: str, words: int) -> bool:
    """A photo caption: a line of at most 60 words that ends with its photo credit."""
    return words <= 60 and (_CLOSING_CREDIT.search(line) is not None or _GLUED_CREDIT.search(line) is not None)


def is_date_line(line: str, words: int) -> bool:
    """A date, time or counter alone: at most 10 words, a digit, and every token a number or a month,
    weekday or time word (`DATE_WORDS`): "19 Nov 2019 05:44 GMT", "Updated Nov 19, 9:41 AM", "1H ago"."""
    if words > 10 or not _DIGIT.search(line):
        return False
    tokens = [t.strip(".:-–—'\"") for t in _DATE_SPLIT.split(line.casefold())]
    return all(_DIGIT.search(t) or t in DATE_WORDS for t in tokens if t)


def autonym_count(line: str) -> int:
    """How many language names (autonyms) make up the line; 0 when anything else is on it."""
    if line.lstrip("•·|*-– ")[:1] not in _AUTONYM_FIRST:
        return 0
    found = _AUTONYM.findall(line)
    if not found or _NON_WORD.sub("", _AUTONYM.sub("", line)):
        return 0
    return len(found)


_HAN_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


#: Chinese and Japanese punctuation (and ASCII's): prose of 40 characters always holds some.
_CJK_PUNCT = re.compile(r"[，。、；：！？“”‘’「」『』（）《》〈〉【】…—,.;:!?()\"']")


#: Han or Kana characters per punctuation mark above which a line of ten or more space-separated items is
#: a keyword list: Chinese prose has a mark every 10 to 20 characters and rarely a space (of 1,151 lines
#: of 40+ such characters on the Chinese and Japanese pages read, none of prose has more).
KEYWORD_LIST_CHARS_PER_MARK = 20


def is_cjk_menu(line: str) -> bool:
    """Five or more space-separated items of at most four characters, most in Han or Kana, in a line that
    ends no sentence: a Chinese or Japanese menu bar ("时政 地方 法治 国际 军事 …"); or 40 and more Han or
    Kana characters without one punctuation mark, or ten and more space-separated items with fewer than
    one mark per 20 of those characters: a keyword list ("伊春元旦天气 伊春腊八天气 …", "热门搜索：…
    婚纱摄影哪家好? …", a spam page's 170,000 characters of novel titles holding a stray "?"). Their
    prose puts no space between words and a comma or full stop in every sentence."""
    han = len(_HAN_KANA.findall(line))
    if han >= 40:
        marks = len(_CJK_PUNCT.findall(line))
        if marks == 0 or (marks * KEYWORD_LIST_CHARS_PER_MARK < han and len(line.split()) >= 10):
            return True
    tokens = line.split()
    if len(tokens) < 5 or has_terminal(line.rstrip()):
        return False
    short = sum(1 for t in tokens if len(t) <= 4)
    cjk = sum(1 for t in tokens if _HAN_KANA.search(t))
    return short >= 0.9 * len(tokens) and cjk >= 0.6 * len(tokens)


def is_link_list(line: str, wide: bool) -> bool:
    """Three or more short segments split by menu separators (links, breadcrumbs), or five or more
    headline-sized ones in a line that does not end a sentence; in Chinese and Japanese, a line of short
    space-separated items (`is_cjk_menu`)."""
    if wide and is_cjk_menu(line):
        return True
    if _SEPARATOR_ANY.search(line) is None:
        return False
    parts = [p for p in _SEPARATORS.split(line) if _NON_WORD.sub("", p)]
    if len(parts) < 3:
        return False
    mean = sum(word_count(p, wide) for p in parts) / len(parts)
    return mean <= 4 or (len(parts) >= 5 and mean <= 10 and not has_terminal(line))


_CYRILLIC_GREEK = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")
_MIXED_WORD = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*[\u0370-\u03ff\u0400-\u04ff])\w+")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def is_homoglyph(line: str, words: int) -> bool:
    """Latin words spelt partly with Cyrillic or Greek look-alikes ("Аdvеrtіѕе wіth thе…"): advertising
    and spam written to slip past word filters. Two such words (each with 2+ letters of both scripts, so
    units like "5μg" or "10kΩ" do not count), a tenth of the line's; no honest text mixes the scripts so."""
    if not _CYRILLIC_GREEK.search(line):
        return False
    mixed = sum(1 for w in _MIXED_WORD.findall(line)
                if len(_LATIN_LETTER.findall(w)) >= 2 and len(_CYRILLIC_GREEK.findall(w)) >= 2)
    return mixed >= 2 and mixed * 10 >= words


def is_repeated_phrase(line: str, min_count: int = 3, share: float = 0.3) -> bool:
    """A menu flattened onto one line: one capitalised two-word phrase opens it again and again ("Sort by
    popularity Sort by average rating Sort by price…", a shop's sort menu; "Ordenar por …"), at least
    `min_count` times and over `share` of its words."""
    tokens = line.split()
    if len(tokens) < 2 * min_count:
        return False
    pairs = Counter((a, b.casefold()) for a, b in zip(tokens, tokens[1:])
                    if a[:1].isupper() and any(c.isalpha() for c in b))
    if not pairs:
        return False
    count = pairs.most_common(1)[0][1]
    return count >= min_count and 2 * count >= share * len(tokens)


def is_title_case_list(line: str, min_words: int = 20, share: float = 0.6) -> bool:
    """A long line of mostly capitalised words without sentence punctuation (category and tag lists)."""
    words = [w for w in line.split() if w[:1].isupper() or w[:1].islower()]
    if len(words) < min_words or any(ch in line for ch in ".!?;"):
        return False
    return sum(w[0].isupper() for w in words) >= share * len(words)


# --- the stage ------------------------------------------------------------------------------------------


@dataclass
class Boilerplate:
    """Removes boilerplate lines from the documents of `sources` and rejects those with too little left
    or failing a document rule; documents of other sources pass untouched."""

    config: BoilerplateConfig
    sources: frozenset[str]
    name: str = STAGE

    def setup(self) -> None:
        """Nothing to load: the phrase tables are compiled at import."""

    def __call__(self, doc: Document) -> Document | Rejection:
        if doc.source not in self.sources:
            return doc
        lines = doc.text.split("\n")
        wide = wide_script(doc.text)
        found = present_phrases(doc.text)
        rules = self.line_rules(lines, wide, present_kinds(doc.text, found), found)
        removed = Counter(r for r in rules if r)
        kept = [line for line, rule in zip(lines, rules) if not rule]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
        if removed:
            doc.meta[META_KEY] = {"lines_removed": dict(sorted(removed.items())),
                                  "chars_removed": sum(len(l) for l, r in zip(lines, rules) if r)}
        failure = self.document_rule(text, wide, bool(removed))
        if failure is None and removed:
            failure = self.running_text_rule(lines, rules, wide)
        if failure is not None:
            reason, detail = failure
            return Rejection(doc, reason, f"{doc.id}: {detail}")
        doc.text = text
        return doc

    # line rules ----------------------------------------------------------------------------------------

    def line_rules(self, lines: list[str], wide: bool, phrases: bool | frozenset[str] = True,
                   found: frozenset[str] | None = None) -> list[str]:
        """The rule removing each line ("" to keep it); blank lines are kept (paragraph breaks).
        `phrases`: the `contains` kinds the text holds (`present_kinds`), True for all, False for none;
        `found`: the phrases themselves (`present_phrases`), if known."""
        cfg = self.config
        phrases = _ALL_KINDS if phrases is True else (frozenset() if phrases is False else phrases)
        words = [word_count(l, wide) if l.strip() else 0 for l in lines]
        rules = [self._own_rule(l.strip(), n, wide, phrases, found) if l.strip() else "" for l, n in zip(lines, words)]
        self._language_neighbours(lines, rules)
        stamped = [k for k, (l, n) in enumerate(zip(lines, words)) if not rules[k] and is_dated_link(l.strip(), n)]
        if len(stamped) >= MIN_DATED_LINKS:
            for k in stamped:
                rules[k] = "dated_link"
        good = [bool(l.strip()) and not r and (n >= cfg.line_max_words
                                               or (n >= cfg.min_sentence_words and has_terminal(l.rstrip())))
                for l, n, r in zip(lines, words, rules)]
        if not wide:
            for start, end in wrapped_paragraphs(lines, words, rules, cfg.line_max_words):
                good[start:end] = [True] * (end - start)
        if sum(1 for l in lines if l.strip()) < 2:
            return rules   # one line: no page structure to judge, the quality filters judge it
        self._short_runs(lines, rules, good)
        if cfg.remove_comments:
            comment_section(lines, rules, words)
            comment_blocks(lines, rules, words)
        lone_bios(lines, rules, words)
        if cfg.remove_repeated_lines:
            seen: set[str] = set()
            for k, line in enumerate(lines):
                key = line.strip()
                if key and not rules[k]:
                    if key in seen:
                        rules[k] = "repeated_line"
                    seen.add(key)
            self._contained_lines(lines, words, rules)
        if not wide:
            pairs = headline_deck_pairs(lines, rules, words, cfg.min_teaser_pairs)
            for k in pairs:
                rules[k] = "teaser_list"
                good[k] = False
            if pairs:
                self._short_runs(lines, rules, good)   # the list's heading goes with it
        kept = [k for k, line in enumerate(lines) if line.strip() and not rules[k]]
        teasers = [k for k in kept if _ELLIPSIS.search(lines[k])]
        if len(kept) >= cfg.min_lines_for_fractions and len(teasers) > cfg.max_ellipsis_line_fraction * len(kept):
            for k in teasers:
                rules[k] = "teaser"
                good[k] = False
            self._short_runs(lines, rules, good)   # a "More from…" heading over the teasers goes with them
        if cfg.island_max_words:
            for k in islands(lines, rules, words, cfg.island_max_words, wide):
                rules[k] = "island"
        if cfg.min_tail_headlines:
            for k in headline_tail(lines, rules, words, cfg.min_tail_headlines):
                rules[k] = "headline_tail"
        return rules

    def _short_runs(self, lines: list[str], rules: list[str], good: list[bool]) -> None:
        """`menu_run` for the short lines of a run of at least `max_short_run` lines that are not prose
        (lines removed by their own rule count in the run), `dangling_short` for short lines that no
        prose follows. A run that a paragraph ending in a colon introduces, that prose follows and that
        holds no line removed by its own rule is a list of the article (`_introduced_list`) and stays."""
        cfg = self.config
        i, size = 0, len(lines)
        while i < size:
            if not lines[i].strip() or good[i]:
                i += 1
                continue
            run, j = [], i   # a run of lines that are not prose, blank lines skipped
            while j < size and (not lines[j].strip() or not good[j]):
                if lines[j].strip():
                    run.append(j)
                j += 1
            short = [k for k in run if not rules[k]]
            # the article's own list: a paragraph announced it and prose follows it
            listed = j < size and len(short) == len(run) and _introduced_list(lines, rules, good, i, len(run))
            if len(run) >= cfg.max_short_run and not listed:   # lines removed by their own rule count too
                for k in short:
                    rules[k] = "menu_run"
            elif j >= size:   # nothing follows: not a heading
                for k in short:
                    rules[k] = "dangling_short"
            i = j

    def _own_rule(self, line: str, words: int, wide: bool, phrases: frozenset[str],
                  found: frozenset[str] | None = None) -> str:
        """The rule a line fails on its own (phrases, link and language lists), or ""."""
        folded = line.casefold()
        key = _NON_WORD.sub(" ", folded).strip() if words <= _WHOLE_MAX_WORDS else ""
        for m in _MATCHERS:
            if m.kind.match == "contains" and m.rule not in phrases:
                continue
            if m.matches(folded, key, words):
                return m.rule
        if COPYRIGHT_MARK in phrases and words <= KINDS["copyright"].max_words and _COPYRIGHT_MARK.search(line):
            return "copyright"
        if NOTICE_MIN_WORDS < words <= NOTICE_BLOCK_MAX_WORDS and phrases and is_notice_block(line, folded, found):
            return "notice"
        if words <= 12 and line.endswith((":", "：")) and is_comment_head(line, words):
            return "comments"
        if words <= 80 and is_bio(line, folded):
            return "bio"
        if is_caption(line, words):
            return "credit"
        if is_date_line(line, words):
            return "date_line"
        if is_byline(line, words):
            return "byline"
        if is_link_list(line, wide):   # before punctuation: an Indic menu may end in `|`, read as a danda
            return "link_list"
        if is_homoglyph(line, words):
            return "homoglyph"
        if has_terminal(line):
            return ""
        if autonym_count(line) >= 2:
            return "language_list"
        if words >= 20 and is_title_case_list(line):
            return "title_case_list"
        if is_repeated_phrase(line):
            return "repeated_phrase"
        return ""

    @staticmethod
    def _contained_lines(lines: list[str], words: list[int], rules: list[str]) -> None:
        """A kept line of 4+ words whose text (a trailing ellipsis or full stop aside) is part of another
        kept line repeats it: a headline inside the page title, a teaser cut from its article's first
        paragraph, a caption's first sentence. It goes as `repeated_line`, the longer line stays."""
        kept = [k for k, line in enumerate(lines) if line.strip() and not rules[k]]
        candidates = [k for k in kept if words[k] >= 4 and len(lines[k].strip()) >= 20]
        if not candidates:
            return
        # Where each run of three tokens occurs: a line can only be inside the lines holding its first
        # three tokens, so each line is compared with a few others, not with the whole page.
        starts = {tuple(lines[k].split()[:3]) for k in candidates}
        holders: dict[tuple[str, ...], list[int]] = {}
        for k in kept:
            tokens = lines[k].split()
            for three in starts.intersection(zip(tokens, tokens[1:], tokens[2:])):
                holders.setdefault(three, []).append(k)
        for k in candidates:
            key = lines[k].strip().rstrip("….").rstrip()
            if len(lines[k].split()) < 3:
                # a line of Chinese or Japanese has no three tokens to look up (a headline and the title
                # holding it may share none: "…智商感人" / "…智商感人_网易新闻"): compared by its text
                if any(other != k and key in lines[other] for other in kept):
                    rules[k] = "repeated_line"
                continue
            others = holders.get(tuple(lines[k].split()[:3]), ())
            if len(others) > _MAX_HOLDERS:
                continue   # a formula that starts many lines ("Posted by the …"), not a copy: bounded work
            if any(other != k and key in lines[other] for other in others):
                rules[k] = "repeated_line"

    @staticmethod
    def _language_neighbours(lines: list[str], rules: list[str]) -> None:
        """A line that is one language name, next to another such line or a language list, is part of a
        language menu (as in Wikipedia's, one name per line)."""
        single = [not r and bool(l.strip()) and autonym_count(l.strip()) == 1 for l, r in zip(lines, rules)]
        menu = [s or r == "language_list" for s, r in zip(single, rules)]
        filled = [i for i, l in enumerate(lines) if l.strip()]
        for pos, i in enumerate(filled):
            if single[i]:
                before = pos > 0 and menu[filled[pos - 1]]
                after = pos + 1 < len(filled) and menu[filled[pos + 1]]
                if before or after:
                    rules[i] = "language_list"

    # document rules ------------------------------------------------------------------------------------

    def document_rule(self, text: str, wide: bool, removed: bool) -> tuple[Reason, str] | None:
        """The first document rule the text (after line removal) fails, with details, or None."""
        cfg = self.config
        lines = [l for l in text.split("\n") if l.strip()]
        if not lines:
            return EMPTY, "no line left"
        total = sum(word_count(l, wide) for l in lines)
        if removed and total < cfg.min_words_left:
            return TOO_LITTLE, f"{total} words left < min_words_left {cfg.min_words_left}"
        if len(lines) == 1 and total < cfg.min_block_words and not ends_sentence(lines[0].rstrip()):
            return LONE_LINE, (f"one line of {total} words < min_block_words {cfg.min_block_words} that ends "
                               f"no sentence (or ends in an ellipsis)")
        if len(lines) < cfg.min_lines_for_fractions:
            return None
        chars = sum(len(l) for l in lines)
        n_dup, c_dup = _repeats(lines)
        if n_dup / len(lines) > cfg.max_duplicate_line_fraction:
            return DUP_LINES, f"{n_dup}/{len(lines)} lines repeat > {cfg.max_duplicate_line_fraction}"
        if c_dup / chars > cfg.max_duplicate_line_char_fraction:
            return DUP_LINES, f"{c_dup}/{chars} characters in repeated lines > {cfg.max_duplicate_line_char_fraction}"
        paras = [p.strip() for p in _PARAGRAPHS.split(text) if p.strip()]
        if len(paras) >= cfg.min_lines_for_fractions:
            p_dup, pc_dup = _repeats(paras)
            if p_dup / len(paras) > cfg.max_duplicate_paragraph_fraction:
                return DUP_PARAS, f"{p_dup}/{len(paras)} paragraphs repeat > {cfg.max_duplicate_paragraph_fraction}"
            if pc_dup / chars > cfg.max_duplicate_paragraph_char_fraction:
                return DUP_PARAS, (f"{pc_dup}/{chars} characters in repeated paragraphs > "
                                   f"{cfg.max_duplicate_paragraph_char_fraction}")
        for reason, count, limit, what in (
                (BULLETS, sum(1 for l in lines if _BULLET.match(l)), cfg.max_bullet_line_fraction, "start with a bullet"),
                (SHORT_LINES, sum(1 for l in lines if width(l, wide) < cfg.short_line_chars), cfg.max_short_line_fraction,
                 f"are under {cfg.short_line_chars} characters")):
            if count / len(lines) > limit:
                return reason, f"{count}/{len(lines)} lines {what} > {limit}"
        ended = [l for l in lines if has_terminal(l.rstrip())]
        if (len(ended) / len(lines) < cfg.min_terminal_punctuation_fraction
                and sum(word_count(l, wide) for l in ended) < cfg.prose_enough_words):
            return PUNCT, (f"{len(ended)}/{len(lines)} lines end a sentence < {cfg.min_terminal_punctuation_fraction}, "
                           f"and they hold under prose_enough_words {cfg.prose_enough_words} words")
        if len(lines) >= cfg.min_lines_for_prose:
            mask = prose_lines(lines, wide, cfg.prose_line_words, cfg.prose_sentence_words, cfg.prose_run)
            if not wide:   # a hard-wrapped paragraph is a paragraph
                counts = [word_count(l, wide) for l in lines]
                for start, end in wrapped_paragraphs(lines, counts, [""] * len(lines), cfg.line_max_words):
                    mask[start:end] = [True] * (end - start)
            prose = sum(len(l) for l, p in zip(lines, mask) if p)
            prose_words = sum(word_count(l, wide) for l, p in zip(lines, mask) if p)
            if prose / chars < cfg.min_prose_char_fraction and prose_words < cfg.prose_enough_words:
                return PROSE, (f"{prose}/{chars} characters in paragraphs (lines of {cfg.prose_line_words}+ words, or "
                               f"runs of {cfg.prose_run}+ sentences) < {cfg.min_prose_char_fraction}, and they hold "
                               f"{prose_words} words < prose_enough_words {cfg.prose_enough_words}")
        return None

    def running_text_rule(self, lines: list[str], rules: list[str], wide: bool) -> tuple[Reason, str] | None:
        """`no_running_text`: a page most of whose characters were boilerplate lines and whose longest
        block of kept lines (consecutive but for blank lines, no removed line between them) is under
        `min_block_words` words is what a hub, index or gallery page leaves: teasers, captions, bios and
        notices between menus. An article of any length keeps one block of running text."""
        cfg = self.config
        total = sum(len(l) for l in lines if l.strip())
        gone = sum(len(l) for l, r in zip(lines, rules) if r)
        if not total or gone / total < cfg.block_rule_removed_fraction:
            return None
        best = longest_block(lines, rules, wide)
        if best < cfg.min_block_words:
            return NO_RUNNING_TEXT, (f"{gone}/{total} characters were boilerplate >= {cfg.block_rule_removed_fraction:g} "
                                     f"and the longest block of running text has {best} words < min_block_words "
                                     f"{cfg.min_block_words}")
        return None

    def report(self) -> dict:
        """The sources the stage applies to and its settings (the manifest's `boilerplate_policy`)."""
        return {"sources": sorted(self.sources), "line_max_words": self.config.line_max_words,
                "max_short_run": self.config.max_short_run, "min_words_left": self.config.min_words_left}


#: A comment's reply link, alone on its line, in the languages of the `share` phrases and a few more.
REPLY_LINKS = frozenset({"reply", "reply to this comment", "antworten", "antwort", "répondre", "responder",
                         "rispondi", "balas", "odpowiedz", "reageren", "svara", "ответить", "відповісти", "trả lời",
                         "回复", "回覆", "返信", "رد", "جواب دیں", "jibu", "jawab", "vastaa", "odpovědět"})
#: Kept lines in a row beyond which a block is not taken for one comment (a forum thread is not cut whole).
COMMENT_MAX_LINES = 12
#: The rules of the line over a comment: its header (a name and a date, "Anna says:") or the previous
#: comment's links; a byline, credit or notice opens an article's text instead.
COMMENT_OPENERS = frozenset({"menu_run", "date_line", "comments", "share", "dangling_short"})


#: A blog comment's bare header: a name (three words at most) and a present-tense "says:" ("Gitta Peyn
#: sagt:", "Kristine says:"), WordPress's default. A forum's "Anna said:" opens a quoted post, which stays.
_BARE_COMMENT_HEAD = re.compile(r"\s(?:" + _PRESENT_COMMENT_VERBS + r")\s*[:：]\s*$", re.IGNORECASE)
#: Bare comment headers a page must hold for each to open a comment: one or two may introduce quotes
#: in an article ("The mayor says:"); three are a comment thread (30 of trafilatura's pages hold two or
#: more, none in main text).
MIN_BARE_COMMENT_HEADS = 3


def is_reply_link(line: str) -> bool:
    """The line is a reply link alone ("Reply", "Antworten ↓", "回复")."""
    return _NON_WORD.sub(" ", line.casefold()).strip() in REPLY_LINKS


#: The heading a blog puts over its comments, with their count: WordPress's "10 thoughts on “…”",
#: "34 responses to “…”", "3 Gedanken zu „…“", "2 réflexions sur « … »", "5 comentarios en «…»" and
#: the like in the languages of the `share` phrases.
_SECTION_HEAD = re.compile(
    r"(?:\d+|one|ein|eine|un|une|uno|una|um|uma|satu)\s+(?:thoughts?|comments?|responses?|replies|reply|"
    r"kommentare?|gedanken|antworten|antwort|réflexions?|commentaires?|réponses?|comentarios?|comentários?|"
    r"pensamientos?|pensamentos?|respuestas?|respostas?|pensieri|pensiero|commenti|commento|gedachten|reacties|"
    r"reactie|pemikiran|komentar|tanggapan)\s+(?:on|to|zu|sur|à|en|em|sobre|para|su|over|op|pada|untuk)\s",
    re.IGNORECASE)
#: Words of kept text above a comments heading that make it the end of an article, not a post's meta
#: line under its title ("2 comments on “These Weeks in Firefox”" over the post itself).
SECTION_ARTICLE_WORDS = 100
#: Rules of the removed lines a comment section runs through (headers, dates, names); any other removed
#: line (the comment form's "Leave a Reply", a copyright line) ends it.
SECTION_RULES = frozenset({"comments", "date_line", "comment", "menu_run", "dangling_short", "repeated_line"})


def comment_section(lines: list[str], rules: list[str], words: list[int]) -> None:
    """The page's comment section, under its heading ("10 thoughts on “…”", up to 30 words, kept or in a
    short run): the heading goes as `comments` and the kept lines after it, up to the first line removed
    by a rule outside `SECTION_RULES`, as `comment`. Only a heading after `SECTION_ARTICLE_WORDS` words of
    kept text (the article above it), or one that a comment's date line follows within three lines with
    another within forty, opens a section: commenters whose names carry no "says:" ("Jan Smith", a date,
    the comment) are found so."""
    filled = [k for k, line in enumerate(lines) if line.strip()]
    seen = 0
    for pos, k in enumerate(filled):
        if (rules[k] in ("", "menu_run", "dangling_short") and words[k] <= 30
                and _SECTION_HEAD.match(lines[k].strip())):
            after = [rules[j] == "date_line" for j in filled[pos + 1:pos + 41]]
            if seen >= SECTION_ARTICLE_WORDS or (any(after[:3]) and sum(after) >= 2):
                rules[k] = "comments"
                for j in filled[pos + 1:]:
                    if rules[j] and rules[j] not in SECTION_RULES:
                        break
                    if not rules[j]:
                        rules[j] = "comment"
                return
        if not rules[k]:
            seen += words[k]


#: Removed lines that may stand between a comment's header and its text: the comment's date, a greeting
#: ("Hi Milan,") or a name line.
HEADER_GAP_RULES = frozenset({"date_line", "menu_run", "dangling_short"})


def _headed(lines: list[str], rules: list[str], words: list[int], filled: list[int], pos: int,
            bare: set[int]) -> bool:
    """Whether the kept block starting at `filled[pos]` sits under a comment's header: a dated header
    ("Alex on 17 May 2019 at 6:34 said:") or a bare one of a thread (`bare`), right above it or above
    up to two lines removed by `HEADER_GAP_RULES`."""
    back = pos - 1
    while back >= 0 and pos - back <= 3:
        k = filled[back]
        if k in bare or (words[k] > 3 and is_comment_head(lines[k].strip(), words[k])):
            return True
        if rules[k] not in HEADER_GAP_RULES:
            return False
        back -= 1
    return False


def comment_blocks(lines: list[str], rules: list[str], words: list[int]) -> None:
    """`comment` for reader comments: a block of at most `COMMENT_MAX_LINES` kept lines (blank lines
    aside) under a comment's header, a date or menu line or the previous comment's links
    (`COMMENT_OPENERS`), that a reply link alone closes or a header opens, directly or over the
    comment's date line or greeting (`_headed`): a dated header ("Alex on 17 May 2019 at 6:34 said:"),
    or a bare "Anna says:" on a page holding `MIN_BARE_COMMENT_HEADS` of them (a bare "Anna said:" also
    opens a forum's quoted posts, which stay). What trafilatura, and FineWeb with it, leaves out of a
    page; C4 and Gopher, reading WET, keep it."""
    filled = [k for k, line in enumerate(lines) if line.strip()]
    bare = {k for k in filled if words[k] <= 3 and _BARE_COMMENT_HEAD.search(lines[k])}
    if len(bare) < MIN_BARE_COMMENT_HEADS:
        bare = set()
    pos = 0
    while pos < len(filled):
        if rules[filled[pos]]:
            pos += 1
            continue
        end = pos
        while end < len(filled) and not rules[filled[end]] and not is_reply_link(lines[filled[end]]):
            end += 1
        block = filled[pos:end]
        opener = filled[pos - 1] if pos > 0 else -1
        closed = end < len(filled) and is_reply_link(lines[filled[end]])
        headed = _headed(lines, rules, words, filled, pos, bare)
        opens = opener >= 0 and (rules[opener] in COMMENT_OPENERS or is_reply_link(lines[opener]))
        if block and len(block) <= COMMENT_MAX_LINES and opens and (closed or headed):
            for k in block:
                rules[k] = "comment"
        pos = max(end, pos + 1)


#: Terminal punctuation, closing marks and space: a sentence ends there if a capital follows.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+[\"“‘«¿¡]?(\w)")


def sentence_count(line: str) -> int:
    """Sentences in a line of a cased script: one more than the places where terminal punctuation and a
    space precede a capital letter."""
    return 1 + sum(1 for m in _SENTENCE_END.finditer(line) if m.group(1).isupper())


#: A teaser's headline has at least this many words (3 also took a game guide's sections on unseen pages).
HEADLINE_MIN_WORDS = 4


def headline_deck_pairs(lines: list[str], rules: list[str], words: list[int], min_pairs: int) -> list[int]:
    """The lines of `teaser_list`s: runs of at least `min_pairs` consecutive kept (headline, deck) pairs,
    a headline being a capitalised line of 4-15 words without terminal punctuation and its deck one or
    two sentences of 6-45 words. A news or shop page's teaser grid reads so once menus are gone; an
    article's sections have shorter headings ("Ton prüfen") or longer paragraphs under them."""
    kept = [k for k, line in enumerate(lines) if line.strip() and not rules[k]]
    out: list[int] = []
    run: list[int] = []
    i = 0
    while i < len(kept):
        head, deck = kept[i], kept[i + 1] if i + 1 < len(kept) else -1
        h = lines[head].strip()
        if (deck >= 0 and HEADLINE_MIN_WORDS <= words[head] <= 15 and h[:1].isupper() and not has_terminal(h)
                and 6 <= words[deck] <= 45 and has_terminal(lines[deck].rstrip())
                and sentence_count(lines[deck].strip()) <= 2):
            run += [head, deck]
            i += 2
            continue
        if len(run) >= 2 * min_pairs:
            out += run
        run = []
        i += 1
    if len(run) >= 2 * min_pairs:
        out += run
    return out


#: A menu line longer than this may be a list item of the article that `menu_run` took: it does not
#: make its neighbour an island.
ISLAND_MENU_ITEM_WORDS = 5
ISLAND_MAX_LINES = 2
#: Words of running text a page must keep elsewhere for an island to go (Gopher's minimum document), and
#: that an island with as many kept words on each side is taken to sit inside.
ISLAND_PAGE_WORDS = 50


def islands(lines: list[str], rules: list[str], words: list[int], max_words: int, wide: bool) -> list[int]:
    """The lines of `island`s: blocks of at most `ISLAND_MAX_LINES` kept lines and `max_words` words
    whose nearest lines on both sides were removed as boilerplate, on a page whose longest block of running
    text (`longest_block`, as `no_running_text` counts it) has `ISLAND_PAGE_WORDS`+ words. jusText's context rule (Pomikálek 2011: a short block between
    bad blocks is bad): a sentence between menus is a site's blurb, a login prompt, a teaser or a notice in
    a language no phrase list covers. A neighbour removed by a rule for lines that sit inside articles
    (`ISLAND_SHORES_INSIDE`), or a `menu_run` line of more than `ISLAND_MENU_ITEM_WORDS` words (perhaps
    an article's list), does not isolate; nor does the start or end of the page. A block with
    `ISLAND_PAGE_WORDS`+ kept words both before and after it is inside the article (a one-sentence
    section under a heading that a menu run took) and stays."""
    filled = [k for k, line in enumerate(lines) if line.strip()]
    blocks: list[tuple[int, int, int]] = []   # (start, end) positions in `filled`, words
    pos = 0
    while pos < len(filled):
        if rules[filled[pos]]:
            pos += 1
            continue
        end = pos
        while end < len(filled) and not rules[filled[end]]:
            end += 1
        blocks.append((pos, end, sum(words[k] for k in filled[pos:end])))
        pos = end

    def isolates(p: int) -> bool:
        if p < 0 or p >= len(filled):
            return False
        k = filled[p]
        if rules[k] in ("menu_run", "dangling_short"):
            return words[k] <= ISLAND_MENU_ITEM_WORDS
        return rules[k] not in ISLAND_SHORES_INSIDE

    if longest_block(lines, rules, wide) < ISLAND_PAGE_WORDS:
        return []
    out: list[int] = []
    before, total = 0, sum(n for _, _, n in blocks)
    for start, end, n in blocks:
        after = total - before - n
        if (end - start <= ISLAND_MAX_LINES and n <= max_words and isolates(start - 1) and isolates(end)
                and not (before >= ISLAND_PAGE_WORDS and after >= ISLAND_PAGE_WORDS)):
            out += filled[start:end]
        before += n
    return out


_LOWER_START = re.compile(r"[\W\d_]*[^\W\d_]")


def _starts_lower(line: str) -> bool:
    m = _LOWER_START.match(line)
    return m is not None and m.group()[-1].islower()


def wrapped_paragraphs(lines: list[str], words: list[int], rules: list[str], min_words: int) -> list[tuple[int, int]]:
    """(start, end) of each hard-wrapped paragraph: two or more consecutive kept lines of 3+ words, each
    but the last ending without terminal punctuation and followed by a line that starts in lower case or
    after a comma, semicolon or hyphen, the last ending a sentence or in a colon (what follows is a
    formula, a list or code), `min_words`+ words in all (plain-text mail, `<pre>` and `<br>` text).
    Such lines are prose, though each alone looks like a menu item. A wrap before a capitalised word
    ("I", a name, a German noun) continues the chain too when the line holds 8+ words, does not end in a
    colon and is as long as the one before it (within 15 characters: the wrap width), and the next line
    holds 3+ words or ends the paragraph ("Tunisians alike.", then no evidence either way); the chain
    needs more lower-case links than such capital ones, so a headline over its one-sentence deck (two
    lines, no lower-case link) is never taken for one."""
    found: list[tuple[int, int]] = []
    i, size = 0, len(lines)
    while i < size:
        j = i
        lower = capital = 0
        while (j + 1 < size and not rules[j] and words[j] >= 3 and lines[j + 1].strip() and not rules[j + 1]
               and not has_terminal(lines[j].rstrip())):
            if _starts_lower(lines[j + 1].strip()) or lines[j].rstrip()[-1:] in ",;-–":
                lower += 1
            elif (lower and j > i and words[j] >= 8 and not lines[j].rstrip().endswith(":")
                  and (words[j + 1] >= 3 or has_terminal(lines[j + 1].rstrip()))
                  and abs(len(lines[j].rstrip()) - len(lines[j - 1].rstrip())) <= 15):
                capital += words[j + 1] >= 3   # a short closing line is no evidence either way
            else:
                break
            j += 1
        last = lines[j].rstrip()
        if j > i and (has_terminal(last) or last.endswith(":")) and sum(words[i:j + 1]) >= min_words and lower > capital:
            found.append((i, j + 1))
        i = j + 1
    return found


def prose_lines(lines: list[str], wide: bool, line_words: int, sentence_words: int, run: int) -> list[bool]:
    """Which of `lines` are prose: a line of at least `line_words` words (a paragraph), or a line in a run
    of at least `run` consecutive sentences (lines of `sentence_words`+ words ending in terminal
    punctuation: prose written a sentence per line). Headlines, teasers, captions and notices stacked one
    per line are neither."""
    words = [word_count(l, wide) for l in lines]
    sentence = [w >= sentence_words and has_terminal(l.rstrip()) for l, w in zip(lines, words)]
    prose = [w >= line_words for w in words]
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and sentence[end]:
            end += 1
        if end - start >= run:
            prose[start:end] = [True] * (end - start)
        start = max(end, start + 1)
    return prose


#: Items beyond which a run under a colon is not taken for the article's own list.
LIST_MAX_ITEMS = 30


def _introduced_list(lines: list[str], rules: list[str], good: list[bool], start: int, items: int) -> bool:
    """Whether the run of short lines from `start` (`items` lines) is a list its paragraph announces:
    the kept line before it (blank lines aside) is prose ending in a colon ("…you will need the
    following:", "Die zweite Korrektur ergibt sich aus folgender Überlegung:"), and it holds at most
    `LIST_MAX_ITEMS` items. Ingredients, steps, specs and code under such a paragraph are the article's."""
    before = start - 1
    while before >= 0 and not lines[before].strip():
        before -= 1
    return (items <= LIST_MAX_ITEMS and before >= 0 and good[before] and not rules[before]
            and lines[before].rstrip().endswith((":", "：")))


#: Rules for lines that sit inside an article (a photo credit, a byline, a date): removing one does not
#: break the block of running text around it.
IN_ARTICLE_RULES = frozenset({"credit", "byline", "date_line"})
#: Removed lines that do not cut a kept line off from the article around it (`islands`): those of
#: `IN_ARTICLE_RULES`, "Advertisement" and share buttons, a "Read more"/"Related" link, a pulled quote
#: (a repeated line), a teaser.
ISLAND_SHORES_INSIDE = IN_ARTICLE_RULES | {"share", "read_more", "related", "repeated_line", "teaser"}


def longest_block(lines: list[str], rules: list[str], wide: bool) -> int:
    """Words in the longest block of kept lines: lines kept one after another, blank lines (and lines
    removed by `IN_ARTICLE_RULES`) between them allowed, no other removed line between them."""
    best = current = 0
    for line, rule in zip(lines, rules):
        if not line.strip() or rule in IN_ARTICLE_RULES:
            continue
        if rule:
            current = 0
        else:
            current += word_count(line, wide)
            best = max(best, current)
    return best


def _repeats(items: list[str]) -> tuple[int, int]:
    """How many items repeat an earlier one, and their characters (Gopher's duplicate counts)."""
    seen: set[str] = set()
    n = chars = 0
    for item in items:
        key = item.strip()
        if key in seen:
            n += 1
            chars += len(key)
        else:
            seen.add(key)
    return n, chars


def line_counts(doc: Document) -> Counter:
    """(language, rule) → lines removed in one kept document: the step annotation of the manifest."""
    removed = (doc.meta.get(META_KEY) or {}).get("lines_removed", {})
    return Counter({(doc.lang_dir, rule): n for rule, n in removed.items()})


_TRAILING_SYMBOLS = re.compile(r"[\s\u2600-\u27bf\U0001f000-\U0001faff\ufe0f\u200d]+$")
_INNER_SENTENCE_END = re.compile(r"[a-z\u00df-\u00ff)\]”\"'][.!?]\s+[\w¿¡“\"']")
#: Words of kept text a page must hold before its last sentence for a headline tail to go: an article's.
TAIL_ARTICLE_WORDS = 50
#: The longest headline of a tail, in words.
TAIL_MAX_WORDS = 30


def _headline_like(line: str, words: int) -> bool:
    """4 to `TAIL_MAX_WORDS` words ending no sentence, or ending in "…" or "?" (a teaser, a question
    headline); not a line ending in a colon, which introduces what follows it, nor one holding a
    sentence's end before its own ("…everyday use. 5 minutes of charging…": a list item, as of a product's
    features)."""
    end = line.rstrip()
    if end.endswith((":", "：")) or _INNER_SENTENCE_END.search(end):
        return False
    return 4 <= words <= TAIL_MAX_WORDS and (not has_terminal(end) or _ELLIPSIS.search(end) is not None
                                             or end.endswith(("?", "？", "؟")))


def headline_tail(lines: list[str], rules: list[str], words: list[int], min_lines: int) -> list[int]:
    """The kept lines after the page's last sentence (a line of 8+ words ending in a full stop, "!" or
    "?", an emoji after it aside, after 50+ words of kept text), when `min_lines` or more of them are
    headline-like and the others are labels of under 4 words ("Lo más visto"): the "most read" and
    "more from" lists under an article, whose headlines are too long to be a menu."""
    kept = [k for k, line in enumerate(lines) if line.strip() and not rules[k]]
    last, before, seen = -1, 0, 0
    for k in kept:
        if words[k] >= 8:
            end = _TRAILING_SYMBOLS.sub("", lines[k].rstrip())   # "…come and see it today! 🙂"
            if has_terminal(end) and not _ELLIPSIS.search(end):
                last, before = k, seen + words[k]
        seen += words[k]
    tail = [k for k in kept if k > last]
    if last < 0 or before < TAIL_ARTICLE_WORDS:
        return []
    headlines = [k for k in tail if _headline_like(lines[k], words[k])]
    labels = [k for k in tail if words[k] < 4 and not has_terminal(lines[k].rstrip())]   # "Most read"
    return tail if len(headlines) >= min_lines and len(headlines) + len(labels) == len(tail) else []

