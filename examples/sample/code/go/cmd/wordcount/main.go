// SPDX-License-Identifier: Apache-2.0

// Command wordcount prints the most frequent words of its input.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode"
)

func countWords(r io.Reader, counts map[string]int) error {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		fields := strings.FieldsFunc(scanner.Text(), func(c rune) bool {
			return !unicode.IsLetter(c) && !unicode.IsMark(c) && c != '\''
		})
		for _, f := range fields {
			if w := strings.Trim(strings.ToLower(f), "'"); w != "" {
				counts[w]++
			}
		}
	}
	return scanner.Err()
}

func main() {
	top := flag.Int("n", 10, "number of words to print")
	flag.Parse()

	counts := make(map[string]int)
	if flag.NArg() == 0 {
		if err := countWords(os.Stdin, counts); err != nil {
			fmt.Fprintln(os.Stderr, "wordcount:", err)
			os.Exit(1)
		}
	}
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wordcount:", err)
			os.Exit(1)
		}
		err = countWords(f, counts)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "wordcount:", name, err)
			os.Exit(1)
		}
	}

	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if counts[words[i]] != counts[words[j]] {
			return counts[words[i]] > counts[words[j]]
		}
		return words[i] < words[j]
	})
	for i, w := range words {
		if i == *top {
			break
		}
		fmt.Printf("%7d %s\n", counts[w], w)
	}
}
