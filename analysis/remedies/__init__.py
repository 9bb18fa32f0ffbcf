"""Remedies: what to ship instead of a candidate that fails the gate. Each remedy is a new
candidate (interpolated weights, fused scores of both models, BM25 + dense, a recall floor)
compared with the same baseline on the same corpus, judged by the same policy."""
