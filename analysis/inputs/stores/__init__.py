"""Vector stores as model sources: a store's document vectors read where production keeps
them (``qdrant:``, ``faiss:``, ``lancedb:``, ``chroma:``), its questions encoded by a model
the spec names."""
