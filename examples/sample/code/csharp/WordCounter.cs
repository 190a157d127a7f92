// SPDX-License-Identifier: Apache-2.0
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace Example.Text
{
    /// <summary>Counts words in files or standard input and prints the most common ones.</summary>
    public static class WordCounter
    {
        private static readonly Regex WordPattern = new Regex(@"\p{L}[\p{L}\p{Mn}']*", RegexOptions.Compiled);

        public static IReadOnlyDictionary<string, int> Count(IEnumerable<string> lines)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var line in lines)
            {
                foreach (Match match in WordPattern.Matches(line))
                {
                    var word = match.Value.ToLowerInvariant();
                    counts[word] = counts.TryGetValue(word, out var n) ? n + 1 : 1;
                }
            }
            return counts;
        }

        public static int Main(string[] args)
        {
            var top = 10;
            var files = new List<string>();
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] == "--top" && i + 1 < args.Length && int.TryParse(args[i + 1], out var n))
                {
                    top = n;
                    i++;
                }
                else
                {
                    files.Add(args[i]);
                }
            }

            IEnumerable<string> lines = files.Count == 0
                ? ReadStdin()
                : files.SelectMany(f => File.ReadLines(f));

            var ranked = Count(lines)
                .OrderByDescending(kv => kv.Value)
                .ThenBy(kv => kv.Key, StringComparer.Ordinal)
                .Take(top);
            foreach (var (word, count) in ranked.Select(kv => (kv.Key, kv.Value)))
            {
                Console.WriteLine($"{count,7} {word}");
            }
            return 0;
        }

        private static IEnumerable<string> ReadStdin()
        {
            string? line;
            while ((line = Console.ReadLine()) != null)
            {
                yield return line;
            }
        }
    }
}
