// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <utility>

namespace example {

// A fixed-size circular buffer. When full, push() overwrites the oldest element.
template <typename T, std::size_t N>
class RingBuffer {
    static_assert(N > 0, "RingBuffer needs a positive capacity");

public:
    void push(T value) {
        data_[(head_ + size_) % N] = std::move(value);
        if (size_ < N) {
            ++size_;
        } else {
            head_ = (head_ + 1) % N;
        }
    }

    std::optional<T> pop() {
        if (size_ == 0) {
            return std::nullopt;
        }
        T value = std::move(data_[head_]);
        head_ = (head_ + 1) % N;
        --size_;
        return value;
    }

    const T& operator[](std::size_t i) const { return data_[(head_ + i) % N]; }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] static constexpr std::size_t capacity() noexcept { return N; }

private:
    std::array<T, N> data_{};
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

}  // namespace example
