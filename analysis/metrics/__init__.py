"""The metric families: one per file, each a function returning a frozen result."""
