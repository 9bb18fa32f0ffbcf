"""The per-document passes of a comparison, run shard by shard over documents and merged
exactly: on one machine from disk in bounded memory, or as Ray tasks (issue 33)."""
