# SPDX-License-Identifier: Apache-2.0
# frozen_string_literal: true

# Keeps track of stock levels in a small shop.
class Inventory
  class OutOfStock < StandardError; end

  Item = Struct.new(:sku, :name, :price_cents, :quantity, keyword_init: true) do
    def total_cents
      price_cents * quantity
    end
  end

  include Enumerable

  def initialize
    @items = {}
  end

  def add(sku:, name:, price_cents:, quantity: 0)
    if (item = @items[sku])
      item.quantity += quantity
    else
      @items[sku] = Item.new(sku: sku, name: name, price_cents: price_cents, quantity: quantity)
    end
    self
  end

  def remove(sku, quantity = 1)
    item = @items.fetch(sku) { raise KeyError, "unknown SKU #{sku}" }
    raise OutOfStock, "only #{item.quantity} of #{item.name} left" if item.quantity < quantity

    item.quantity -= quantity
    item
  end

  def each(&block)
    @items.each_value(&block)
  end

  def low_stock(threshold = 3)
    select { |item| item.quantity <= threshold }.sort_by(&:quantity)
  end

  def value_cents
    sum(&:total_cents)
  end

  def to_s
    map { |i| format('%-8s %-20s %4d x %8.2f', i.sku, i.name, i.quantity, i.price_cents / 100.0) }.join("\n")
  end
end
