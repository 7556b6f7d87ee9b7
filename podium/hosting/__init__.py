"""Platform hosts' pages: analytics, the audit log, storage and quotas, workers and queues."""
