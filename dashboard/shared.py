"""Shared mode: what a visitor of a shared dashboard may name, decided by the operator.

On when the operator points ``RECALL_HORIZON_SHARED`` at a TOML file (or starts the app with
``-- --shared FILE``), and on by itself whenever the server listens beyond loopback
(``--server.address 0.0.0.0``): then, with no file, nothing on the server can be named.

.. code-block:: toml

    roots = ["/srv/corpora", "/srv/models"]   # server paths a visitor may name, and below
    workers = 1                                # comparisons computed at once (the rest wait)
    runs_per_visitor = 1                       # places in that line one visitor may hold
    upload_mb_per_visitor = 200                # what one visitor's uploads may hold
    sign_in = false                            # true (or a provider's name): st.login first

    [endpoints.team-llm]                       # LLM endpoints a visitor picks by name
    base_url = "https://llm.internal/v1"
    model = "our-model"
    api_key_env = "TEAM_LLM_KEY"               # the operator's variable, never the visitor's
    allow_pasted_key = false                   # true: a visitor may paste their own key,
                                               # kept in their session's memory only

(Top-level keys come before the first ``[endpoints.…]`` table: TOML puts any key after a
table header inside that table.) A visitor is the signed-in user where sign-in is on, else
the client's address; behind a proxy without sign-in every visitor has the proxy's.

A visitor's paths (corpus tables, model folders, vectors, saved folders) are resolved,
symlinks included, and refused outside the roots; a model is otherwise a hub id; an LLM is
the embedded one or an endpoint of the file, by name: no URL and no variable name is typed.
The refusal names the roots, never what the refused path holds.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from analysis.errors import InputError

CONFIG_VAR = "RECALL_HORIZON_SHARED"
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
LOOPBACK = {"", "localhost", "127.0.0.1", "::1"}
ENDPOINT_KEYS = ("base_url", "model", "api_key_env", "allow_pasted_key")
KEYS = (
    "roots",
    "endpoints",
    "workers",
    "runs_per_visitor",
    "upload_mb_per_visitor",
    "sign_in",
)


@dataclass(frozen=True)
class Endpoint:
    """An LLM endpoint the operator offers: where, which model, whose key."""

    base_url: str
    model: str
    api_key_env: str | None = None
    allow_pasted_key: bool = False  # a visitor may paste a key, kept in their session only


@dataclass(frozen=True)
class SharedMode:
    """The operator's roots and endpoints (``source``: where they were read from)."""

    source: str
    roots: tuple[Path, ...] = ()
    endpoints: Mapping[str, Endpoint] = field(default_factory=dict)
    workers: int = 1  # comparisons computed at once; the others wait in line
    runs_per_visitor: int = 1  # places in that line one visitor may hold, running or waiting
    upload_mb_per_visitor: int = 200  # what one visitor's uploads may hold on the server
    sign_in: bool | str = False  # True, or an [auth.NAME] provider: st.login before any page

    def check_path(self, raw: str, what: str) -> None:
        """An InputError unless ``raw`` resolves (symlinks followed) under a root, or is the
        server's own (the bundled sample corpus, the uploads folder); a store spec (a
        corpus read from a store's payload) as ``check_model`` checks one."""
        from analysis.inputs.stores.spec import is_store_spec

        if is_store_spec(raw):  # not a path: "qdrant:/srv/x" would resolve under the cwd
            return self._check_store(raw, what)
        resolved = Path(raw).expanduser().resolve()
        for root in (*self.roots, *_own_folders()):
            if resolved == root or root in resolved.parents:
                return
        allowed = ", ".join(str(r) for r in self.roots) or "none: the operator set no roots"
        raise InputError(
            f"{what}: this dashboard is shared, and only paths under its roots can be named "
            f"(roots: {allowed}; set by the operator in {self.source})"
        )

    def check_model(self, spec: str, what: str) -> None:
        """A model spec a visitor may name: the bundled ones, a hub id, or a path under a
        root (``vectors:PATH`` included)."""
        from analysis.inputs.backends import Backend, split_spec
        from analysis.inputs.stores.spec import is_store_spec

        if is_store_spec(spec):
            return self._check_store(spec, what)
        spec, _ = split_spec(spec, Backend())  # a backend suffix names no path
        if spec in ("default", "demo-candidate"):
            return
        if spec.startswith("vectors:"):
            self.check_path(spec.removeprefix("vectors:"), what)
        elif HUB_ID.match(spec) and not Path(spec).expanduser().exists():
            return
        else:
            self.check_path(spec, what)

    def _check_store(self, spec: str, what: str) -> None:
        """Every file a store spec names under a root; no host a visitor names."""
        from analysis.inputs.stores.spec import parse_store_spec

        store = parse_store_spec(spec)
        if store.get("allow-pickle"):
            raise InputError(
                f"{what}: this dashboard is shared, and a visitor cannot have it load a "
                "Qdrant folder's pickles (they run code on the server); the operator can "
                "serve the collection from a Qdrant server instead"
            )
        if store.is_server:
            raise InputError(
                f"{what}: this dashboard is shared, and a visitor cannot have it call a "
                f"{store.store} server; the operator can put the store under a root"
            )
        self.check_path(store.location, what)
        if store.get("ids"):
            self.check_path(str(store.get("ids")), what)
        if store.get("queries"):
            self.check_model(str(store.get("queries")), what)

    def endpoint(self, name: str) -> Endpoint:
        if name not in self.endpoints:
            offered = ", ".join(sorted(self.endpoints)) or "none"
            raise InputError(
                f"LLM endpoint {name!r} is not one this shared dashboard offers "
                f"(offered: {offered})"
            )
        return self.endpoints[name]


def current(argv: list[str] | None = None) -> SharedMode | None:
    """Shared mode as the operator set it up, or None on a local dashboard."""
    args = sys.argv[1:] if argv is None else argv
    path = os.environ.get(CONFIG_VAR, "")
    if "--shared" in args and args.index("--shared") + 1 < len(args):
        path = args[args.index("--shared") + 1]
    if path:
        try:
            changed = Path(path).stat().st_mtime_ns
        except OSError as err:
            raise InputError(f"{path}: cannot read the shared-mode file ({err.strerror})") from None
        return _read(Path(path), changed)
    if _listens_beyond_loopback():
        return SharedMode("(no shared-mode file: the server listens beyond localhost)")
    return None


@lru_cache(maxsize=4)
def _read(path: Path, changed: int) -> SharedMode:
    """The file, parsed once per version (``changed``: its modification time): every page
    run asks for shared mode."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read the shared-mode file ({err})") from None
    unknown = set(data) - set(KEYS)
    if unknown:
        raise InputError(f"{path}: unknown key(s) {sorted(unknown)}; use {', '.join(KEYS)}")
    counts = {}
    for key in ("workers", "runs_per_visitor", "upload_mb_per_visitor"):
        value = data.get(key, SharedMode.__dataclass_fields__[key].default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{path}: {key} must be a whole number >= 1, got {value!r}")
        counts[key] = value
    sign_in = data.get("sign_in", False)
    if not isinstance(sign_in, (bool, str)) or sign_in == "":
        raise InputError(
            f"{path}: sign_in must be true, false or the name of an [auth.NAME] provider in "
            f".streamlit/secrets.toml, got {sign_in!r}"
        )
    roots = data.get("roots", [])
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        raise InputError(f"{path}: roots must be a list of folder paths")
    endpoints = {}
    for name, entry in (data.get("endpoints") or {}).items():
        if not isinstance(entry, dict) or not entry.get("base_url"):
            raise InputError(f"{path}: [endpoints.{name}] needs a base_url")
        stray = set(entry) - set(ENDPOINT_KEYS)
        if stray:  # a top-level key written after the table lands in it
            raise InputError(
                f"{path}: [endpoints.{name}] has unknown key(s) {sorted(stray)}; an endpoint "
                f"takes {', '.join(ENDPOINT_KEYS)} (top-level keys go before the first table)"
            )
        endpoints[name] = Endpoint(
            str(entry["base_url"]),
            str(entry.get("model", "")),
            entry.get("api_key_env"),
            bool(entry.get("allow_pasted_key", False)),
        )
    roots_found = tuple(Path(r).expanduser().resolve() for r in roots)
    return SharedMode(str(path), roots_found, endpoints, **counts, sign_in=sign_in)


def _own_folders() -> tuple[Path, ...]:
    """What the server itself writes or ships, which its pages name for the visitor."""
    from analysis.inputs.cache import default_cache_dir
    from analysis.tuning.demo import SAMPLE_CORPUS

    return (SAMPLE_CORPUS.resolve(), (default_cache_dir() / "uploads").resolve())


def _listens_beyond_loopback() -> bool:
    try:
        import streamlit as st

        address = st.get_option("server.address") or ""
    except Exception:  # outside a Streamlit server (tests, the CLI): local
        return False
    return str(address) not in LOOPBACK
