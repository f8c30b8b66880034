"""The scheduled waste scan (spec W1-W4): each onboarded account and region through the tenant's role, findings and
first-seen records kept per account region, every scan audited. Findings are proposals (dry run)."""
