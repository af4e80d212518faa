"""The questions (scenario.py): each bad value gives an InputError naming the flag and what is
allowed; every rule between inputs is the question's own, so the Python API refuses what the CLI
refuses."""

import pytest

from llm_sizing import FitQuestion, InputError, PerfQuestion, PhysicalOptions, Scenario, ServiceOptions

OK = dict(model="m", server="s", storage="p", concurrency=1, effective_context=1)


@pytest.mark.parametrize("field,value,needle", [
    ("concurrency", 0, "--concurrency must be a whole number > 0"),
    ("concurrency", -3, "--concurrency"),
    ("concurrency", 1.5, "--concurrency"),
    ("concurrency", True, "--concurrency"),
    ("concurrency", 10**9 + 1, "at most 1,000,000,000"),
    ("effective_context", 0, "--effective-context must be a whole number > 0"),
    ("effective_context", 2**31 + 1, "at most 2,147,483,648"),
    ("kv_budget_ratio", 0, "(0, 1]"),
    ("kv_budget_ratio", 1.01, "(0, 1]"),
    ("kv_budget_ratio", float("nan"), "(0, 1]"),
    ("peak_headroom_ratio", -0.1, "from 0 to 100"),
    ("peak_headroom_ratio", float("inf"), "from 0 to 100"),
    ("runtime_overhead_gib", -1, "from 0 to 1,000,000"),
    ("kv_precision", "fp4", "fp8, fp16, bf16, fp32"),
    ("ha", "n+2", "none, n+1"),
    ("kv_accounting", "exact", "ideal, paged"),
    ("memory_model", "guess", "seed, physical"),
    ("model", "", "--model"),
    ("block_size", 0, "--block-size"),
])
def test_bad_values_are_refused(field, value, needle):
    with pytest.raises(InputError) as error:
        Scenario(**{**OK, field: value})
    assert needle in str(error.value)


@pytest.mark.parametrize("field,value", [("kv_budget_ratio", 1.0), ("peak_headroom_ratio", 0.0),
                                         ("runtime_overhead_gib", 0.0)])
def test_edge_values_are_allowed(field, value):
    assert getattr(Scenario(**{**OK, field: value}), field) == value


def test_defaults_are_the_cards():
    s = Scenario(**OK)
    assert (s.kv_precision, s.kv_budget_ratio, s.runtime_overhead_gib, s.peak_headroom_ratio, s.ha) == \
        ("fp8", 0.70, 120, 0.20, "none")
    assert s.physical is None and s.memory_model == "seed"


def test_physical_options_need_the_physical_model():
    with pytest.raises(InputError, match="--tensor-parallel, --max-num-seqs need --memory-model physical"):
        Scenario(**OK, physical=PhysicalOptions(tensor_parallel=2, max_num_seqs=8))
    assert Scenario(**OK, memory_model="physical").physical == PhysicalOptions()


def test_seed_options_are_refused_under_the_physical_model():
    with pytest.raises(InputError, match="--kv-budget-ratio belong to the seed's rule"):
        Scenario(**OK, memory_model="physical", kv_budget_ratio=0.5)


def test_the_workload_must_fit_the_context():
    with pytest.raises(InputError, match=r"--input-tokens \+ --output-tokens \(9,000\) exceed --effective-context"):
        Scenario(**{**OK, "effective_context": 8192}, service=ServiceOptions(input_tokens=8000, output_tokens=1000))


def test_targets_need_the_workload():
    with pytest.raises(InputError, match="give --input-tokens and --output-tokens"):
        ServiceOptions(target_tpot_ms=50)


@pytest.mark.parametrize("options,needle", [
    (dict(tensor_parallel=0), "--tensor-parallel must be a whole number from 1 to 1,024 or auto"),
    (dict(tensor_parallel="eight"), "--tensor-parallel"),
    (dict(pipeline_parallel=0), "--pipeline-parallel must be a whole number > 0"),
    (dict(data_parallel=0), "--data-parallel must be a whole number > 0"),
    (dict(gpu_memory_utilization=1.5), "--gpu-memory-utilization must be a number in (0, 1]"),
    (dict(weight_format="fp2"), "--weight-format must be one of bf16"),
    (dict(expert_parallel="yes"), "--expert-parallel is a flag"),
])
def test_physical_options_are_checked(options, needle):
    with pytest.raises(InputError) as error:
        PhysicalOptions(**options)
    assert needle in str(error.value)


def test_fit_and_perf_questions_have_their_own_rules():
    with pytest.raises(InputError, match="--nodes must be a whole number > 0"):
        FitQuestion(Scenario(**OK), "context", 0)
    with pytest.raises(InputError, match="a fit question asks for one of context, concurrency"):
        FitQuestion(Scenario(**OK), "price", 1)
    workload = ServiceOptions(input_tokens=10, output_tokens=10)
    with pytest.raises(InputError, match="auto is for sizing"):
        PerfQuestion(model="m", server="s", batch=1, physical=PhysicalOptions(tensor_parallel="auto"),
                     service=workload)
    with pytest.raises(InputError, match="--batch must be a whole number > 0"):
        PerfQuestion(model="m", server="s", batch=0, service=workload)
    assert PerfQuestion(model="m", server="s", batch=1, service=workload).context_tokens == 20
