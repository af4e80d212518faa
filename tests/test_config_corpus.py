"""Every config the project has (the catalog's, tests/fixtures/hf-configs/) is read exactly or refused
with one line naming what is wrong; and so is each of them with any structural key removed or
corrupted, or with a structural key the reader does not know added (model/config_keys.py). No
traceback, no silent fallback: a corrupted key the reader reads is refused by its name."""

import copy
import json

import pytest

from conftest import HF
from llm_sizing import load_catalog
from llm_sizing.errors import ArchitectureError
from llm_sizing.model.architecture import read_architecture, text_config
from llm_sizing.model.config_keys import KEYS, is_structural
from llm_sizing.model.operators import Shard, Step
from llm_sizing.model.parameters import count_parameters
from llm_sizing.stages.kv import kv_account
from llm_sizing.stages.latency.step import WeightFormats, model_ops
from llm_sizing.stages.latency.profile import Peaks

CATALOG = load_catalog()
CORPUS = {f"catalog:{m.name}": (m.config, m.hf_quant_config) for m in CATALOG.models}
CORPUS.update({f"fixture:{path.parent.name}": (json.loads(path.read_text()), None)
               for path in sorted(HF.glob("*/config.json"))})


def exercise(config, hf_quant_config=None):
    """What sizing asks of a config: its layers and caches, a session's KV (ideal and paged), its
    parameters and checkpoint format, the operators of a decode step. Returns the KV bytes per
    session at 4,096 tokens and the refusal of the weights (None when they are counted), or raises
    ArchitectureError (nothing else) when the cache cannot be sized."""
    arch = read_architecture(config, "corpus", hf_quant_config)
    ideal = kv_account(arch.caches, 4096, 2, "ideal").bytes_per_session
    kv_account(arch.caches, 4096, 2, "paged")
    refusals = []
    counts = checkpoint = None
    try:
        counts = count_parameters(arch)
    except ArchitectureError as error:
        refusals.append(str(error))
    try:
        checkpoint = arch.checkpoint_format()
    except ArchitectureError as error:
        refusals.append(str(error))
    if refusals:
        return ideal, " | ".join(refusals)  # the KV cache is exact; the weights need --weights-gib
    from llm_sizing.model.weights import weight_bytes

    components = weight_bytes(counts.components, checkpoint)
    model_ops(arch, Shard(), Step(4, 4096), WeightFormats(components, Peaks(4.8, 989)), components)
    return ideal, None


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_corpus_config_is_read_or_refused_by_name(name):
    config, quant = CORPUS[name]
    if name.startswith("catalog:"):
        assert exercise(config, quant)[0] > 0  # the catalog's entries size
        return
    try:
        assert exercise(config, quant)[0] > 0
    except ArchitectureError as error:
        assert "\n" not in str(error) and "'" in str(error)


def structural_keys(config):
    return sorted(key for key in text_config(config) if key in KEYS or is_structural(key))


#: values no structural key accepts where it expects a number, a flag, a name or a list
CORRUPTIONS = ([1, 2], "x", -1, {"a": 1}, 10**12, 1.5)


def wrong_for(key, value):
    """Whether `value` is wrong for `key` (its check rejects it): then the reader must name the key."""
    return KEYS[key].check(value) is not None if key in KEYS else True


def pairs():
    for name, (config, _) in sorted(CORPUS.items()):
        for key in structural_keys(config):
            yield name, key


REMOVED = object()


def with_key(config, key, value):
    """A copy of `config` whose language-model config has `key` set to `value` (or removed): only
    the dicts on the way are copied (the reader never mutates its input)."""
    inner = text_config(config)
    changed = {k: v for k, v in inner.items() if k != key}
    if value is not REMOVED:
        changed[key] = value
    if inner is config:
        return changed
    outer = dict(config)
    for name, nested in config.items():
        if nested is inner:
            outer[name] = changed
    return outer


@pytest.mark.parametrize("name,key", list(pairs()))
def test_a_removed_or_corrupted_structural_key_is_named_never_a_traceback(name, key):
    config, quant = CORPUS[name]
    removed = with_key(config, key, REMOVED)
    try:
        exercise(removed, quant)
    except ArchitectureError as error:
        assert "\n" not in str(error)
    for value in CORRUPTIONS:
        corrupted = with_key(config, key, value)
        try:
            _, weights_refused = exercise(corrupted, quant)
        except ArchitectureError as error:
            assert "\n" not in str(error)
            if wrong_for(key, value):
                assert f"'{key}'" in str(error), (key, value, str(error))
        else:
            if wrong_for(key, value):  # a weights key: the cache sizes, the weights are refused by its name
                assert KEYS[key].scope != "cache", f"{name}: {key} = {value!r} was sized, not refused"
                assert weights_refused and f"'{key}'" in weights_refused, (key, value, weights_refused)


@pytest.mark.parametrize("unknown", ["cross_attention_layers", "attention_pattern", "swa_layers",
                                     "lightning_attn_config", "block_layout", "num_kv_heads", "n_layer",
                                     "sparse_layer_config", "eagle_layers", "kv_sharing_map", "ssm_cfg"])
def test_a_structural_key_the_reader_does_not_know_is_refused_by_name(unknown):
    config = copy.deepcopy(CORPUS["catalog:llama-3.1-8b"][0])
    config[unknown] = [1, 2, 3]
    with pytest.raises(ArchitectureError, match=f"config key '{unknown}' is not one this tool reads"):
        read_architecture(config, "test")
