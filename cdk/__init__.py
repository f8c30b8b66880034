"""The CDK app: the SaaS stack (one construct per business domain) and its asset bundling."""
