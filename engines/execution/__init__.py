"""Pure decisions of the execution workflows: who owns a node and how it leaves, whether a plan still holds
against the cluster as it is now, and what an execution saved."""
