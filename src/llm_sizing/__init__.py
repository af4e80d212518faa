"""llm-sizing: capacity planning for LLM inference fleets.

    from llm_sizing import Scenario, load_catalog, size
    sizing = size(Scenario(model="gpt-oss-120b", server="dgx300", storage="profile_default",
                           concurrency=1000, effective_context=131072))
    sizing.results.nodes_final  # 2
"""

from .catalog import Catalog, ModelEntry, ServerEntry, StorageProfile, load_catalog
from .errors import CatalogError, InputError, SizingError, UnknownNameError
from .findings import Finding
from .pipeline import Results, Sizing, size
from .scenario import FitQuestion, PerfQuestion, PhysicalOptions, Scenario, ServiceOptions

__version__ = "0.1.0"

__all__ = ["Catalog", "CatalogError", "Finding", "FitQuestion", "InputError", "ModelEntry", "PerfQuestion",
           "PhysicalOptions", "Results", "Scenario", "ServerEntry", "ServiceOptions", "Sizing", "SizingError",
           "StorageProfile", "UnknownNameError", "load_catalog", "size", "__version__"]
