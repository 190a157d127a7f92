// SPDX-License-Identifier: Apache-2.0
'use strict';

/**
 * A FIFO queue with amortised O(1) push and shift, built from two stacks.
 */
class Queue {
  #inbox = [];
  #outbox = [];

  push(...items) {
    this.#inbox.push(...items);
    return this.size;
  }

  shift() {
    if (this.#outbox.length === 0) {
      while (this.#inbox.length > 0) {
        this.#outbox.push(this.#inbox.pop());
      }
    }
    return this.#outbox.pop();
  }

  peek() {
    if (this.#outbox.length > 0) {
      return this.#outbox[this.#outbox.length - 1];
    }
    return this.#inbox[0];
  }

  get size() {
    return this.#inbox.length + this.#outbox.length;
  }

  *[Symbol.iterator]() {
    for (let i = this.#outbox.length - 1; i >= 0; i -= 1) yield this.#outbox[i];
    yield* this.#inbox;
  }
}

module.exports = { Queue };
