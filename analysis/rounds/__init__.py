"""Series of fine-tuning rounds: each round compared with the baseline and with the round
before it, the trade-off per domain over rounds, and the last round safe to roll out."""
