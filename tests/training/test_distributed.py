"""DDP on loopback: 2 gloo processes give the weights of 1 process with the same global batch; precision and
gradient accumulation helpers."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from gestura.errors import ConfigError
from gestura.training.distributed import (DistContext, Precision, accumulate, launch, launch_command,
                                          strip_option)

# The trainer's own `fit` under torchrun: DDP, sampler, precision and accumulation come from the helpers.
SCRIPT = textwrap.dedent('''
    import sys
    import numpy as np, torch
    from safetensors.torch import save_file
    from torch.utils.data import DataLoader, TensorDataset
    from gestura.models.registry import create_model
    from gestura.training.callbacks import EarlyStopping
    from gestura.training.trainer import FitConfig, FitData, fit
    from gestura.training import distributed as D


    def train(ctx, out, accum, precision):
        rng = np.random.default_rng(0)
        x = torch.from_numpy(rng.normal(size=(48, 8, 5)).astype(np.float32))
        m = torch.ones(48, 8, dtype=torch.bool)
        y = torch.from_numpy(rng.integers(0, 3, 48))
        val = DataLoader(TensorDataset(x[:16], m[:16], y[:16]), batch_size=16)
        torch.manual_seed(0)
        model = create_model("lstm", input_dim=5, num_classes=3, units=(8,), dense=(8,))
        config = FitConfig(lr=1e-2, weight_decay=0.0, label_smoothing=0.0, batch_size=16, grad_clip=1.0, epochs=3,
                           callbacks=(EarlyStopping(5),), seed=0, precision=precision, accum_steps=accum)
        # The same sampler with 1 process too, so both runs see the same global batches.
        loader = D.shard_loader(DataLoader(TensorDataset(x, m, y), batch_size=config.batch_size // accum), ctx)
        fit(model, FitData(loader, val), config, ctx=ctx)
        D.barrier(ctx)
        if ctx.is_main:
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, out)
        else:
            open(out + f".rank{ctx.rank}", "w").close()


    torch.set_num_threads(1)
    ctx = D.init_distributed()
    for run in sys.argv[1:]:  # "<out path>:<accumulation steps>:<precision>"
        out, accum, precision = run.rsplit(":", 2)
        train(ctx, out, int(accum), precision)
    D.cleanup()
''')


def _weights(path: Path) -> dict[str, np.ndarray]:
    return {k: v.float().numpy() for k, v in load_file(path).items()}


@pytest.mark.slow
def test_two_gloo_processes_on_loopback_match_one_process(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(SCRIPT)
    env = {"OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    assert launch(1, [str(script), f"{tmp_path / 'one.st'}:1:fp32", f"{tmp_path / 'acc.st'}:2:fp32"],
                  env=env, timeout=300) == 0
    assert launch(2, [str(script), f"{tmp_path / 'two.st'}:1:fp32", f"{tmp_path / 'bf16.st'}:1:bf16"],
                  env=env, timeout=300) == 0
    # Rank 1 ran and did not write the checkpoint (rank-0 guard).
    assert (tmp_path / "two.st.rank1").exists() and not (tmp_path / "one.st.rank1").exists()
    one, two = _weights(tmp_path / "one.st"), _weights(tmp_path / "two.st")
    assert one.keys() == two.keys()
    start = {k: v.float().numpy() for k, v in _initial().items()}
    moved = max(float(np.abs(one[k] - start[k]).max()) for k in one)
    assert moved > 1e-2  # the weights trained, so equality below is not trivial
    for k in one:
        np.testing.assert_allclose(two[k], one[k], atol=2e-5, rtol=1e-4, err_msg=k)
    # One process, half batches accumulated twice: the same steps again.
    acc = _weights(tmp_path / "acc.st")
    for k in one:
        np.testing.assert_allclose(acc[k], one[k], atol=2e-5, rtol=1e-4, err_msg=k)
    # bf16 autocast on CPU trains too and stays near (not equal to) fp32.
    bf = _weights(tmp_path / "bf16.st")
    assert all(np.isfinite(v).all() for v in bf.values())
    assert max(float(np.abs(bf[k] - one[k]).max()) for k in one) < 0.5 * moved + 0.05


def _initial() -> dict[str, torch.Tensor]:
    from gestura.models.registry import create_model

    torch.manual_seed(0)
    return create_model("lstm", input_dim=5, num_classes=3, units=(8,), dense=(8,)).state_dict()


def test_precision_and_accumulation_helpers_reject_bad_settings_and_flag_sync_steps():
    with pytest.raises(ConfigError, match="fp16 needs a CUDA GPU"):
        Precision.create("fp16", "cpu")
    with pytest.raises(ConfigError, match="--precision must be one of"):
        Precision.create("int8")
    p = Precision.create("bf16")
    with p.autocast():
        out = torch.nn.Linear(4, 2)(torch.ones(3, 4))
    assert out.dtype == torch.bfloat16
    model = torch.nn.Linear(2, 2)
    flags = []
    for step in range(6):
        with accumulate(model, step, 3) as sync:
            flags.append(sync)
    assert flags == [False, False, True, False, False, True]
    assert DistContext().is_main and not DistContext(rank=1, world_size=2).is_main
    cmd = launch_command(2, ["-m", "gestura", "train"], master_port=29555)
    assert cmd[1:3] == ["-m", "torch.distributed.run"] and "--master_addr=127.0.0.1" in cmd
    assert cmd[-3:] == ["-m", "gestura", "train"] and cmd[0] == sys.executable
    assert strip_option(["train", "--nproc", "2", "--out", "r", "--nproc=3"], "--nproc") == ["train", "--out", "r"]
