"""Document filters and maps, one module per family (imported as roots.filters)."""
