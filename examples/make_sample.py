#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Build the other input formats of the sample corpus from its JSONL files.

    python examples/make_sample.py

Reads examples/sample/text/*.jsonl (written by hand for this project) and writes, under
examples/sample/formats/:

    news.jsonl.gz          gzip-compressed JSONL (gzip mtime 0, no file name in the header)
    forum.jsonl.zst        zstandard-compressed JSONL
    books.parquet          Parquet with columns id, text, title
    wiki_hf/               a Hugging Face `datasets` folder (save_to_disk), columns id, content
    other_schema.parquet   Parquet with columns body, title and no `text` column (schema mismatch)
    pages.warc.gz          WARC: warcinfo, robots.txt request/response, and a request and an HTML
                           response per page; the pages wrap sample documents in site boilerplate
    pages.warc.wet.gz      WET: warcinfo and one `conversion` (plain-text) record per page

The outputs are committed. They are byte-for-byte reproducible with the same library versions:
fixed WARC dates and record ids, gzip mtime 0, sorted inputs, no random fingerprints.
"""
from __future__ import annotations

import gzip
import hashlib
import html
import io
import json
import shutil
import uuid
from html.parser import HTMLParser
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent / "sample"
TEXT = SAMPLE / "text"
FORMATS = SAMPLE / "formats"

#: Every timestamp written into the outputs.
FIXED_DATE = "2024-05-06T12:00:00Z"
HTTP_DATE = "Mon, 06 May 2024 12:00:00 GMT"
#: The namespace of the name-based UUIDs used as WARC record ids.
UUID_NAMESPACE = uuid.UUID("6f1c2a7e-3b7d-5e0a-9c51-7d2b8e4f0a11")

# Which sample documents go into which format (ids from examples/sample/text/).
NEWS_IDS = ["en-001", "en-005", "en-007", "en-012", "fr-001", "fr-005", "es-005", "pt-001"]
FORUM_IDS = ["sw-004", "hi-003", "id-002", "ar-004", "vi-002", "zh-Hans-005", "yo-002", "bn-002"]
BOOK_IDS = ["en-006", "fr-004", "es-003", "ca-004", "eu-004", "ta-004", "ig-004", "ln-004"]
WIKI_IDS = ["zh-Hant-002", "ur-002", "mr-003", "gu-004", "pa-002", "or-004", "as-002", "te-002",
            "kn-004", "ml-004", "ne-004", "rw-002", "zu-002", "xh-002", "wo-004", "tw-002"]
OTHER_SCHEMA_IDS = ["en-010", "pt-003", "vi-004"]
WARC_IDS = ["en-003", "fr-002", "es-002", "ar-002", "pt-002"]

# Site furniture for the HTML pages, per language: (site name, nav items, footer lines, share label).
SITES = {
    "en": ("Millbrook Gazette", ["Home", "News", "Sport", "Weather", "What's on", "Contact"],
           ["© 2024 Millbrook Gazette. All rights reserved.", "Privacy policy · Terms of use · Cookie settings"],
           "Share on Facebook", "We use cookies to improve your experience. Accept all | Manage preferences"),
    "fr": ("Le Journal de la Vallée", ["Accueil", "Actualités", "Sports", "Culture", "Météo", "Contact"],
           ["© 2024 Le Journal de la Vallée. Tous droits réservés.", "Mentions légales · Confidentialité · Cookies"],
           "Partager sur Facebook", "Ce site utilise des cookies. Accepter | Personnaliser"),
    "es": ("Diario de la Comarca", ["Inicio", "Noticias", "Deportes", "Cultura", "Opinión", "Contacto"],
           ["© 2024 Diario de la Comarca. Todos los derechos reservados.", "Aviso legal · Privacidad · Cookies"],
           "Compartir en Facebook", "Utilizamos cookies propias y de terceros. Aceptar | Configurar"),
    "ar": ("صحيفة المدينة", ["الرئيسية", "أخبار", "رياضة", "ثقافة", "اتصل بنا"],
           ["© 2024 صحيفة المدينة. جميع الحقوق محفوظة.", "سياسة الخصوصية · شروط الاستخدام"],
           "شارك على فيسبوك", "يستخدم هذا الموقع ملفات تعريف الارتباط. موافق"),
    "pt": ("Jornal do Bairro", ["Início", "Notícias", "Esportes", "Cultura", "Contato"],
           ["© 2024 Jornal do Bairro. Todos os direitos reservados.", "Política de privacidade · Termos de uso"],
           "Compartilhar no Facebook", "Usamos cookies para melhorar sua experiência. Aceitar | Configurar"),
}
WARC_HOSTS = {"en": "gazette.co.uk.example", "fr": "journal-vallee.fr.example", "es": "diario-comarca.es.example",
              "ar": "sahifa.ae.example", "pt": "jornal-do-bairro.com.br.example"}
WET_LANGS = {"en": "eng", "fr": "fra", "es": "spa", "ar": "arb", "pt": "por"}


def load_samples() -> dict[str, dict]:
    """All sample documents by id, read from the per-language JSONL files."""
    docs: dict[str, dict] = {}
    for path in sorted(TEXT.glob("*.jsonl")):
        lang = path.stem
        with path.open(encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                rec["lang"] = lang
                docs[rec["id"]] = rec
    return docs


#: Titles of the documents that get one, in their own language.
TITLES = {
    "en-001": "Cold and bright start to the week", "en-005": "Town club reaches the county cup final",
    "en-007": "The story of the old mill", "en-012": "Changes to the number 12 bus timetable",
    "fr-001": "Météo : une semaine humide, puis le retour du soleil",
    "fr-005": "Le club de football enchaîne une troisième victoire", "es-005": "Historia del pueblo",
    "pt-001": "Chuva forte prevista para o Sul",
    "sw-004": "Timu yetu yashinda kombe la mkoa", "hi-003": "हमारे स्कूल का विज्ञान मेला",
    "id-002": "Pasar tradisional di pusat kota", "ar-004": "وصفة شوربة العدس", "vi-002": "Chợ quê buổi sáng",
    "zh-Hans-005": "手机支付要注意安全", "yo-002": "Ọjà Ọba ní ọjọ́ Sátidé", "bn-002": "গ্রামের হাট",
    "en-006": "A simple lentil soup", "fr-004": "La ratatouille", "es-003": "La tortilla de patatas",
    "ca-004": "El castell del turó", "eu-004": "Marmitakoa", "ta-004": "சாம்பார் செய்முறை", "ig-004": "Ofe onugbu",
    "ln-004": "Ndenge ya kolamba pondu",
    "en-010": "Library reopens on Monday", "pt-003": "A horta da escola", "vi-004": "Cách nấu phở bò",
    "en-003": "Saturday market is busy again", "fr-002": "Le marché du mardi", "es-002": "El mercado central",
    "ar-002": "سوق الخضار يوم الجمعة", "pt-002": "A feira livre do bairro",
}


def title_of(doc: dict) -> str:
    return TITLES[doc["id"]]


def jsonl_bytes(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records).encode("utf-8")


def write_news(docs: dict[str, dict]) -> None:
    records = [{"id": d["id"], "text": d["text"], "url": d["url"], "title": title_of(d), "published": "2024-05-06"}
               for d in (docs[i] for i in NEWS_IDS)]
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(jsonl_bytes(records))
    (FORMATS / "news.jsonl.gz").write_bytes(buf.getvalue())


def write_forum(docs: dict[str, dict]) -> None:
    import zstandard

    records = [{"id": d["id"], "text": d["text"], "url": d["url"], "thread": title_of(d)}
               for d in (docs[i] for i in FORUM_IDS)]
    cctx = zstandard.ZstdCompressor(level=10, write_checksum=True, write_content_size=True)
    (FORMATS / "forum.jsonl.zst").write_bytes(cctx.compress(jsonl_bytes(records)))


def write_parquet(table, path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, path, compression="zstd", row_group_size=1000, use_dictionary=False,
                   write_statistics=False, store_schema=True)


def write_books(docs: dict[str, dict]) -> None:
    import pyarrow as pa

    chosen = [docs[i] for i in BOOK_IDS]
    table = pa.table({"id": [d["id"] for d in chosen], "text": [d["text"] for d in chosen],
                      "title": [title_of(d) for d in chosen]},
                     schema=pa.schema([("id", pa.string()), ("text", pa.string()), ("title", pa.string())]))
    write_parquet(table, FORMATS / "books.parquet")


def write_other_schema(docs: dict[str, dict]) -> None:
    import pyarrow as pa

    chosen = [docs[i] for i in OTHER_SCHEMA_IDS]
    table = pa.table({"body": [d["text"] for d in chosen], "title": [title_of(d) for d in chosen]},
                     schema=pa.schema([("body", pa.string()), ("title", pa.string())]))
    write_parquet(table, FORMATS / "other_schema.parquet")


def write_wiki_hf(docs: dict[str, dict]) -> None:
    import datasets

    datasets.disable_progress_bars()
    chosen = [docs[i] for i in WIKI_IDS]
    features = datasets.Features({"id": datasets.Value("string"), "content": datasets.Value("string")})
    info = datasets.DatasetInfo(description="ROOTS sample corpus: wiki-like pages (written for the project)",
                                license="Apache-2.0", features=features)
    ds = datasets.Dataset.from_dict({"id": [d["id"] for d in chosen], "content": [d["text"] for d in chosen]},
                                    features=features, info=info)
    # A fixed fingerprint, so state.json does not change from run to run.
    ds._fingerprint = hashlib.sha256("roots-sample-wiki_hf".encode()).hexdigest()[:16]
    out = FORMATS / "wiki_hf"
    if out.exists():
        shutil.rmtree(out)
    ds.save_to_disk(str(out))


# --- WARC and WET ---------------------------------------------------------------------------------------


def page_html(doc: dict) -> str:
    """A real-looking article page: the document's paragraphs inside header, nav, sidebar and footer."""
    lang = doc["lang"]
    site, nav, footer, share, cookies = SITES[lang]
    title = title_of(doc)
    esc = html.escape
    paragraphs = "\n".join(f"      <p>{esc(p.strip())}</p>" for p in doc["text"].split("\n\n") if p.strip())
    nav_items = "\n".join(f'        <li><a href="/{i}">{esc(item)}</a></li>' for i, item in enumerate(nav))
    footer_lines = "\n".join(f"    <p>{esc(line)}</p>" for line in footer)
    direction = ' dir="rtl"' if lang == "ar" else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}"{direction}>
<head>
  <meta charset="utf-8">
  <title>{esc(title)} | {esc(site)}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/static/site.css">
  <script>window.analytics = window.analytics || []; window.analytics.push(["page", "{doc['id']}"]);</script>
  <style>.cookie-banner {{ position: fixed; bottom: 0; }}</style>
</head>
<body>
  <div class="cookie-banner">{esc(cookies)}</div>
  <header class="site-header">
    <a class="logo" href="/">{esc(site)}</a>
    <nav>
      <ul>
{nav_items}
      </ul>
    </nav>
  </header>
  <main>
    <article>
      <h1>{esc(title)}</h1>
      <p class="byline">06.05.2024</p>
{paragraphs}
    </article>
    <div class="share"><a href="#">{esc(share)}</a> · <a href="#">X</a> · <a href="#">WhatsApp</a></div>
  </main>
  <aside class="sidebar">
    <h2>{esc(nav[1])}</h2>
    <ul><li><a href="/a">{esc(nav[2])}</a></li><li><a href="/b">{esc(nav[3])}</a></li></ul>
  </aside>
  <footer>
{footer_lines}
  </footer>
</body>
</html>
"""


class _TextOf(HTMLParser):
    """Visible text of an HTML page, one line per block, as a naive WET extractor would give it."""

    BLOCKS = {"p", "h1", "h2", "li", "div", "title", "a", "header", "footer", "nav", "article", "aside"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._skip = 0
        self._buf: list[str] = []

    def _flush(self) -> None:
        line = " ".join("".join(self._buf).split())
        if line:
            self.lines.append(line)
        self._buf = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        if not self._skip:
            self._buf.append(data)


def page_text(markup: str) -> str:
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    parser._flush()
    return "\n".join(parser.lines) + "\n"


def record_id(*parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(UUID_NAMESPACE, '|'.join(parts))}>"


def _warcinfo(writer, filename: str, description: str):
    payload = (f"software: roots examples/make_sample.py\r\n"
               f"format: WARC File Format 1.1\r\n"
               f"description: {description}\r\n"
               f"isPartOf: roots-sample\r\n"
               f"license: Apache-2.0\r\n").encode("utf-8")
    return writer.create_warc_record(
        "", "warcinfo", payload=io.BytesIO(payload), length=len(payload),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Record-ID": record_id("warcinfo", filename), "WARC-Date": FIXED_DATE,
                           "WARC-Filename": filename})


def _http_pair(writer, url: str, body: bytes, content_type: str, status: str = "200 OK"):
    from warcio.statusandheaders import StatusAndHeaders

    host = url.split("/")[2]
    path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
    req_headers = StatusAndHeaders(f"GET {path} HTTP/1.1", [
        ("Host", host), ("User-Agent", "roots-sample-crawler/0.1 (+https://example.org/bot)"),
        ("Accept", "text/html,text/plain;q=0.9,*/*;q=0.8"), ("Accept-Encoding", "identity")],
        is_http_request=True)
    request = writer.create_warc_record(
        url, "request", http_headers=req_headers,
        warc_headers_dict={"WARC-Record-ID": record_id("request", url), "WARC-Date": FIXED_DATE})
    resp_headers = StatusAndHeaders(status, [
        ("Date", HTTP_DATE), ("Server", "nginx"), ("Content-Type", content_type),
        ("Content-Length", str(len(body))), ("Connection", "close")], protocol="HTTP/1.1")
    response = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), length=len(body), http_headers=resp_headers,
        warc_headers_dict={"WARC-Record-ID": record_id("response", url), "WARC-Date": FIXED_DATE,
                           "WARC-Concurrent-To": record_id("request", url)})
    return request, response


def write_warc_and_wet(docs: dict[str, dict]) -> None:
    from warcio.warcwriter import WARCWriter

    pages = []
    for doc_id in WARC_IDS:
        doc = docs[doc_id]
        lang = doc["lang"]
        slug = doc["url"].rstrip("/").rsplit("/", 1)[-1]
        url = f"https://{WARC_HOSTS[lang]}/2024/05/{slug}"
        pages.append((doc, url, page_html(doc)))

    warc_buf = io.BytesIO()
    writer = WARCWriter(warc_buf, gzip=True, warc_version="1.1")
    writer.write_record(_warcinfo(writer, "pages.warc.gz", "sample pages wrapping ROOTS sample documents"))
    robots_url = "https://gazette.co.uk.example/robots.txt"
    robots = b"User-agent: *\nDisallow: /admin/\nDisallow: /search\nSitemap: https://gazette.co.uk.example/sitemap.xml\n"
    for record in _http_pair(writer, robots_url, robots, "text/plain; charset=utf-8"):
        writer.write_record(record)
    for doc, url, markup in pages:
        # One page announces its charset only in the <meta> tag, as many servers do.
        content_type = "text/html" if doc["lang"] == "pt" else "text/html; charset=utf-8"
        for record in _http_pair(writer, url, markup.encode("utf-8"), content_type):
            writer.write_record(record)
    (FORMATS / "pages.warc.gz").write_bytes(warc_buf.getvalue())

    wet_buf = io.BytesIO()
    writer = WARCWriter(wet_buf, gzip=True, warc_version="1.1")
    writer.write_record(_warcinfo(writer, "pages.warc.wet.gz", "plain text extracted from pages.warc.gz"))
    for doc, url, markup in pages:
        text = page_text(markup).encode("utf-8")
        record = writer.create_warc_record(
            url, "conversion", payload=io.BytesIO(text), length=len(text),
            warc_content_type="text/plain",
            warc_headers_dict={"WARC-Record-ID": record_id("conversion", url), "WARC-Date": FIXED_DATE,
                               "WARC-Refers-To": record_id("response", url),
                               "WARC-Identified-Content-Language": WET_LANGS[doc["lang"]]})
        writer.write_record(record)
    (FORMATS / "pages.warc.wet.gz").write_bytes(wet_buf.getvalue())


def main() -> None:
    docs = load_samples()
    FORMATS.mkdir(parents=True, exist_ok=True)
    write_news(docs)
    write_forum(docs)
    write_books(docs)
    write_other_schema(docs)
    write_wiki_hf(docs)
    write_warc_and_wet(docs)
    for path in sorted(FORMATS.rglob("*")):
        if path.is_file():
            print(f"{path.stat().st_size:9d}  {path.relative_to(SAMPLE.parent)}")


if __name__ == "__main__":
    main()
