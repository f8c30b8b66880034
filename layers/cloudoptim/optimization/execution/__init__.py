"""The execution workflows (statemachines/execute.asl.json routes, these steps decide): re-validate, then change
nodes (launch, wait Ready, cordon, evict, remove through the owner) or workloads (patch the owner), then the
savings guard."""
