"""The conditional GAN: networks, conditioning, losses, training, and sampling with one seed per image."""
