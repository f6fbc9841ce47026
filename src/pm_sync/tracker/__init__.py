"""The connector seam: what a tracker must do, and how trackers are found."""
