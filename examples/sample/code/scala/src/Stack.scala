// SPDX-License-Identifier: Apache-2.0
package example.collections

/** An immutable stack: push and pop return new stacks and share structure. */
sealed trait Stack[+A] {
  def isEmpty: Boolean
  def push[B >: A](value: B): Stack[B] = NonEmpty(value, this)
  def pop: Option[(A, Stack[A])]
  def peek: Option[A] = pop.map(_._1)
  def size: Int

  def toList: List[A] = {
    @annotation.tailrec
    def loop(s: Stack[A], acc: List[A]): List[A] = s.pop match {
      case Some((head, rest)) => loop(rest, head :: acc)
      case None               => acc.reverse
    }
    loop(this, Nil)
  }
}

case object Empty extends Stack[Nothing] {
  val isEmpty = true
  val pop = None
  val size = 0
}

final case class NonEmpty[+A](top: A, below: Stack[A]) extends Stack[A] {
  val isEmpty = false
  def pop: Option[(A, Stack[A])] = Some((top, below))
  val size: Int = below.size + 1
}

object Stack {
  def empty[A]: Stack[A] = Empty
  def apply[A](values: A*): Stack[A] = values.foldLeft(empty[A])(_ push _)
}
