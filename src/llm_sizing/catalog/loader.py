"""The only code that reads catalog files.

A catalog is the built-in entries plus any user directories: `--catalog DIR` (repeatable) and
the environment variable LLM_SIZING_CATALOG (directories separated by the OS path separator).
Every `*.json` file under a directory is read; its top-level key (`models`, `servers` or
`storage`) says which kind it holds. A user entry whose name equals an earlier entry's name
replaces it; a name or alias claimed by two different entries is an error.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence, Union

from ..errors import CatalogError, UnknownNameError
from .entries import ENTRY_TYPES, KIND_NOUN, ModelEntry, PerformanceProfile, ServerEntry, StorageProfile

ENV_VAR = "LLM_SIZING_CATALOG"
KINDS = tuple(ENTRY_TYPES)  # ("models", "servers", "storage", "profiles")

Entry = Union[ModelEntry, ServerEntry, StorageProfile, PerformanceProfile]


@functools.lru_cache(maxsize=None)
def _validator(kind: str):
    import fastjsonschema

    return fastjsonschema.compile(json.loads(schema_text(kind)))


PACKAGE_DIR = Path(__file__).resolve().parent


def schema_text(kind: str) -> str:
    return (PACKAGE_DIR / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8")


def _line_of(text: str, pointer: str) -> int | None:
    """1-based line of the JSON value at `pointer` (RFC 6901), for error messages."""
    import json_source_map

    try:
        where = json_source_map.calculate(text)
    except Exception:  # the map is a courtesy; the error is reported without a line
        return None
    while pointer:
        if pointer in where:
            entry = where[pointer]
            return (entry.key_start or entry.value_start).line + 1
        pointer = pointer.rsplit("/", 1)[0]
    return None


def _where(path: str, text: str, pointer: str) -> str:
    line = _line_of(text, pointer) if text else None
    return f"{path}:{line}" if line else path


def _entry_label(kind: str, document: dict, index: int) -> str:
    try:
        name = document[kind][index].get("name")
    except (AttributeError, IndexError, KeyError, TypeError):
        name = None
    return f"{KIND_NOUN[kind]} entry '{name}'" if name else f"{KIND_NOUN[kind]} entry #{index + 1}"


DIGESTS_FILE = "DIGESTS.json"


def builtin_digests() -> dict[str, str]:
    """sha256 of each built-in file as it was when the test suite validated it."""
    try:
        return json.loads((PACKAGE_DIR / "builtin" / DIGESTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_catalog_file(path: Union[str, Path], trusted_digest: str | None = None) -> tuple[str, tuple[Entry, ...]]:
    """Parse, schema-check and type one catalog file. Returns (kind, entries).

    A built-in file whose bytes match the digest recorded when the tests validated it skips the
    JSON Schema check and the entries' cross-field checks (compiling the schemas and reading every
    model's architecture are most of a run's time); an edited one is checked."""
    from ..files import non_finite, parse_json, read_text

    path = str(path)
    text = read_text(path, "catalog file")
    document = parse_json(text, path)
    kinds = [k for k in KINDS if isinstance(document, dict) and k in document]
    if len(kinds) != 1:
        raise CatalogError(f"{path}: a catalog file is a JSON object with exactly one of the keys "
                           f"{', '.join(KINDS)} (found {'none' if not kinds else ', '.join(kinds)})")
    kind = kinds[0]
    found = non_finite(document, skip=("config", "hf_quant_config", "measurements"))
    if found:
        raise CatalogError(f"{_where(path, text, found)}: {found.strip('/')} is not a finite number (NaN or "
                           f"Infinity): every figure must be one")
    if trusted_digest is None or digest(text) != trusted_digest:  # noqa: SIM102 (the trusted check below)
        import fastjsonschema

        try:
            _validator(kind)(document)
        except fastjsonschema.JsonSchemaValueException as exc:
            raise CatalogError(_schema_message(path, text, kind, document, exc)) from None
    trusted = trusted_digest is not None and digest(text) == trusted_digest
    entries = []
    for index, data in enumerate(document[kind]):
        entry = ENTRY_TYPES[kind].from_dict(data, origin=path, private=True)  # the document is ours alone
        for field_name, problem in ([] if trusted else entry.problems()):
            where = _where(path, text, f"/{kind}/{index}/{field_name}")
            raise CatalogError(f"{where}: {_entry_label(kind, document, index)}: field '{field_name}' {problem}")
        entries.append(entry)
    return kind, tuple(entries)


def entry_from_dict(kind: str, data: dict, origin: str) -> Entry:
    """One entry made outside a catalog file (an imported config): schema and cross-field checks."""
    import fastjsonschema

    document = {kind: [data]}
    try:
        _validator(kind)(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise CatalogError(_schema_message(origin, "", kind, document, exc)) from None
    entry = ENTRY_TYPES[kind].from_dict(data, origin=origin)
    for field_name, problem in entry.problems():
        raise CatalogError(f"{origin}: {_entry_label(kind, document, 0)}: field '{field_name}' {problem}")
    return entry


def _schema_message(path: str, text: str, kind: str, document: dict, exc) -> str:
    # exc.path is like ['data', 'models', 0, 'head_dim']; exc.message starts with exc.name
    steps = [int(step) if isinstance(step, str) and step.isdigit() else step for step in exc.path[1:]]
    detail = exc.message[len(exc.name):].strip() if exc.message.startswith(exc.name) else exc.message
    pointer = "".join(f"/{step}" for step in steps)
    where = _where(path, text, pointer)
    if len(steps) >= 2 and steps[0] == kind and isinstance(steps[1], int):
        label = _entry_label(kind, document, steps[1])
        if len(steps) >= 3:
            field_path = str(steps[2]) + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps[3:])
            return f"{where}: {label}: field '{field_path}' {detail} (schema: {kind}.schema.json)"
        return f"{where}: {label}: {detail} (schema: {kind}.schema.json)"
    return f"{where}: {'/'.join(map(str, steps)) or 'document'} {detail} (schema: {kind}.schema.json)"


def catalog_files(directory: Union[str, Path]) -> list[Path]:
    from ..files import expand, is_dir, is_file

    directory = expand(directory)
    if is_file(directory):
        return [directory]
    if not is_dir(directory):
        raise CatalogError(f"{directory}: catalog directory does not exist")
    try:
        return sorted(p for p in directory.rglob("*.json") if is_file(p))
    except OSError as exc:  # a directory that changes or vanishes while it is walked
        raise CatalogError(f"{directory}: cannot list the catalog directory: {exc.strerror or exc}") from None


def _builtin_files() -> list[Path]:
    return [PACKAGE_DIR / "builtin" / f"{kind}.json" for kind in KINDS]


def user_catalog_dirs(extra: Sequence[Union[str, Path]] = (), environ: Mapping[str, str] | None = None) -> list[str]:
    """Directories from the environment variable, then the `--catalog` ones (later ones win)."""
    environ = os.environ if environ is None else environ
    from_env = [d for d in environ.get(ENV_VAR, "").split(os.pathsep) if d.strip()]
    if any(not str(d).strip() for d in extra):
        raise CatalogError("--catalog: an empty directory name; give a catalog directory")
    return from_env + [str(d) for d in extra]


@dataclass(frozen=True)
class Catalog:
    models: tuple[ModelEntry, ...]
    servers: tuple[ServerEntry, ...]
    storage: tuple[StorageProfile, ...]
    profiles: tuple[PerformanceProfile, ...] = ()
    sources: tuple[str, ...] = ()

    def entries(self, kind: str) -> tuple[Entry, ...]:
        return getattr(self, kind)

    def find(self, kind: str, name: str) -> Entry:
        """The entry of `kind` called `name` or one of its aliases (case-insensitive)."""
        wanted = name.strip().lower()
        for entry in self.entries(kind):
            if wanted == entry.name.lower() or wanted in (a.lower() for a in entry.aliases):
                return entry
        valid = [e.name for e in self.entries(kind)]
        raise UnknownNameError(KIND_NOUN[kind], name, valid)

    def with_model(self, entry: ModelEntry) -> "Catalog":
        """This catalog plus one model (an imported config), replacing any entry of the same name."""
        kept = tuple(m for m in self.models if m.name.lower() != entry.name.lower())
        return Catalog(kept + (entry,), self.servers, self.storage, self.profiles, self.sources)

    def with_profiles(self, entries: Iterable[PerformanceProfile]) -> "Catalog":
        """This catalog with its performance profiles replaced (the build script fits engines on new ones)."""
        return Catalog(self.models, self.servers, self.storage, tuple(entries), self.sources)

    def check_addition(self, kind: str, entry: Entry, replace: bool = False) -> None:
        """Refuse to add `entry` (catalog import) where it would break the catalog: its name
        equal to an existing entry's (unless `replace`), or any of its names and aliases already used
        by another entry, which every later load would refuse."""
        noun = KIND_NOUN[kind]
        same = [e for e in self.entries(kind) if e.name.lower() == entry.name.lower()]
        if same and not replace:
            raise CatalogError(f"{noun} entry '{entry.name}' already exists ({same[0].origin}); pass --replace to "
                               f"replace it, or choose another --name")
        for other in self.entries(kind):
            if other.name.lower() == entry.name.lower():
                continue  # replaced
            taken = {label.lower() for label in (other.name, *other.aliases)}
            for label in (entry.name, *entry.aliases):
                if label.lower() in taken:
                    raise CatalogError(f"{noun} entry '{entry.name}': name or alias '{label}' is already used by "
                                       f"{noun} entry '{other.name}' ({other.origin}); names and aliases must be "
                                       f"unique: choose another --name or --alias, or replace that entry with --name "
                                       f"{other.name} --replace")

    def model(self, name: str) -> ModelEntry:
        return self.find("models", name)

    def server(self, name: str) -> ServerEntry:
        return self.find("servers", name)

    def storage_profile(self, name: str) -> StorageProfile:
        return self.find("storage", name)

    def no_profile(self, server: ServerEntry) -> str:
        """Why `server` has no performance profile, and the ways to give it one."""
        gpus = sorted({p.gpu_model for p in self.profiles})
        named = f"its gpu_model '{server.gpu_model}' has none" if server.gpu_model else "its entry names no gpu_model"
        return (f"server '{server.name}' ({server.origin}) has no performance profile: {named}; add \"gpu_model\" "
                f"(profiles exist for: {', '.join(gpus)}) or \"profile\" to the entry, give --profile NAME, or "
                f"measure one with llm-sizing calibrate ops")

    def profile_for(self, server: ServerEntry, name: str | None = None) -> PerformanceProfile | None:
        """The performance profile a server runs with: the one named (--profile), the server's own
        `profile`, else the last loaded one for its gpu_model, a measured one before an estimate;
        None when the catalog has none for it."""
        if name or server.profile:
            return self.find("profiles", name or server.profile)
        candidates = [p for p in self.profiles if server.gpu_model and p.gpu_model == server.gpu_model]
        measured = [p for p in candidates if p.status == "measured"]
        return (measured or candidates or [None])[-1]


def _merge(collected: dict[str, dict[str, Entry]], kind: str, entries: Iterable[Entry]) -> None:
    by_name = collected[kind]
    for entry in entries:
        # a later entry of the same name (case-insensitive, as names are looked up) replaces the earlier one
        by_name.pop(entry.name.lower(), None)
        by_name[entry.name.lower()] = entry
    claimed: dict[str, str] = {}
    for entry in by_name.values():
        for label in (entry.name, *entry.aliases):
            owner = claimed.setdefault(label.lower(), entry.name)
            if owner != entry.name:
                raise CatalogError(f"{entry.origin}: {KIND_NOUN[kind]} entry '{entry.name}': name or alias "
                                   f"'{label}' is already used by entry '{owner}'; names and aliases must be unique")


def _check_references(collected: dict[str, dict[str, Entry]]) -> None:
    """Names one entry gives for another (a server's `profile`) must resolve, or every command using
    the entry would fail later."""
    profiles = {label.lower() for entry in collected["profiles"].values() for label in (entry.name, *entry.aliases)}
    for server in collected["servers"].values():
        if server.profile and server.profile.lower() not in profiles:
            unknown = UnknownNameError("performance profile", server.profile,
                                       [p.name for p in collected["profiles"].values()])
            raise CatalogError(f"{server.origin}: server entry '{server.name}': field 'profile': {unknown}")


def load_catalog(dirs: Sequence[Union[str, Path]] = (), *, environ: Mapping[str, str] | None = None,
                 builtin: bool = True) -> Catalog:
    """Built-in entries, then the user directories (env var first, then `dirs`)."""
    files = (_builtin_files() if builtin else [])
    trusted = {str(path): builtin_digests().get(path.name) for path in files}
    for directory in user_catalog_dirs(dirs, environ):
        files.extend(catalog_files(directory))
    collected: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS}
    for path in files:
        kind, entries = read_catalog_file(path, trusted.get(str(path)))
        _merge(collected, kind, entries)
    _check_references(collected)
    return Catalog(models=tuple(collected["models"].values()),
                   servers=tuple(collected["servers"].values()),
                   storage=tuple(collected["storage"].values()),
                   profiles=tuple(collected["profiles"].values()),
                   sources=tuple(str(p) for p in files))


def find_any(catalog: Catalog, name: str, kind: str | None = None) -> Entry:
    """The entry called `name` in `kind`, or in whichever kind has it."""
    if kind:
        return catalog.find(kind, name)
    matches = []
    for each in KINDS:
        try:
            matches.append(catalog.find(each, name))
        except UnknownNameError:
            pass
    if len(matches) == 1:
        return matches[0]
    if matches:
        kinds = ", ".join(m.kind for m in matches)
        raise CatalogError(f"'{name}' names entries of several kinds ({kinds}); add --kind to choose one")
    raise UnknownNameError("catalog entry", name, [e.name for each in KINDS for e in catalog.entries(each)])
