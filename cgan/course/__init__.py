"""The homework's own vocabulary and file formats: the hair and eye colours, and the tag files."""
