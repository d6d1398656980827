"""Grading a class: sandboxed runs, the checks, the gradebook and report, and the originals' portability."""
