"""Catalog: built-in entries match their public sources; user catalogs add and replace entries;
broken files give one line naming the file, the line, the entry and the field."""

import json
from pathlib import Path

import pytest

from conftest import FIXTURES
from llm_sizing import CatalogError, UnknownNameError, load_catalog
from llm_sizing.catalog import read_catalog_file

HF = FIXTURES / "hf-configs"


@pytest.mark.parametrize("name,config_dir", [("opt-oss-120b", "openai--gpt-oss-120b"),
                                             ("opt-oss-20b", "openai--gpt-oss-20b")])
def test_builtin_models_match_their_config_json(name, config_dir):
    # the entry carries the published config.json verbatim
    config = json.loads((HF / config_dir / "config.json").read_text())
    model = load_catalog().model(name)
    assert model.config == config


def test_card_tables():
    catalog = load_catalog()
    # the card's model table: layers, KV heads, 131k, "18 full + 18 sliding" / "12 full + 12 sliding"
    big, small = catalog.model("opt-oss-120b"), catalog.model("opt-oss-20b")
    assert (big.num_hidden_layers, big.config["num_key_value_heads"], big.max_position_embeddings) == \
        (36, 8, 131072)
    assert big.layer_counts() == {"sliding_attention": 18, "full_attention": 18}
    assert (small.num_hidden_layers, small.config["num_key_value_heads"]) == (24, 8)
    assert small.layer_counts() == {"sliding_attention": 12, "full_attention": 12}
    # the card's server table
    b300, h200 = catalog.server("dgx300"), catalog.server("dgx200")
    assert (b300.gpus_per_node, b300.hbm_per_gpu_gb, b300.hbm_total_gb, b300.nvlink_bandwidth_per_node_tb_s) == \
        (8, 288, 2304, 14.4)
    assert (h200.gpus_per_node, h200.hbm_per_gpu_gb, h200.hbm_total_gb, h200.nvlink_bandwidth_per_node_tb_s) == \
        (8, 141, 1128, None)
    # the card's storage table
    rows = {p.name: (p.read_iops, p.write_iops, p.read_throughput_gb_s, p.write_throughput_gb_s,
                     p.read_latency_p99_ms, p.write_latency_p99_ms) for p in catalog.storage}
    assert rows == {"profile_default": (1_000_000, 800_000, 28, 25, 0.15, 0.20),
                    "profile_network_ssd": (500_000, 300_000, 12, 10, 2.0, 3.5),
                    "profile_cloud_premium": (160_000, 120_000, 4, 4, 5.0, 6.0)}


def test_every_entry_has_a_source():
    catalog = load_catalog()
    for kind in ("models", "servers", "storage"):
        for entry in catalog.entries(kind):
            assert entry.source.strip(), f"{kind} entry {entry.name} has no source"


def test_root_files_are_the_builtin_catalog():
    # the card's debugging commands: cat models.json | python3 -m json.tool
    root = Path(__file__).resolve().parent.parent
    for kind in ("models", "servers", "storage"):
        kind_read, entries = read_catalog_file(root / f"{kind}.json")
        assert kind_read == kind
        assert tuple(entries) == load_catalog().entries(kind)


def test_unknown_name_lists_valid_names_and_suggests():
    with pytest.raises(UnknownNameError) as error:
        load_catalog().model("gpt-oss-12b")
    message = str(error.value)
    assert "opt-oss-120b, opt-oss-20b" in message
    assert "Did you mean 'opt-oss-120b'?" in message


def test_names_are_case_insensitive():
    assert load_catalog().server("DGX300").name == "dgx300"


def write(path: Path, document) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2))
    return path


NEW_SERVER = {"name": "hgx-h100", "gpus_per_node": 8, "hbm_per_gpu_gb": 80, "hbm_total_gb": 640,
              "source": "NVIDIA H100 datasheet"}


def test_user_directory_adds_entries(tmp_path):
    write(tmp_path / "servers.json", {"servers": [NEW_SERVER]})
    catalog = load_catalog([tmp_path])
    assert catalog.server("hgx-h100").hbm_total_gb == 640
    assert catalog.server("dgx300").name == "dgx300"  # built-ins stay


def test_environment_variable_adds_entries(tmp_path):
    write(tmp_path / "more" / "h100.json", {"servers": [NEW_SERVER]})
    catalog = load_catalog(environ={"LLM_SIZING_CATALOG": str(tmp_path)})
    assert catalog.server("hgx-h100").gpus_per_node == 8


def test_user_entry_replaces_builtin_of_same_name(tmp_path):
    write(tmp_path / "servers.json", {"servers": [{**NEW_SERVER, "name": "dgx300", "hbm_per_gpu_gb": 80}]})
    assert load_catalog([tmp_path]).server("dgx300").hbm_per_gpu_gb == 80


def test_alias_claimed_twice_is_an_error(tmp_path):
    write(tmp_path / "servers.json", {"servers": [{**NEW_SERVER, "aliases": ["dgx300"]}]})
    with pytest.raises(CatalogError, match="alias 'dgx300' is already used by entry 'dgx300'"):
        load_catalog([tmp_path])


def test_malformed_json_names_file_and_line(tmp_path):
    path = write(tmp_path / "servers.json", '{\n  "servers": [\n    {"name": "x",}\n  ]\n}\n')
    with pytest.raises(CatalogError) as error:
        load_catalog([tmp_path])
    assert str(error.value).startswith(f"{path}:3:")
    assert "not valid JSON" in str(error.value)


def test_schema_violation_names_file_line_entry_field(tmp_path):
    bad = {**NEW_SERVER, "hbm_per_gpu_gb": -80}
    path = write(tmp_path / "servers.json", {"servers": [NEW_SERVER | {"name": "ok"}, bad]})
    with pytest.raises(CatalogError) as error:
        load_catalog([tmp_path])
    message = str(error.value)
    # json.dumps(indent=2): line 1 "{", 2 "servers": [, 3-9 first entry, 10 "{", 11 name, 12 gpus, 13 hbm_per_gpu_gb
    assert message.startswith(f"{path}:13: server entry 'hgx-h100': field 'hbm_per_gpu_gb'")
    assert "servers.schema.json" in message


def test_missing_field_is_named(tmp_path):
    entry = {k: v for k, v in NEW_SERVER.items() if k != "source"}
    write(tmp_path / "servers.json", {"servers": [entry]})
    with pytest.raises(CatalogError, match=r"server entry 'hgx-h100': must contain .*source"):
        load_catalog([tmp_path])


def test_unknown_field_is_refused(tmp_path):
    write(tmp_path / "servers.json", {"servers": [{**NEW_SERVER, "hbm_gb": 1}]})
    with pytest.raises(CatalogError, match="hbm_gb"):
        load_catalog([tmp_path])


def test_cross_field_rule_hbm_total(tmp_path):
    write(tmp_path / "servers.json", {"servers": [{**NEW_SERVER, "hbm_total_gb": 641}]})
    with pytest.raises(CatalogError, match=r"field 'hbm_total_gb' is 641 but .* = 8 x 80 = 640"):
        load_catalog([tmp_path])


def _gpt_oss_20b_entry(name, **config_changes):
    config = json.loads((HF / "openai--gpt-oss-20b" / "config.json").read_text())
    return {"name": name, "source": "test", "config": {**config, **config_changes}}


def test_cross_field_rule_layer_types_length(tmp_path):
    config = json.loads((HF / "openai--gpt-oss-20b" / "config.json").read_text())
    write(tmp_path / "models.json", {"models": [_gpt_oss_20b_entry("short", layer_types=config["layer_types"][:-1])]})
    with pytest.raises(CatalogError, match="field 'config' config key 'layer_types' has 23 entries but num_hidden_layers is 24"):
        load_catalog([tmp_path])


def test_sliding_layers_need_a_window(tmp_path):
    write(tmp_path / "models.json", {"models": [_gpt_oss_20b_entry("nowin", sliding_window=None)]})
    with pytest.raises(CatalogError, match="model entry 'nowin': field 'config' cannot size sliding-window layers "
                                           "exactly: config.json lacks sliding_window"):
        load_catalog([tmp_path])


def test_file_of_no_known_kind(tmp_path):
    write(tmp_path / "x.json", {"gpus": []})
    with pytest.raises(CatalogError, match="exactly one of the keys models, servers, storage"):
        load_catalog([tmp_path])


def test_missing_directory(tmp_path):
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog([tmp_path / "nope"])


def test_catalog_has_the_models_people_serve():
    catalog = load_catalog()
    assert len(catalog.models) >= 25
    for wanted in ("opt-oss-120b", "opt-oss-20b", "llama-3.1-8b", "llama-3.1-70b-instruct-fp8", "llama-3.1-405b",
                   "llama-3.3-70b-instruct", "llama-4-scout", "llama-4-maverick", "qwen3-8b", "qwen3-32b",
                   "qwen3-235b-a22b", "qwen3.5-27b", "deepseek-v3", "deepseek-r1", "deepseek-v3.2",
                   "kimi-k2-instruct", "mixtral-8x7b", "mixtral-8x22b", "mistral-small-3.2-24b",
                   "gemma-4-26b-a4b", "nemotron-h-56b", "glm-4.7", "minimax-m2"):
        assert catalog.model(wanted), wanted  # by name or alias (deepseek-r1 shares deepseek-v3's entry)
    assert catalog.model("deepseek-r1").name == "deepseek-v3"


def test_every_model_entry_cites_its_config():
    for model in load_catalog().models:
        assert "config.json" in model.source or "huggingface.co" in model.source, model.name
        model.architecture  # every entry reads exactly (the loader refuses otherwise)


def test_builtin_files_pass_the_schema_and_their_digests_are_current():
    # the loader skips the schema check for built-in files whose bytes match DIGESTS.json;
    # here every built-in file gets the full check, and the digests must match the files
    from llm_sizing.catalog.loader import KINDS, PACKAGE_DIR, builtin_digests, digest

    for kind in KINDS:
        path = PACKAGE_DIR / "builtin" / f"{kind}.json"
        assert read_catalog_file(path)[0] == kind
        assert builtin_digests()[path.name] == digest(path.read_text(encoding="utf-8")), \
            "stale digest: run python3 scripts/regen_docs.py"


def test_an_edited_builtin_file_is_schema_checked(tmp_path):
    from llm_sizing.catalog.loader import PACKAGE_DIR, digest

    text = (PACKAGE_DIR / "builtin" / "servers.json").read_text().replace('"gpus_per_node": 8', '"gpus_per_node": 0', 1)
    edited = tmp_path / "servers.json"
    edited.write_text(text)
    with pytest.raises(CatalogError, match="gpus_per_node"):
        read_catalog_file(edited, trusted_digest=digest("the unedited file"))
