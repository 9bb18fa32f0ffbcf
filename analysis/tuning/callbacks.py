"""The trainer's steps reported through the tool's own progress (a bar in the CLI, a
status box in the dashboard)."""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

from analysis.progress import Progress


class ProgressCallback(TrainerCallback):
    """One tick per optimiser step, in a stage named ``stage``."""

    def __init__(self, progress: Progress, stage: str) -> None:
        self.progress, self.stage = progress, stage

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.progress.start(self.stage, state.max_steps)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.progress.advance(1)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.progress.finish()


class RecipeStampCallback(TrainerCallback):
    """Writes the recipe record into every checkpoint the trainer saves, with the step and
    epoch it was saved at, so ``rounds --checkpoints`` knows what each was tuned for."""

    def __init__(self, filename: str, record: dict[str, Any]) -> None:
        self.filename, self.record = filename, record

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        import json
        from pathlib import Path

        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if folder.is_dir():
            trained = f"step {state.global_step}, epoch {state.epoch:g} of the guarded run"
            record = {**self.record, "series": {"trained": trained, "step": state.global_step}}
            (folder / self.filename).write_text(
                json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
