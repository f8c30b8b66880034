"""Notifications (issue 14 part 7): each tenant's weekly summary by email and its high-priority events (a failed
execution, a confirmed risky pool holding its nodes, safe mode switched) to a Slack or generic webhook."""
