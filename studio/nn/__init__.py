"""Neural-network machinery every model shares: conv blocks, checkpoint files, the training loop,
and the spec a model declares to the registry."""
