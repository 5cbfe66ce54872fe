"""The views: tracked projections of the log, rebuildable by replay."""
