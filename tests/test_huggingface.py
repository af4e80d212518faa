"""--model as a config.json path, a model directory, or hf:ORG/NAME (huggingface_hub's cache,
offline); `catalog import` writes an entry; unreadable architectures are refused, nothing written."""

import json
import shutil

import pytest

from conftest import HF, QUICK_START, cli, one_line_error, run_entry
BASE = ["--server", "dgx300", "--storage", "profile_default", "--concurrency", "100",
        "--effective-context", "1000", "--json-only"]


def sized(argv, env=None):
    """A JSON sizing; in process, or as a real process when the environment must differ (the HF cache)."""
    done = run_entry(argv, env=env) if env else cli(argv)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_model_from_a_config_json_path():
    path = HF / "meta-llama--Meta-Llama-3.1-8B" / "config.json"
    document = sized(["--model", str(path)] + BASE)
    # 32 layers x 8 KV heads x 256 x 1 B x 1,000 tokens = 65,536,000 B
    assert document["results"]["kv_per_session_bytes"] == 65_536_000
    assert document["catalog"]["model"]["source"] == str(path.resolve())


def test_model_from_a_directory_with_nested_text_config():
    # Qwen3-VL nests the language model in text_config: 64 layers x 8 x 256 x 1,000 = 131,072,000 B
    document = sized(["--model", str(HF / "Qwen--Qwen3-VL-32B-Instruct")] + BASE)
    assert document["results"]["kv_per_session_bytes"] == 131_072_000


def hf_cache(tmp_path, repo_id, source_dir):
    """A huggingface_hub cache holding one repo's config.json at revision 'abc123'."""
    folder = tmp_path / "hub" / f"models--{repo_id.replace('/', '--')}"
    (folder / "snapshots" / "abc123").mkdir(parents=True)
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text("abc123")
    shutil.copy(HF / source_dir / "config.json", folder / "snapshots" / "abc123" / "config.json")
    return {"HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "home")}


def test_hf_reference_read_from_the_cache_offline(tmp_path):
    env = hf_cache(tmp_path, "openai/gpt-oss-20b", "openai--gpt-oss-20b")
    document = sized(["--model", "hf:openai/gpt-oss-20b"] + BASE, env=env)
    # the same bytes as the built-in gpt-oss-20b at 1,000 tokens: 12 x 1,000 x 1,024 + 12 x 128 x 1,024
    assert document["results"]["kv_per_session_bytes"] == 13_860_864
    assert document["catalog"]["model"]["hf_id"] == "openai/gpt-oss-20b"


def test_hf_reference_without_network_or_cache_is_one_clear_line(tmp_path):
    env = {"HF_HUB_CACHE": str(tmp_path / "empty"), "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "home")}
    done = run_entry(["--model", "hf:openai/gpt-oss-20b"] + BASE, env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "hf:openai/gpt-oss-20b: cannot fetch config.json" in lines[0]
    assert "not in the Hugging Face cache" in lines[0]


def test_hf_reference_must_be_org_slash_name():
    one_line_error(["--model", "hf:just-a-name"] + BASE, "write hf:ORG/NAME")


def test_catalog_import_then_size_by_name(tmp_path):
    catalog = tmp_path / "cat"
    done = cli(["catalog", "import", HF / "nvidia--Nemotron-H-56B-Base-8K" / "config.json",
                "--name", "nemotron-test", "--into", catalog])
    assert done.returncode == 0, done.stderr
    written = catalog / "models" / "nemotron-test.json"
    assert "wrote" in done.stdout and written.exists()
    entry = json.loads(written.read_text())["models"][0]
    assert entry["config"]["hybrid_override_pattern"].count("M") == 54
    document = sized(["--model", "nemotron-test", "--catalog", str(catalog)] + BASE)
    # 10 attention layers x 2,048 B x 1,000 tokens + 54 Mamba2 states x 16,900,096 B (conv 122,880 B +
    # state 256 x 64 x 256 x 4 B: float32, vLLM's NemotronH default when the config names no dtype)
    assert document["results"]["kv_per_session_bytes"] == 20_480_000 + 912_605_184
    assert cli(["catalog", "validate", catalog]).returncode == 0


def test_catalog_import_from_the_hf_cache(tmp_path):
    env = hf_cache(tmp_path, "Qwen/Qwen3.5-27B", "Qwen--Qwen3.5-27B")
    argv = ["catalog", "import", "hf:Qwen/Qwen3.5-27B", "--into", str(tmp_path / "cat")]
    # its default name is the built-in 'qwen3.5-27b' (names are case-insensitive): refused by name
    refused = run_entry(argv, env=env)
    assert refused.returncode == 2 and "'Qwen3.5-27B' already exists" in refused.stderr
    done = run_entry(argv + ["--replace"], env=env)
    assert done.returncode == 0, done.stderr
    entry = json.loads((tmp_path / "cat" / "models" / "Qwen3.5-27B.json").read_text())["models"][0]
    assert entry["hf_id"] == "Qwen/Qwen3.5-27B" and entry["name"] == "Qwen3.5-27B"


def test_import_refuses_what_it_cannot_size_and_writes_nothing(tmp_path):
    config = json.loads((HF / "nvidia--Nemotron-H-56B-Base-8K" / "config.json").read_text())
    del config["mamba_head_dim"], config["n_groups"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    one_line_error(["catalog", "import", tmp_path / "config.json", "--into", tmp_path / "cat"],
                   "lacks mamba_head_dim, n_groups")
    assert not (tmp_path / "cat").exists()


def test_import_needs_a_place_to_write():
    one_line_error(["catalog", "import", HF / "openai--gpt-oss-20b" / "config.json"], "--into DIR")


def test_import_does_not_overwrite_without_replace(tmp_path):
    argv = ["catalog", "import", HF / "openai--gpt-oss-20b" / "config.json", "--into", tmp_path]
    assert cli(argv).returncode == 0
    one_line_error(argv, "--replace")
    assert cli(argv + ["--replace"]).returncode == 0
    assert cli(argv + ["--force"]).returncode == 0  # the earlier spelling still works


@pytest.mark.parametrize("flags, named", [
    # the built-in 'opt-oss-120b' entry has the alias 'gpt-oss-120b' (catalog/builtin/models.json)
    (["--name", "gpt-oss-120b"], "already used by model entry 'opt-oss-120b'"),
    (["--name", "mine", "--alias", "GPT-OSS-20B"], "already used by model entry 'opt-oss-20b'"),
    (["--name", "gpt-oss-120b", "--replace"], "already used by model entry 'opt-oss-120b'"),
    # a built-in entry's own name: refused without --replace
    (["--name", "llama-3.1-8b"], "pass --replace"),
])
def test_import_that_would_break_the_catalog_is_refused(tmp_path, flags, named):
    argv = ["catalog", "import", HF / "openai--gpt-oss-20b" / "config.json", "--into", tmp_path / "cat"] + flags
    one_line_error(argv, named)
    assert not (tmp_path / "cat").exists()


def test_import_with_replace_keeps_every_later_command_working(tmp_path):
    cat = tmp_path / "cat"
    argv = ["catalog", "import", HF / "openai--gpt-oss-20b" / "config.json", "--into", cat]
    assert cli(argv + ["--name", "llama-3.1-8b", "--replace"]).returncode == 0
    # the user's entry replaces the built-in one of that name; the catalog still loads
    assert cli(["catalog", "validate", "--catalog", cat]).returncode == 0
    shown = cli(["catalog", "show", "llama-3.1-8b", "--catalog", cat])
    assert shown.returncode == 0 and '"num_hidden_layers": 24' in shown.stdout


def test_missing_config_file_is_one_line(tmp_path):
    one_line_error(["--model", tmp_path / "nope.json"] + BASE, "no such file")


@pytest.mark.parametrize("mode", ["ideal", "paged"])
def test_seed_numbers_unchanged_in_ideal_mode_and_paged_differs(mode):
    document = sized(QUICK_START + ["--json-only", "--kv-accounting", mode])
    if mode == "ideal":
        assert document["results"]["sessions_per_node"] == 613
    else:
        # paged by hand (test_stage_kv.py): 2,569,568,256 B per session;
        # floor(1,483,950,981,120 / 2,569,568,256) = 577
        assert document["results"]["kv_per_session_bytes"] == 2_569_568_256
        assert document["results"]["sessions_per_node"] == 577
        assert document["kv_accounting"]["blocks_per_session"] == 8713


def test_model_directory_with_quant_config_and_safetensors_index(tmp_path):
    # a checkpoint directory: config.json + hf_quant_config.json (ModelOpt FP8) + the safetensors index
    shutil.copy(HF / "meta-llama--Meta-Llama-3.1-8B" / "config.json", tmp_path / "config.json")
    (tmp_path / "hf_quant_config.json").write_text(json.dumps({"quantization": {"quant_algo": "FP8"}}))
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": 9_000_000_000}}))
    argv = ["--model", str(tmp_path), "--server", "hgx-h100", "--storage", "profile_default", "--concurrency", "10",
            "--effective-context", "1000", "--memory-model", "physical", "--json-only"]
    document = sized(argv)
    weights = document["physical"]["weights"]
    assert weights["format"] == "fp8"
    assert weights["source"] == "the checkpoint's safetensors index total_size"
    # the components are scaled to the index's 9,000,000,000 bytes
    assert abs(weights["total_gib"] - 9_000_000_000 / 2**30) < 1e-9


def test_config_that_is_not_an_object(tmp_path):
    (tmp_path / "config.json").write_text("[1, 2]")
    one_line_error(["--model", tmp_path] + BASE, "must hold a JSON object")


def test_import_into_a_file_is_one_line(tmp_path):
    (tmp_path / "file.json").write_text("{}")
    one_line_error(["catalog", "import", HF / "openai--gpt-oss-20b" / "config.json", "--into",
                    tmp_path / "file.json"], "cannot write the catalog entry there")
