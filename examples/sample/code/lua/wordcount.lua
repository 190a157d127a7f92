-- SPDX-License-Identifier: Apache-2.0
-- Usage: lua wordcount.lua [N] < file.txt
-- Prints the N most frequent words read from standard input.
local top = tonumber(arg and arg[1]) or 10

local counts = {}
for line in io.lines() do
  for word in line:lower():gmatch("%a[%a']*") do
    counts[word] = (counts[word] or 0) + 1
  end
end

local words = {}
for word in pairs(counts) do
  words[#words + 1] = word
end
table.sort(words, function(a, b)
  if counts[a] ~= counts[b] then
    return counts[a] > counts[b]
  end
  return a < b
end)

for i = 1, math.min(top, #words) do
  io.write(string.format("%7d %s\n", counts[words[i]], words[i]))
end
