# SPDX-License-Identifier: Apache-2.0
"""An HTTP endpoint that counts the words of a POSTed text: python -m roots_sample.http_handler"""
from __future__ import annotations

import json
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .tokenizer import words

MAX_BODY = 1 << 20


class WordCountHandler(BaseHTTPRequestHandler):
    server_version = "WordCount/1.0"

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send_json(HTTPStatus.OK, {"status": "ok"})
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path != "/count":
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length", 0))
        if length > MAX_BODY:
            self._send_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "body too large"})
            return
        try:
            text = self.rfile.read(length).decode("utf-8")
        except UnicodeDecodeError:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "body must be UTF-8"})
            return
        counts = Counter(words(text))
        self._send_json(HTTPStatus.OK, {"total": sum(counts.values()), "top": counts.most_common(10)})

    def _send_json(self, status: HTTPStatus, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main(host: str = "127.0.0.1", port: int = 8080) -> None:
    with ThreadingHTTPServer((host, port), WordCountHandler) as server:
        print(f"listening on http://{host}:{port}")
        server.serve_forever()


if __name__ == "__main__":
    main()
