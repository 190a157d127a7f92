"""benchmarks/page_decisions.py: saved pages (written here) go through `roots run`'s curate stages and
each ends kept or rejected with its reason, decoded as `roots run` decodes WARC payloads."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NAV = "".join(f"<li><a href='/{i}'>{w}</a></li>" for i, w in enumerate(
    ["首页", "新闻", "财经", "体育", "娱乐", "科技", "汽车", "房产", "教育", "旅游", "健康", "文化"]))
ARTICLE = ("<p>市政府周一宣布，从下个月起，全市公交车将延长运营时间至深夜十二点，以方便晚归的市民出行。</p>"
           "<p>新线路的开通预计将缓解地铁高峰时段的拥挤，同时为郊区居民提供更多选择。交通局表示，"
           "夜间班次将先在十条主要线路试行三个月，再根据客流决定是否推广到全市。</p>"
           "<p>不少市民对此表示欢迎。一位在医院上夜班的护士说，过去下班后只能打车回家，"
           "以后每个月可以省下不少交通费。也有人担心夜间车辆的安全，交通局回应说每辆车都会配备监控。</p>")


def _module():
    sys.path.insert(0, str(ROOT / "benchmarks"))   # as the script finds curation_quality beside it
    import page_decisions
    return page_decisions


def test_pages_end_kept_or_rejected_with_their_reason(tmp_path):
    pages = tmp_path / "site"
    (pages / "news").mkdir(parents=True)
    # UTF-8 without a declared charset: decoded as roots run decodes it, not as Latin-1 mojibake
    (pages / "news" / "bus.html").write_bytes(
        f"<html><head><title>公交延长运营时间</title></head><body><ul>{NAV}</ul>{ARTICLE}"
        f"<ul>{NAV}</ul></body></html>".encode("utf-8"))
    (pages / "index.htm").write_bytes(f"<html><body><ul>{NAV}</ul><ul>{NAV}</ul></body></html>".encode("utf-8"))
    (pages / "notes.txt").write_text("not a page", encoding="utf-8")
    out = tmp_path / "out"
    assert _module().main(["--pages", str(pages), "--out", str(out)]) == 0
    rows = {r["id"]: r for r in map(json.loads, (out / "decisions.jsonl").read_text(encoding="utf-8").splitlines())}
    assert set(rows) == {"site/news/bus.html", "site/index.htm"}
    kept = rows["site/news/bus.html"]
    assert kept["outcome"] == "kept" and kept["lang"] == "zh-Hans", kept
    assert "全市公交车将延长运营时间" in kept["text"] and "首页" not in kept["text"]
    assert kept["chars_out"] == len(kept["text"]) < kept["chars_in"]
    menu = rows["site/index.htm"]
    assert menu["outcome"].startswith("boilerplate:") and menu["text"] == "" and menu["chars_out"] == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| kept |" in report and f"`site/index.htm`: {menu['reason']}" in report


PEERS = ROOT / ".venv-peers" / "bin" / "python"


def test_datatrove_decides_the_same_pages_beside(tmp_path):
    import pytest

    if not PEERS.exists():
        pytest.skip("no .venv-peers (benchmarks/peers.txt)")
    pages = tmp_path / "site"
    pages.mkdir()
    (pages / "bus.html").write_bytes(f"<html><body><ul>{NAV}</ul>{ARTICLE}</body></html>".encode("utf-8"))
    out = tmp_path / "out"
    assert _module().main(["--pages", str(pages), "--out", str(out), "--peers-python", str(PEERS)]) == 0
    row = json.loads((out / "decisions.jsonl").read_text(encoding="utf-8"))
    assert row["outcome"] == "kept" and row["datatrove"]["outcome"]   # kept, or the filter that rejected it
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "datatrove 0.10.1" in report and "Kept by both:" in report
