"""The model registry: upload, validate in isolation, activate, roll back, shadow-score and retrain risk models."""
