"""Does training actually learn the condition? Half a CPU minute of the course's loss on procedural faces."""

from __future__ import annotations

import numpy as np
import pytest

from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.course.tags import TagLine
from cgan.data.synth_faces import read_hair, synth_dataset
from cgan.gan.build import load_generator
from cgan.gan.sampling import generate

from helpers import load, quick_train

STEPS = 400
CHANCE = 1 / len(HAIR_COLORS)
# The matching-aware loss (GAN-CLS, the course baseline) with 12 + 11 one-hots, base 16, 2 threads:
# hair read from the pixels after 400 steps, measured on an Intel Xeon: seeds 0-4 at 78-99% under
# ATEN_CPU_CAPABILITY native, avx2 and default. A tag-blind G sits at chance (8.3% +- 2.5% over 120
# samples); 50% is 6x chance and still half the worst figure measured. (ACGAN at this budget was no
# such test: 1% to 32% depending on the CPU's rounding, and 8-17% at base 16.)
THRESHOLD = 0.5


@pytest.mark.slow
def test_matching_aware_gan_follows_hair_tags_far_above_chance(tmp_path):
    data = load(synth_dataset(tmp_path / "d", 2000, "extra", seed=7))
    ckpt = quick_train(data, tmp_path / "run", loss="gan", cond="multi", base_channels=16, batch_size=64,
                       epochs=100, max_steps=STEPS)
    G, cond, _ = load_generator(ckpt)
    rng = np.random.RandomState(0)
    tags = [TagLine(str(i), HAIR_COLORS[i % 12], EYE_COLORS[rng.randint(11)], i + 1) for i in range(120)]
    images = generate(G, cond, [1000 + i for i in range(len(tags))], tags)
    acc = float(np.mean([read_hair(im) == t.hair for im, t in zip(images, tags)]))
    print(f"\nhair accuracy from pixels after {STEPS} steps: {acc:.1%} (chance {CHANCE:.1%})")
    assert acc >= THRESHOLD, f"hair accuracy {acc:.1%} is not far above chance ({CHANCE:.1%})"
