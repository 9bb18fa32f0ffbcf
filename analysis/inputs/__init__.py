"""What goes in: corpora, model sources, precomputed vectors, embedding and its cache."""
