"""Training speed: our Trainer.step versus a plain pytorch/examples-style loop of the same model.

    python bench/train_speed.py [--base 64] [--batch 64] [--iters 5] [--threads 2]

Prints img/s of both (same run, same batch, warm-up excluded), their ratio, FLOPs per iteration
(torch.utils.flop_counter), achieved GFLOP/s, this machine's fp32 matmul GFLOP/s and the efficiency.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cgan.colors import EYE_COLORS, HAIR_COLORS  # noqa: E402
from cgan.conditioning import Conditioning  # noqa: E402
from cgan.training import Trainer, TrainOptions, model_config  # noqa: E402


def plain_step(G, D, opt_G, opt_D, real, c, c_wrong):
    """pytorch/examples dcgan/main.py, with the matching-aware third D pass."""
    bce = F.binary_cross_entropy_with_logits
    D.zero_grad()
    out = D(real, c)[0]
    err_real = bce(out, torch.ones_like(out))
    err_real.backward()
    fake = G(torch.randn(real.shape[0], G.z_dim), c)
    out = D(fake.detach(), c)[0]
    err_fake = 0.5 * bce(out, torch.zeros_like(out))
    err_fake.backward()
    out = D(real, c_wrong)[0]
    err_wrong = 0.5 * bce(out, torch.zeros_like(out))
    err_wrong.backward()
    opt_D.step()
    G.zero_grad()
    out = D(fake, c)[0]
    err_g = bce(out, torch.ones_like(out))
    err_g.backward()
    opt_G.step()


def timed(fn, iters: int) -> float:
    fn()
    fn()  # warm-up: allocator, oneDNN primitive caches
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t0) / iters


def matmul_gflops(sizes: tuple[int, ...] = (2048, 4096), tries: int = 3) -> float:
    """The machine's practical fp32 peak: the best of several large matmuls."""
    best = 0.0
    for n in sizes:
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b
        for _ in range(tries):
            t0 = time.perf_counter()
            a @ b
            best = max(best, 2 * n**3 / (time.perf_counter() - t0) / 1e9)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=int, default=64, help="base channels (64 = course model)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    pairs = [(h, e) for h in HAIR_COLORS for e in EYE_COLORS][:119]
    cond = Conditioning("pair", pairs)
    cfg = model_config(TrainOptions(out="-", base_channels=a.base, batch_size=a.batch), cond)
    torch.manual_seed(0)
    tr = Trainer(cfg)
    real = torch.rand(a.batch, 3, 64, 64) * 2 - 1
    hair, eyes = cond.pair_hair[torch.arange(a.batch) % 119], cond.pair_eyes[torch.arange(a.batch) % 119]
    c = cond.encode(hair, eyes)
    wh, we = cond.wrong_pairs(hair, eyes, torch.Generator().manual_seed(1))
    c_wrong = cond.encode(wh, we)
    plain = Trainer(cfg)

    ours_fn = lambda: tr.step(real, hair, eyes)  # noqa: E731
    plain_fn = lambda: plain_step(plain.G, plain.D, plain.opt_G, plain.opt_D, real, c, c_wrong)  # noqa: E731
    with FlopCounterMode(display=False) as fc:
        ours_fn()
    flops_ours = fc.get_total_flops()
    with FlopCounterMode(display=False) as fc:
        plain_fn()
    flops_plain = fc.get_total_flops()

    peak = matmul_gflops()
    t_plain = timed(plain_fn, a.iters)
    t_ours = timed(ours_fn, a.iters)
    print(f"model: course DCGAN, base {a.base}, batch {a.batch}, {a.threads} threads, torch {torch.__version__}")
    print(f"plain loop : {a.batch / t_plain:7.1f} img/s  {t_plain:.3f} s/it  {flops_plain / 1e9:6.1f} GFLOP/it  "
          f"{flops_plain / t_plain / 1e9:6.1f} GFLOP/s")
    print(f"cgan step  : {a.batch / t_ours:7.1f} img/s  {t_ours:.3f} s/it  {flops_ours / 1e9:6.1f} GFLOP/it  "
          f"{flops_ours / t_ours / 1e9:6.1f} GFLOP/s")
    print(f"ratio (cgan / plain img/s): {t_plain / t_ours:.2f}")
    print(f"matmul peak (fp32, best of 2048^3 and 4096^3): {peak:.1f} GFLOP/s; efficiency of cgan step: "
          f"{flops_ours / t_ours / 1e9 / peak:.2f}")


if __name__ == "__main__":
    main()
