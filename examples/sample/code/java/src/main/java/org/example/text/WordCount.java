// SPDX-License-Identifier: Apache-2.0
package org.example.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Prints the most frequent words of the files given on the command line. */
public final class WordCount {

    private WordCount() { }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: WordCount FILE...");
            System.exit(2);
        }
        Tokenizer tokenizer = new Tokenizer(true);
        Map<String, Integer> counts = new HashMap<>();
        for (String arg : args) {
            String text = Files.readString(Path.of(arg), StandardCharsets.UTF_8);
            for (Tokenizer.Token token : tokenizer.tokenize(text)) {
                if (token.kind() == Tokenizer.Kind.WORD) {
                    counts.merge(token.text(), 1, Integer::sum);
                }
            }
        }
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()
                        .thenComparing(Map.Entry.comparingByKey()))
                .limit(20)
                .forEach(e -> System.out.printf("%7d %s%n", e.getValue(), e.getKey()));
    }
}
