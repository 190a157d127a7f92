-- SPDX-License-Identifier: Apache-2.0
-- A simple stack with push, pop, peek and iteration from the top.
local Stack = {}
Stack.__index = Stack

function Stack.new(...)
  local self = setmetatable({ items = {}, n = 0 }, Stack)
  for _, v in ipairs({ ... }) do
    self:push(v)
  end
  return self
end

function Stack:push(value)
  self.n = self.n + 1
  self.items[self.n] = value
  return self
end

function Stack:pop()
  if self.n == 0 then
    return nil, "stack is empty"
  end
  local value = self.items[self.n]
  self.items[self.n] = nil
  self.n = self.n - 1
  return value
end

function Stack:peek()
  return self.items[self.n]
end

function Stack:size()
  return self.n
end

function Stack:iter()
  local i = self.n + 1
  return function()
    i = i - 1
    if i > 0 then
      return self.items[i]
    end
  end
end

Stack.__len = Stack.size
Stack.__tostring = function(self)
  local parts = {}
  for v in self:iter() do
    parts[#parts + 1] = tostring(v)
  end
  return "Stack(" .. table.concat(parts, ", ") .. ")"
end

return Stack
