"""One thin handler per Lambda: each `handler.py` is the composition root of its function."""
