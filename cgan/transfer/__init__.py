"""Hair/eye colour transfer (the HW3-3 bonus): networks, training, and applying a model."""
