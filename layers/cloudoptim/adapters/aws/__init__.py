"""AWS adapters of the interruption pipeline: boto3/pynamodb behind the ports of cloudoptim.interruptions.ports."""
