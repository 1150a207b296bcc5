"""evaluators/identity_embedder"""
