"""Jobs that run on their own: reminder delivery, daily digests. They reach users only through
the Notifier protocol (``scheduler.notifier``) that ``bot/`` implements."""
