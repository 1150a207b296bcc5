"""papers/jean"""
