"""The verdict: scorecard, headlines and the rollout gate; they read the bundle only."""
