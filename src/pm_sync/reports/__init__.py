"""Reports over many postmortems: overdue items, formats, Slack."""
