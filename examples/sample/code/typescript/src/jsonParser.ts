// SPDX-License-Identifier: Apache-2.0

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class JsonSyntaxError extends Error {
  constructor(message: string, public readonly offset: number) {
    super(`${message} at offset ${offset}`);
  }
}

/** A small recursive-descent JSON parser, for teaching rather than speed. */
export function parseJson(text: string): Json {
  let pos = 0;

  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, pos);
  };
  const skipSpace = (): void => {
    while (pos < text.length && " \t\n\r".includes(text[pos])) pos++;
  };
  const expect = (s: string): void => {
    if (text.startsWith(s, pos)) pos += s.length;
    else fail(`expected ${JSON.stringify(s)}`);
  };

  function parseValue(): Json {
    skipSpace();
    const c = text[pos];
    if (c === "{") return parseObject();
    if (c === "[") return parseArray();
    if (c === '"') return parseString();
    if (c === "t") { expect("true"); return true; }
    if (c === "f") { expect("false"); return false; }
    if (c === "n") { expect("null"); return null; }
    return parseNumber();
  }

  function parseObject(): { [key: string]: Json } {
    const out: { [key: string]: Json } = {};
    expect("{");
    skipSpace();
    if (text[pos] === "}") { pos++; return out; }
    for (;;) {
      skipSpace();
      const key = parseString();
      skipSpace();
      expect(":");
      out[key] = parseValue();
      skipSpace();
      if (text[pos] === ",") { pos++; continue; }
      expect("}");
      return out;
    }
  }

  function parseArray(): Json[] {
    const out: Json[] = [];
    expect("[");
    skipSpace();
    if (text[pos] === "]") { pos++; return out; }
    for (;;) {
      out.push(parseValue());
      skipSpace();
      if (text[pos] === ",") { pos++; continue; }
      expect("]");
      return out;
    }
  }

  function parseString(): string {
    expect('"');
    let out = "";
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === "\\") {
        const esc = text[pos + 1];
        const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (esc in simple) { out += simple[esc]; pos += 2; }
        else if (esc === "u") { out += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 6), 16)); pos += 6; }
        else fail("bad escape");
      } else {
        out += text[pos++];
      }
    }
    expect('"');
    return out;
  }

  function parseNumber(): number {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(pos));
    if (!match) return fail("unexpected character");
    pos += match[0].length;
    return Number(match[0]);
  }

  const result = parseValue();
  skipSpace();
  if (pos !== text.length) fail("trailing characters");
  return result;
}
