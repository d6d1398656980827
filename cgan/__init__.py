"""cgan: conditional GANs for the anime-face homework, and the tools to grade it."""

__version__ = "1.1.0"
