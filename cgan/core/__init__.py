"""Helpers that know no domain: files, images, pixels, checkpoint IO, torchrun, run helpers."""
