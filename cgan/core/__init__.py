"""Helpers that know no domain: files, images, pixels, colours, tag files, checkpoint IO, torchrun, run helpers."""
