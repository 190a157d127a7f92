// SPDX-License-Identifier: Apache-2.0
package org.example.text;

import java.util.NoSuchElementException;

/** A fixed-capacity FIFO queue backed by a circular array. Not thread-safe. */
public final class BoundedQueue<T> {

    private final Object[] items;
    private int head;
    private int size;

    public BoundedQueue(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.items = new Object[capacity];
    }

    /** Adds an item; returns false when the queue is full. */
    public boolean offer(T item) {
        if (size == items.length) {
            return false;
        }
        items[(head + size) % items.length] = item;
        size++;
        return true;
    }

    @SuppressWarnings("unchecked")
    public T poll() {
        if (size == 0) {
            throw new NoSuchElementException("queue is empty");
        }
        T item = (T) items[head];
        items[head] = null;
        head = (head + 1) % items.length;
        size--;
        return item;
    }

    @SuppressWarnings("unchecked")
    public T peek() {
        return size == 0 ? null : (T) items[head];
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public int capacity() {
        return items.length;
    }
}
