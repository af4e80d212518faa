"""llm-sizing: capacity planning for LLM inference fleets.

    from llm_sizing import Scenario, load_catalog, size
    sizing = size(Scenario(model="gpt-oss-120b", server="dgx300", storage="profile_default",
                           concurrency=1000, effective_context=131072))
    sizing.results.nodes_final  # 2
"""

import importlib

#: the public names and the modules that hold them, imported on first use (PEP 562) so that a
#: command imports only what it runs (`perf` never loads the sizing pipeline)
_EXPORTS = {
    "Catalog": "catalog", "ModelEntry": "catalog", "ServerEntry": "catalog", "StorageProfile": "catalog",
    "load_catalog": "catalog", "CatalogError": "errors", "InputError": "errors", "SizingError": "errors",
    "UnknownNameError": "errors", "Finding": "findings", "Results": "pipeline", "Sizing": "pipeline",
    "size": "pipeline", "FitQuestion": "scenario", "PerfQuestion": "scenario", "PhysicalOptions": "scenario",
    "Scenario": "scenario", "ServiceOptions": "scenario",
}


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


__version__ = "0.1.0"

__all__ = ["Catalog", "CatalogError", "Finding", "FitQuestion", "InputError", "ModelEntry", "PerfQuestion",
           "PhysicalOptions", "Results", "Scenario", "ServerEntry", "ServiceOptions", "Sizing", "SizingError",
           "StorageProfile", "UnknownNameError", "load_catalog", "size", "__version__"]
