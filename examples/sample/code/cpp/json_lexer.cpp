// SPDX-License-Identifier: Apache-2.0
// A small lexer for JSON text: prints one token per line.
#include <cctype>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

enum class TokenType { LBrace, RBrace, LBracket, RBracket, Colon, Comma, String, Number, True, False, Null };

struct Token {
    TokenType type;
    std::string text;
};

class Lexer {
public:
    explicit Lexer(std::string input) : src_(std::move(input)) {}

    std::vector<Token> run() {
        std::vector<Token> tokens;
        while (true) {
            skipSpace();
            if (pos_ >= src_.size()) {
                return tokens;
            }
            const char c = src_[pos_];
            switch (c) {
                case '{': tokens.push_back({TokenType::LBrace, "{"}); ++pos_; break;
                case '}': tokens.push_back({TokenType::RBrace, "}"}); ++pos_; break;
                case '[': tokens.push_back({TokenType::LBracket, "["}); ++pos_; break;
                case ']': tokens.push_back({TokenType::RBracket, "]"}); ++pos_; break;
                case ':': tokens.push_back({TokenType::Colon, ":"}); ++pos_; break;
                case ',': tokens.push_back({TokenType::Comma, ","}); ++pos_; break;
                case '"': tokens.push_back({TokenType::String, readString()}); break;
                default:
                    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
                        tokens.push_back({TokenType::Number, readNumber()});
                    } else {
                        tokens.push_back(readKeyword());
                    }
            }
        }
    }

private:
    void skipSpace() {
        while (pos_ < src_.size() && std::isspace(static_cast<unsigned char>(src_[pos_]))) {
            ++pos_;
        }
    }

    std::string readString() {
        std::string out;
        ++pos_;  // opening quote
        while (pos_ < src_.size() && src_[pos_] != '"') {
            if (src_[pos_] == '\\' && pos_ + 1 < src_.size()) {
                out.push_back(src_[pos_++]);
            }
            out.push_back(src_[pos_++]);
        }
        if (pos_ >= src_.size()) {
            throw std::runtime_error("unterminated string");
        }
        ++pos_;  // closing quote
        return out;
    }

    std::string readNumber() {
        const std::size_t start = pos_;
        while (pos_ < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[pos_])) ||
                                      std::string("+-.eE").find(src_[pos_]) != std::string::npos)) {
            ++pos_;
        }
        return src_.substr(start, pos_ - start);
    }

    Token readKeyword() {
        for (const auto& [word, type] : {std::pair{"true", TokenType::True},
                                         std::pair{"false", TokenType::False},
                                         std::pair{"null", TokenType::Null}}) {
            const std::string w(word);
            if (src_.compare(pos_, w.size(), w) == 0) {
                pos_ += w.size();
                return {type, w};
            }
        }
        throw std::runtime_error("unexpected character at offset " + std::to_string(pos_));
    }

    std::string src_;
    std::size_t pos_ = 0;
};

int main() {
    std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    try {
        for (const Token& t : Lexer(input).run()) {
            std::cout << static_cast<int>(t.type) << '\t' << t.text << '\n';
        }
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
