"""evaluators/sync_expert"""
