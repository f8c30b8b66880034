"""Hibernation (spec E5) as values: the weekly schedule and its transitions, and the sleep and wake plans."""
