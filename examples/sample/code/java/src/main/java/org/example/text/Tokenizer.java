// SPDX-License-Identifier: Apache-2.0
package org.example.text;

import java.util.ArrayList;
import java.util.List;

/** Splits text into words, numbers and single punctuation marks. */
public final class Tokenizer {

    public enum Kind { WORD, NUMBER, PUNCT }

    public record Token(Kind kind, String text, int offset) { }

    private final boolean lowercase;

    public Tokenizer(boolean lowercase) {
        this.lowercase = lowercase;
    }

    public List<Token> tokenize(String text) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            if (Character.isWhitespace(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            int start = i;
            Kind kind;
            if (Character.isLetter(cp)) {
                kind = Kind.WORD;
                i = scan(text, i, true);
            } else if (Character.isDigit(cp)) {
                kind = Kind.NUMBER;
                i = scan(text, i, false);
            } else {
                kind = Kind.PUNCT;
                i += Character.charCount(cp);
            }
            String piece = text.substring(start, i);
            tokens.add(new Token(kind, lowercase ? piece.toLowerCase() : piece, start));
        }
        return tokens;
    }

    /** Advances over letters (and apostrophes inside words) or over digits. */
    private static int scan(String text, int i, boolean letters) {
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            boolean ok = letters
                    ? Character.isLetter(cp) || Character.getType(cp) == Character.NON_SPACING_MARK
                      || (cp == '\'' && i + 1 < text.length() && Character.isLetter(text.codePointAt(i + 1)))
                    : Character.isDigit(cp);
            if (!ok) {
                break;
            }
            i += Character.charCount(cp);
        }
        return i;
    }
}
