// SPDX-License-Identifier: Apache-2.0
// Reads text from stdin and prints the ten most frequent words and the last
// five distinct words seen.
#include <algorithm>
#include <cctype>
#include <iostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "ring_buffer.hpp"

namespace {

std::string normalise(const std::string& word) {
    std::string out;
    out.reserve(word.size());
    for (unsigned char c : word) {
        if (std::isalnum(c) || c >= 0x80) {
            out.push_back(static_cast<char>(std::tolower(c)));
        }
    }
    return out;
}

}  // namespace

int main() {
    std::unordered_map<std::string, int> counts;
    example::RingBuffer<std::string, 5> recent;
    std::string raw;
    while (std::cin >> raw) {
        std::string word = normalise(raw);
        if (word.empty()) {
            continue;
        }
        if (counts[word]++ == 0) {
            recent.push(word);
        }
    }

    std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    const std::size_t top = std::min<std::size_t>(10, sorted.size());
    for (std::size_t i = 0; i < top; ++i) {
        std::cout << sorted[i].second << '\t' << sorted[i].first << '\n';
    }
    std::cout << "recent:";
    for (std::size_t i = 0; i < recent.size(); ++i) {
        std::cout << ' ' << recent[i];
    }
    std::cout << '\n';
    return 0;
}
