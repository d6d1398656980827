"""The Python API: load a generator by release name or path, draw images from tags, sentences or seeds,
and judge images the way `cgan eval` and the grader do.

    from cgan.api import load, evaluate
    images = load("cgan").generate(["blue hair red eyes", "pink hair green eyes"], seed=0)
    images.save("two.png")
    print(evaluate(images, tags=["blue hair red eyes", "pink hair green eyes"]).tags)

docs/api.md has the whole surface with runnable examples.
"""

from cgan.api.images import Images
from cgan.api.models import Model, load
from cgan.api.scores import Scores, evaluate

__all__ = ["Images", "Model", "Scores", "evaluate", "load"]
