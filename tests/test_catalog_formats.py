"""Every built-in model entry's checkpoint format is what its published checkpoint states
(tests/fixtures/checkpoint_formats.json: the format, the components kept in the model dtype, and the
quantization config quoted as evidence); a checkpoint that quantizes only some components (the experts
of an NVFP4 or INT4 MoE, everything but attention) is counted per component."""

import json

import pytest

from conftest import FIXTURES
from llm_sizing import load_catalog
from llm_sizing.errors import ArchitectureError
from llm_sizing.model.parameters import count_parameters
from llm_sizing.model.weights import weight_bytes

CATALOG = load_catalog()
RECORDED = {row["model"]: row for row in json.loads((FIXTURES / "checkpoint_formats.json").read_text())["entries"]}


def test_every_entry_has_a_recorded_format():
    assert sorted(RECORDED) == sorted(m.name for m in CATALOG.models)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_the_entry_reads_the_recorded_format(name):
    recorded = RECORDED[name]
    arch = CATALOG.model(name).architecture
    if recorded["format"].startswith("refused: "):
        with pytest.raises(ArchitectureError, match=recorded["format"].removeprefix("refused: ").split("'")[0]):
            arch.checkpoint_format()
        return
    assert arch.checkpoint_format().describe() == recorded["format"], recorded["evidence"]


def gib(name):
    arch = CATALOG.model(name).architecture
    components = count_parameters(arch).components
    return {item.component.name: float(item.bytes) / 2**30 for item in weight_bytes(components, arch.checkpoint_format())}


def test_an_experts_only_checkpoint_keeps_attention_in_bf16():
    # Kimi K2.5: INT4 (group 32) on the routed experts only; attention, the MLA down-projections and the
    # shared experts stay bf16 (its ignore list: self_attn, shared_experts, the dense MLP, lm_head)
    arch = CATALOG.model("kimi-k2.5").architecture
    fmt = arch.checkpoint_format()
    components = {c.name: c for c in count_parameters(arch).components}
    assert fmt.format_of(components["experts"]).name == "int4-ct-g32"
    for kept in ("attention", "attention_mla_down", "shared_experts"):
        assert fmt.format_of(components[kept]).name == "bf16"
    # int4 with a 16-bit scale and a 4-bit zero point per 32: 4 + 20 / 32 = 4.625 bits per expert parameter
    assert float(fmt.format_of(components["experts"]).bits_per_param) == 4.625


def test_a_partial_ignore_list_is_refused_not_guessed():
    from llm_sizing.model.weights import ignored_components

    layers = [{"attention", "attention_kv", "mlp"}] * 4
    # attention kept in two of four layers: per-layer formats are not read
    with pytest.raises(ArchitectureError, match="keeps attention unquantized in some layers only"):
        ignored_components(["model.layers.0.self_attn", "model.layers.1.self_attn"], layers)
    # part of an attention block (q and k but not v and o)
    with pytest.raises(ArchitectureError, match="keeps part of an attention block"):
        ignored_components(["re:.*self_attn.q_proj", "re:.*self_attn.k_proj"], layers)
    assert ignored_components(["re:.*self_attn.*", "lm_head"], layers) == {"attention", "attention_kv"}
