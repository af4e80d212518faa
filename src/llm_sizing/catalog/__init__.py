"""Catalog of models, servers and storage profiles: JSON files, one JSON Schema per kind."""

from .entries import ModelEntry, ServerEntry, StorageProfile
from .loader import ENV_VAR, KINDS, Catalog, load_catalog, read_catalog_file, schema_text

__all__ = ["Catalog", "ENV_VAR", "KINDS", "ModelEntry", "ServerEntry", "StorageProfile",
           "load_catalog", "read_catalog_file", "schema_text"]
