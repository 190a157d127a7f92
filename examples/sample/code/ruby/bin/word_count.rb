#!/usr/bin/env ruby
# SPDX-License-Identifier: Apache-2.0
# frozen_string_literal: true

# Counts words in the files given (or standard input) and prints the top ones.
require 'optparse'

options = { top: 10, ignore_case: true }
OptionParser.new do |opts|
  opts.banner = 'Usage: word_count.rb [options] [FILE...]'
  opts.on('-n', '--top N', Integer, 'How many words to print') { |n| options[:top] = n }
  opts.on('--case-sensitive', 'Do not fold case') { options[:ignore_case] = false }
end.parse!

counts = Hash.new(0)
ARGF.each_line do |line|
  line = line.downcase if options[:ignore_case]
  line.scan(/[[:alpha:]][[:alpha:]']*/) { |word| counts[word] += 1 }
end

counts.sort_by { |word, count| [-count, word] }.first(options[:top]).each do |word, count|
  puts format('%7d %s', count, word)
end
