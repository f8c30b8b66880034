"""The interruption-risk model (spec S8): pure features, offline training, evaluation, artifact, inference.

Features and the target are numpy-only and shared by training and inference; only `train` needs LightGBM's
training API, and nothing here imports pandas (the Lambda package stays small).
"""
