"""The language registry data: one YAML per language (imported as roots.language_configs)."""
