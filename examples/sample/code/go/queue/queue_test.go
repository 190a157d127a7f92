// SPDX-License-Identifier: Apache-2.0

package queue

import "testing"

func TestQueueOrder(t *testing.T) {
	var q Queue[int]
	for i := 0; i < 10; i++ {
		q.Push(i)
	}
	for want := 0; want < 10; want++ {
		got, ok := q.Pop()
		if !ok || got != want {
			t.Fatalf("Pop() = %d, %v; want %d, true", got, ok, want)
		}
	}
	if _, ok := q.Pop(); ok {
		t.Fatal("Pop() on empty queue returned ok")
	}
}

func TestQueueWrapAround(t *testing.T) {
	var q Queue[string]
	q.Push("a")
	q.Push("b")
	q.Pop()
	for _, s := range []string{"c", "d", "e", "f"} {
		q.Push(s)
	}
	if q.Len() != 5 {
		t.Fatalf("Len() = %d; want 5", q.Len())
	}
	if v, _ := q.Peek(); v != "b" {
		t.Fatalf("Peek() = %q; want %q", v, "b")
	}
}
