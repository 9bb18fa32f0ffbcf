"""Which rounds to compare, in order: ``--round NAME=SPEC[,SPEC...]`` options, or a folder
whose sub-folders are checkpoints; and the domains the rounds were tuned for."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import InputError
from analysis.tuning.finetune import RECIPE_FILE

TRAINER_CHECKPOINT = re.compile(r"^checkpoint-\d+$")  # a transformers Trainer's checkpoint folder
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # also a folder name under --out


@dataclass(frozen=True)
class Round:
    """One fine-tuning round: its name and one model spec per training seed."""

    name: str
    specs: tuple[str, ...]

    @property
    def seeds(self) -> int:
        return len(self.specs)


def parse_round(text: str) -> Round:
    """``NAME=SPEC`` or ``NAME=SPEC1,SPEC2,...`` (one checkpoint per seed)."""
    name, sep, specs = text.partition("=")
    name = name.strip()
    if not sep or not specs.strip():
        raise InputError(f"--round {text!r}: expected NAME=SPEC or NAME=SPEC1,SPEC2,...")
    if not NAME.match(name):
        raise InputError(
            f"--round {text!r}: the name {name!r} must be letters, digits, '.', '_' or '-' "
            "(it names the round's folder under --out)"
        )
    parts = tuple(s.strip() for s in specs.split(","))
    if any(not s for s in parts):
        raise InputError(f"--round {text!r}: an empty spec between commas")
    return Round(name, parts)


def rounds_from_folder(folder: Path) -> list[Round]:
    """Each sub-folder is a round, in natural order of its name (round2 before round10);
    in a trainer's output folder (``checkpoint-N`` sub-folders), each checkpoint.

    A sub-folder whose own sub-folders are all model folders (``seed-0``, ``seed-1`` ...)
    is one round trained with several seeds.
    """
    if not folder.is_dir():
        raise InputError(f"--checkpoints {folder}: no such folder")
    found = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: _natural(p.name))
    if any(TRAINER_CHECKPOINT.match(p.name) for p in found):
        # a trainer's output folder: its checkpoints are the rounds; its eval/ and runs/
        # folders (evaluation results, TensorBoard logs) are not
        found = [p for p in found if TRAINER_CHECKPOINT.match(p.name)]
    if not found:
        raise InputError(f"--checkpoints {folder}: no sub-folders (one per round, in order)")
    rounds = []
    for path in found:
        seeds = sorted(
            (p for p in path.iterdir() if p.is_dir() and _is_model(p)),
            key=lambda p: _natural(p.name),
        )
        specs = tuple(str(p) for p in seeds) if seeds and not _is_model(path) else (str(path),)
        rounds.append(Round(path.name, specs))
    return rounds


def check_rounds(rounds: Sequence[Round]) -> None:
    if not rounds:
        raise InputError("give at least one --round NAME=SPEC, or --checkpoints FOLDER")
    seen: set[str] = set()
    for item in rounds:
        if item.name in seen:
            raise InputError(f"round name {item.name!r} is given twice; names must differ")
        seen.add(item.name)


def targets_from_recipes(rounds: Sequence[Round]) -> tuple[str, ...]:
    """The domains the rounds' checkpoints record as tuned for (``finetune`` writes them)."""
    domains: set[str] = set()
    for item in rounds:
        for spec in item.specs:
            recipe = Path(spec) / RECIPE_FILE
            if recipe.is_file():
                try:
                    domain = json.loads(recipe.read_text(encoding="utf-8")).get("domain")
                except (OSError, ValueError) as err:
                    raise InputError(
                        f"{recipe}: cannot read the fine-tuning recipe ({err})"
                    ) from None
                if isinstance(domain, str) and domain:
                    domains.add(domain)
    return tuple(sorted(domains))


def _is_model(path: Path) -> bool:
    return (path / "config.json").is_file() or (path / "modules.json").is_file()


def _natural(name: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
