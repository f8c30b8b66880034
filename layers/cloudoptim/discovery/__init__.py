"""Discovery (scheduled): what each registered cluster is made of now: its nodes' instances (so interruption notices
resolve) and its managed node groups (so hibernation knows what to scale)."""
