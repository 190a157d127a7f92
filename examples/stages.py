"""A user stage for the sample run (examples/sample.yaml, `stages:`): drop web pages from blocklisted
domains, as C4, RefinedWeb and FineWeb do with their URL blocklists. It follows the Stage contract of
the built-ins (roots.stage.Stage); see the README, "Your own stage"."""
from __future__ import annotations

from urllib.parse import urlsplit

from roots.document import Document, Reason, Rejection


class UrlBlocklist:
    """Rejects a document whose `meta["url"]` host is a blocklisted domain or one of its subdomains;
    documents without a URL pass."""

    def __init__(self, domains: list[str], name: str = "url_blocklist") -> None:
        if not domains or not all(isinstance(d, str) and d.strip() for d in domains):
            raise ValueError("domains must be a non-empty list of domain names")
        self.name = name
        self.domains = frozenset(d.strip().lower().rstrip(".") for d in domains)
        self.reason = Reason(name, "blocked_domain", "the page's URL is on a blocklisted domain")
        self.reasons = [self.reason]   # what its reasons mean: the data card prints it

    def setup(self) -> None:
        """Nothing to load (a large list would be read here, once per worker)."""

    def __call__(self, doc: Document) -> Document | Rejection:
        host = (urlsplit(str(doc.meta.get("url") or "")).hostname or "").rstrip(".")
        labels = host.split(".")
        for i in range(len(labels) - 1):   # mirror.example.net, then example.net
            if ".".join(labels[i:]) in self.domains:
                return Rejection(doc, self.reason, f"{doc.id}: host {host} is blocklisted ({'.'.join(labels[i:])})")
        return doc
