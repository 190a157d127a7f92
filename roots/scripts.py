"""Facts about writing systems shared by the stages: which letters belong to scripts written without
spaces between words (Thai, Lao, Tibetan, Myanmar, Khmer, kana, Han), where a space-separated "word"
is a clause and text is measured in characters."""
from __future__ import annotations

import re

#: One letter of a script written without spaces between words.
UNSPACED_LETTER = re.compile(r"[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
                             r"\u4e00-\u9fff\uf900-\ufaff]")


def unspaced_script(text: str) -> bool:
    """Whether most of the text's non-space characters are letters of a script written without spaces."""
    chars = len(text) - text.count(" ")
    return chars > 0 and len(UNSPACED_LETTER.findall(text)) * 2 >= chars
