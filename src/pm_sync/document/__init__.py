"""The postmortem document: read it, check it, write into it."""
