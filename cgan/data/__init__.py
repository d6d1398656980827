"""Data sets held in memory: tagged and captioned folders, augmentation, procedural faces and flowers."""
