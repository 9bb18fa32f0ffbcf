"""Vector stores as model sources: a store's document vectors read where production keeps
them (``qdrant:``, ``faiss:``), its questions encoded by a model the spec names."""
