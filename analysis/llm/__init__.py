"""The team's LLM in the loop: a chat model (an OpenAI-compatible endpoint or the embedded
offline default), every call cached on disk, and the prompts the pipeline measures ask."""
