"""One run of sentence-transformers' trainer for ``finetune``: its arguments from the recipe,
the datasets, the guard's evaluator and callbacks when one is attached, and our progress."""

from __future__ import annotations

from typing import Any

from analysis.progress import Progress


def train(
    model: Any,
    loss: Any,
    datasets: dict[str, dict[str, list[str]]],
    prompts: dict[str, str],
    recipe: Any,  # finetune.Recipe (finetune imports this module)
    progress: Progress,
    stage: str,
    guard: Any,  # finetune.Guard or None
    record: dict[str, Any],
    recipe_file: str,
) -> None:
    """sentence-transformers' trainer: seeded, a constant learning rate (so a run stopped
    after e epochs is the checkpoint a longer run passes through), AdamW with the recipe's
    weight decay; checkpoints and evaluations only when a guard is attached."""
    import tempfile

    from datasets import Dataset, DatasetDict
    from sentence_transformers import SentenceTransformerTrainer
    from sentence_transformers.sentence_transformer.training_args import (
        SentenceTransformerTrainingArguments,
    )
    from transformers.trainer_callback import PrinterCallback

    from analysis.tuning.callbacks import ProgressCallback, RecipeStampCallback

    steps_per_epoch = sum(-(-len(c["query"]) // recipe.batch_size) for c in datasets.values())
    with tempfile.TemporaryDirectory(prefix="recall-horizon-train-") as scratch:
        every = guard.every_epochs * steps_per_epoch if guard else 0
        args = SentenceTransformerTrainingArguments(
            output_dir=str(guard.output_dir) if guard else scratch,
            num_train_epochs=recipe.epochs,
            per_device_train_batch_size=recipe.batch_size,
            learning_rate=recipe.learning_rate,
            weight_decay=recipe.weight_decay,
            lr_scheduler_type="constant",
            warmup_steps=0,
            max_grad_norm=recipe.max_grad_norm,
            seed=recipe.seed,
            data_seed=recipe.seed,
            use_cpu=True,
            report_to=guard.report_to if guard else "none",
            logging_strategy="steps" if guard else "no",
            logging_steps=every or steps_per_epoch,
            eval_strategy="steps" if guard else "no",
            eval_steps=every or None,
            save_strategy="steps" if guard else "no",
            save_steps=every or steps_per_epoch,
            disable_tqdm=True,
            prompts={k: v for k, v in prompts.items() if v and k != "negative"} or None,
        )
        trainer = SentenceTransformerTrainer(
            model=model,
            args=args,
            train_dataset=(
                Dataset.from_dict(next(iter(datasets.values())))
                if len(datasets) == 1
                else DatasetDict({name: Dataset.from_dict(c) for name, c in datasets.items()})
            ),
            loss=loss,
            evaluator=guard.evaluator if guard else None,
            callbacks=[
                *(guard.callbacks if guard else []),
                RecipeStampCallback(recipe_file, record),
                ProgressCallback(progress, stage),
            ],
        )
        # the guard's keys go to guard.json and to report_to; printed, they would bury
        # the progress bar under a few hundred numbers per evaluation
        trainer.remove_callback(PrinterCallback)
        trainer.train()
    model.eval()
