"""Environments: gymnasium construction and wrappers, rollouts and episode tapes, MuJoCo GL."""
