"""The experiments of scripts/chaos, and what they share."""
