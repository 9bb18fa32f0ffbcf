"""Making candidates (fine-tuning, the demo), not diagnosing them."""
