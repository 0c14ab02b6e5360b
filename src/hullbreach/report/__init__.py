"""Reports: the demo's HTML page, and helpers shared by the incident reports."""
