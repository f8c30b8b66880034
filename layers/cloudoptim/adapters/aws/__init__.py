"""AWS adapters of the interruption pipeline: botocore/pynamodb behind the ports of cloudoptim.interruptions.ports."""
