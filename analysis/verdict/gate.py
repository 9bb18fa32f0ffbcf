"""The rollout gate: per-domain guardrails from a TOML policy, checked against summary.json.

A policy has a ``[defaults]`` table and optional ``[domains.<name>]`` overrides. Every key
is validated (name, type, range) and a bad one is reported with the file and the table it
is in. The verdict lists, for every domain, each guardrail with the number that decided it.

The gate fails closed: a guardrail the comparison cannot evaluate for a domain (relevance
without judged queries, a number the summary lacks) fails that domain, unless the policy
says ``on_missing = "skip"``; a policy that sets no guardrail is refused, and a gate that
checked nothing does not pass.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.bundle.summary import DomainSection, Summary
from analysis.errors import InputError
from analysis.metrics.quality import QualityFigures
from analysis.numbers import p_clause
from analysis.verdict.guardrails import COUNT, FRACTION, GUARDRAILS, RELEVANCE

DEFAULT_POLICY = Path(__file__).with_name("default_policy.toml")


ON_MISSING = ("fail", "skip")
_OPTIONS = {
    "alpha": FRACTION,
    "only_when_significant": "true or false",
    "on_missing": "fail or skip",
}
_KINDS = {
    **{name: FRACTION for name in RELEVANCE},
    **{g.name: g.kind for g in GUARDRAILS},
    **_OPTIONS,
}


@dataclass(frozen=True)
class Guardrails:
    """One domain's limits (a guardrail without a limit is off) and how relevance drops count:
    ``only_when_significant`` counts a drop only when its BH-adjusted p is below ``alpha``."""

    limits: dict[str, float | int] = field(default_factory=dict)
    only_when_significant: bool = False
    alpha: float = 0.05
    on_missing: str = "fail"  # a guardrail that cannot be evaluated: "fail" or "skip"

    def limit(self, name: str) -> float | int | None:
        return self.limits.get(name)


@dataclass(frozen=True)
class Policy:
    source: str
    defaults: Guardrails
    overrides: dict[str, Guardrails] = field(default_factory=dict)

    def for_domain(self, name: str) -> Guardrails:
        return self.overrides.get(name, self.defaults)


@dataclass(frozen=True)
class Check:
    domain: str
    guardrail: str
    value: float | None
    limit: float
    passed: bool
    detail: str
    evaluated: bool = True  # False: the comparison lacks the number (see on_missing)
    headroom: float | None = None  # distance to the limit: > 0 inside it, < 0 breached


@dataclass(frozen=True)
class DomainVerdict:
    """One domain's outcome and the check that decided it: the worst breach when it failed,
    else the guardrail it came closest to breaching."""

    domain: str
    passed: bool
    deciding: Check | None  # None: no guardrail applies to this domain


@dataclass(frozen=True)
class GateResult:
    checks: tuple[Check, ...]
    unknown_domains: tuple[str, ...]  # policy overrides naming domains not in the comparison
    notes: tuple[str, ...] = ()  # what the reader should know of the guardrails checked

    @property
    def passed(self) -> bool:
        """Every guardrail held, and at least one was evaluated (nothing checked is no pass)."""
        return self.evaluated > 0 and all(c.passed for c in self.checks)

    @property
    def evaluated(self) -> int:
        return sum(c.evaluated for c in self.checks)

    def by_domain(self) -> list[DomainVerdict]:
        """Every checked domain's verdict, failed domains first, then by name."""
        verdicts = []
        for name in sorted({c.domain for c in self.checks}):
            mine = [c for c in self.checks if c.domain == name]
            failed = [c for c in mine if not c.passed]
            pool = failed or [c for c in mine if c.evaluated] or mine
            deciding = min(pool, key=_closeness)
            verdicts.append(DomainVerdict(name, not failed, deciding))
        return sorted(verdicts, key=lambda v: (v.passed, v.domain))

    def failed_domains(self) -> list[str]:
        return sorted({c.domain for c in self.checks if not c.passed})

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.__dict__ for c in self.checks])


def _closeness(check: Check) -> float:
    """Unevaluated checks first (they decide by failing closed), then the least headroom;
    an evaluated check with no distance (nothing to lose) last. Headroom is taken relative
    to the limit, so fractions and document counts compare."""
    if not check.evaluated:
        return float("-inf")
    if check.headroom is None:
        return float("inf")
    return check.headroom / max(abs(check.limit), 0.01)


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file (the shipped default when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_POLICY
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: policy file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read policy ({err})") from None
    return parse_policy(text, str(path))


def parse_policy(text: str, source: str) -> Policy:
    """Validate a policy's TOML text; ``source`` names it in errors and in the verdict."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{source}: not valid TOML ({err})") from None
    unknown = set(data) - {"defaults", "domains"}
    if unknown:
        raise InputError(
            f"{source}: unknown table(s) {sorted(unknown)}; use [defaults] and [domains.<name>]"
        )
    defaults = _guardrails(data.get("defaults", {}), Guardrails(), f"{source} [defaults]")
    domains = data.get("domains", {})
    if not isinstance(domains, dict):
        raise InputError(f"{source}: 'domains' must be tables like [domains.legal]")
    overrides = {
        name: _guardrails(table, defaults, f"{source} [domains.{name}]")
        for name, table in domains.items()
    }
    if not any(rails.limits for rails in [defaults, *overrides.values()]):
        raise InputError(
            f"{source}: the policy sets no guardrail, so it would pass any candidate; set at "
            f"least one of {', '.join(sorted(set(_KINDS) - set(_OPTIONS)))}"
        )
    return Policy(source, defaults, overrides)


def _guardrails(table: Any, base: Guardrails, where: str) -> Guardrails:
    if not isinstance(table, dict):
        raise InputError(f"{where}: expected a table of guardrails")
    limits, options = dict(base.limits), {}
    for key, value in table.items():
        if key not in _KINDS:
            known = ", ".join(sorted(_KINDS))
            raise InputError(f"{where}: unknown key '{key}' (known: {known})")
        if key in _OPTIONS:
            options[key] = _checked(key, value, where)
        else:
            limits[key] = _checked(key, value, where)
    return replace(base, limits=limits, **options)


def _checked(key: str, value: Any, where: str) -> Any:
    kind = _KINDS[key]
    if kind == "fail or skip":
        if value not in ON_MISSING:
            raise InputError(f'{where}: \'{key}\' must be "fail" or "skip", got {value!r}')
        return value
    if kind == "true or false":
        if not isinstance(value, bool):
            raise InputError(f"{where}: '{key}' must be true or false, got {value!r}")
        return value
    if kind == COUNT:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"{where}: '{key}' must be {COUNT}, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InputError(f"{where}: '{key}' must be {FRACTION}, got {value!r}")
    return float(value)


def evaluate(summary: Summary, policy: Policy) -> GateResult:
    """Check every domain of ``summary`` against its guardrails."""
    checks: list[Check] = []
    for name, section in summary.domains.items():
        checks += _domain_checks(name, section, policy.for_domain(name))
    unknown = tuple(sorted(set(policy.overrides) - set(summary.domain_names)))
    checked = {c.guardrail for c in checks}
    notes = tuple(rail.note for rail in GUARDRAILS if rail.note and rail.name in checked)
    if summary.manifest.corpus.queries_from and any(not c.evaluated for c in checks):
        notes += (
            "the queries come from a query log, which has no judgments, so the guardrails "
            "that need them cannot be checked and fail closed; docs/query-logs.md gives a "
            "policy for logs (overlap, reach, exclusions)",
        )
    return GateResult(tuple(checks), unknown, notes)


def _domain_checks(name: str, section: DomainSection, rails: Guardrails) -> list[Check]:
    checks = []
    quality = section.get(QualityFigures)
    for guardrail in RELEVANCE:
        limit = rails.limit(guardrail)
        if limit is None:
            continue
        if quality is None:
            why = "no judged query in this domain, so relevance cannot be checked"
            checks.append(_missing(name, guardrail, limit, rails, why))
        else:
            checks.append(_relevance_check(name, quality, guardrail, limit, rails))
    for rail in GUARDRAILS:
        limit, value = rails.limit(rail.name), rail.value_of(section)
        if limit is None:
            continue
        if value is None:
            checks.append(_missing(name, rail.name, limit, rails, rail.missing))
            continue
        detail = rail.describe(value, limit)
        if rail.decided_by is not None:
            value = rail.decided_by(value)
        passed = value >= limit if rail.at_least else value <= limit
        if not passed and rails.only_when_significant and rail.p_value_of is not None:
            p = rail.p_value_of(section)
            if p is None or p >= rails.alpha:
                passed, detail = True, f"{detail}, {p_clause(p)} — not significant, so allowed"
        headroom = value - limit if rail.at_least else limit - value
        checks.append(Check(name, rail.name, value, limit, passed, detail, headroom=headroom))
    return checks


def _missing(name: str, guardrail: str, limit: float, rails: Guardrails, why: str) -> Check:
    """A guardrail that cannot be evaluated: it fails, unless the policy skips such ones."""
    skip = rails.on_missing == "skip"
    action = 'skipped (on_missing = "skip")' if skip else 'failed closed (on_missing = "fail")'
    return Check(name, guardrail, None, limit, skip, f"{guardrail}: {why}; {action}", False)


def _relevance_check(
    name: str, quality: QualityFigures, guardrail: str, limit: float, rails: Guardrails
) -> Check:
    metric = quality.recall_metric if guardrail == "max_relative_drop_recall" else "ndcg@10"
    metric = metric or "recall@k"
    base, cand = quality.baseline.get(metric), quality.candidate.get(metric)
    p = quality.p_value_bh.get(metric)
    change = quality.relative_change(metric)
    if change is None:  # a baseline of 0 (or no value): relevance had nothing to lose
        note = f"{metric} {_number(base)} → {_number(cand)}: no relative drop is defined"
        return Check(name, guardrail, None, -limit, True, note)
    breached = -change > limit
    note = f"{metric} {base:.3f} → {cand:.3f} ({100 * change:+.1f}%, max drop {100 * limit:.0f}%"
    note += f", {p_clause(p)})" if p is not None else ")"
    if breached and rails.only_when_significant and (p is None or p >= rails.alpha):
        breached = False
        note += " — not significant, so allowed"
    return Check(name, guardrail, change, -limit, not breached, note, headroom=change + limit)


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
