"""Checkpoint formats (model/weights.py): bits per parameter, the format read from config.json or
hf_quant_config.json, what is refused, and checkpoint sizes against published ones."""

import json
from fractions import Fraction

import pytest

from conftest import HF, one_line_error
from llm_sizing import load_catalog
from llm_sizing.errors import ArchitectureError
from llm_sizing.model.architecture import read_architecture
from llm_sizing.model.parameters import count_parameters
from llm_sizing.model.weights import FORMATS, checkpoint_format, weight_bytes

CATALOG = load_catalog()
GIB = 2**30


def test_format_bits_per_parameter():
    assert FORMATS["mxfp4"].bits_per_param == Fraction(17, 4)          # 4 + 8 / 32
    assert FORMATS["nvfp4"].bits_per_param == Fraction(9, 2)           # 4 + 8 / 16
    assert FORMATS["fp8-block"].bits_per_param == 8 + Fraction(32, 16384)  # one fp32 per 128 x 128
    assert FORMATS["int4-awq"].bits_per_param == 4 + Fraction(20, 128)  # fp16 scale + 4-bit zero per 128


def test_checkpoint_formats_read_from_the_config():
    assert CATALOG.model("deepseek-v3").architecture.checkpoint_format().quantized.name == "fp8-block"
    assert CATALOG.model("llama-3.1-70b-instruct-fp8").architecture.checkpoint_format().quantized.name == "fp8"
    assert CATALOG.model("llama-3.1-8b").architecture.checkpoint_format().quantized.name == "bf16"
    awq = checkpoint_format("float16", {"quant_method": "awq", "bits": 4, "group_size": 64})
    assert awq.quantized.bits_per_param == 4 + Fraction(20, 64) and awq.base.name == "fp16"


def test_weight_format_override_keeps_the_dtype():
    override = CATALOG.model("deepseek-v3").architecture.checkpoint_format("nvfp4")
    assert (override.base.name, override.quantized.name, override.source) == ("bf16", "nvfp4", "--weight-format")


def test_unsupported_quantization_is_refused():
    with pytest.raises(ArchitectureError, match="quant_method 'bitsandbytes' is not supported"):
        checkpoint_format("bfloat16", {"quant_method": "bitsandbytes"})


@pytest.mark.parametrize("name,published_gib", [("gpt-oss-120b", 60.8), ("gpt-oss-20b", 12.8)])
def test_gpt_oss_checkpoint_size_within_3_percent(name, published_gib):
    # experts in MXFP4 (17 bytes per 32 values), everything else bf16; model card: 60.8 / 12.8 GiB
    arch = CATALOG.model(name).architecture
    total = sum(item.bytes for item in weight_bytes(count_parameters(arch).components, arch.checkpoint_format()))
    assert abs(float(total) / GIB - published_gib) / published_gib < 0.03
    # by hand (120b): 114,661,785,600 expert weights x 17/32 + 2,167,371,072 other parameters x 2 B
    if name == "gpt-oss-120b":
        assert total == Fraction(114_661_785_600 * 17, 32) + 2 * (116_829_156_672 - 114_661_785_600)


BASE = ["--storage", "profile_default", "--concurrency", "10", "--effective-context", "8192"]


def config_dir(tmp_path, change):
    config = json.loads((HF / "meta-llama--Meta-Llama-3.1-8B" / "config.json").read_text())
    config.update(change)
    (tmp_path / "config.json").write_text(json.dumps(config))
    return str(tmp_path)


@pytest.mark.parametrize("change,needle", [
    ({"quantization_config": {"quant_method": "fp8", "weight_block_size": [64]}}, "weight_block_size must be two"),
    ({"quantization_config": "fp8"}, "config key 'quantization_config' must be a JSON object"),
])
def test_odd_quantization_configs_are_refused_where_the_format_is_used(tmp_path, change, needle):
    path = config_dir(tmp_path, change)
    one_line_error(["--model", path, "--server", "hgx-h100", *BASE, "--memory-model", "physical"], needle)
    one_line_error(["catalog", "import", path, "--into", str(tmp_path / "cat")], needle)
    # the seed's rule needs no weights: the KV cache is exact, so the model is sized
    config = json.loads((tmp_path / "config.json").read_text())
    assert read_architecture(config).checkpoint is None
