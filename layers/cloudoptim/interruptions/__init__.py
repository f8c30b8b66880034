"""Service layer of the interruption pipeline: what each Lambda does, over ports, with the engines deciding."""
