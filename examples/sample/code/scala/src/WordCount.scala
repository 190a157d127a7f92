// SPDX-License-Identifier: Apache-2.0
package example.text

import scala.io.Source
import scala.util.Using

/** Prints the most frequent words of the files given (or of standard input). */
object WordCount {
  private val Word = """\p{L}[\p{L}\p{Mn}']*""".r

  def count(lines: Iterator[String]): Map[String, Int] =
    lines
      .flatMap(line => Word.findAllIn(line.toLowerCase))
      .foldLeft(Map.empty[String, Int].withDefaultValue(0)) { (acc, w) => acc.updated(w, acc(w) + 1) }

  def main(args: Array[String]): Unit = {
    val (top, files) = args.toList match {
      case "-n" :: n :: rest => (n.toInt, rest)
      case rest              => (10, rest)
    }
    val counts =
      if (files.isEmpty) count(Source.stdin.getLines())
      else files.map(f => Using.resource(Source.fromFile(f, "UTF-8"))(src => count(src.getLines()))).reduce { (a, b) =>
        b.foldLeft(a) { case (acc, (w, n)) => acc.updated(w, acc(w) + n) }
      }
    counts.toSeq
      .sortBy { case (w, n) => (-n, w) }
      .take(top)
      .foreach { case (w, n) => println(f"$n%7d $w") }
  }
}
