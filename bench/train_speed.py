"""Training speed: our Trainer.step versus a plain pytorch/examples-style loop of the same model.

    python bench/train_speed.py [--base 64] [--batch 64] [--iters 5] [--threads 2]
    python bench/train_speed.py --device cuda --precision bf16 --batch 256 --iters 50   # on a GPU

Prints img/s of both (same run, same batch, warm-up excluded), their ratio, FLOPs per iteration
(torch.utils.flop_counter), achieved GFLOP/s, this machine's fp32 peak measured in the same run and
the efficiency, and what assembling a batch (uint8 index, float, flips) costs beside a step.

The peak is measured two ways. A large matmul (torch.mm -> MKL sgemm) is the issue's yardstick, but
on AMD CPUs MKL takes its AVX2 path, while oneDNN's convolutions use AVX-512: here a large 5x5
convolution runs ~2x faster than the matmul, so the efficiency against it is the honest figure.
Goals (CPU): efficiency >= 0.85 and ratio >= 1.1. On a GPU the peak is a large bf16 (or fp32) matmul
on that GPU (cuBLAS is its fastest path) and the efficiency is the model FLOPs utilisation; every
timing is synchronised and excludes warm-up. Both loops read a batch already on the device.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cgan.core import malloc  # noqa: E402
from cgan.course.colors import EYE_COLORS, HAIR_COLORS  # noqa: E402
from cgan.gan.conditioning import Conditioning  # noqa: E402
from cgan.gan.options import NETS, TrainOptions, model_config  # noqa: E402
from cgan.gan.trainer import Trainer  # noqa: E402


def plain_step(G, D, opt_G, opt_D, real, c, c_wrong):
    """pytorch/examples dcgan/main.py, with the matching-aware third D pass (fp32, as the example)."""
    bce = F.binary_cross_entropy_with_logits
    D.zero_grad()
    out = D(real, c)[0]
    err_real = bce(out, torch.ones_like(out))
    err_real.backward()
    fake = G(torch.randn(real.shape[0], G.z_dim, device=real.device), c)
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


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, iters: int, device: torch.device = torch.device("cpu"), warmup: int = 2) -> float:
    for _ in range(warmup):  # allocator, oneDNN primitive caches, cuDNN autotuning
        fn()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    sync(device)
    return (time.perf_counter() - t0) / iters


def best_gflops(fn, flops: float, device: torch.device, tries: int = 3) -> float:
    return flops / min(timed(fn, 1, device, warmup=1 if i == 0 else 0) for i in range(tries)) / 1e9


def matmul_gflops(device: torch.device, dtype: torch.dtype, sizes: tuple[int, ...]) -> float:
    """Matmul peak: the best of several large square matmuls."""
    out = 0.0
    for n in sizes:
        a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
        out = max(out, best_gflops(lambda: a @ b, 2 * n**3, device))
    return out


def conv_gflops(device: torch.device, dtype: torch.dtype, n: int = 16, c: int = 512, hw: int = 32, k: int = 5) -> float:
    """Convolution peak: one large 5x5 convolution (oneDNN on the CPU), the kernel size of the course model,
    the better of NCHW and channels_last (which one is faster differs between CPUs)."""
    out = 0.0
    for fmt in (torch.contiguous_format, torch.channels_last):
        x = torch.randn(n, c, hw, hw, device=device, dtype=dtype).contiguous(memory_format=fmt)
        w = torch.randn(c, c, k, k, device=device, dtype=dtype).contiguous(memory_format=fmt)
        out = max(out, best_gflops(lambda: F.conv2d(x, w, padding=k // 2), 2 * n * c * c * k * k * hw * hw, device))
    return out


def batch_seconds(n_images: int, batch: int, device: torch.device, iters: int = 20) -> float:
    """What the training loop does to get a batch: index the uint8 set (on the device), to float, flip."""
    images = torch.randint(0, 256, (n_images, 3, 64, 64), dtype=torch.uint8, device=device)
    perm, flips = torch.randperm(n_images, device=device), torch.rand(n_images, device=device) < 0.5

    def one(i: int = 0) -> torch.Tensor:
        idx = perm[i * batch:(i + 1) * batch]
        real = images[idx].float().div_(127.5).sub_(1.0)
        return torch.where(flips[idx, None, None, None], real.flip(3), real)

    return timed(one, iters, device)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=NETS, default="dcgan", help="dcgan: the course model; biggan: the release family")
    ap.add_argument("--base", type=int, default=64, help="base channels (64 = course model)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32", help="our step's precision")
    ap.add_argument("--memory-format", choices=["trainer", "nchw", "channels_last"], default="trainer",
                    help="our step's layout of G, D and the batch: the Trainer's own choice (channels_last for bf16 "
                         "and for the BigGAN-style family on the CPU), or forced")
    ap.add_argument("--malloc", choices=["tuned", "default"], default="tuned",
                    help="glibc malloc settings of `cgan train` (cgan/core/malloc.py; the bench starts itself "
                         "again with them), or glibc's defaults")
    ap.add_argument("--profile", action="store_true", help="also print where our step's time goes, per operator")
    a = ap.parse_args()
    if a.malloc == "tuned":
        malloc.reexec_tuned([__file__, *sys.argv[1:]])
    elif os.environ.get(malloc.SWITCH) == "tuned":
        sys.exit("bench: --malloc default asked for, but this process runs under the tuned settings")
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    gpu = dev.type == "cuda"
    if gpu:
        torch.backends.cudnn.benchmark = True
    pairs = [(h, e) for h in HAIR_COLORS for e in EYE_COLORS][:119]
    # The release family is trained on factored tags with the hinge loss; the course model as the course did.
    big = a.arch == "biggan"
    cond = Conditioning("multi" if big else "pair", pairs)
    cfg = model_config(TrainOptions(out="-", arch=a.arch, cond=cond.kind, loss="hinge" if big else "gan",
                                    base_channels=a.base, batch_size=a.batch, precision=a.precision), cond)
    torch.manual_seed(0)
    tr = Trainer(cfg, str(dev))
    real = torch.rand(a.batch, 3, 64, 64, device=dev) * 2 - 1
    if a.memory_format != "trainer":
        tr.memory_format = torch.channels_last if a.memory_format == "channels_last" else torch.contiguous_format
        tr.G.to(memory_format=tr.memory_format)
        tr.D.to(memory_format=tr.memory_format)
    real = real.contiguous(memory_format=tr.memory_format)
    hair, eyes = cond.pair_hair[torch.arange(a.batch) % 119], cond.pair_eyes[torch.arange(a.batch) % 119]
    hair, eyes = hair.to(dev), eyes.to(dev)
    c = cond.encode(hair, eyes).to(dev)
    wh, we = cond.wrong_pairs(hair.cpu(), eyes.cpu(), torch.Generator().manual_seed(1))
    c_wrong = cond.encode(wh, we).to(dev)
    plain = Trainer({**cfg, "precision": "fp32"}, str(dev))
    plain.G.to(memory_format=torch.contiguous_format)  # pytorch/examples' loop: NCHW
    plain.D.to(memory_format=torch.contiguous_format)
    real_plain = real.contiguous()

    ours_fn = lambda: tr.step(real, hair, eyes)  # noqa: E731
    plain_fn = lambda: plain_step(plain.G, plain.D, plain.opt_G, plain.opt_D, real_plain, c, c_wrong)  # noqa: E731
    with FlopCounterMode(display=False) as fc:
        ours_fn()
    flops_ours = fc.get_total_flops()
    with FlopCounterMode(display=False) as fc:
        plain_fn()
    flops_plain = fc.get_total_flops()

    dtype = torch.bfloat16 if a.precision == "bf16" else torch.float32
    mm = matmul_gflops(dev, dtype, (8192, 16384) if gpu else (2048, 4096))
    conv = conv_gflops(dev, dtype)
    t_plain = timed(plain_fn, a.iters, dev)
    t_ours = timed(ours_fn, a.iters, dev)
    t_batch = batch_seconds(36_740, a.batch, dev)
    achieved = flops_ours / t_ours / 1e9
    ratio = t_plain / t_ours
    where = torch.cuda.get_device_name(dev) if gpu else f"{a.threads} threads"
    layout = f", {'channels_last' if tr.memory_format == torch.channels_last else 'NCHW'}, malloc {a.malloc}"
    print(f"model: {'BigGAN-style (hinge, multi)' if big else 'course DCGAN'}, base {a.base}, batch {a.batch}, {where}, ours in {a.precision}{layout}, "
          f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print(f"plain loop : {a.batch / t_plain:8.1f} img/s  {t_plain:.4f} s/it  {flops_plain / 1e9:6.1f} GFLOP/it  "
          f"{flops_plain / t_plain / 1e9:8.1f} GFLOP/s")
    print(f"cgan step  : {a.batch / t_ours:8.1f} img/s  {t_ours:.4f} s/it  {flops_ours / 1e9:6.1f} GFLOP/it  "
          f"{achieved:8.1f} GFLOP/s")
    print(f"ratio (cgan / plain img/s): {ratio:.2f}  (goal >= 1.1: {'met' if ratio >= 1.1 else 'MISSED'})")
    print(f"peak {a.precision}: matmul {mm:.1f} GFLOP/s, 5x5 conv {conv:.1f} GFLOP/s")
    for name, peak in (("matmul", mm), ("conv", conv)):
        eff = achieved / peak
        print(f"efficiency of cgan step vs {name} peak: {eff:.2f}  (goal >= 0.85: {'met' if eff >= 0.85 else 'MISSED'})")
    print(f"batch assembly: {t_batch * 1e3:.2f} ms per batch = {t_batch / t_ours:.1%} of a step")
    conv_rate, conv_share = conv_ceiling(ours_fn, dev)
    print(f"the step's convolutions alone, each timed at its own shape (forward + backward): {conv_rate:.1f} GFLOP/s "
          f"= {conv_rate / conv:.2f} of the conv peak; they are {conv_share:.0%} of the step's FLOPs")
    if a.profile:
        profile(ours_fn, dev, a.iters)


def _pair(v) -> tuple[int, int]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


class _ConvCalls(TorchFunctionMode):
    """Counts a step's 2-D convolutions by what sets their speed: shapes, stride, padding, the dtype autocast
    runs them in, the layout, and which gradients autograd will ask of them."""

    def __init__(self, device: torch.device) -> None:
        super().__init__()
        self.device, self.calls = device, {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is F.conv2d:
            x, w = args[0], args[1]
            stride = kwargs.get("stride", args[3] if len(args) > 3 else 1)
            padding = kwargs.get("padding", args[4] if len(args) > 4 else 0)
            auto = torch.is_autocast_enabled(self.device.type)
            key = (tuple(x.shape), tuple(w.shape), _pair(stride), _pair(padding),
                   torch.get_autocast_dtype(self.device.type) if auto else x.dtype,
                   x.is_contiguous(memory_format=torch.channels_last),
                   *(t.requires_grad and torch.is_grad_enabled() for t in (x, w)))
            self.calls[key] = self.calls.get(key, 0) + 1
        return func(*args, **kwargs)


def conv_ceiling(step, device: torch.device) -> tuple[float, float]:
    """What the step's convolutions reach by themselves: every conv2d call of one step recorded, each
    distinct call timed alone, forward and the backward it needs, at the step's dtype and layout. The step
    cannot beat this rate; the rest of its time is the other operators.
    Returns (GFLOP/s over all calls, the calls' share of the step's FLOPs)."""
    with FlopCounterMode(display=False) as fc, _ConvCalls(device) as rec:
        step()
    total_flops, total_s = 0.0, 0.0
    for (xs, ws, stride, pad, dtype, cl, grad_in, grad_w), n in rec.calls.items():
        fmt = torch.channels_last if cl else torch.contiguous_format
        x = torch.randn(xs, device=device, dtype=dtype).contiguous(memory_format=fmt)
        w = torch.randn(ws, device=device, dtype=dtype).contiguous(memory_format=fmt)
        gy = torch.randn_like(F.conv2d(x, w, stride=stride, padding=pad))
        flops = 2 * gy.numel() * ws[1] * ws[2] * ws[3] * (1 + grad_in + grad_w)  # forward and the gradients asked for

        def one() -> None:
            F.conv2d(x, w, stride=stride, padding=pad)
            torch.ops.aten.convolution_backward(gy, x, w, [ws[0]], list(stride), list(pad), [1, 1], False, [0, 0], 1,
                                                [grad_in, grad_w, grad_w])

        total_flops += n * flops
        total_s += n * min(timed(one, 2, device, warmup=1) for _ in range(2))
    return total_flops / total_s / 1e9, total_flops / fc.get_total_flops()


def profile(step, device: torch.device, iters: int, rows: int = 25) -> None:
    """Where a step's time goes: self time per operator over `iters` steps (forward and backward ops
    apart: autograd's `...Backward0` nodes and the `aten::*_backward` kernels they call)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    step()
    with torch_profile(activities=acts) as prof:
        for _ in range(iters):
            step()
        sync(device)
    key = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    events = prof.key_averages()
    total = sum(getattr(e, key) for e in events) or 1
    print(f"\nprofile: {iters} steps, self time per operator (top {rows}), share of the total")
    for e in sorted(events, key=lambda e: -getattr(e, key))[:rows]:
        t = getattr(e, key)
        print(f"  {e.key[:48]:48s} {t / iters / 1e3:9.2f} ms/step {t / total:6.1%}  calls/step {e.count / iters:6.1f}")


if __name__ == "__main__":
    main()
