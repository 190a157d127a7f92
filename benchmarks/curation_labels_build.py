"""Regenerate the generated rows of `benchmarks/curation_labels.jsonl` (article pages and FLORES) and
refresh every SHA-1, keeping the rows labelled by hand (OSCAR, WET) and each article page's language as
they are. Run it when `article_parts` changes on purpose; review the diff of the labels file.

    .venv/bin/python benchmarks/curation_labels_build.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import curation_quality as cq  # noqa: E402

#: FLORES codes outside our 46 (neighbours of ours and big languages) → their code in the labels.
NEIGHBOURS = {"zsm_Latn": "ms", "mai_Deva": "mai", "bho_Deva": "bho", "mag_Deva": "mag", "awa_Deva": "awa",
              "hne_Deva": "hne", "glg_Latn": "gl", "oci_Latn": "oc", "ast_Latn": "ast", "scn_Latn": "scn",
              "ita_Latn": "it", "deu_Latn": "de", "nld_Latn": "nl", "rus_Cyrl": "ru", "tur_Latn": "tr",
              "jav_Latn": "jv", "sun_Latn": "su", "som_Latn": "so", "hau_Latn": "ha", "amh_Ethi": "am",
              "nob_Latn": "nb", "pes_Arab": "fa", "pbt_Arab": "ps", "snd_Arab": "sd", "san_Deva": "sa",
              "kas_Deva": "ks", "fuv_Latn": "ff", "ewe_Latn": "ee", "lua_Latn": "lua", "kon_Latn": "kg",
              "umb_Latn": "umb", "kmb_Latn": "kmb", "ssw_Latn": "ss", "nyn_Latn": "nyn", "yue_Hant": "yue",
              "jpn_Jpan": "ja", "kor_Hang": "ko", "tgl_Latn": "tl", "mlt_Latn": "mt"}
FLORES_FIRSTS = (0, 30, 60)


def main() -> int:
    from roots.languages import load_registry

    registry = load_registry()
    ours = set(registry.codes)
    old = cq.read_labels()
    resolver = cq.Resolver()
    page_lang = {r["page"]: r["lang"] for r in old if r["set"] == "article"}
    rows = []
    for r in old:                                    # hand-labelled rows: refresh the digest only
        if r["set"] in ("oscar", "wet"):
            rows.append({**r, "sha1": cq.sha1(resolver.text(r))})
    for page in sorted(resolver.truth()):
        good, junk = resolver.article(page)
        lang = page_lang.get(page, "en")
        mine = lang in ours
        note = "" if mine else f"; the page is in {lang}, outside our 46"
        rows.append({"set": "article", "page": page, "part": "article", "sha1": cq.sha1(good),
                     "label": "good" if mine else "wrong_language", "lang": lang,
                     "note": "ground-truth article text" + note})
        if junk.strip():
            rows.append({"set": "article", "page": page, "part": "boilerplate", "sha1": cq.sha1(junk),
                         "label": "junk" if mine else "wrong_language", "lang": lang,
                         "note": "visible page text that is not the article (article_parts)" + note})
    flores = resolver.flores()
    for cfg in registry.natural():
        for first in FLORES_FIRSTS:
            row = {"set": "flores", "flores": cfg.flores, "first": first, "n": 10, "label": "good",
                   "lang": cfg.code, "note": "FLORES-200 dev, 10 sentences"}
            rows.append({**row, "sha1": cq.sha1(resolver.text(row))})
    for code, lang in NEIGHBOURS.items():
        if code in flores:
            row = {"set": "flores", "flores": code, "first": 0, "n": 10, "label": "wrong_language", "lang": lang,
                   "note": "FLORES-200 dev, a language outside our 46 (a neighbour or a big one)"}
            rows.append({**row, "sha1": cq.sha1(resolver.text(row))})
    with open(cq.LABELS, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{cq.LABELS}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
