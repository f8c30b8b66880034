"""Interruption engine: classify EC2 notices, plan drains, choose replacements, escalate hive-mind flags.

Pure: value objects in, decisions with reasons out; time is always an argument (epoch seconds).
"""
