"""The shape the design asks for, checked in the source: one reader of config.json, per-kind
behaviour on the kind classes, one dispatch on the memory model, imports that run one way."""

import re

from conftest import ROOT

SRC = ROOT / "src" / "llm_sizing"
CACHE_AND_LAYER_KINDS = ("FullAttention", "SlidingWindow", "ChunkedLocal", "MlaLatent", "SparseIndexer",
                         "RecurrentState", "SharedKv", "Attention", "MlaAttention", "Mamba2", "GatedDeltaNet",
                         "DenseMlp", "MixtureOfExperts")


def sources(exclude=()):
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if not any(relative.startswith(prefix) for prefix in exclude):
            yield relative, path.read_text()


def test_only_the_architecture_reader_reads_the_config_dict():
    # the catalog carries the config (and hands it to the reader); nothing else opens it
    for relative, text in sources(exclude=("catalog/", "model/architecture.py")):
        assert not re.search(r"\.config\b|text_config\(|\[\"config\"\]", text), relative


def test_no_isinstance_on_layer_or_cache_kinds_outside_their_classes():
    pattern = re.compile(r"isinstance\([^)]*\b(" + "|".join(CACHE_AND_LAYER_KINDS) + r")\b")
    for relative, text in sources():
        assert not pattern.search(text), relative


def test_the_memory_model_is_chosen_once():
    # only the registry (and the renderers' tables keyed by its names) know the models by name
    allowed = ("stages/memory/", "scenario.py", "render/")
    for relative, text in sources(exclude=allowed):
        assert not re.search(r"memory_model\s*==|\.name\s*==\s*\"(seed|physical)\"|\"physical\"", text), relative


def test_imports_run_one_way():
    # the model and the stages know nothing of the faces (CLI, renderers) or of the pipeline above them
    for relative, text in sources():
        imports = re.findall(r"^\s*from\s+(\.+[\w.]*)\s+import", text, re.M)
        if relative.startswith(("model/", "stages/", "units.py", "errors.py", "findings.py")):
            assert not [i for i in imports if re.search(r"\b(cli|render|pipeline|explore|replica)\b", i)], relative
        if relative.startswith("model/"):
            assert not [i for i in imports if "stages" in i or "scenario" in i], relative
