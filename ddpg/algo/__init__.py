"""DDPG itself: learner math, member-axis layers and Adam, networks, the compiled step, agent,
noise, replay, normalizers. No files, no Hydra, no TensorBoard."""
