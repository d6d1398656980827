"""Judging images: tagnet, the course's face detector, Inception FID/KID, diversity, and `cgan eval`."""
