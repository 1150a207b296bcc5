"""evaluators/emotion_classifier"""
