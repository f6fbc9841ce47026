"""Push and reconcile: compare documents with tickets, plan, apply."""
